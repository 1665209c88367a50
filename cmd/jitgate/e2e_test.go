package main

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// people is a gateway with a requester and an approver enrolled.
type people struct {
	*testGateway
	alice, bob *tls.Certificate
}

func newPeople(t *testing.T) people {
	tg := startGateway(t, t.TempDir(), newTestConfig(t, startEcho(t)))
	return people{
		testGateway: tg,
		alice:       tg.enrol("alice", "requester"),
		bob:         tg.enrol("bob", "approver"),
	}
}

func TestGrantLetsBytesThroughAndRefusesTheRest(t *testing.T) {
	p := newPeople(t)
	_, grantCert := p.grant(p.alice, p.bob, "echo", time.Hour)

	conn, err := p.dial("echo.localhost", grantCert, nil)
	require.NoError(t, err)
	require.NoError(t, echoOnce(conn))
	conn.Close()

	refused := []struct {
		name, serverName string
		cert             *tls.Certificate
	}{
		{"no certificate", "echo.localhost", nil},
		{"identity certificate", "echo.localhost", p.alice},
		{"grant for another resource", "other.localhost", grantCert},
		{"unknown server name", "nowhere.localhost", grantCert},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.dial(tc.serverName, tc.cert, nil)
			require.Error(t, err)
		})
	}
}

func TestRevokeCutsLiveConnectionsAndResumption(t *testing.T) {
	p := newPeople(t)
	grantID, grantCert := p.grant(p.alice, p.bob, "echo", time.Hour)
	cache := tls.NewLRUClientSessionCache(8)

	live, err := p.dial("echo.localhost", grantCert, cache)
	require.NoError(t, err)
	defer live.Close()
	resumed, err := p.dial("echo.localhost", grantCert, cache)
	require.NoError(t, err)
	require.True(t, resumed.ConnectionState().DidResume, "second connection should resume")
	resumed.Close()

	_, err = p.adminClient().Revoke(context.Background(), grantID, "incident closed")
	require.NoError(t, err)

	requireCut(t, live, time.Second)
	_, err = p.dial("echo.localhost", grantCert, cache)
	require.Error(t, err, "a resumed session of a revoked grant must be refused")
	// The registry forgets a connection once its goroutines end, which
	// may be just after the client saw the cut.
	assert.Eventually(t, func() bool { return p.gw.proxy.Live(grantID) == 0 },
		time.Second, 5*time.Millisecond)
}

func TestReleaseCutsTheRequestersOwnConnections(t *testing.T) {
	p := newPeople(t)
	grantID, grantCert := p.grant(p.alice, p.bob, "echo", time.Hour)
	live, err := p.dial("echo.localhost", grantCert, nil)
	require.NoError(t, err)
	defer live.Close()

	_, err = p.clientWith(p.bob).Release(context.Background(), grantID)
	require.Error(t, err, "only the grant's own user may release it")
	_, err = p.clientWith(p.alice).Release(context.Background(), grantID)
	require.NoError(t, err)

	requireCut(t, live, time.Second)
}

func TestGrantEndCutsLiveConnection(t *testing.T) {
	p := newPeople(t)
	_, grantCert := p.grant(p.alice, p.bob, "echo", 2*time.Second)
	live, err := p.dial("echo.localhost", grantCert, nil)
	require.NoError(t, err)
	defer live.Close()

	requireCut(t, live, 5*time.Second)
	_, err = p.dial("echo.localhost", grantCert, nil)
	require.Error(t, err)
}

func TestDecisionsFollowTheRules(t *testing.T) {
	p := newPeople(t)
	ctx := context.Background()
	key, err := newKey()
	require.NoError(t, err)
	csr, err := newCSR(key)
	require.NoError(t, err)
	req, err := p.clientWith(p.alice).CreateRequest(ctx, "echo", time.Hour, "why", csr)
	require.NoError(t, err)

	_, err = p.clientWith(p.alice).Approve(ctx, req.ID, "")
	requireStatus(t, err, http.StatusForbidden)
	_, err = p.clientWith(p.bob).Approve(ctx, req.ID, "")
	require.NoError(t, err)
	_, err = p.clientWith(p.bob).Deny(ctx, req.ID, "changed my mind")
	requireStatus(t, err, http.StatusConflict)
}

func TestDisabledUserIsCutOff(t *testing.T) {
	p := newPeople(t)
	_, grantCert := p.grant(p.alice, p.bob, "echo", time.Hour)
	live, err := p.dial("echo.localhost", grantCert, nil)
	require.NoError(t, err)
	defer live.Close()

	_, err = p.adminClient().DisableUser(context.Background(), "alice")
	require.NoError(t, err)

	requireCut(t, live, time.Second)
	_, err = p.clientWith(p.alice).Whoami(context.Background())
	require.Error(t, err, "a disabled user's identity certificate must be refused")
}

func TestStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	upstream := startEcho(t)
	tg := startGateway(t, dir, newTestConfig(t, upstream))
	p := people{testGateway: tg, alice: tg.enrol("alice", "requester"),
		bob: tg.enrol("bob", "approver")}
	keptID, kept := p.grant(p.alice, p.bob, "echo", time.Hour)
	revokedID, revoked := p.grant(p.alice, p.bob, "echo", time.Hour)
	_, err := tg.adminClient().Revoke(context.Background(), revokedID, "test")
	require.NoError(t, err)
	tg.stop()

	again := startGateway(t, dir, newTestConfig(t, upstream))
	conn, err := again.dial("echo.localhost", kept, nil)
	require.NoError(t, err, "active grant %s must survive a restart", keptID)
	conn.Close()
	_, err = again.dial("echo.localhost", revoked, nil)
	require.Error(t, err, "revocation must survive a restart")

	g, err := again.adminClient().Grant(context.Background(), revokedID)
	require.NoError(t, err)
	assert.Equal(t, grants.GrantRevoked, g.State)
}

func requireStatus(t testing.TB, err error, status int) {
	t.Helper()
	require.Error(t, err)
	var apiErr *admin.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.Status, apiErr.Message)
}

func TestOneProcessPerDataDir(t *testing.T) {
	dir := t.TempDir()
	startGateway(t, dir, newTestConfig(t, startEcho(t)))

	cfg := newTestConfig(t, startEcho(t))
	cfg.DataDir = dir
	err := serve(t.Context(), cfg, zap.NewNop(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use by another jitgate process")
}

func TestInitMakesTheDataDirPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(dir, 0o755))

	_, err := initialise(t.Context(), dir, config.Default(), "admin")
	require.NoError(t, err)

	for _, name := range []string{"", storeFile, "ca", adminProfileDir} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Zero(t, info.Mode().Perm()&0o077, "%s is %v", name, info.Mode())
	}
}
