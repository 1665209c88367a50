package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// policyFile is a config file with the resources echo and other, both in
// front of upstream, each with the policy block given (YAML under policy:,
// or "" for none). It listens on ports the kernel picks.
func policyFile(upstream, echo, other string) string {
	resource := func(name, policy string) string {
		s := fmt.Sprintf("  - name: %s\n    upstream: %s\n    hostname: %s.localhost\n",
			name, upstream, name)
		if policy == "" {
			return s
		}
		return s + "    policy:\n      " +
			strings.ReplaceAll(strings.TrimSpace(policy), "\n", "\n      ") + "\n"
	}
	return "listen: {proxy: '127.0.0.1:0', admin: '127.0.0.1:0', " +
		"metrics: '127.0.0.1:0'}\nresources:\n" +
		resource("echo", echo) + resource("other", other)
}

// team is a gateway serving a policy file, with alice and olga (on call)
// to request, bob and carol (database leads) and erin to approve.
type team struct {
	*testGateway
	path                          string
	alice, olga, bob, carol, erin *tls.Certificate
}

func newTeam(t *testing.T, echo, other string) *team {
	t.Helper()
	upstream := startEcho(t)
	path := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(path, []byte(policyFile(upstream, echo, other)), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)

	tg := startGateway(t, t.TempDir(), cfg)
	tm := &team{testGateway: tg, path: path,
		alice: tg.enrol("alice", "requester"), olga: tg.enrol("olga", "requester"),
		bob: tg.enrol("bob", "approver"), carol: tg.enrol("carol", "approver"),
		erin: tg.enrol("erin", "approver")}
	tm.group("oncall", "olga")
	tm.group("leads", "bob", "carol")
	return tm
}

// group puts users in group.
func (tm *team) group(group string, users ...string) {
	tm.t.Helper()
	for _, u := range users {
		_, err := tm.adminClient().UpdateUser(context.Background(), u, nil, []string{group})
		require.NoError(tm.t, err)
	}
}

// ask has requester ask for resource for d and returns the request and
// the key its certificate will be for.
func (tm *team) ask(requester *tls.Certificate, resource string, d time.Duration,
	opts ...admin.RequestOption) (admin.RequestView, []byte) {
	tm.t.Helper()
	key, err := newKey()
	require.NoError(tm.t, err)
	csr, err := newCSR(key)
	require.NoError(tm.t, err)
	keyPEM, err := encodeKey(key)
	require.NoError(tm.t, err)

	req, err := tm.clientWith(requester).CreateRequest(context.Background(), resource, d,
		"testing the policy", csr, opts...)
	require.NoError(tm.t, err)
	return req, keyPEM
}

// certificate fetches the grant certificate of an approved request.
func (tm *team) certificate(requester *tls.Certificate, req admin.RequestView,
	keyPEM []byte) (admin.GrantView, *tls.Certificate) {
	tm.t.Helper()
	gc, err := tm.clientWith(requester).Certificate(context.Background(), req.ID)
	require.NoError(tm.t, err)
	cert, err := tls.X509KeyPair(gc.Certificate, keyPEM)
	require.NoError(tm.t, err)
	return gc.Grant, &cert
}

func TestManualApprovalByTwoLeads(t *testing.T) {
	tm := newTeam(t, "approvals: 2\napprovers: [group:leads]", "")
	ctx := context.Background()
	req, key := tm.ask(tm.alice, "echo", time.Hour)
	require.Equal(t, grants.RequestPending, req.State)
	assert.Equal(t, "needs 2 approvals from group:leads", req.Needs)

	_, err := tm.clientWith(tm.erin).Approve(ctx, req.ID, "")
	requireStatus(t, err, http.StatusForbidden)
	req, err = tm.clientWith(tm.bob).Approve(ctx, req.ID, "first")
	require.NoError(t, err)
	assert.Equal(t, "needs 1 more approval from group:leads", req.Needs)
	_, err = tm.clientWith(tm.bob).Approve(ctx, req.ID, "twice")
	requireStatus(t, err, http.StatusConflict)
	pending, err := tm.clientWith(tm.carol).PendingRequests(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)

	req, err = tm.clientWith(tm.carol).Approve(ctx, req.ID, "second")
	require.NoError(t, err)
	assert.Equal(t, grants.RequestApproved, req.State)
	assert.Empty(t, req.Rule)
	_, cert := tm.certificate(tm.alice, req, key)
	conn, err := tm.dial("echo.localhost", cert, nil)
	require.NoError(t, err)
	conn.Close()
}

