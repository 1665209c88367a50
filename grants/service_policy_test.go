package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withPolicies replaces e's resources with db under p, keeping prod, and
// puts bob and carol in db-leads, erin in oncall.
func withPolicies(tb testing.TB, e *env, p Policy) {
	tb.Helper()
	require.NoError(tb, e.svc.SetResources([]Resource{
		{Name: "db", Policy: p}, testResources[1],
	}))
	for name, groups := range map[string][]string{
		"bob": {"db-leads"}, "carol": {"db-leads"}, "erin": {"oncall"},
	} {
		_, err := e.svc.UpdateUser(tb.Context(), "dave", name, UserChange{Groups: groups})
		require.NoError(tb, err)
	}
}

func TestAutoApproveAlways(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{AutoApprove: AutoApprove{Always: true},
		MaxSessions: 1, IdleTimeout: 10 * time.Minute})

	r := e.request(t, "alice", "db", time.Hour)

	assert.Equal(t, RequestApproved, r.State)
	assert.Equal(t, RuleAlways, r.Rule)
	assert.Equal(t, e.clock.Now(), r.DecidedAt)
	assert.Empty(t, r.Decisions, "nobody decided")
	g, err := e.svc.Grant(t.Context(), r.GrantID)
	require.NoError(t, err)
	assert.Equal(t, GrantActive, g.State)
	assert.Equal(t, RuleAlways, g.Rule)
	assert.Equal(t, 1, g.MaxSessions, "grants keep the policy's conditions")
	assert.Equal(t, 10*time.Minute, g.IdleTimeout)
	assert.Equal(t, []string{"request.create", "request.approve", "grant.activate"},
		e.actions(t)[e.eventCount(t)-3:])
	assert.Equal(t, []string{"request/pending", "request/approved", "grant/active"},
		e.rec.all())
}

func TestConditionalApproval(t *testing.T) {
	e := newEnv(t)
	e.clock.now = mondayMorning
	rule := oncallRule(t)
	rule.Requesters = []Principal{"group:oncall"}
	withPolicies(t, e, Policy{MaxDuration: 2 * time.Hour, Cap: true,
		AutoApprove: AutoApprove{Rules: []Rule{rule}}})

	n := NewRequest{User: "erin", Resource: "db", Duration: time.Hour,
		Reason: "page", Ticket: " INC-7 ", CSR: []byte(testCSR)}
	r, err := e.svc.CreateRequest(t.Context(), n)
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
	assert.Equal(t, rule.Name, r.Rule)
	assert.Equal(t, "INC-7", r.Ticket, "the ticket is trimmed")

	n.Duration = 3 * time.Hour
	r, err = e.svc.CreateRequest(t.Context(), n)
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State, "capped to 2h, over the rule's hour")
	assert.Equal(t, 2*time.Hour, r.Duration)
	assert.Equal(t, []string{
		"duration 3h shortened to the 2h maximum",
		"rule oncall-office-hours does not apply: duration 2h is over 1h",
	}, r.Notes, "what the request needs is its live needs, not a note")

	stored, err := e.svc.Request(t.Context(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, stored)
}

func TestApproversList(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{Approvals: 2, Approvers: []Principal{"group:db-leads"}})
	r := e.request(t, "alice", "db", time.Hour)

	_, err := e.svc.Approve(t.Context(), r.ID, "erin", "")
	assert.ErrorIs(t, err, ErrForbidden, "an approver outside the list")
	_, err = e.svc.Deny(t.Context(), r.ID, "dave", "no")
	assert.ErrorIs(t, err, ErrForbidden, "an admin outside the list")

	r, err = e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.NoError(t, err)
	progress, ok, err := e.svc.Progress(t.Context(), r)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "needs 1 more approval from group:db-leads", progress.String())

	r, err = e.svc.Approve(t.Context(), r.ID, "carol", "fine")
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
	assert.Empty(t, r.Rule)
}

