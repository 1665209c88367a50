package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// testGateway is a jitgate serving on loopback ports chosen by the kernel.
type testGateway struct {
	t      testing.TB
	dir    string
	cfg    *config.Config
	gw     *gateway
	cancel context.CancelFunc
	done   chan error
	roots  *x509.CertPool
	bundle []byte
}

func newTestConfig(t testing.TB, upstream string) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = config.Listen{
		Proxy: "127.0.0.1:0", Admin: "127.0.0.1:0", Metrics: "127.0.0.1:0",
	}
	cfg.Resources = []config.Resource{
		{Name: "echo", Upstream: upstream, Hostname: "echo.localhost"},
		{Name: "other", Upstream: upstream, Hostname: "other.localhost"},
	}
	return cfg
}

// startGateway initialises dir when it is new and serves it until the test
// ends or stop is called.
func startGateway(t testing.TB, dir string, cfg *config.Config) *testGateway {
	t.Helper()
	if _, err := loadAuthority(&config.Config{DataDir: dir, TrustDomain: cfg.TrustDomain}); err != nil {
		_, err := initialise(context.Background(), dir, cfg, "admin")
		require.NoError(t, err)
	}
	cfg.DataDir = dir

	ctx, cancel := context.WithCancel(context.Background())
	tg := &testGateway{t: t, dir: dir, cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	started := make(chan *gateway, 1)
	go func() {
		tg.done <- serve(ctx, cfg, zaptest.NewLogger(t), func(g *gateway) { started <- g })
	}()
	select {
	case tg.gw = <-started:
	case err := <-tg.done:
		t.Fatalf("gateway did not start: %v", err)
	}
	t.Cleanup(tg.stop)

	tg.bundle = tg.gw.core.authority.BundlePEM()
	tg.roots = tg.gw.core.authority.Roots()
	return tg
}

func (tg *testGateway) stop() {
	if tg.cancel == nil {
		return
	}
	tg.cancel()
	tg.cancel = nil
	select {
	case err := <-tg.done:
		assert.NoError(tg.t, err)
	case <-time.After(15 * time.Second):
		tg.t.Error("gateway did not stop within 15s")
	}
}

// client returns an admin API client acting as the bootstrap admin.
func (tg *testGateway) adminClient() *admin.Client {
	tg.t.Helper()
	home := filepath.Join(tg.dir, adminProfileDir)
	cert, err := tls.LoadX509KeyPair(filepath.Join(home, identityCert),
		filepath.Join(home, identityKey))
	require.NoError(tg.t, err)
	return tg.clientWith(&cert)
}

func (tg *testGateway) clientWith(cert *tls.Certificate) *admin.Client {
	tg.t.Helper()
	c, err := admin.NewClient(tg.gw.admin.Addr().String(), tg.bundle, cert)
	require.NoError(tg.t, err)
	return c
}

// enrol adds a user and logs them in through the API, returning their
// identity certificate.
func (tg *testGateway) enrol(name string, roles ...string) *tls.Certificate {
	tg.t.Helper()
	ctx := context.Background()
	_, token, err := tg.adminClient().AddUser(ctx, name, roles)
	require.NoError(tg.t, err)

	key, err := newKey()
	require.NoError(tg.t, err)
	csr, err := newCSR(key)
	require.NoError(tg.t, err)
	enr, err := tg.clientWith(nil).Enroll(ctx, token, csr)
	require.NoError(tg.t, err)
	return keyPair(tg.t, enr.Certificate, key)
}

// grant runs request -> approve -> certificate and returns the grant ID and
// its client certificate.
func (tg *testGateway) grant(requester, approver *tls.Certificate, resource string,
	d time.Duration) (string, *tls.Certificate) {
	tg.t.Helper()
	ctx := context.Background()
	key, err := newKey()
	require.NoError(tg.t, err)
	csr, err := newCSR(key)
	require.NoError(tg.t, err)

	req, err := tg.clientWith(requester).CreateRequest(ctx, resource, d, "testing", csr)
	require.NoError(tg.t, err)
	approved, err := tg.clientWith(approver).Approve(ctx, req.ID, "ok")
	require.NoError(tg.t, err)
	require.Equal(tg.t, grants.RequestApproved, approved.State)
	gc, err := tg.clientWith(requester).Certificate(ctx, req.ID)
	require.NoError(tg.t, err)
	return gc.Grant.ID, keyPair(tg.t, gc.Certificate, key)
}

// dial makes an mTLS connection to the shared proxy listener.
func (tg *testGateway) dial(serverName string, cert *tls.Certificate,
	cache tls.ClientSessionCache) (*tls.Conn, error) {
	conf := &tls.Config{RootCAs: tg.roots, ServerName: serverName, ClientSessionCache: cache}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", tg.gw.proxy.SharedAddr().String(), conf)
	if err != nil {
		return nil, err
	}
	// In TLS 1.3 the server's verdict on the client certificate arrives after
	// the client's handshake completes: a round trip surfaces it.
	if err := echoOnce(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func echoOnce(conn net.Conn) error {
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return err
	}
	if string(buf) != "ping" {
		return errors.New("echo returned " + string(buf))
	}
	return nil
}

// requireCut asserts that conn is closed by the proxy within limit.
func requireCut(t testing.TB, conn net.Conn, limit time.Duration) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	_, err := conn.Read(make([]byte, 1))
	require.Error(t, err)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %s", limit)
	}
}

func keyPair(t testing.TB, certPEM []byte, key *ecdsa.PrivateKey) *tls.Certificate {
	t.Helper()
	keyPEM, err := encodeKey(key)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return &cert
}

// startEcho runs a TCP echo server on loopback for the test's life.
func startEcho(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// TestALocalTokenIsTheWayBackIn makes an admin's token on the server's
// own machine, as when no admin can act: refused while serve holds the
// data directory, then made with serve stopped, retiring the old identity
// and enrolling a new one.
func TestALocalTokenIsTheWayBackIn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := newTestConfig(t, startEcho(t))
	tg := startGateway(t, dir, cfg)
	path := filepath.Join(dir, config.FileName)
	localToken := func() (string, error) {
		var out bytes.Buffer
		cmd := newUsersCommand()
		cmd.SetArgs([]string{"token", "admin", "--config", path})
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		err := cmd.ExecuteContext(ctx)
		return strings.TrimSpace(out.String()), err
	}

	_, err := localToken()
	require.ErrorContains(t, err, "in use by another jitgate process")
	tg.stop()
	token, err := localToken()
	require.NoError(t, err)
	require.NotEmpty(t, token)

	tg = startGateway(t, dir, cfg)
	_, err = tg.adminClient().Users(ctx)
	require.Error(t, err, "the old identity still works")
	key, err := newKey()
	require.NoError(t, err)
	csr, err := newCSR(key)
	require.NoError(t, err)
	enr, err := tg.clientWith(nil).Enroll(ctx, token, csr)
	require.NoError(t, err)
	admin := tg.clientWith(keyPair(t, enr.Certificate, key))
	events, err := admin.Audit(ctx, 10)
	require.NoError(t, err)
	var byLocal bool
	for _, e := range events {
		byLocal = byLocal || (e.Action == "user.token" && e.Actor == localActor)
	}
	assert.True(t, byLocal, "the audit trail does not name the local actor")
}