func TestDenialByALeadEndsTheRequest(t *testing.T) {
	tm := newTeam(t, "approvals: 2\napprovers: [group:leads]", "")
	ctx := context.Background()
	req, _ := tm.ask(tm.alice, "echo", time.Hour)
	_, err := tm.clientWith(tm.bob).Approve(ctx, req.ID, "fine by me")
	require.NoError(t, err)

	_, err = tm.clientWith(tm.erin).Deny(ctx, req.ID, "not a lead")
	requireStatus(t, err, http.StatusForbidden)
	req, err = tm.clientWith(tm.carol).Deny(ctx, req.ID, "change freeze")
	require.NoError(t, err)

	assert.Equal(t, grants.RequestDenied, req.State)
	require.Len(t, req.Decisions, 2)
	assert.Equal(t, "carol", req.Decisions[1].Approver)
	assert.Equal(t, "change freeze", req.Decisions[1].Comment)
}

func TestAlwaysAutoApproves(t *testing.T) {
	tm := newTeam(t, "auto_approve: always\nticket_pattern: 'INC-[0-9]+'", "")

	_, err := tm.clientWith(tm.alice).CreateRequest(context.Background(), "echo",
		time.Hour, "no ticket", []byte("irrelevant"))
	requireStatus(t, err, http.StatusBadRequest)
	req, key := tm.ask(tm.alice, "echo", time.Hour, admin.WithTicket("INC-1"))

	assert.Equal(t, grants.RequestApproved, req.State)
	assert.Equal(t, grants.RuleAlways, req.Rule)
	g, cert := tm.certificate(tm.alice, req, key)
	assert.Equal(t, grants.RuleAlways, g.Rule)
	conn, err := tm.dial("echo.localhost", cert, nil)
	require.NoError(t, err)
	conn.Close()
}

// windowAround returns a weekly window in UTC, every day, from an hour
// before now to an hour after; outside swaps the two ends, for the rest
// of the day.
func windowAround(now time.Time, outside bool) string {
	from, to := now.Add(-time.Hour).UTC(), now.Add(time.Hour).UTC()
	if outside {
		from, to = to, from
	}
	return fmt.Sprintf("Mon-Sun %s-%s UTC", from.Format("15:04"), to.Format("15:04"))
}

func TestConditionalApprovalFallsBackToPeople(t *testing.T) {
	rule := func(window string) string {
		return "max_duration: 2h\ncap: true\nauto_approve:\n" +
			"  - name: oncall-now\n    requesters: [group:oncall]\n" +
			"    max_duration: 1h\n    window: " + window
	}
	now := time.Now()
	tm := newTeam(t, rule(windowAround(now, false)), rule(windowAround(now, true)))
	ctx := context.Background()

	req, key := tm.ask(tm.olga, "echo", 30*time.Minute)
	require.Equal(t, grants.RequestApproved, req.State, req.Notes)
	assert.Equal(t, "oncall-now", req.Rule)
	g, cert := tm.certificate(tm.olga, req, key)
	assert.Equal(t, "oncall-now", g.Rule)
	conn, err := tm.dial("echo.localhost", cert, nil)
	require.NoError(t, err)
	conn.Close()

	tests := []struct {
		name, resource string
		who            *tls.Certificate
		d              time.Duration
		want, note     string
	}{
		{"outside the window", "other", tm.olga, 30 * time.Minute, "30m",
			"is outside Mon-Sun"},
		{"over the rule's hour", "echo", tm.olga, 90 * time.Minute, "1h30m",
			"duration 1h30m is over 1h"},
		{"capped, still over", "echo", tm.olga, 3 * time.Hour, "2h",
			"shortened to the 2h maximum"},
		{"not on call", "echo", tm.alice, 30 * time.Minute, "30m",
			"alice is not one of group:oncall"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := tm.ask(tc.who, tc.resource, tc.d)
			require.Equal(t, grants.RequestPending, req.State)
			assert.Equal(t, tc.want, req.Duration)
			assert.Contains(t, strings.Join(req.Notes, "\n"), tc.note)
			assert.Equal(t, "needs 1 approval from any approver", req.Needs)

			req, err := tm.clientWith(tm.bob).Approve(ctx, req.ID, "ok")
			require.NoError(t, err)
			assert.Equal(t, grants.RequestApproved, req.State)
		})
	}
}

