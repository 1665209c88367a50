package ca

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	a := newTestCA(t)
	now := testNow()
	grant := signGrant(t, a, now)
	identity := signIdentity(t, a, now)
	foreign := newTestCA(t)

	tests := []struct {
		name  string
		chain []*x509.Certificate
		at    time.Time
		want  Claims
	}{
		{
			name:  "identity",
			chain: []*x509.Certificate{identity},
			at:    now,
			want: Claims{Kind: KindIdentity, User: "alice",
				NotAfter: identity.NotAfter},
		},
		{
			name:  "grant",
			chain: []*x509.Certificate{grant},
			at:    now,
			want: Claims{Kind: KindGrant, User: "alice", GrantID: "g-0001",
				Resource: "orders-db", NotAfter: grant.NotAfter},
		},
		{
			name:  "grant with a client-sent intermediate",
			chain: []*x509.Certificate{grant, foreign.Intermediate()},
			at:    now,
			want: Claims{Kind: KindGrant, User: "alice", GrantID: "g-0001",
				Resource: "orders-db", NotAfter: grant.NotAfter},
		},
		{
			name:  "within clock skew",
			chain: []*x509.Certificate{grant},
			at:    now.Add(-ClockSkew),
			want: Claims{Kind: KindGrant, User: "alice", GrantID: "g-0001",
				Resource: "orders-db", NotAfter: grant.NotAfter},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := a.Verify(tt.chain, tt.at)
			require.NoError(t, err)
			assert.Equal(t, tt.want, claims)
		})
	}
}

// verifyErrors are the sentinels Verify returns; each refusal wraps one.
var verifyErrors = []error{ErrNotOurs, ErrExpired, ErrNotYetValid, ErrWrongKind,
	ErrBadClaims}

func TestVerifyRefuses(t *testing.T) {
	a := newTestCA(t)
	now := testNow()
	grant := signGrant(t, a, now)
	foreign := newTestCA(t)
	foreignGrant := signGrant(t, foreign, now)

	tests := []struct {
		name    string
		chain   []*x509.Certificate
		at      time.Time
		wantErr error
	}{
		{"no certificate", nil, now, ErrNotOurs},
		{"nil certificate", []*x509.Certificate{nil}, now, ErrNotOurs},
		{"foreign ca", []*x509.Certificate{foreignGrant}, now, ErrNotOurs},
		{"foreign ca with its intermediate",
			[]*x509.Certificate{foreignGrant, foreign.Intermediate()}, now, ErrNotOurs},
		{"foreign ca, expired", []*x509.Certificate{foreignGrant},
			foreignGrant.NotAfter.Add(time.Second), ErrNotOurs},
		{"foreign root", []*x509.Certificate{foreign.Root()}, now, ErrNotOurs},
		{"our intermediate", []*x509.Certificate{a.Intermediate()}, now, ErrWrongKind},
		{"our root", []*x509.Certificate{a.Root()}, now, ErrWrongKind},
		{"serving certificate", []*x509.Certificate{serverCert(t, a, now)}, now,
			ErrWrongKind},
		{"no digital signature", []*x509.Certificate{craftCert(t, a,
			func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment })},
			now, ErrWrongKind},
		{"expired", []*x509.Certificate{grant}, grant.NotAfter.Add(time.Second),
			ErrExpired},
		{"not yet valid", []*x509.Certificate{grant}, grant.NotBefore.Add(-time.Second),
			ErrNotYetValid},
		{"no kind", []*x509.Certificate{craftCert(t, a,
			func(c *x509.Certificate) { c.Policies = nil })}, now, ErrBadClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := a.Verify(tt.chain, tt.at)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Zero(t, claims)
			for _, other := range verifyErrors {
				if other != tt.wantErr { //nolint:errorlint // the sentinels themselves
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestVerifyKeepsTheX509Cause(t *testing.T) {
	a := newTestCA(t)
	now := testNow()

	_, err := a.Verify([]*x509.Certificate{signGrant(t, newTestCA(t), now)}, now)
	require.ErrorIs(t, err, ErrNotOurs)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown)
}
