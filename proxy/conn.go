package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// Why a proxied connection closed, as log values and metric labels.
const (
	closeEOF           = "eof"
	closeGrantEnded    = "grant_ended"
	closeExpired       = "expired"
	closeClientError   = "client_error"
	closeUpstreamError = "upstream_error"
	closeShutdown      = "shutdown"
)

// conn is one client and, once admitted and dialed, its upstream. The
// fields before mu are set by the handshake, before the registry shares c.
// Its methods are safe for concurrent use.
type conn struct {
	client   *tls.Conn
	claims   ca.Claims
	resource string
	// end is when the grant ends; the connection is cut then.
	end   time.Time
	start time.Time

	mu       sync.Mutex
	upstream net.Conn
	closed   bool
	// why is the reason given by the cut that closed the connection, if any.
	why string
}

// cut closes both sides of c at once, without a TLS close_notify: the
// client must not take a cut for the orderly end of the stream. The first
// close of c sets why; later ones change nothing.
func (c *conn) cut(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed {
		return
	}
	c.closed, c.why = true, why
	c.client.NetConn().Close()
	if c.upstream != nil {
		c.upstream.Close()
	}
}

// attach sets the upstream of c and reports whether c is still open.
func (c *conn) attach(up net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed {
		return false
	}
	c.upstream = up
	return true
}

// closeReason closes c when it is still open and returns why it ended: the
// reason of the cut that closed it, or else what err, the failure of the
// splice, says.
func (c *conn) closeReason(err error) string {
	c.cut("")

	c.mu.Lock()
	why := c.why
	c.mu.Unlock()

	var ce *copyError
	switch {
	case why != "":
		return why
	case err == nil:
		return closeEOF
	case errors.Is(err, os.ErrDeadlineExceeded):
		return closeExpired
	case errors.As(err, &ce) && ce.at == endA:
		return closeClientError
	default:
		return closeUpstreamError
	}
}

// handle serves one accepted client: the handshake, the second grant check
// and the dial here, the proxying on goroutines of its own. The handshake
// deepened this goroutine's stack, which an idle connection would keep for
// its whole life; fresh goroutines start with small stacks. The end of ctx
// cuts the connection at any stage.
func (s *Server) handle(ctx context.Context, l *listener, raw net.Conn,
	conns *sync.WaitGroup, host netip.Addr) {
	c := &conn{client: tls.Server(pollable(raw), l.tls)}
	stop := context.AfterFunc(ctx, func() { c.cut(closeShutdown) })
	if err := s.handshake(ctx, c, l, host); err != nil {
		stop()
		raw.Close()
		return
	}

	s.live.add(c)
	s.rec.ConnOpened(c.resource)

	up, err := s.connect(ctx, c)
	if err != nil {
		s.finish(c, stop, 0, 0, err)
		return
	}
	conns.Go(func() {
		res, err := splice(s.watch(c), up)
		s.finish(c, stop, res.ab, res.ba, err)
	})
}

// finish closes c, unregisters it and records its end. stop cancels the
// cut at shutdown.
func (s *Server) finish(c *conn, stop func() bool, in, out int64, err error) {
	why := c.closeReason(err)
	stop()
	s.live.remove(c)

	s.logClosed(c, why, in, out, err)
	s.rec.ConnClosed(c.resource, why, in, out)
}

// handshake runs the TLS handshake of c's client, whose inline check is
// VerifyConnection, for at most HandshakeTimeout and until ctx ends; that
// context also reaches the handshake's callbacks, such as GetCertificate.
// It records the handshake and gives back host's place in the gate once
// the client is admitted or refused: admission may write a session count
// to the store, which the gate's per-host limit must bound too. On success
// it fills in what c proxies for whom.
func (s *Server) handshake(ctx context.Context, c *conn, l *listener,
	host netip.Addr) error {
	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	err := c.client.HandshakeContext(hctx)
	cancel()

	cs := c.client.ConnectionState()
	resource, _ := s.resourceOf(cs.ServerName, l.resource)
	switch {
	case err == nil:
		err = s.admitted(c, cs, resource)
	case unknownName(s, cs.ServerName, l.resource):
		err = &denial{reason: reasonUnknownResource,
			cause: fmt.Errorf("no resource has the hostname %q", cs.ServerName)}
	}
	s.handshakes.Leave(host)
	s.recordHandshake(c.client, cs.ServerName, resource, err, time.Since(start))
	return err
}

