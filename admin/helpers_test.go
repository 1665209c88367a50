package admin

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
)

// testTrustDomain is the trust domain of every test CA.
const testTrustDomain = "jitgate.test"

// testResources are the resources every test server knows: db needs one
// approval, pair two.
var testResources = []grants.Resource{
	{Name: "db", Policy: grants.Policy{MaxDuration: 4 * time.Hour}},
	{Name: "pair", Policy: grants.Policy{Approvals: 2, MaxDuration: time.Hour}},
}

// testRoutes say where db is reached; pair is not advertised.
var testRoutes = []ResourceInfo{
	{Name: "db", Address: "proxy.test:8443", ServerName: "db.proxy.test"},
}

// testEnv is a real admin API on a loopback socket, over a CA and a SQLite
// store in a temporary directory.
type testEnv struct {
	ca     *ca.Authority
	svc    *grants.Service
	addr   string
	bundle []byte
	// skew is added to the service's clock, to age tokens and requests.
	skew atomic.Int64
	// overtake, when set, runs once before the service's next change
	// reaches the store.
	overtake atomic.Pointer[func()]
	logs     *observer.ObservedLogs
}

// newEnv starts an admin API for one test.
func newEnv(t testing.TB) *testEnv {
	t.Helper()
	dir := t.TempDir()
	authority, err := ca.Init(dir, testTrustDomain)
	require.NoError(t, err)

	e := &testEnv{ca: authority, bundle: authority.BundlePEM()}
	e.svc = e.newService(t, dir)

	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	h, err := NewHandler(Config{
		Service:   e.svc,
		Authority: authority,
		Resources: testRoutes,
		Logger:    zap.New(core),
	})
	require.NoError(t, err)

	e.addr = serveTLS(t, h, authority, servingCertificate(t, authority))
	return e
}

// newService returns a grants Service over a SQLite store in dir.
func (e *testEnv) newService(t testing.TB, dir string) *grants.Service {
	t.Helper()
	store, err := grants.OpenSQLite(filepath.Join(dir, "grants.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })

	table, err := grants.NewTable(store, 64)
	require.NoError(t, err)

	svc, err := grants.NewService(grants.Options{
		Store:     overtakenStore{Store: store, overtake: &e.overtake},
		Signer:    grantSigner{ca: e.ca},
		Table:     table,
		Resources: testResources,
		Now:       e.now,
	})
	require.NoError(t, err)
	return svc
}

// overtakenStore runs the function in overtake, once, before the next
// change: a change committed between a caller's authentication and theirs.
type overtakenStore struct {
	grants.Store
	overtake *atomic.Pointer[func()]
}

func (s overtakenStore) Update(ctx context.Context, fn func(grants.Tx) error) error {
	if f := s.overtake.Swap(nil); f != nil {
		(*f)()
	}
	return s.Store.Update(ctx, fn)
}

// now is the service's clock: the real time plus the skew.
func (e *testEnv) now() time.Time {
	return time.Now().Add(time.Duration(e.skew.Load()))
}

// serveTLS serves h with TLSConfig on 127.0.0.1:0 until the test ends, and
// returns the address.
func serveTLS(t testing.TB, h http.Handler, a *ca.Authority,
	cert tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	getCert := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         TLSConfig(a, getCert),
		ReadHeaderTimeout: 10 * time.Second,
		// Refused handshakes are what several tests are about.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()

	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return ln.Addr().String()
}

// servingCertificate has a issue a serving certificate for localhost and
// 127.0.0.1.
func servingCertificate(t testing.TB, a *ca.Authority) tls.Certificate {
	t.Helper()
	key := newKey(t)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}, key)
	require.NoError(t, err)
	csr, err := x509.ParseCertificateRequest(der)
	require.NoError(t, err)

	issued, err := a.Issue(context.Background(), csr)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(issued.Certificate, keyPEM(t, key))
	require.NoError(t, err)
	return cert
}

// grantSigner signs grant certificates with the test CA.
type grantSigner struct {
	ca *ca.Authority
}

// SignGrant signs the DER CSR for grant g.
func (s grantSigner) SignGrant(csrDER []byte, g grants.Grant) ([]byte, error) {
	csr, err := ca.ParseCSR(csrDER)
	if err != nil {
		return nil, err
	}
	cert, err := s.ca.SignGrant(csr, ca.GrantClaims{
		User: g.User, GrantID: g.ID, Resource: g.Resource, NotAfter: g.NotAfter,
	}, time.Now())
	if err != nil {
		return nil, err
	}
	return cert.Raw, nil
}

// newKey returns a fresh ECDSA P-256 key.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}

// keyPEM encodes key as a PEM EC private key.
func keyPEM(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// newCSR returns a fresh key and the PEM CSR for it.
func newCSR(t testing.TB) (crypto.Signer, []byte) {
	t.Helper()
	key := newKey(t)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "test"},
	}, key)
	require.NoError(t, err)
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// anonymous returns a client without a certificate.
func (e *testEnv) anonymous(t testing.TB) *Client {
	t.Helper()
	c, err := NewClient(e.addr, e.bundle, nil)
	require.NoError(t, err)
	return c
}

// enrol adds a user with roles, enrols them through the API and returns
// a client holding their identity certificate.
func (e *testEnv) enrol(t testing.TB, name string, roles ...grants.Role) *Client {
	t.Helper()
	token, err := e.svc.AddUser(context.Background(), "test", name, roles)
	require.NoError(t, err)

	key, csr := newCSR(t)
	en, err := e.anonymous(t).Enroll(context.Background(), token, csr)
	require.NoError(t, err)
	return e.clientWith(t, en.Certificate, key)
}

// clientWith returns a client presenting the PEM certificate and key.
func (e *testEnv) clientWith(t testing.TB, certPEM []byte, key crypto.Signer) *Client {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	require.NotNil(t, block, "certificate is not PEM")

	cert := &tls.Certificate{Certificate: [][]byte{block.Bytes}, PrivateKey: key}
	c, err := NewClient(e.addr, e.bundle, cert)
	require.NoError(t, err)
	return c
}

// requireAPIError checks that err is an *APIError with status whose
// message contains want.
func requireAPIError(t testing.TB, err error, status int, want string) {
	t.Helper()
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "want an *APIError, got %v", err)
	require.Equal(t, status, apiErr.Status, apiErr.Message)
	require.Contains(t, apiErr.Message, want)
}
