package ca

import (
	"crypto/x509"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadClaims(t *testing.T) {
	a := newTestCA(t)
	now := testNow()

	identity, err := ReadClaims(signIdentity(t, a, now), testDomain)
	require.NoError(t, err)
	assert.Equal(t, Claims{Kind: KindIdentity, User: "alice",
		NotAfter: now.Add(IdentityLifetime).UTC()}, identity)

	grant, err := ReadClaims(signGrant(t, a, now), testDomain)
	require.NoError(t, err)
	assert.Equal(t, Claims{Kind: KindGrant, User: "alice", GrantID: "g-0001",
		Resource: "orders-db", NotAfter: now.Add(time.Hour).UTC()}, grant)
}

func TestReadClaimsRefuses(t *testing.T) {
	a := newTestCA(t)
	other := mustParseOID("1.2.3.4")

	tests := []struct {
		name    string
		edit    func(*x509.Certificate)
		wantMsg string
	}{
		{"no policy", func(c *x509.Certificate) { c.Policies = nil },
			"0 certificate policies"},
		{"two kinds", func(c *x509.Certificate) {
			c.Policies = []x509.OID{grantPolicy, identityPolicy}
		}, "2 certificate policies"},
		{"foreign policy", func(c *x509.Certificate) { c.Policies = []x509.OID{other} },
			"unknown certificate policy 1.2.3.4"},
		{"ours and a foreign policy", func(c *x509.Certificate) {
			c.Policies = append(c.Policies, other)
		}, "2 certificate policies"},
		{"identity naming a grant", func(c *x509.Certificate) {
			c.Policies = []x509.OID{identityPolicy}
		}, "identity certificate names a grant"},
		{"no user", func(c *x509.Certificate) { c.URIs = c.URIs[1:] }, "0 user uris"},
		{"two users", func(c *x509.Certificate) {
			c.URIs = append(c.URIs, userURI(testDomain, "bob"))
		}, "2 user uris"},
		{"no grant", func(c *x509.Certificate) {
			c.URIs = []*url.URL{c.URIs[0], c.URIs[2]}
		}, "0 grant uris"},
		{"two resources", func(c *x509.Certificate) {
			c.URIs = append(c.URIs, resourceURI("payroll"))
		}, "2 resource uris"},
		{"other trust domain", func(c *x509.Certificate) {
			c.URIs[0] = userURI("other.test", "alice")
		}, "not of the form"},
		{"spiffe workload", func(c *x509.Certificate) {
			c.URIs[0] = &url.URL{Scheme: "spiffe", Host: testDomain, Path: "/ns/web"}
		}, "bad name"},
		{"user with query", func(c *x509.Certificate) {
			c.URIs[0].RawQuery = "admin=1"
		}, "not of the form"},
		{"user with port", func(c *x509.Certificate) {
			c.URIs[0].Host = testDomain + ":443"
		}, "not of the form"},
		{"escaped user", func(c *x509.Certificate) {
			c.URIs[0] = mustParseURL(t, "spiffe://jitgate.test/user/al%2Fice")
		}, "bad name"},
		{"grant with fragment", func(c *x509.Certificate) {
			c.URIs[1].Fragment = "x"
		}, "not of the form"},
		{"unknown urn", func(c *x509.Certificate) {
			c.URIs = append(c.URIs, &url.URL{Scheme: "urn", Opaque: "jitgate:role:admin"})
		}, "unexpected uri"},
		{"https uri", func(c *x509.Certificate) {
			c.URIs = append(c.URIs, mustParseURL(t, "https://jitgate.test/user/alice"))
		}, "unexpected uri"},
		{"dns name", func(c *x509.Certificate) { c.DNSNames = []string{"alice"} },
			"dns, ip or email"},
		{"ip address", func(c *x509.Certificate) {
			c.IPAddresses = []net.IP{net.IPv4(10, 0, 0, 1)}
		}, "dns, ip or email"},
		{"email", func(c *x509.Certificate) {
			c.EmailAddresses = []string{"alice@jitgate.test"}
		}, "dns, ip or email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := craftCert(t, a, tt.edit)

			claims, err := ReadClaims(cert, testDomain)
			require.ErrorIs(t, err, ErrBadClaims)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Zero(t, claims)
		})
	}
}

func TestReadClaimsNil(t *testing.T) {
	_, err := ReadClaims(nil, testDomain)
	assert.ErrorIs(t, err, ErrBadClaims)
}

func mustParseURL(t testing.TB, s string) *url.URL {
	t.Helper()

	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestRequireKind(t *testing.T) {
	tests := []struct {
		have, want Kind
		ok         bool
	}{
		{KindIdentity, KindIdentity, true},
		{KindGrant, KindGrant, true},
		{KindIdentity, KindGrant, false},
		{KindGrant, KindIdentity, false},
		{"", KindGrant, false},
	}
	for _, tt := range tests {
		err := Claims{Kind: tt.have}.RequireKind(tt.want)
		if tt.ok {
			assert.NoError(t, err)
			continue
		}
		assert.ErrorIs(t, err, ErrWrongKind)
	}
}

// FuzzReadClaims checks that ReadClaims never panics on a certificate
// crypto/x509 accepts, and that whatever it accepts has valid names, the
// grant fields exactly when it is a grant, and the certificate's NotAfter.
func FuzzReadClaims(f *testing.F) {
	a := newTestCA(f)
	now := testNow()
	for _, c := range []*x509.Certificate{signIdentity(f, a, now), signGrant(f, a, now),
		a.Root(), a.Intermediate(), serverCert(f, a, now)} {
		f.Add(c.Raw)
	}

	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}

		claims, err := ReadClaims(cert, testDomain)
		if err != nil {
			require.ErrorIs(t, err, ErrBadClaims)
			return
		}
		checkReadClaims(t, cert, claims)
	})
}

func checkReadClaims(t testing.TB, cert *x509.Certificate, claims Claims) {
	t.Helper()

	require.NoError(t, checkName("user", claims.User))
	require.Equal(t, cert.NotAfter, claims.NotAfter)

	switch claims.Kind {
	case KindIdentity:
		require.Empty(t, claims.GrantID)
		require.Empty(t, claims.Resource)
	case KindGrant:
		require.NoError(t, checkNames(claims.User, claims.GrantID, claims.Resource))
	default:
		t.Fatalf("kind %q", claims.Kind)
	}
}

// serverCert signs a serving certificate for localhost.
func serverCert(t testing.TB, a *Authority, now time.Time) *x509.Certificate {
	t.Helper()

	csr, err := x509.ParseCertificateRequest(mintCSRDER(t, newP256(t),
		&x509.CertificateRequest{DNSNames: []string{"localhost"}}))
	require.NoError(t, err)
	cert, err := a.signServer(csr, now)
	require.NoError(t, err)
	return cert
}
