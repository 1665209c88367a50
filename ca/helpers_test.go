package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testDomain is the trust domain of the CAs minted by tests.
const testDomain = "jitgate.test"

// newTestCA makes a CA in a fresh directory.
func newTestCA(t testing.TB) *Authority {
	t.Helper()

	a, err := Init(t.TempDir(), testDomain)
	require.NoError(t, err)
	return a
}

// testNow is a time on a whole second, as certificates record it.
func testNow() time.Time {
	return time.Now().Truncate(time.Second)
}

func newP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}

// mintCSRDER returns the DER of a CSR that key signs, with the names of
// tmpl, or none when tmpl is nil.
func mintCSRDER(t testing.TB, key crypto.Signer, tmpl *x509.CertificateRequest) []byte {
	t.Helper()

	if tmpl == nil {
		tmpl = &x509.CertificateRequest{}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	require.NoError(t, err)
	return der
}

// newCSR returns a parsed CSR for a fresh P-256 key.
func newCSR(t testing.TB) *x509.CertificateRequest {
	t.Helper()

	csr, err := x509.ParseCertificateRequest(mintCSRDER(t, newP256(t), nil))
	require.NoError(t, err)
	return csr
}

// testGrant returns grant claims ending an hour after now.
func testGrant(now time.Time) GrantClaims {
	return GrantClaims{
		User:     "alice",
		GrantID:  "g-0001",
		Resource: "orders-db",
		NotAfter: now.Add(time.Hour),
	}
}

// signGrant signs testGrant for a fresh key.
func signGrant(t testing.TB, a *Authority, now time.Time) *x509.Certificate {
	t.Helper()

	cert, err := a.SignGrant(newCSR(t), testGrant(now), now)
	require.NoError(t, err)
	return cert
}

// signIdentity signs an identity certificate for alice for a fresh key.
func signIdentity(t testing.TB, a *Authority, now time.Time) *x509.Certificate {
	t.Helper()

	cert, err := a.SignIdentity(newCSR(t), "alice", now)
	require.NoError(t, err)
	return cert
}

// craftCert signs, with a's intermediate, a grant certificate for alice
// changed by edit, so tests can make certificates Sign* would refuse.
func craftCert(t testing.TB, a *Authority,
	edit func(*x509.Certificate)) *x509.Certificate {
	t.Helper()

	now := testNow()
	c := testGrant(now)
	tmpl := a.clientTemplate(KindGrant, c.User, now, c.NotAfter)
	tmpl.URIs = append(tmpl.URIs, grantURI(c.GrantID), resourceURI(c.Resource))
	edit(tmpl)

	key := newP256(t)
	cert, err := createCert(tmpl, a.intermediate, key.Public(), a.key)
	require.NoError(t, err)
	return cert
}

func uriStrings(cert *x509.Certificate) []string {
	var out []string
	for _, u := range cert.URIs {
		out = append(out, u.String())
	}
	return out
}