// TestRuleGrantEndsWithItsWindow approves a request on Friday at 17:50 in
// Berlin under a rule that holds in office hours: the grant must end at
// 18:00, not run into Saturday, and the request must say why it is short.
func TestRuleGrantEndsWithItsWindow(t *testing.T) {
	e := newEnv(t)
	e.clock.now = utc(2025, 3, 28, 16, 50)
	closing := utc(2025, 3, 28, 17, 0)
	rule := Rule{Name: "office-hours",
		Window: mustWindow(t, "Mon-Fri 08:00-18:00 Europe/Berlin")}
	withPolicies(t, e, Policy{AutoApprove: AutoApprove{Rules: []Rule{rule}}})

	r := e.request(t, "alice", "db", 8*time.Hour)
	require.Equal(t, RequestApproved, r.State)
	g, err := e.svc.Grant(t.Context(), r.GrantID)
	require.NoError(t, err)

	assert.Equal(t, closing, g.NotAfter)
	assert.Equal(t, closing, e.signer.grants[0].NotAfter, "the certificate ends too")
	assert.Equal(t, 10*time.Minute, r.Duration)
	assert.Contains(t, r.Notes, "duration 8h shortened to 10m: rule "+
		"office-hours holds only until Fri 18:00 in Europe/Berlin, the end of "+
		"Mon-Fri 08:00-18:00 Europe/Berlin")
	assert.NoError(t, e.table.Check(g.ID, "alice", "db", closing.Add(-time.Second)))
	assert.ErrorIs(t, e.table.Check(g.ID, "alice", "db", utc(2025, 3, 29, 0, 0)),
		ErrGrantExpired, "Saturday 01:00 in Berlin")
}

// TestApprovalLapsesWithItsApprover checks that an approval counts only
// while its approver may still decide: once bob has left db-leads, or has
// been disabled, carol's approval is the first of two, not the second.
func TestApprovalLapsesWithItsApprover(t *testing.T) {
	tests := []struct {
		name   string
		demote func(testing.TB, *env)
	}{
		{"left the approvers' group", func(tb testing.TB, e *env) {
			_, err := e.svc.UpdateUser(tb.Context(), "dave", "bob",
				UserChange{Groups: []string{}})
			require.NoError(tb, err)
		}},
		{"disabled", func(tb testing.TB, e *env) {
			_, err := e.svc.DisableUser(tb.Context(), "dave", "bob")
			require.NoError(tb, err)
		}},
		{"lost the approver role", func(tb testing.TB, e *env) {
			_, err := e.svc.UpdateUser(tb.Context(), "dave", "bob",
				UserChange{Roles: []Role{RoleRequester}})
			require.NoError(tb, err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			withPolicies(t, e, Policy{Approvals: 2,
				Approvers: []Principal{"group:db-leads"}})
			r := e.request(t, "alice", "db", time.Hour)
			_, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
			require.NoError(t, err)
			tc.demote(t, e)

			r, err = e.svc.Approve(t.Context(), r.ID, "carol", "")
			require.NoError(t, err)
			assert.Equal(t, RequestPending, r.State)
			assert.Empty(t, r.GrantID)
			progress, ok, err := e.svc.Progress(t.Context(), r)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, "needs 1 more approval from group:db-leads",
				progress.String())
		})
	}
}

func TestDenialEndsRequestAtOnce(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{Approvals: 2, Approvers: []Principal{"group:db-leads"}})
	r := e.request(t, "alice", "db", time.Hour)
	_, err := e.svc.Approve(t.Context(), r.ID, "bob", "looks fine")
	require.NoError(t, err)

	r, err = e.svc.Deny(t.Context(), r.ID, "carol", "not during the freeze")
	require.NoError(t, err)

	assert.Equal(t, RequestDenied, r.State)
	require.Len(t, r.Decisions, 2)
	assert.Equal(t, Decision{Approver: "carol", Verdict: VerdictDeny,
		Comment: "not during the freeze", At: e.clock.Now()}, r.Decisions[1])
	_, err = e.svc.Approve(t.Context(), r.ID, "carol", "")
	assert.ErrorIs(t, err, ErrConflict)
}

