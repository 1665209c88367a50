package proxy

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// upstream is a TCP service on loopback that counts its connections.
type upstream struct {
	addr     string
	accepted atomic.Int64
}

// startUpstream serves handle on 127.0.0.1:0 until the test ends.
func startUpstream(t testing.TB, handle func(net.Conn)) *upstream {
	t.Helper()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := &upstream{addr: ln.Addr().String()}

	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.accepted.Add(1)
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return u
}

// echo writes back what it reads, then half-closes.
func echo(c net.Conn) {
	io.Copy(c, c)
	closeWrite(c)
}

// collect reads until EOF, then replies with how many bytes it read: it can
// only answer a client that half-closed.
func collect(c net.Conn) {
	n, _ := io.Copy(io.Discard, c)
	fmt.Fprintf(c, "got %d bytes", n)
}

// harness is a proxy serving on loopback with fakes around it: resource
// "db" on a dedicated listener, "api" and "web" on the shared one by SNI.
type harness struct {
	pki     *testPKI
	checker *fakeChecker
	rec     *fakeRecorder
	logs    *observer.ObservedLogs
	// closed holds "connection closed" lines taken from logs, not yet read.
	closed []observer.LoggedEntry
	ups    map[string]*upstream
	srv    *Server
	// stop ends Serve and returns its result.
	stop func() error
	// version is the one TLS version clients offer; zero means TLS 1.3.
	version uint16
}

// newHarness starts a proxy whose upstreams all run handle. tweak, when not
// nil, changes the config before New.
func newHarness(t testing.TB, handle func(net.Conn), tweak func(*Config)) *harness {
	t.Helper()

	h := &harness{
		pki:     newPKI(t),
		checker: newFakeChecker(),
		rec:     newFakeRecorder(),
		ups:     make(map[string]*upstream),
	}
	for _, name := range []string{"db", "api", "web"} {
		h.ups[name] = startUpstream(t, handle)
	}
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs

	c := h.config(t)
	c.Logger = zap.New(core)
	if tweak != nil {
		tweak(&c)
	}
	h.srv, h.stop = startServer(t, c)
	return h
}

// config returns the harness's proxy config.
func (h *harness) config(t testing.TB) Config {
	t.Helper()

	serving := h.pki.serving(t)
	return Config{
		Resources: []Resource{
			{Name: "db", Upstream: h.ups["db"].addr, Listen: "127.0.0.1:0"},
			{Name: "api", Upstream: h.ups["api"].addr, Hostname: "api" + testDomain},
			{Name: "web", Upstream: h.ups["web"].addr, Hostname: "WEB" + testDomain},
		},
		SharedAddr:     "127.0.0.1:0",
		Verifier:       &testVerifier{roots: h.pki.pool},
		Checker:        h.checker,
		GetCertificate: fixedCert(&serving),
		Recorder:       h.rec,
		// Tests run both TLS versions; the default, 1.3 alone, has a test
		// of its own.
		MinVersion: tls.VersionTLS12,
	}
}

// startServer listens and serves c until the test ends, then checks that
// Serve returned cleanly. The function it returns ends Serve sooner.
func startServer(t testing.TB, c Config) (*Server, func() error) {
	t.Helper()

	srv, err := New(c)
	require.NoError(t, err)
	require.NoError(t, srv.Listen())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return next(t, done)
	})
	t.Cleanup(func() { assert.NoError(t, stop()) })
	return srv, stop
}

// accepted returns how many connections each upstream has accepted.
func (h *harness) accepted() map[string]int64 {
	counts := make(map[string]int64, len(h.ups))
	for name, u := range h.ups {
		counts[name] = u.accepted.Load()
	}
	return counts
}

// clientConfig returns a client config for the harness's proxy that offers
// h.version only. cert and cache may be nil.
func (h *harness) clientConfig(serverName string, cert *tls.Certificate,
	cache tls.ClientSessionCache) *tls.Config {
	version := cmp.Or(h.version, tls.VersionTLS13)
	conf := &tls.Config{
		MinVersion:         version,
		MaxVersion:         version,
		RootCAs:            h.pki.pool,
		ServerName:         serverName,
		ClientSessionCache: cache,
	}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return conf
}

// dial connects to addr and completes the client's half of the handshake.
// In TLS 1.3 that half ends before the server has checked the client's
// certificate, so a refusal shows on the first read.
func (h *harness) dial(t testing.TB, addr net.Addr, serverName string,
	cert *tls.Certificate, cache tls.ClientSessionCache) *tls.Conn {
	t.Helper()

	c, err := h.connect(t, addr, serverName, cert, cache)
	require.NoError(t, err)
	return c
}

// connect is dial returning the client's handshake error. In TLS 1.2 the
// server's refusal is such an error.
func (h *harness) connect(t testing.TB, addr net.Addr, serverName string,
	cert *tls.Certificate, cache tls.ClientSessionCache) (*tls.Conn, error) {
	t.Helper()

	dialer := &net.Dialer{Timeout: waitTime}
	conf := h.clientConfig(serverName, cert, cache)
	c, err := tls.DialWithDialer(dialer, "tcp", addr.String(), conf)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// dialDB connects to the dedicated listener of "db" with cert.
func (h *harness) dialDB(t testing.TB, cert *tls.Certificate) *tls.Conn {
	t.Helper()

	return h.dial(t, h.srv.Addr("db"), "db"+testDomain, cert, nil)
}

// closedLine returns what the recorder and the log got for the next
// connection to close. The line is written before the recorder is told.
func (h *harness) closedLine(t testing.TB) (closedEvent, map[string]any) {
	t.Helper()

	ev := next(t, h.rec.closed)
	h.closed = append(h.closed, h.logs.FilterMessage("connection closed").TakeAll()...)
	require.NotEmpty(t, h.closed, "connection closed without a log line")
	line := h.closed[0]
	h.closed = h.closed[1:]
	return ev, line.ContextMap()
}

// roundTrip writes msg on c and requires it back.
func roundTrip(t testing.TB, c net.Conn, msg string) {
	t.Helper()

	require.NoError(t, c.SetDeadline(time.Now().Add(waitTime)))
	defer c.SetDeadline(time.Time{})

	_, err := io.WriteString(c, msg)
	require.NoError(t, err)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, msg, string(got))
}

// requireRefused requires the server to end c with the generic alert.
func requireRefused(t testing.TB, c *tls.Conn) {
	t.Helper()

	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTime)))
	_, err := c.Read(make([]byte, 1))
	require.Error(t, err)
	assert.ErrorContains(t, err, "bad certificate")
}

// requireRefusedAnyVersion requires the server to refuse a client whose
// handshake gave c and err: a TLS 1.2 refusal ends the client's handshake,
// a TLS 1.3 one its first read.
func requireRefusedAnyVersion(t testing.TB, c *tls.Conn, err error) {
	t.Helper()

	if err != nil {
		assert.ErrorContains(t, err, "bad certificate")
		return
	}
	requireRefused(t, c)
}

// requireCut requires c to end, with an error or EOF, within d.
func requireCut(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()

	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	_, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) {
		require.False(t, ne.Timeout(), "connection still open after %v", d)
	}
}