func TestInvalidReloadKeepsThePolicy(t *testing.T) {
	tm := newTeam(t, "auto_approve: always", "")
	upstream := tm.cfg.Resources[0].Upstream
	write := func(doc string) {
		require.NoError(t, os.WriteFile(tm.path, []byte(doc), 0o600))
	}

	secret := filepath.Join(filepath.Dir(tm.path), "hook.key")
	require.NoError(t, os.WriteFile(secret, []byte("0123456789abcdef0123"), 0o600))
	require.NoError(t, os.Chmod(secret, 0o644))
	openSecret := policyFile(upstream, "", "") + "webhooks:\n  - name: ops\n" +
		"    url: http://127.0.0.1:1/hook\n    secret_file: hook.key\n"

	refused := []struct{ name, doc, want string }{
		{"impossible approvals", policyFile(upstream, "approvals: 2\napprovers: [bob]", ""),
			"approvals"},
		{"not YAML", "resources: [\n", "yaml"},
		{"a resource moved", policyFile("127.0.0.1:1", "", ""), "needs a restart"},
		{"a webhook secret open to others", openSecret, "mode 0644"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.doc)
			_, err := tm.gw.reload()
			require.ErrorContains(t, err, tc.want)

			req, _ := tm.ask(tm.alice, "echo", time.Hour)
			assert.Equal(t, grants.RequestApproved, req.State, "the old policy runs on")
		})
	}

	write(policyFile(upstream, "approvals: 2\napprovers: [group:leads]", ""))
	tm.gw.reloadLogged()
	req, _ := tm.ask(tm.alice, "echo", time.Hour)
	assert.Equal(t, grants.RequestPending, req.State, "a good reload applies")
	assert.Equal(t, "needs 2 approvals from group:leads", req.Needs)
}

func TestSingleSessionRefusesTheSecondConnection(t *testing.T) {
	tm := newTeam(t, "auto_approve: always\nmax_sessions: 1", "")
	req, key := tm.ask(tm.alice, "echo", time.Hour)
	g, cert := tm.certificate(tm.alice, req, key)
	assert.Equal(t, 1, g.MaxSessions)
	cache := tls.NewLRUClientSessionCache(4)

	first, err := tm.dial("echo.localhost", cert, cache)
	require.NoError(t, err)
	defer first.Close()
	_, err = tm.dial("echo.localhost", cert, cache)
	require.Error(t, err, "the grant's one session is taken")
	_, err = tm.dial("echo.localhost", cert, nil)
	require.Error(t, err)

	require.NoError(t, echoOnce(first), "the first connection goes on")
	g, err = tm.adminClient().Grant(context.Background(), g.ID)
	require.NoError(t, err)
	require.NotNil(t, g.Sessions)
	assert.Equal(t, 1, *g.Sessions)
	assert.Equal(t, grants.GrantActive, g.State)
}

func TestIdleTimeoutEndsTheGrant(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an idle timeout; skipped under -short")
	}
	const idle = 3 * time.Second
	tm := newTeam(t, "auto_approve: always\nidle_timeout: 3s", "")
	req, key := tm.ask(tm.alice, "echo", time.Hour)
	g, cert := tm.certificate(tm.alice, req, key)
	conn, err := tm.dial("echo.localhost", cert, nil)
	require.NoError(t, err)
	defer conn.Close()

	for end := time.Now().Add(2 * idle); time.Now().Before(end); {
		require.NoError(t, echoOnce(conn), "traffic keeps the grant alive")
		time.Sleep(300 * time.Millisecond)
	}

	requireCut(t, conn, 4*idle)
	g, err = tm.adminClient().Grant(context.Background(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, grants.GrantExpired, g.State)
	assert.Equal(t, "idle", g.EndReason)
	_, err = tm.dial("echo.localhost", cert, nil)
	require.Error(t, err)
}
