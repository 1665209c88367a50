package proxy

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

// signWith makes a key and its CSR, has sign turn the parsed CSR into a
// certificate, and returns it with the intermediate as a client would send.
func signWith(t testing.TB, authority *ca.Authority,
	sign func(*x509.CertificateRequest) (*x509.Certificate, error)) tls.Certificate {
	t.Helper()

	key := newKey(t)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "ignored by the CA"},
	}, key)
	require.NoError(t, err)
	csr, err := ca.ParseCSR(der)
	require.NoError(t, err)
	leaf, err := sign(csr)
	require.NoError(t, err)

	return tls.Certificate{
		Certificate: [][]byte{leaf.Raw, authority.Intermediate().Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}
}

func TestWithRealAuthority(t *testing.T) {
	authority, err := ca.Init(t.TempDir(), "jitgate.test")
	require.NoError(t, err)
	h := newHarness(t, echo, func(c *Config) { c.Verifier = authority })
	h.checker.set("g1", nil)
	now := time.Now()

	signGrant := func(csr *x509.CertificateRequest) (*x509.Certificate, error) {
		claims := ca.GrantClaims{
			User: "alice", GrantID: "g1", Resource: "db", NotAfter: now.Add(time.Hour),
		}
		return authority.SignGrant(csr, claims, now)
	}
	signIdentity := func(csr *x509.CertificateRequest) (*x509.Certificate, error) {
		return authority.SignIdentity(csr, "alice", now)
	}
	grant := signWith(t, authority, signGrant)
	identity := signWith(t, authority, signIdentity)
	foreign := h.pki.client(t, grantClaims("alice", "g1", "db"))

	tests := []struct {
		name   string
		cert   tls.Certificate
		reason string
	}{
		{"grant certificate", grant, reasonOK},
		{"identity certificate", identity, reasonIdentityCert},
		{"certificate of another CA", foreign, reasonForeignCA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.dialDB(t, &tt.cert)
			if tt.reason == reasonOK {
				roundTrip(t, c, "signed by jitgate")
				assert.Equal(t, resultAllowed, next(t, h.rec.handshakes).result)
				return
			}

			requireRefused(t, c)
			want := handshakeEvent{"db", resultDenied, tt.reason}
			assert.Equal(t, want, next(t, h.rec.handshakes))
		})
	}
}
