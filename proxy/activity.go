package proxy

import (
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// activityInterval is the least time between two reports of one
// connection's traffic.
const activityInterval = time.Second

// watch returns the client side of c as splice should copy it: c.client
// itself, or, when the grant ends when idle, c.client wrapped so that its
// traffic reaches Sessions.Activity. The connection's opening counts as
// traffic.
func (s *Server) watch(c *conn) net.Conn {
	if s.sessions == nil || !s.sessions.IdleLimited(c.claims.GrantID) {
		return c.client
	}

	a := &activeConn{Conn: c.client, grantID: c.claims.GrantID, s: s}
	now := s.now()
	a.last.Store(now.UnixNano())
	s.sessions.Activity(a.grantID, now)
	return a
}

// activeConn is a client connection that reports its traffic, reads and
// writes alike, at most once per activityInterval. The embedded *tls.Conn
// still half-closes through CloseWrite. It is safe for concurrent use.
type activeConn struct {
	*tls.Conn
	grantID string
	s       *Server
	// last is when traffic was last reported, in unix nanoseconds.
	last atomic.Int64
}

// Read reads from the client and reports the traffic.
func (a *activeConn) Read(p []byte) (int, error) {
	n, err := a.Conn.Read(p)
	if n > 0 {
		a.touch()
	}
	return n, err
}

// Write writes to the client and reports the traffic.
func (a *activeConn) Write(p []byte) (int, error) {
	n, err := a.Conn.Write(p)
	if n > 0 {
		a.touch()
	}
	return n, err
}

// touch reports traffic now unless it was reported less than
// activityInterval ago. Of two directions racing, one reports.
func (a *activeConn) touch() {
	now := a.s.now()
	last := a.last.Load()
	if now.UnixNano()-last < int64(activityInterval) {
		return
	}
	if a.last.CompareAndSwap(last, now.UnixNano()) {
		a.s.sessions.Activity(a.grantID, now)
	}
}
