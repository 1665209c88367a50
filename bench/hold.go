package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Held are connections that Hold opened and keeps open. Its methods are
// not safe for concurrent use.
type Held struct {
	conns []*tls.Conn
}

// Hold opens n connections to the loopback address addr with full
// handshakes, parallel at a time, echoes one message on each so that a
// proxy has dialed its upstream, and keeps them open. On failure it closes
// those it opened.
func Hold(ctx context.Context, addr string, client *tls.Config,
	n, parallel int) (*Held, error) {
	if err := checkTarget(addr, client); err != nil {
		return nil, err
	}
	r := &runner{load: Load{Addr: addr, Client: client}}
	if n < 1 || n > MaxConns || parallel < 1 {
		return nil, fmt.Errorf("hold %d connections %d at a time: want 1 to %d",
			n, parallel, MaxConns)
	}

	h := &Held{conns: make([]*tls.Conn, n)}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	msg := message(DefaultMessageSize)
	for i := range h.conns {
		g.Go(func() error {
			c, err := r.dial(ctx)
			if err != nil {
				return err
			}
			h.conns[i] = c
			return echoOnce(c, msg, make([]byte, len(msg)))
		})
	}
	if err := g.Wait(); err != nil {
		h.Close()
		return nil, fmt.Errorf("hold %d connections: %w", n, err)
	}
	return h, nil
}

// Len returns the number of held connections.
func (h *Held) Len() int { return len(h.conns) }

// Close closes every held connection.
func (h *Held) Close() {
	for _, c := range h.conns {
		if c != nil {
			c.Close()
		}
	}
}

// Cut is what Revocation measured: how long after the revocation began
// each held connection saw its end.
type Cut struct {
	Conns int `json:"conns"`
	// Open counts the connections still open when the wait ended.
	Open    int     `json:"open"`
	Latency Latency `json:"latency_us"`
}

// Revocation waits on every held connection, calls revoke, and measures
// from just before the call until each connection reads its end, waiting
// up to timeout.
func (h *Held) Revocation(revoke func() error, timeout time.Duration) (Cut, error) {
	ends := make(chan time.Time, len(h.conns))
	var readers sync.WaitGroup
	for _, c := range h.conns {
		readers.Go(func() { ends <- readEnd(c) })
	}
	defer readers.Wait()
	defer h.Close()

	start := time.Now()
	if err := revoke(); err != nil {
		return Cut{}, fmt.Errorf("revoke: %w", err)
	}
	return collectCuts(ends, len(h.conns), start, timeout), nil
}

// readEnd reads c until it fails and returns when.
func readEnd(c *tls.Conn) time.Time {
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			return time.Now()
		}
	}
}

// collectCuts gathers n end times measured from start, waiting up to
// timeout for them.
func collectCuts(ends <-chan time.Time, n int, start time.Time,
	timeout time.Duration) Cut {
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	var lat []time.Duration
	for len(lat) < n {
		select {
		case t := <-ends:
			lat = append(lat, t.Sub(start))
		case <-timer.C:
			return Cut{Conns: n, Open: n - len(lat), Latency: percentiles(lat)}
		}
	}
	return Cut{Conns: n, Latency: percentiles(lat)}
}

// Memory is the server's resident memory with connections held.
type Memory struct {
	Conns  int   `json:"conns"`
	Before int64 `json:"rss_before_bytes"`
	After  int64 `json:"rss_after_bytes"`
	// PerConn is After minus Before over Conns, in bytes.
	PerConn float64 `json:"per_conn_bytes"`
}

// HoldMeasured holds n connections like Hold and measures server's
// resident memory before and, after settle, with them held. The caller
// closes the returned connections.
func HoldMeasured(ctx context.Context, addr string, client *tls.Config, n, parallel int,
	server Process, settle time.Duration) (*Held, Memory, error) {
	before, err := server.RSS()
	if err != nil {
		return nil, Memory{}, err
	}
	h, err := Hold(ctx, addr, client, n, parallel)
	if err != nil {
		return nil, Memory{}, err
	}
	if !sleepUntil(ctx, time.Now().Add(settle)) {
		h.Close()
		return nil, Memory{}, ctx.Err()
	}

	after, err := server.RSS()
	if err != nil {
		h.Close()
		return nil, Memory{}, err
	}
	m := Memory{Conns: n, Before: before, After: after,
		PerConn: float64(after-before) / float64(n)}
	return h, m, nil
}

// RevokeVia returns a function that revokes grantID through the control
// endpoint of a gateway at the loopback address control.
func RevokeVia(control, grantID string) func() error {
	return func() error {
		u := url.URL{Scheme: "http", Host: control, Path: RevokePath,
			RawQuery: url.Values{"grant": {grantID}}.Encode()}
		resp, err := http.Post(u.String(), "", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			return fmt.Errorf("revoke %s: %s: %s", grantID, resp.Status, b)
		}
		return nil
	}
}
