package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// chainOf returns the chain a client sends with cert.
func chainOf(cert tls.Certificate) []*x509.Certificate {
	return []*x509.Certificate{cert.Leaf}
}

func TestVerifyCacheHitSkipsVerifier(t *testing.T) {
	pki := newPKI(t)
	v := &testVerifier{roots: pki.pool}
	cache, err := newVerifyCache(v, 8)
	require.NoError(t, err)
	cert := pki.client(t, grantClaims("alice", "g1", "db"))
	now := time.Now()

	first, err := cache.claims(chainOf(cert), now)
	require.NoError(t, err)
	second, err := cache.claims(chainOf(cert), now.Add(time.Minute))
	require.NoError(t, err)

	assert.Equal(t, first, second)
	assert.Equal(t, "g1", second.GrantID)
	assert.Equal(t, int64(1), v.calls.Load())
}

func TestVerifyCacheEntryEndsWithLeaf(t *testing.T) {
	pki := newPKI(t)
	v := &testVerifier{roots: pki.pool}
	cache, err := newVerifyCache(v, 8)
	require.NoError(t, err)
	cert := pki.client(t, grantClaims("alice", "g1", "db"))

	_, err = cache.claims(chainOf(cert), time.Now())
	require.NoError(t, err)
	_, err = cache.claims(chainOf(cert), cert.Leaf.NotAfter.Add(time.Second))

	requireDenial(t, err, reasonExpiredCert)
	assert.Zero(t, cache.leaves.Len(), "the expired entry stayed in the cache")
}

func TestVerifyCacheKeepsNoFailure(t *testing.T) {
	v := &testVerifier{roots: newPKI(t).pool}
	cache, err := newVerifyCache(v, 8)
	require.NoError(t, err)
	foreign := newPKI(t).client(t, grantClaims("alice", "g1", "db"))

	for range 2 {
		_, err := cache.claims(chainOf(foreign), time.Now())
		requireDenial(t, err, reasonForeignCA)
	}
	assert.Equal(t, int64(2), v.calls.Load())
	assert.Zero(t, cache.leaves.Len())
}

func TestVerifyCacheEvictsLeastRecent(t *testing.T) {
	pki := newPKI(t)
	v := &testVerifier{roots: pki.pool}
	cache, err := newVerifyCache(v, 2)
	require.NoError(t, err)
	a := pki.client(t, grantClaims("alice", "a", "db"))
	b := pki.client(t, grantClaims("alice", "b", "db"))
	c := pki.client(t, grantClaims("alice", "c", "db"))

	for _, cert := range []tls.Certificate{a, b, c, b, c, a} {
		_, err := cache.claims(chainOf(cert), time.Now())
		require.NoError(t, err)
	}
	assert.Equal(t, int64(4), v.calls.Load(), "a, b, c, then a again after eviction")
}

func TestAdmitReasons(t *testing.T) {
	pki := newPKI(t)
	checker := newFakeChecker("live")
	checker.set("released", grants.ErrGrantReleased)
	checker.set("other-user", grants.ErrWrongUser)
	checker.set("early", grants.ErrNotYetValid)
	checker.set("store-down", grants.ErrStoreUnavailable)
	checker.set("odd", errors.New("odd failure"))
	srv, err := New(Config{
		Resources:      []Resource{{Name: "db", Upstream: "db:5432", Listen: ":0"}},
		Verifier:       &testVerifier{roots: pki.pool},
		Checker:        checker,
		GetCertificate: fixedCert(nil),
	})
	require.NoError(t, err)
	db := func(user, grantID string) ca.Claims {
		return grantClaims(user, grantID, "db")
	}
	soon, usual := time.Now().Add(time.Hour), time.Time{}

	tests := []struct {
		name   string
		claims ca.Claims
		// validFrom is the certificate's NotBefore; zero (usual) means a
		// minute ago.
		validFrom time.Time
		reason    string
	}{
		{"live grant", db("alice", "live"), usual, ""},
		{"released grant", db("alice", "released"), usual, "released"},
		{"grant of another user", db("bob", "other-user"), usual, "wrong_user"},
		{"grant not yet valid", db("alice", "early"), usual, "not_yet_valid"},
		{"store unavailable", db("alice", "store-down"), usual, "store_unavailable"},
		{"unexpected check error", db("alice", "odd"), usual, "other"},
		{"certificate not yet valid", db("alice", "live"), soon, reasonCertNotYetValid},
		{"certificate of an unknown kind", ca.Claims{Kind: "server", User: "x"}, usual,
			reasonForeignCA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := pki.client(t, tt.claims)
			if !tt.validFrom.IsZero() {
				until := tt.validFrom.Add(time.Hour)
				cert = pki.clientBetween(t, tt.claims, tt.validFrom, until)
			}

			cs := tls.ConnectionState{PeerCertificates: chainOf(cert)}
			claims, err := srv.admit(cs, "db")
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, "live", claims.GrantID)
				return
			}
			requireDenial(t, err, tt.reason)
		})
	}
}

// requireDenial requires err to be a denial for reason.
func requireDenial(t testing.TB, err error, reason string) {
	t.Helper()

	den, ok := errors.AsType[*denial](err)
	require.True(t, ok, "want a denial, got %v", err)
	assert.Equal(t, reason, den.reason)
}
