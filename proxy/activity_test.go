package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// fakeSessions allows each grant limit[grantID] sessions (none listed
// means no limit), and records opened sessions and reported traffic. It is
// safe for concurrent use.
type fakeSessions struct {
	mu       sync.Mutex
	limit    map[string]int
	opened   map[string]int
	idle     map[string]bool
	activity []time.Time
}

func newFakeSessions() *fakeSessions {
	return &fakeSessions{limit: map[string]int{}, opened: map[string]int{},
		idle: map[string]bool{}}
}

func (f *fakeSessions) OpenSession(grantID string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()

	if n, limited := f.limit[grantID]; limited && f.opened[grantID] >= n {
		return grants.ErrSessionLimit
	}
	f.opened[grantID]++
	return nil
}

func (f *fakeSessions) IdleLimited(grantID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.idle[grantID]
}

func (f *fakeSessions) Activity(_ string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.activity = append(f.activity, at)
}

func (f *fakeSessions) seen() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.activity...)
}

// testClock is a clock that moves only when told. It is safe for
// concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestSessionLimitCountsResumedHandshakes(t *testing.T) {
	sessions := newFakeSessions()
	sessions.limit["g1"] = 2
	h := newHarness(t, echo, func(c *Config) { c.Sessions = sessions })
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
	cache := tls.NewLRUClientSessionCache(4)
	addr, sni := h.srv.Addr("db"), "db"+testDomain

	first := h.dial(t, addr, sni, &cert, cache)
	roundTrip(t, first, "one")
	resumed := h.dial(t, addr, sni, &cert, cache)
	require.True(t, resumed.ConnectionState().DidResume)
	roundTrip(t, resumed, "two")

	// The count follows the handshake, too late for an alert: the refused
	// connection ends before any data.
	refused := h.dial(t, addr, sni, &cert, cache)
	requireCut(t, refused, waitTime)
	var reasons []string
	for range 3 {
		reasons = append(reasons, next(t, h.rec.handshakes).reason)
	}
	assert.Equal(t, []string{reasonOK, reasonOK, "session_limit"}, reasons)
	roundTrip(t, first, "the open ones stay open")
}

func TestRefusedCheckOpensNoSession(t *testing.T) {
	sessions := newFakeSessions()
	h := newHarness(t, echo, func(c *Config) { c.Sessions = sessions })
	h.checker.set("g1", grants.ErrGrantRevoked)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	requireRefused(t, h.dialDB(t, &cert))

	assert.Equal(t, "revoked", next(t, h.rec.handshakes).reason)
	sessions.mu.Lock()
	defer sessions.mu.Unlock()
	assert.Zero(t, sessions.opened["g1"])
}

func TestACopiedCertificateOpensNoSession(t *testing.T) {
	sessions := newFakeSessions()
	h := newHarness(t, echo, func(c *Config) { c.Sessions = sessions })
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cert.PrivateKey = other

	c, err := h.connect(t, h.srv.Addr("db"), "db"+testDomain, &cert, nil)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	require.Error(t, err, "a certificate used with another key is refused")
	assert.Equal(t, reasonHandshake, next(t, h.rec.handshakes).reason)
	sessions.mu.Lock()
	defer sessions.mu.Unlock()
	assert.Zero(t, sessions.opened["g1"], "only a client holding the key opens a session")
}

// heldSessions is fakeSessions whose OpenSession waits for release, and
// which keeps the most calls it had waiting at once.
type heldSessions struct {
	*fakeSessions
	release       chan struct{}
	waiting, peak atomic.Int32
}

func (s *heldSessions) OpenSession(grantID string, now time.Time) error {
	n := s.waiting.Add(1)
	for p := s.peak.Load(); n > p; p = s.peak.Load() {
		if s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	<-s.release
	s.waiting.Add(-1)
	return s.fakeSessions.OpenSession(grantID, now)
}

func TestHostLimitBoundsSessionCounts(t *testing.T) {
	const perHost = 2
	held := &heldSessions{fakeSessions: newFakeSessions(), release: make(chan struct{})}
	h := newHarness(t, echo, func(c *Config) {
		c.Sessions, c.MaxHandshakesPerHost = held, perHost
	})
	h.checker.set("g1", nil)
	cert := h.pki.client(t, grantClaims("alice", "g1", "db"))

	// Clients arrive one after another, so that each finds the places that
	// finished handshakes gave back, if they were given back too early.
	var clients sync.WaitGroup
	for range 3 * perHost {
		time.Sleep(30 * time.Millisecond)
		clients.Go(func() {
			// The server counts the session after the client's last
			// handshake message, whether or not the client stays.
			c, err := h.connect(t, h.srv.Addr("db"), "db"+testDomain, &cert, nil)
			if err == nil {
				c.Close()
			}
		})
	}
	release := sync.OnceFunc(func() { close(held.release) })
	defer release()
	require.Eventually(t, func() bool { return held.waiting.Load() >= perHost },
		waitTime, 10*time.Millisecond)
	// The other clients are turned away at the gate rather than queueing
	// store writes; give any that got through time to show up.
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, int32(perHost), held.peak.Load(),
		"no more session counts wait at once than one host may have handshakes")
	release()
	clients.Wait()
}

func TestActivityOfIdleLimitedGrants(t *testing.T) {
	clock := &testClock{now: time.Now()}
	sessions := newFakeSessions()
	sessions.idle["idle"] = true
	h := newHarness(t, echo, func(c *Config) {
		c.Sessions, c.Now = sessions, clock.Now
	})
	h.checker.set("idle", nil)
	h.checker.set("busy", nil)
	start := clock.Now()

	busy := h.pki.client(t, grantClaims("alice", "busy", "db"))
	roundTrip(t, h.dialDB(t, &busy), "not watched")
	require.Empty(t, sessions.seen(), "a grant without idle timeout is not watched")

	cert := h.pki.client(t, grantClaims("alice", "idle", "db"))
	c := h.dialDB(t, &cert)
	roundTrip(t, c, "opening counts")
	roundTrip(t, c, "within the second")
	clock.advance(2 * time.Second)
	roundTrip(t, c, "later")

	assert.Equal(t, []time.Time{start, start.Add(2 * time.Second)}, sessions.seen())
}
