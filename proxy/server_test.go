package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

func TestAllowedConnectionEchoes(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	c := h.dialDB(t, &cert)
	roundTrip(t, c, "hello")
	roundTrip(t, c, strings.Repeat("x", 100_000))

	allowed := handshakeEvent{"db", resultAllowed, reasonOK}
	assert.Equal(t, allowed, next(t, h.rec.handshakes))
	assert.Equal(t, "db", next(t, h.rec.opened))
	assert.Equal(t, 1, h.srv.Live("g1"))

	require.NoError(t, c.Close())
	ev, line := h.closedLine(t)
	assert.Equal(t, closedEvent{"db", closeEOF, 100_005, 100_005}, ev)
	assert.Equal(t, "alice", line[keyUser])
	assert.Equal(t, "g1", line[keyGrant])
	assert.Equal(t, "db", line[keyResource])
	assert.Equal(t, int64(100_005), line[keyBytesIn])
	assert.Equal(t, closeEOF, line[keyReason])
	assert.Equal(t, 0, h.srv.Live("g1"))
}

func TestRefusedHandshakes(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("live", nil)
	h.checker.set("expired", grants.ErrGrantExpired)
	h.checker.set("revoked", grants.ErrGrantRevoked)
	foreign := newPKI(t)

	tests := []struct {
		name   string
		cert   func(t *testing.T) *tls.Certificate
		reason string
	}{
		{"no client certificate", func(*testing.T) *tls.Certificate {
			return nil
		}, reasonNoCert},
		{"certificate of another CA", func(t *testing.T) *tls.Certificate {
			c := foreign.client(t, grantClaims("alice", "live", "db"))
			return &c
		}, reasonForeignCA},
		{"identity certificate", func(t *testing.T) *tls.Certificate {
			c := h.pki.client(t, ca.Claims{Kind: ca.KindIdentity, User: "alice"})
			return &c
		}, reasonIdentityCert},
		{"certificate for another resource", func(t *testing.T) *tls.Certificate {
			c := h.pki.client(t, grantClaims("alice", "live", "api"))
			return &c
		}, reasonWrongResource},
		{"expired certificate", func(t *testing.T) *tls.Certificate {
			past := time.Now().Add(-time.Hour)
			c := h.pki.clientBetween(t, grantClaims("alice", "live", "db"),
				past.Add(-time.Hour), past)
			return &c
		}, reasonExpiredCert},
		{"unknown grant", func(t *testing.T) *tls.Certificate {
			c := h.pki.client(t, grantClaims("alice", "nope", "db"))
			return &c
		}, "unknown_grant"},
		{"expired grant", func(t *testing.T) *tls.Certificate {
			c := h.pki.client(t, grantClaims("alice", "expired", "db"))
			return &c
		}, "expired"},
		{"revoked grant", func(t *testing.T) *tls.Certificate {
			c := h.pki.client(t, grantClaims("alice", "revoked", "db"))
			return &c
		}, "revoked"},
	}
	addr, sni := h.srv.Addr("db"), "db"+testDomain
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		h.version = version
		for _, tt := range tests {
			t.Run(tls.VersionName(version)+"/"+tt.name, func(t *testing.T) {
				c, err := h.connect(t, addr, sni, tt.cert(t), nil)
				requireRefusedAnyVersion(t, c, err)

				want := handshakeEvent{"db", resultDenied, tt.reason}
				assert.Equal(t, want, next(t, h.rec.handshakes))
			})
		}
	}
	assert.Zero(t, h.ups["db"].accepted.Load(), "a refused client reached the upstream")
}

func TestSharedListenerRoutesBySNI(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g-api", nil)
	h.checker.set("g-web", nil)
	apiCert := h.pki.client(t, grantClaims("alice", "g-api", "api"))
	webCert := h.pki.client(t, grantClaims("bob", "g-web", "web"))
	shared := h.srv.SharedAddr()

	tests := []struct {
		name     string
		sni      string
		cert     *tls.Certificate
		resource string
		reason   string
	}{
		{"api by its hostname", "api" + testDomain, &apiCert, "api", reasonOK},
		{"web by its hostname in another case", "Web" + testDomain, &webCert, "web",
			reasonOK},
		{"api certificate on web's hostname", "web" + testDomain, &apiCert, "web",
			reasonWrongResource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := h.accepted()
			c := h.dial(t, shared, tt.sni, tt.cert, nil)
			if tt.reason != reasonOK {
				requireRefused(t, c)
				ev := next(t, h.rec.handshakes)
				assert.Equal(t, handshakeEvent{tt.resource, resultDenied, tt.reason}, ev)
				assert.Equal(t, want, h.accepted(), "a refused client got through")
				return
			}

			roundTrip(t, c, "ping")
			want[tt.resource]++
			assert.Equal(t, want, h.accepted())
			ev := next(t, h.rec.handshakes)
			assert.Equal(t, handshakeEvent{tt.resource, resultAllowed, reasonOK}, ev)
		})
	}
}

