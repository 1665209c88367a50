package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// testDomain is the DNS suffix of the test proxy's serving certificate.
const testDomain = ".jitgate.test"

// testPKI is a root minted for one test: it signs the proxy's serving
// certificate and client certificates whose claims ride in a URI SAN of the
// form claims://kind/user/grant/resource.
type testPKI struct {
	root *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

// newPKI mints a root valid for a day around now.
func newPKI(t testing.TB) *testPKI {
	t.Helper()

	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "proxy test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	root, err := x509.ParseCertificate(der)
	require.NoError(t, err)

	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &testPKI{root: root, key: key, pool: pool}
}

// newKey mints an ECDSA P-256 key.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}

// sign signs tmpl for a fresh key and returns it as a tls.Certificate.
func (p *testPKI) sign(t testing.TB, tmpl *x509.Certificate) tls.Certificate {
	t.Helper()

	key := newKey(t)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root, key.Public(), p.key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// serving returns a serving certificate for every name under testDomain.
func (p *testPKI) serving(t testing.TB) tls.Certificate {
	t.Helper()

	return p.sign(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "proxy" + testDomain},
		DNSNames:    []string{"*" + testDomain},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// client returns a client certificate carrying c, valid from a minute ago
// until c.NotAfter (an hour from now when zero).
func (p *testPKI) client(t testing.TB, c ca.Claims) tls.Certificate {
	t.Helper()

	if c.NotAfter.IsZero() {
		c.NotAfter = time.Now().Add(time.Hour)
	}
	return p.clientBetween(t, c, time.Now().Add(-time.Minute), c.NotAfter)
}

// clientBetween returns a client certificate carrying c, valid between
// notBefore and notAfter.
func (p *testPKI) clientBetween(t testing.TB, c ca.Claims,
	notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()

	u := &url.URL{
		Scheme: "claims", Host: string(c.Kind),
		Path: "/" + strings.Join([]string{c.User, c.GrantID, c.Resource}, "/"),
	}
	return p.sign(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: c.User},
		URIs:        []*url.URL{u},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// getCertFunc is the type of Config.GetCertificate.
type getCertFunc = func(*tls.ClientHelloInfo) (*tls.Certificate, error)

// fixedCert returns a GetCertificate that always returns cert.
func fixedCert(cert *tls.Certificate) getCertFunc {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert, nil }
}

// grantClaims returns the claims of a grant certificate.
func grantClaims(user, grantID, resource string) ca.Claims {
	return ca.Claims{
		Kind: ca.KindGrant, User: user, GrantID: grantID, Resource: resource,
	}
}

// testVerifier verifies chains against a testPKI root and reads the claims of
// its URI SAN. It counts its calls. It is safe for concurrent use.
type testVerifier struct {
	roots *x509.CertPool
	calls atomic.Int64
}

func (v *testVerifier) Verify(chain []*x509.Certificate,
	now time.Time) (ca.Claims, error) {
	v.calls.Add(1)

	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       v.roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return ca.Claims{}, fmt.Errorf("verify test chain: %w", err)
	}
	if len(leaf.URIs) != 1 || leaf.URIs[0].Scheme != "claims" {
		return ca.Claims{}, errors.New("verify test chain: no claims URI")
	}

	u := leaf.URIs[0]
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 3)
	if len(parts) != 3 {
		return ca.Claims{}, fmt.Errorf("verify test chain: claims path %q", u.Path)
	}
	return ca.Claims{
		Kind: ca.Kind(u.Host), User: parts[0], GrantID: parts[1], Resource: parts[2],
		NotAfter: leaf.NotAfter,
	}, nil
}

// fakeChecker answers the grant check from a map of grant ID to the error
// Check returns (nil for a live grant); a missing grant is unknown. It is
// safe for concurrent use.
type fakeChecker struct {
	mu     sync.RWMutex
	grants map[string]error
}

func newFakeChecker(live ...string) *fakeChecker {
	f := &fakeChecker{grants: make(map[string]error)}
	for _, id := range live {
		f.grants[id] = nil
	}
	return f
}

// Check answers from the grants set, whoever connects and whenever.
func (f *fakeChecker) Check(grantID, _, _ string, _ time.Time) error {
	f.mu.RLock()
	defer f.mu.RUnlock()

	err, ok := f.grants[grantID]
	if !ok {
		return grants.ErrUnknownGrant
	}
	return err
}

// set makes Check of grantID return err from now on.
func (f *fakeChecker) set(grantID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.grants[grantID] = err
}

// handshakeEvent is one Recorder.Handshake call.
type handshakeEvent struct {
	resource, result, reason string
}

// closedEvent is one Recorder.ConnClosed call.
type closedEvent struct {
	resource, reason string
	in, out          int64
}

// fakeRecorder passes what it records to channels that tests read with a
// time limit. It is safe for concurrent use.
type fakeRecorder struct {
	handshakes chan handshakeEvent
	opened     chan string
	closed     chan closedEvent
}

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{
		handshakes: make(chan handshakeEvent, 100),
		opened:     make(chan string, 100),
		closed:     make(chan closedEvent, 100),
	}
}

func (r *fakeRecorder) Handshake(resource, result, reason string, _ time.Duration) {
	r.handshakes <- handshakeEvent{resource: resource, result: result, reason: reason}
}

func (r *fakeRecorder) ConnOpened(resource string) { r.opened <- resource }

func (r *fakeRecorder) ConnClosed(resource, reason string, in, out int64) {
	r.closed <- closedEvent{resource: resource, reason: reason, in: in, out: out}
}

// waitTime bounds how long a test waits for something that should happen;
// it only keeps a broken test from hanging.
const waitTime = 10 * time.Second

// next returns the next value of ch, failing t when none comes in waitTime.
func next[T any](t testing.TB, ch <-chan T) T {
	t.Helper()

	select {
	case v := <-ch:
		return v
	case <-time.After(waitTime):
		require.FailNow(t, "timed out waiting for an event")
	}
	var zero T
	return zero
}
