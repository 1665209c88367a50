package ca

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientProfiles(t *testing.T) {
	a := newTestCA(t)
	now := testNow()

	tests := []struct {
		name     string
		sign     func(*x509.CertificateRequest) (*x509.Certificate, error)
		policy   string
		uris     []string
		notAfter time.Time
	}{
		{
			name: "identity",
			sign: func(csr *x509.CertificateRequest) (*x509.Certificate, error) {
				return a.SignIdentity(csr, "alice", now)
			},
			policy:   identityPolicyOID,
			uris:     []string{"spiffe://jitgate.test/user/alice"},
			notAfter: now.Add(IdentityLifetime),
		},
		{
			name: "grant",
			sign: func(csr *x509.CertificateRequest) (*x509.Certificate, error) {
				return a.SignGrant(csr, testGrant(now), now)
			},
			policy: grantPolicyOID,
			uris: []string{
				"spiffe://jitgate.test/user/alice",
				"urn:jitgate:grant:g-0001",
				"urn:jitgate:resource:orders-db",
			},
			notAfter: now.Add(time.Hour),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr := newCSR(t)
			cert, err := tt.sign(csr)
			require.NoError(t, err)

			require.Len(t, cert.Policies, 1)
			assert.Equal(t, tt.policy, cert.Policies[0].String())
			assert.Equal(t, tt.uris, uriStrings(cert))
			assert.Equal(t, "alice", cert.Subject.CommonName)
			assert.Equal(t, x509.KeyUsageDigitalSignature, cert.KeyUsage)
			assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
			assert.False(t, cert.IsCA)
			assert.WithinDuration(t, now.Add(-ClockSkew), cert.NotBefore, 0)
			assert.True(t, now.Equal(IssuedAt(cert)), "issued at %s", IssuedAt(cert))
			assert.WithinDuration(t, tt.notAfter, cert.NotAfter, 0)
			assert.Equal(t, csr.PublicKey, cert.PublicKey)
			require.NoError(t, cert.CheckSignatureFrom(a.Intermediate()))
		})
	}
}

func TestSerialsDiffer(t *testing.T) {
	a := newTestCA(t)
	now := testNow()

	first, second := signIdentity(t, a, now), signIdentity(t, a, now)
	assert.NotEqual(t, first.SerialNumber, second.SerialNumber)
	for _, c := range []*x509.Certificate{first, second} {
		// A uniform 128-bit serial is shorter than 65 bits once in 2^64 runs.
		assert.Greater(t, c.SerialNumber.BitLen(), 64)
		assert.LessOrEqual(t, c.SerialNumber.BitLen(), serialBits)
	}
}

func TestSignIgnoresCSRNames(t *testing.T) {
	a := newTestCA(t)
	now := testNow()
	csr, err := x509.ParseCertificateRequest(mintCSRDER(t, newP256(t),
		&x509.CertificateRequest{
			Subject:        pkix.Name{CommonName: "root"},
			DNSNames:       []string{"admin.example"},
			EmailAddresses: []string{"mallory@example.test"},
			IPAddresses:    []net.IP{net.IPv4(10, 0, 0, 1)},
			URIs: []*url.URL{{Scheme: "urn", Opaque: "jitgate:grant:other"},
				{Scheme: "spiffe", Host: testDomain, Path: "/user/root"}},
		}))
	require.NoError(t, err)

	cert, err := a.SignGrant(csr, testGrant(now), now)
	require.NoError(t, err)

	assert.Equal(t, "alice", cert.Subject.CommonName)
	assert.Empty(t, cert.DNSNames)
	assert.Empty(t, cert.EmailAddresses)
	assert.Empty(t, cert.IPAddresses)
	assert.Equal(t, []string{"spiffe://jitgate.test/user/alice",
		"urn:jitgate:grant:g-0001", "urn:jitgate:resource:orders-db"}, uriStrings(cert))
}