func TestUnknownHostnameIsRefusedBeforeAServingCertificateIsSought(t *testing.T) {
	var asked sync.Map
	h := newHarness(t, echo, func(c *Config) {
		get := c.GetCertificate
		c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			asked.Store(hello.ServerName, true)
			return get(hello)
		}
	})
	h.checker.set("g-api", nil)
	cert := h.pki.client(t, grantClaims("alice", "g-api", "api"))

	_, err := h.connect(t, h.srv.SharedAddr(), "nope"+testDomain, &cert, nil)
	require.ErrorContains(t, err, "unrecognized name")
	assert.Equal(t, handshakeEvent{"", resultDenied, reasonUnknownResource},
		next(t, h.rec.handshakes))
	_, ok := asked.Load("nope" + testDomain)
	assert.False(t, ok, "a serving certificate was sought for an unknown hostname")

	roundTrip(t, h.dial(t, h.srv.SharedAddr(), "api"+testDomain, &cert, nil), "ping")
	_, ok = asked.Load("api" + testDomain)
	assert.True(t, ok, "a known hostname did not get its serving certificate")
}

func TestEndGrantCutsLiveConnections(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	h.checker.set("g2", nil)
	cert1 := h.pki.client(t, grantClaims("alice", "g1", "db"))
	cert2 := h.pki.client(t, grantClaims("bob", "g2", "db"))

	first, second := h.dialDB(t, &cert1), h.dialDB(t, &cert1)
	other := h.dialDB(t, &cert2)
	for _, c := range []net.Conn{first, second, other} {
		roundTrip(t, c, "ping")
	}
	require.Equal(t, 2, h.srv.Live("g1"))

	h.checker.set("g1", grants.ErrGrantRevoked)
	h.srv.EndGrant("g1")
	requireCut(t, first, time.Second)
	requireCut(t, second, time.Second)

	for range 2 {
		ev, line := h.closedLine(t)
		assert.Equal(t, closeGrantEnded, ev.reason)
		assert.Equal(t, "g1", line[keyGrant])
	}
	assert.Equal(t, 0, h.srv.Live("g1"))
	roundTrip(t, other, "still here")
	assert.Equal(t, 1, h.srv.Live("g2"))
}

func TestConnectionCutAtGrantEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a certificate to expire")
	}
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	claims := grantClaims("alice", "g1", "db")
	claims.NotAfter = time.Now().Add(2 * time.Second)
	cert := h.pki.client(t, claims)

	c := h.dialDB(t, &cert)
	roundTrip(t, c, "before the end")
	requireCut(t, c, waitTime)

	ev, line := h.closedLine(t)
	assert.Equal(t, closeExpired, ev.reason)
	assert.Equal(t, closeExpired, line[keyReason])
}

func TestTLS12IsRefusedUnlessAllowed(t *testing.T) {
	h := newHarness(t, echo, func(c *Config) { c.MinVersion = 0 })
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
	addr, sni := h.srv.Addr("db"), "db"+testDomain

	h.version = tls.VersionTLS12
	_, err := h.connect(t, addr, sni, &cert, nil)
	require.Error(t, err, "a client certificate would cross the network in clear")
	assert.ErrorContains(t, err, "protocol version")

	h.version = tls.VersionTLS13
	roundTrip(t, h.dial(t, addr, sni, &cert, nil), "1.3 is served")
}

func TestResumedSessionIsCheckedAgain(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			h := newHarness(t, echo, nil)
			h.version = version
			h.checker.set("g1", nil)
			cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
			cache := tls.NewLRUClientSessionCache(4)
			addr, sni := h.srv.Addr("db"), "db"+testDomain

			first := h.dial(t, addr, sni, &cert, cache)
			roundTrip(t, first, "full handshake") // reads a TLS 1.3 ticket too
			require.False(t, first.ConnectionState().DidResume)
			require.NoError(t, first.Close())

			resumed := h.dial(t, addr, sni, &cert, cache)
			require.True(t, resumed.ConnectionState().DidResume)
			roundTrip(t, resumed, "resumed while live")
			require.NoError(t, resumed.Close())

			h.checker.set("g1", grants.ErrGrantRevoked)
			refused, err := h.connect(t, addr, sni, &cert, cache)
			if err == nil {
				require.True(t, refused.ConnectionState().DidResume)
			}
			requireRefusedAnyVersion(t, refused, err)

			var reasons []string
			for range 3 {
				reasons = append(reasons, next(t, h.rec.handshakes).reason)
			}
			assert.Equal(t, []string{reasonOK, reasonOK, "revoked"}, reasons)
		})
	}
}