func TestCreateRequestUnderPolicyRefuses(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{Requesters: []Principal{"group:oncall"}})
	before := e.eventCount(t)

	_, err := e.svc.CreateRequest(t.Context(), NewRequest{User: "alice",
		Resource: "db", Duration: time.Hour, Reason: "x", CSR: []byte(testCSR)})

	assert.ErrorIs(t, err, ErrForbidden)
	assert.Equal(t, before, e.eventCount(t), "a refusal changes nothing")
}

func TestSetResources(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", time.Hour)

	bad := []Resource{{Name: "db", Policy: Policy{Approvals: 3,
		Approvers: []Principal{"bob"}}}}
	require.Error(t, e.svc.SetResources(bad))
	assert.Len(t, e.svc.Resources(), 2, "a bad set changes nothing")

	require.NoError(t, e.svc.SetResources([]Resource{{Name: "db",
		Policy: Policy{Approvers: []Principal{"carol"}}}}))
	names := []string{}
	for _, res := range e.svc.Resources() {
		names = append(names, res.Name)
	}
	assert.Equal(t, []string{"db"}, names)

	_, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
	assert.ErrorIs(t, err, ErrForbidden, "pending requests follow the new policy")
	_, err = e.svc.Approve(t.Context(), r.ID, "carol", "")
	assert.NoError(t, err)
}

func TestSweepUsesEachResourcesPendingTTL(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{PendingTTL: time.Hour})
	short := e.request(t, "alice", "db", time.Hour)
	long := e.request(t, "alice", "prod", time.Hour)

	e.clock.Advance(time.Hour)
	require.NoError(t, e.svc.Sweep(t.Context()))
	assert.Equal(t, RequestPending, e.requestState(t, short.ID), "exactly TTL old")

	e.clock.Advance(time.Second)
	require.NoError(t, e.svc.Sweep(t.Context()))
	assert.Equal(t, RequestExpired, e.requestState(t, short.ID))
	assert.Equal(t, RequestPending, e.requestState(t, long.ID))

	e.clock.Advance(DefaultPendingTTL)
	require.NoError(t, e.svc.Sweep(t.Context()))
	assert.Equal(t, RequestExpired, e.requestState(t, long.ID))
}

func (e *env) requestState(tb testing.TB, id string) RequestState {
	tb.Helper()
	r, err := e.svc.Request(tb.Context(), id)
	require.NoError(tb, err)
	return r.State
}

func TestUsersGroups(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.AddUser(t.Context(), "dave", "zoe", []Role{RoleRequester},
		"oncall", "dev", "oncall")
	require.NoError(t, err)
	u, err := e.svc.User(t.Context(), "zoe")
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "oncall"}, u.Groups)

	u, err = e.svc.UpdateUser(t.Context(), "dave", "zoe",
		UserChange{Roles: []Role{RoleApprover}})
	require.NoError(t, err)
	assert.Equal(t, []Role{RoleApprover}, u.Roles)
	assert.Equal(t, []string{"dev", "oncall"}, u.Groups, "groups left as they were")

	u, err = e.svc.UpdateUser(t.Context(), "dave", "zoe", UserChange{Groups: []string{}})
	require.NoError(t, err)
	assert.Empty(t, u.Groups)
	assert.Equal(t, "user.update", e.actions(t)[e.eventCount(t)-1])

	tests := []struct {
		name   string
		change UserChange
		field  string
	}{
		{"nothing", UserChange{}, "roles"},
		{"bad group", UserChange{Groups: []string{"Ops"}}, "groups"},
		{"no roles", UserChange{Roles: []Role{}}, "roles"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.UpdateUser(t.Context(), "dave", "zoe", tc.change)
			_ = requireInput(t, err, tc.field)
		})
	}
	_, err = e.svc.UpdateUser(t.Context(), "dave", "nobody",
		UserChange{Groups: []string{"x"}})
	assert.ErrorIs(t, err, ErrNotFound)
}