// admitted fills in c for a client that VerifyConnection admitted, and
// counts the connection as one of its grant's sessions. Its chain was
// verified a moment ago, so its claims come from the cache. The count
// waits for the end of the handshake, when the client has proved that it
// holds the certificate's key: a copy of the certificate alone cannot use
// up a grant's sessions.
func (s *Server) admitted(c *conn, cs tls.ConnectionState, resource string) error {
	if len(cs.PeerCertificates) == 0 {
		return &denial{reason: reasonNoCert}
	}
	leaf := cs.PeerCertificates[0]
	now := s.now()
	claims, err := s.verified.claims(cs.PeerCertificates, now)
	if err != nil {
		return err
	}
	if s.sessions != nil {
		if err := s.sessions.OpenSession(claims.GrantID, now); err != nil {
			return &denial{reason: grants.Reason(err), claims: claims, cause: err}
		}
	}

	c.end = leaf.NotAfter
	if !claims.NotAfter.IsZero() && claims.NotAfter.Before(c.end) {
		c.end = claims.NotAfter
	}
	c.claims, c.resource, c.start = claims, resource, time.Now()
	return nil
}

// connect checks the grant once more and dials the upstream, which it
// attaches to c with the deadline of the grant's end.
func (s *Server) connect(ctx context.Context, c *conn) (net.Conn, error) {
	// A grant that ended between the handshake's check and c joining the
	// registry was missed by EndGrant. Now that c is registered any later
	// end reaches it, and this check sees any earlier one.
	err := s.checker.Check(c.claims.GrantID, c.claims.User, c.resource, s.now())
	if err != nil {
		c.cut(closeGrantEnded)
		return nil, err
	}

	up, err := s.dialer.DialContext(ctx, "tcp", s.upstreams[c.resource])
	if err != nil {
		c.cut(closeUpstreamError)
		return nil, fmt.Errorf("dial upstream: %w", err)
	}
	up = pollable(up)
	if !c.attach(up) {
		up.Close()
		return nil, net.ErrClosed
	}

	if err := c.client.SetDeadline(c.end); err != nil {
		return nil, err
	}
	if err := up.SetDeadline(c.end); err != nil {
		return nil, err
	}
	return up, nil
}

// recordHandshake counts a finished handshake and logs a refusal: a refused
// connection is a connection, so it gets its one line at info.
func (s *Server) recordHandshake(client *tls.Conn, serverName, resource string,
	err error, d time.Duration) {
	if err == nil {
		s.rec.Handshake(resource, resultAllowed, reasonOK, d)
		return
	}

	reason := reasonHandshake
	var claims ca.Claims
	if den, ok := errors.AsType[*denial](err); ok {
		reason, claims = den.reason, den.claims
	}
	s.rec.Handshake(resource, resultDenied, reason, d)

	if ce := s.log.Check(zap.InfoLevel, "handshake refused"); ce != nil {
		ce.Write(zap.String(keyReason, reason), zap.String(keyResource, resource),
			zap.String(keyServerName, serverName), zap.String(keyUser, claims.User),
			zap.String(keyGrant, claims.GrantID),
			zap.Stringer(keyRemote, client.RemoteAddr()), zap.Error(err))
	}
}

// logClosed writes the one line of a proxied connection.
func (s *Server) logClosed(c *conn, why string, in, out int64, err error) {
	level := zap.InfoLevel
	if why == closeUpstreamError {
		level = zap.WarnLevel
	}
	ce := s.log.Check(level, "connection closed")
	if ce == nil {
		return
	}

	fields := []zap.Field{
		zap.String(keyUser, c.claims.User), zap.String(keyGrant, c.claims.GrantID),
		zap.String(keyResource, c.resource),
		zap.Stringer(keyRemote, c.client.RemoteAddr()),
		zap.Int64(keyBytesIn, in), zap.Int64(keyBytesOut, out),
		zap.Duration(keyDuration, time.Since(c.start)), zap.String(keyReason, why),
	}
	if why == closeClientError || why == closeUpstreamError {
		fields = append(fields, zap.Error(err))
	}
	ce.Write(fields...)
}