func TestHalfClose(t *testing.T) {
	h := newHarness(t, collect, nil)
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	c := h.dialDB(t, &cert)
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTime)))
	_, err := io.WriteString(c, "twelve bytes")
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())

	reply, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "got 12 bytes", string(reply))

	ev, _ := h.closedLine(t)
	assert.Equal(t, closedEvent{"db", closeEOF, 12, 12}, ev)
}

func TestUpstreamDown(t *testing.T) {
	down := closedAddr(t)
	h := newHarness(t, echo, func(c *Config) { c.Resources[0].Upstream = down })
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	c := h.dialDB(t, &cert)
	requireCut(t, c, waitTime)

	allowed := handshakeEvent{"db", resultAllowed, reasonOK}
	assert.Equal(t, allowed, next(t, h.rec.handshakes))
	ev, line := h.closedLine(t)
	assert.Equal(t, closedEvent{"db", closeUpstreamError, 0, 0}, ev)
	assert.Contains(t, line["error"], "dial upstream")
}

func TestServeStopsOnCancel(t *testing.T) {
	h := newHarness(t, echo, nil)
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
	c := h.dialDB(t, &cert)
	roundTrip(t, c, "ping")

	require.NoError(t, h.stop())
	requireCut(t, c, waitTime)

	ev, _ := h.closedLine(t)
	assert.Equal(t, closeShutdown, ev.reason)
	assert.Equal(t, 0, h.srv.Live("g1"))
	_, err := net.DialTimeout("tcp", h.srv.Addr("db").String(), waitTime)
	assert.Error(t, err, "still accepting after Serve returned")
}

// TestServeStopsWithHandshakeInProgress stops the server while a client
// that sends nothing holds a handshake open: the stop closes it rather than
// waiting out the handshake timeout.
func TestServeStopsWithHandshakeInProgress(t *testing.T) {
	h := newHarness(t, echo, func(c *Config) { c.MaxHandshakesPerHost = 1 })
	addr := h.srv.Addr("db").String()
	silent, err := net.DialTimeout("tcp", addr, waitTime)
	require.NoError(t, err)
	defer silent.Close()
	// The one place is taken once a second connection is refused busy.
	busy, err := net.DialTimeout("tcp", addr, waitTime)
	require.NoError(t, err)
	defer busy.Close()
	assert.Equal(t, handshakeEvent{"db", resultDenied, reasonBusy}, next(t, h.rec.handshakes))

	requireStopsBeforeTimeout(t, h, "a handshake in progress")
	requireCut(t, silent, waitTime)
}

// TestServeStopsDuringCertificateLookup stops the server while
// GetCertificate waits on its hello's context: the context ends with the
// server, so the lookup and then Serve return.
func TestServeStopsDuringCertificateLookup(t *testing.T) {
	entered := make(chan struct{}, 1)
	h := newHarness(t, echo, func(c *Config) {
		c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			entered <- struct{}{}
			select {
			case <-hello.Context().Done():
				return nil, hello.Context().Err()
			case <-time.After(2 * waitTime):
				return nil, errors.New("the hello's context never ended")
			}
		}
	})
	raw, err := net.DialTimeout("tcp", h.srv.Addr("db").String(), waitTime)
	require.NoError(t, err)
	defer raw.Close()
	go func() { _ = tls.Client(raw, h.clientConfig("db"+testDomain, nil, nil)).Handshake() }()
	next(t, entered)

	requireStopsBeforeTimeout(t, h, "a certificate lookup")
}

// requireStopsBeforeTimeout stops h's server and requires Serve to return
// without error well before a handshake would time out; what names what it
// must not wait for.
func requireStopsBeforeTimeout(t *testing.T, h *harness, what string) {
	t.Helper()

	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(HandshakeTimeout / 2):
		require.FailNow(t, "Serve waited for "+what)
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestHandshakesInProgressAreBounded holds two connections that never
// start their handshake, the most one address may have in progress here:
// a third is closed at once and counted busy, and a handshake goes through
// again once one of the two is gone.
func TestHandshakesInProgressAreBounded(t *testing.T) {
	h := newHarness(t, echo, func(c *Config) { c.MaxHandshakesPerHost = 2 })
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
	addr := h.srv.Addr("db").String()

	var idle []net.Conn
	for range 2 {
		c, err := net.DialTimeout("tcp", addr, waitTime)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	// One loop accepts a listener's connections, in the order they came.
	third, err := net.DialTimeout("tcp", addr, waitTime)
	require.NoError(t, err)
	defer third.Close()
	require.NoError(t, third.SetReadDeadline(time.Now().Add(waitTime)))
	_, err = third.Read(make([]byte, 1))
	require.Error(t, err, "a connection over the limit was kept")
	assert.Equal(t, handshakeEvent{"db", resultDenied, reasonBusy}, next(t, h.rec.handshakes))

	require.NoError(t, idle[0].Close())
	assert.Equal(t, handshakeEvent{"db", resultDenied, reasonHandshake},
		next(t, h.rec.handshakes))
	roundTrip(t, h.dialDB(t, &cert), "ping")
}
