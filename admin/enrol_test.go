package admin

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

func TestEnrolIssuesIdentityCertificate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	token, err := e.svc.AddUser(ctx, "test", "alice", []grants.Role{grants.RoleRequester})
	require.NoError(t, err)

	key, csr := newCSR(t)
	en, err := e.anonymous(t).Enroll(ctx, token, csr)
	require.NoError(t, err)

	assert.Equal(t, e.bundle, en.CA)
	assert.Equal(t, "alice", en.User.Name)
	assert.False(t, en.User.EnrolledAt.IsZero(), "enrolled_at is set")
	chain := []*x509.Certificate{parseCert(t, en.Certificate)}
	claims, err := e.ca.Verify(chain, time.Now())
	require.NoError(t, err)
	assert.Equal(t, ca.KindIdentity, claims.Kind)
	assert.Equal(t, "alice", claims.User)

	me, err := e.clientWith(t, en.Certificate, key).Whoami(ctx)
	require.NoError(t, err)
	assert.Equal(t, "alice", me.Name)
	assert.Equal(t, []string{"requester"}, me.Roles)
}

func TestEnrolRefusesBadTokens(t *testing.T) {
	tests := []struct {
		name string
		// spoil returns the token to present after doing what spoils it.
		spoil func(t *testing.T, e *testEnv, token string) string
	}{
		{"unknown", func(*testing.T, *testEnv, string) string { return "not-a-token" }},
		{"reused", func(t *testing.T, e *testEnv, token string) string {
			_, csr := newCSR(t)
			_, err := e.anonymous(t).Enroll(context.Background(), token, csr)
			require.NoError(t, err)
			return token
		}},
		{"expired", func(_ *testing.T, e *testEnv, token string) string {
			e.skew.Store(int64(grants.TokenLifetime + time.Minute))
			return token
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			token, err := e.svc.AddUser(context.Background(), "test", "alice",
				[]grants.Role{grants.RoleRequester})
			require.NoError(t, err)

			_, csr := newCSR(t)
			presented := tt.spoil(t, e, token)
			_, err = e.anonymous(t).Enroll(context.Background(), presented, csr)
			requireAPIError(t, err, http.StatusUnauthorized,
				"invalid or expired enrolment token")
		})
	}
}

func TestEnrolBadCSRKeepsToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	token, err := e.svc.AddUser(ctx, "test", "alice", []grants.Role{grants.RoleRequester})
	require.NoError(t, err)

	_, err = e.anonymous(t).Enroll(ctx, token, []byte("not a csr"))
	requireAPIError(t, err, http.StatusBadRequest, "invalid csr")

	_, csr := newCSR(t)
	_, err = e.anonymous(t).Enroll(ctx, token, csr)
	require.NoError(t, err, "a refused CSR must not spend the token")
}

func TestRenew(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)

	_, err := alice.Renew(ctx, []byte("-----BEGIN CERTIFICATE REQUEST-----\n"))
	requireAPIError(t, err, http.StatusBadRequest, "invalid csr")

	key, csr := newCSR(t)
	en, err := alice.Renew(ctx, csr)
	require.NoError(t, err)
	assert.Equal(t, "alice", en.User.Name)
	me, err := e.clientWith(t, en.Certificate, key).Whoami(ctx)
	require.NoError(t, err)
	assert.Equal(t, "alice", me.Name)

	events, err := e.svc.Events(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "user.renew", "alice"},
		[]string{events[0].Actor, events[0].Action, events[0].Subject})
	for _, call := range []func() error{
		func() error { _, err := alice.Whoami(ctx); return err },
		func() error { _, err := alice.Renew(ctx, csr); return err },
	} {
		requireAPIError(t, call(), http.StatusUnauthorized, "replaced by a newer one")
	}
}

// TestStolenIdentityDiesWithNewToken follows a stolen identity
// certificate: it stops working when an admin gives its owner a new token,
// and stays dead once the owner enrols again.
func TestStolenIdentityDiesWithNewToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stolen := e.enrol(t, "alice", grants.RoleRequester)

	token, err := e.svc.NewToken(ctx, "root", "alice")
	require.NoError(t, err)
	_, err = stolen.Whoami(ctx)
	requireAPIError(t, err, http.StatusUnauthorized, "replaced by a newer one")

	key, csr := newCSR(t)
	en, err := e.anonymous(t).Enroll(ctx, token, csr)
	require.NoError(t, err)
	owner := e.clientWith(t, en.Certificate, key)
	_, err = owner.Whoami(ctx)
	require.NoError(t, err)

	_, thiefCSR := newCSR(t)
	_, err = stolen.Renew(ctx, thiefCSR)
	requireAPIError(t, err, http.StatusUnauthorized, "replaced by a newer one")
	_, err = stolen.CreateRequest(ctx, "db", time.Hour, "as alice", thiefCSR)
	requireAPIError(t, err, http.StatusUnauthorized, "replaced by a newer one")
}

func TestGetCAIsOpen(t *testing.T) {
	e := newEnv(t)
	var body caBody
	err := e.anonymous(t).do(context.Background(), http.MethodGet, "/v1/ca", nil, &body)
	require.NoError(t, err)

	assert.Equal(t, string(e.bundle), body.Bundle)
	assert.Equal(t, ca.Fingerprint(e.ca.Root()), body.RootFingerprint)
}

// parseCert parses a PEM certificate.
func parseCert(t testing.TB, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	require.NotNil(t, block, "certificate is not PEM")
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}