func TestSignGrantRefuses(t *testing.T) {
	a := newTestCA(t)
	now := testNow()

	tests := []struct {
		name    string
		edit    func(*GrantClaims)
		wantErr error
		wantMsg string
	}{
		{"empty user", func(c *GrantClaims) { c.User = "" }, ErrBadName, "user is empty"},
		{"slash in user", func(c *GrantClaims) { c.User = "a/b" }, ErrBadName, `'/'`},
		{"space in grant", func(c *GrantClaims) { c.GrantID = "g 1" }, ErrBadName, "grant id"},
		{"colon in resource", func(c *GrantClaims) { c.Resource = "db:5432" }, ErrBadName,
			`resource "db:5432" has ':'`},
		{"non-ascii user", func(c *GrantClaims) { c.User = "zoë" }, ErrBadName, `'ë'`},
		{"dot-dot resource", func(c *GrantClaims) { c.Resource = ".." }, ErrBadName,
			"path element"},
		{"long grant id", func(c *GrantClaims) { c.GrantID = strings.Repeat("g", 129) },
			ErrBadName, "at most 128"},
		{"empty resource", func(c *GrantClaims) { c.Resource = "" }, ErrBadName,
			"resource is empty"},
		{"ends now", func(c *GrantClaims) { c.NotAfter = now }, ErrBadClaims,
			"not after now"},
		{"ended", func(c *GrantClaims) { c.NotAfter = now.Add(-time.Minute) }, ErrBadClaims,
			"not after now"},
		{"outlives the intermediate", func(c *GrantClaims) {
			c.NotAfter = a.Intermediate().NotAfter.Add(time.Second)
		}, nil, "outlive the intermediate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testGrant(now)
			tt.edit(&c)

			cert, err := a.SignGrant(newCSR(t), c, now)
			require.Error(t, err)
			assert.Nil(t, cert)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestSignRefusesBadCSR(t *testing.T) {
	a := newTestCA(t)
	now := testNow()
	forged := newCSR(t)
	forged.PublicKey = newP256(t).Public()

	tests := []struct {
		name string
		sign func() (*x509.Certificate, error)
	}{
		{"identity nil csr", func() (*x509.Certificate, error) {
			return a.SignIdentity(nil, "alice", now)
		}},
		{"identity forged key", func() (*x509.Certificate, error) {
			return a.SignIdentity(forged, "alice", now)
		}},
		{"grant forged key", func() (*x509.Certificate, error) {
			return a.SignGrant(forged, testGrant(now), now)
		}},
		{"server forged key", func() (*x509.Certificate, error) {
			forged.DNSNames = []string{"localhost"}
			return a.signServer(forged, now)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.sign()
			assert.ErrorIs(t, err, ErrBadCSR)
		})
	}
}

func TestSignIdentityRefusesBadUser(t *testing.T) {
	a := newTestCA(t)

	for _, user := range []string{"", "al ice", "alice@example.test", "..", "a\x00"} {
		t.Run(user, func(t *testing.T) {
			_, err := a.SignIdentity(newCSR(t), user, testNow())
			assert.ErrorIs(t, err, ErrBadName)
		})
	}
}

func TestIssueServerCertificate(t *testing.T) {
	a := newTestCA(t)
	csr, err := x509.ParseCertificateRequest(mintCSRDER(t, newP256(t),
		&x509.CertificateRequest{
			DNSNames:    []string{"localhost", "proxy.jitgate.test"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			URIs:        []*url.URL{userURI(testDomain, "alice")},
		}))
	require.NoError(t, err)

	before := time.Now().Truncate(time.Second)
	issued, err := a.Issue(context.Background(), csr)
	require.NoError(t, err)

	chain := parsePEMChain(t, issued.Certificate)
	require.Len(t, chain, 2)
	leaf := chain[0]
	assert.Equal(t, a.Intermediate().Raw, chain[1].Raw)

	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
	assert.Equal(t, csr.DNSNames, leaf.DNSNames)
	assert.True(t, leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
	assert.True(t, leaf.IPAddresses[1].Equal(net.IPv6loopback))
	assert.Empty(t, leaf.URIs)
	assert.Empty(t, leaf.Policies)
	assert.Equal(t, "localhost", leaf.Subject.CommonName)
	assertLifetime(t, leaf, before, ServerLifetime)

	_, err = leaf.Verify(x509.VerifyOptions{
		Roots:         a.Roots(),
		Intermediates: a.intermediates,
		DNSName:       "proxy.jitgate.test",
	})
	assert.NoError(t, err)
}

func parsePEMChain(t testing.TB, data []byte) []*x509.Certificate {
	t.Helper()

	var chain []*x509.Certificate
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			return chain
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		chain = append(chain, cert)
		data = rest
	}
}

func TestIssueRefuses(t *testing.T) {
	a := newTestCA(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	named, err := x509.ParseCertificateRequest(mintCSRDER(t, newP256(t),
		&x509.CertificateRequest{DNSNames: []string{"localhost"}}))
	require.NoError(t, err)

	tests := []struct {
		name    string
		ctx     context.Context
		csr     *x509.CertificateRequest
		wantErr error
	}{
		{"no names", context.Background(), newCSR(t), ErrBadName},
		{"nil csr", context.Background(), nil, ErrBadCSR},
		{"canceled", canceled, named, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issued, err := a.Issue(tt.ctx, tt.csr)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, issued)
		})
	}
}
