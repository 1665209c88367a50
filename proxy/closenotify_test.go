package proxy

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// recordSpy is the raw side of a TLS 1.2 client connection. It follows
// the records the server sends and counts the alerts among them: in TLS
// 1.2 a record's type is sent in the clear, so a close_notify can be told
// from a bare end of the TCP stream, which crypto/tls's client takes alike.
type recordSpy struct {
	net.Conn

	mu     sync.Mutex
	header []byte // what has come of the current record's header
	left   int    // bytes of the current record's body still to come
	alerts int
}

func (s *recordSpy) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	s.follow(p[:n])
	return n, err
}

// follow reads the record headers in b, the next bytes of the stream.
func (s *recordSpy) follow(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	const headerLen, alertRecord = 5, 21
	for len(b) > 0 {
		if s.left > 0 {
			k := min(s.left, len(b))
			s.left, b = s.left-k, b[k:]
			continue
		}
		k := min(headerLen-len(s.header), len(b))
		s.header, b = append(s.header, b[:k]...), b[k:]
		if len(s.header) == headerLen {
			if s.header[0] == alertRecord {
				s.alerts++
			}
			s.left = int(binary.BigEndian.Uint16(s.header[3:]))
			s.header = s.header[:0]
		}
	}
}

func (s *recordSpy) alertCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alerts
}

// replyThenReset answers the first message and, a moment later, resets
// the connection, as a server that crashed would.
func replyThenReset(c net.Conn) {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return
	}
	_, _ = c.Write(buf[:n])
	time.Sleep(100 * time.Millisecond)
	_ = c.(*net.TCPConn).SetLinger(0)
	c.Close()
}

// replyThenClose answers the first message and ends the stream in order.
func replyThenClose(c net.Conn) {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err == nil {
		_, _ = c.Write(buf[:n])
	}
	c.Close()
}

// TestOnlyAnOrderlyEndSendsCloseNotify ends proxied connections in each
// way: the client gets a close_notify, which says the stream is complete,
// only when the upstream ended it in order; a cut, an expiry or an
// upstream failure stops the stream without one.
func TestOnlyAnOrderlyEndSendsCloseNotify(t *testing.T) {
	tests := []struct {
		name     string
		upstream func(net.Conn)
		// expires is how long the grant lasts; zero is the usual hour.
		expires time.Duration
		// end, when set, ends the connection from jitgate's side.
		end     func(h *harness)
		orderly bool
	}{
		{name: "revoked", upstream: echo, end: func(h *harness) {
			h.checker.set("g1", grants.ErrGrantRevoked)
			h.srv.EndGrant("g1")
		}},
		{name: "expired", upstream: echo, expires: 2 * time.Second},
		{name: "upstream reset", upstream: replyThenReset},
		{name: "shutdown", upstream: echo, end: func(h *harness) { _ = h.stop() }},
		{name: "orderly", upstream: replyThenClose, orderly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.upstream, nil)
			h.version = tls.VersionTLS12
			h.checker.set("g1", nil)
			claims := grantClaims("alice", "g1", "db")
			if tt.expires > 0 {
				claims.NotAfter = time.Now().Add(tt.expires)
			}
			cert := h.pki.client(t, claims)

			raw, err := net.DialTimeout("tcp", h.srv.Addr("db").String(), waitTime)
			require.NoError(t, err)
			spy := &recordSpy{Conn: raw}
			c := tls.Client(spy, h.clientConfig("db"+testDomain, &cert, nil))
			t.Cleanup(func() { c.Close() })
			roundTrip(t, c, "ping")
			if tt.end != nil {
				tt.end(h)
			}

			require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTime)))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the connection is still open")
			if tt.orderly {
				assert.Equal(t, 1, spy.alertCount(), "no close_notify at the orderly end")
			} else {
				assert.Zero(t, spy.alertCount(), "a close_notify said the stream was complete")
			}
		})
	}
}
