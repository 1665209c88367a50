package proxy

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jitgate/jitgate/grants"
)

// startTunnel runs Tunnel for cert to the "db" listener of h until the test
// ends. It returns the local address, the tunnel's logs and a function that
// ends Tunnel and returns its result.
func startTunnel(t testing.TB, h *harness,
	grantID string) (string, *observer.ObservedLogs, func() error) {
	t.Helper()

	cert := h.pki.client(t, grantClaims("alice", grantID, "db"))
	conf := h.clientConfig("db"+testDomain, &cert, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	core, logs := observer.New(zap.DebugLevel)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	proxyAddr := h.srv.Addr("db").String()
	go func() { done <- Tunnel(ctx, ln, proxyAddr, conf, zap.New(core)) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return next(t, done)
	})
	t.Cleanup(func() { assert.NoError(t, stop()) })
	return ln.Addr().String(), logs, stop
}

// tunnelEnd waits for the tunnel's line about a closed connection and
// returns it.
func tunnelEnd(t testing.TB, logs *observer.ObservedLogs) observer.LoggedEntry {
	t.Helper()

	var lines []observer.LoggedEntry
	require.Eventually(t, func() bool {
		lines = logs.FilterFieldKey(keyReason).All()
		return len(lines) > 0
	}, waitTime, 10*time.Millisecond)
	return lines[0]
}

// dialTunnel connects to the tunnel's local address; the connection is
// closed when the test ends.
func dialTunnel(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTime)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// tunnelReasonLogged waits for the tunnel's line about a closed connection
// and returns its reason.
func tunnelReasonLogged(t testing.TB, logs *observer.ObservedLogs) string {
	t.Helper()
	return tunnelEnd(t, logs).ContextMap()[keyReason].(string)
}

func TestTunnelCarriesPlainTCP(t *testing.T) {
	h := newHarness(t, collect, nil)
	h.checker.set("g1", nil)
	addr, logs, stop := startTunnel(t, h, "g1")

	c := dialTunnel(t, addr)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTime)))
	_, err := io.WriteString(c, "plain bytes")
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())

	reply, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "got 11 bytes", string(reply))
	assert.Equal(t, tunnelEOF, tunnelReasonLogged(t, logs))
	allowed := handshakeEvent{"db", resultAllowed, reasonOK}
	assert.Equal(t, allowed, next(t, h.rec.handshakes))
	require.NoError(t, stop())
}

func TestTunnelNamesASessionLimitCut(t *testing.T) {
	sessions := newFakeSessions()
	sessions.limit["g1"] = 1
	h := newHarness(t, echo, func(c *Config) { c.Sessions = sessions })
	h.checker.set("g1", nil)
	addr, logs, _ := startTunnel(t, h, "g1")

	first := dialTunnel(t, addr)
	roundTrip(t, first, "the one session")

	second := dialTunnel(t, addr)
	_, err := second.Write([]byte("startup"))
	require.NoError(t, err)
	requireCut(t, second, waitTime)
	// A client closes its side on the end of the stream, as psql does; the
	// tunnel logs the connection once both sides are done.
	require.NoError(t, second.Close())

	// The proxy's close reaches the tunnel as an end of stream or as a
	// reset, depending on whether the bytes sent were read first: either
	// way the line names the limit.
	line := tunnelEnd(t, logs)
	assert.Equal(t, zap.WarnLevel, line.Level)
	assert.Contains(t, line.Message, "the grant may have ended or used up its sessions")
}

func TestTunnelEndMessages(t *testing.T) {
	level, msg := endMessage(tunnelEOF, 0, true)
	assert.Equal(t, zap.WarnLevel, level)
	assert.Contains(t, msg, "the proxy closed the connection without a reply")

	level, msg = endMessage(tunnelEOF, 120, true)
	assert.Equal(t, zap.InfoLevel, level)
	assert.Equal(t, "tunnel closed", msg, "a reply came")

	level, _ = endMessage(tunnelEOF, 0, false)
	assert.Equal(t, zap.InfoLevel, level, "the client ended first, and expects no reply")

	level, msg = endMessage(tunnelProxyError, 120, false)
	assert.Equal(t, zap.WarnLevel, level)
	assert.Contains(t, msg, "tunnel cut by the proxy")
}

func TestTunnelToAServiceThatNeverAnswers(t *testing.T) {
	h := newHarness(t, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}, nil)
	h.checker.set("g1", nil)
	addr, logs, _ := startTunnel(t, h, "g1")

	c := dialTunnel(t, addr)
	_, err := c.Write([]byte("log line\n"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	requireCut(t, c, waitTime)

	line := tunnelEnd(t, logs)
	assert.Equal(t, zap.InfoLevel, line.Level, "the client ended first: %s", line.Message)
	assert.Equal(t, tunnelEOF, line.ContextMap()[keyReason])
}

func TestTunnelRefusedByProxy(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g1", grants.ErrGrantRevoked)
	addr, logs, _ := startTunnel(t, h, "g1")

	c := dialTunnel(t, addr)
	requireCut(t, c, waitTime)

	line := tunnelEnd(t, logs)
	assert.Equal(t, tunnelProxyError, line.ContextMap()[keyReason])
	assert.Contains(t, line.Message, "the grant may have ended")
	revoked := handshakeEvent{"db", resultDenied, "revoked"}
	assert.Equal(t, revoked, next(t, h.rec.handshakes))
}

func TestTunnelStopsOnCancel(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	addr, logs, stop := startTunnel(t, h, "g1")
	c := dialTunnel(t, addr)
	roundTrip(t, c, "ping")

	require.NoError(t, stop())
	requireCut(t, c, waitTime)

	assert.Equal(t, tunnelShutdown, tunnelReasonLogged(t, logs))
	_, err := net.DialTimeout("tcp", addr, waitTime)
	assert.Error(t, err, "still accepting after Tunnel returned")
}
