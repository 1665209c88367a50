// Command jgload drives a server on loopback with mutual-TLS clients and
// reports handshakes per server CPU-second, latency percentiles and bytes
// per second, as a table and, with -json, as JSON:
//
//	jgload -dir DIR -addr 127.0.0.1:8443 -mode full -conns 16 -duration 5s -pid PID
//
// DIR is a fixture made by `jgserve setup`; the clients present its load
// grant certificate. -pid names the server process whose CPU time (with its
// children's) is read from /proc. Besides the modes of a load (full,
// resumed, throughput, rtt), -mode idle holds -conns connections and
// reports the server's memory per connection, and -mode revoke holds
// -conns connections of the fixture's second grant, revokes it through the
// gateway's -control address and reports how soon each connection ended.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jitgate/jitgate/bench"
	"github.com/jitgate/jitgate/config"
)

// Modes of the command besides those of bench.Run, and their settings.
const (
	modeIdle   = "idle"
	modeRevoke = "revoke"
	// settle is how long the server gets before its memory is read.
	settle = 2 * time.Second
	// parallel is how many connections idle and revoke open at once.
	parallel = 32
	// cutTimeout bounds the wait for revoked connections to end.
	cutTimeout = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jgload:", err)
		os.Exit(1)
	}
}

// options are the command's flags besides those of the load.
type options struct {
	dir, curves, control, mode string
	asJSON                     bool
	// hold is how long idle keeps its connections after measuring.
	hold time.Duration
}

func run(ctx context.Context, args []string) error {
	var o options
	var l bench.Load
	fs := flag.NewFlagSet("jgload", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", "", "fixture directory (jgserve setup)")
	fs.StringVar(&o.curves, "curves", "", "comma-separated key exchanges; empty: Go's")
	fs.StringVar(&o.control, "control", "", "gateway control address, for -mode revoke")
	fs.StringVar(&o.mode, "mode", string(bench.ModeFull),
		"full, resumed, throughput, rtt, idle or revoke")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	fs.DurationVar(&o.hold, "hold", 0, "how long -mode idle keeps its connections")
	fs.StringVar(&l.Addr, "addr", "", "server address on loopback")
	fs.IntVar(&l.Conns, "conns", 1, "connections at once")
	fs.DurationVar(&l.Warmup, "warmup", time.Second, "warm-up, not counted")
	fs.DurationVar(&l.Duration, "duration", 5*time.Second, "measured time")
	fs.Int64Var(&l.MaxOps, "max-ops", 0, "bound on operations; 0: the default")
	fs.IntVar(&l.MessageSize, "size", 0, "message size; 0: the default")
	fs.IntVar(&l.Server.PID, "pid", 0, "server process to count CPU time of")
	if err := fs.Parse(args); err != nil {
		return err
	}

	f, err := bench.OpenFixture(o.dir)
	if err != nil {
		return err
	}
	client := f.Load
	if o.mode == modeRevoke {
		client = f.Revoke
	}
	if l.Client, err = clientConfig(o, client); err != nil {
		return err
	}
	return o.run(ctx, l, client.GrantID)
}

// run runs the mode of o and prints its outcome.
func (o options) run(ctx context.Context, l bench.Load, grantID string) error {
	switch o.mode {
	case modeIdle:
		h, m, err := bench.HoldMeasured(ctx, l.Addr, l.Client, l.Conns, parallel,
			l.Server, settle)
		if err != nil {
			return err
		}
		defer h.Close()
		err = o.print(m, fmt.Sprintf("%d connections: RSS %d -> %d bytes, "+
			"%.0f bytes per connection", m.Conns, m.Before, m.After, m.PerConn))
		time.Sleep(o.hold)
		return err
	case modeRevoke:
		h, err := bench.Hold(ctx, l.Addr, l.Client, l.Conns, parallel)
		if err != nil {
			return err
		}
		cut, err := h.Revocation(bench.RevokeVia(o.control, grantID), cutTimeout)
		if err != nil {
			return err
		}
		return o.print(cut, fmt.Sprintf("%d connections, %d still open: p50 %.0f us, "+
			"p99 %.0f us, max %.0f us", cut.Conns, cut.Open, cut.Latency.P50,
			cut.Latency.P99, cut.Latency.Max))
	}

	l.Mode = bench.Mode(o.mode)
	res, err := bench.Run(ctx, l)
	if err != nil {
		return err
	}
	if o.asJSON {
		return o.print(res, "")
	}
	if res.FirstError != "" {
		defer fmt.Printf("first error: %s\n", res.FirstError)
	}
	return bench.WriteTable(os.Stdout, []bench.Result{res})
}

// clientConfig loads the client c of the fixture with the curves of o.
func clientConfig(o options, c bench.Client) (*tls.Config, error) {
	var ids []tls.CurveID
	if o.curves != "" {
		var err error
		if ids, err = config.ParseCurves(strings.Split(o.curves, ",")); err != nil {
			return nil, err
		}
	}
	return bench.ClientConfig(o.dir, c, ids)
}

// print prints v as JSON with -json, and line otherwise.
func (o options) print(v any, line string) error {
	if !o.asJSON {
		fmt.Println(line)
		return nil
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
