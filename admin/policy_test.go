package admin

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// setPolicy puts db under p, keeping pair as it is.
func (e *testEnv) setPolicy(t testing.TB, p grants.Policy) {
	t.Helper()
	require.NoError(t, e.svc.SetResources([]grants.Resource{
		{Name: "db", Policy: p}, testResources[1],
	}))
}

// people are the users of the policy tests: alice requests; bob and carol
// lead the database team; erin approves but is not a lead; root is admin.
type people struct {
	alice, bob, carol, erin, root *Client
}

func enrolPeople(t testing.TB, e *testEnv) people {
	t.Helper()
	ps := people{
		alice: e.enrol(t, "alice", grants.RoleRequester),
		bob:   e.enrol(t, "bob", grants.RoleApprover),
		carol: e.enrol(t, "carol", grants.RoleApprover),
		erin:  e.enrol(t, "erin", grants.RoleApprover),
		root:  e.enrol(t, "root", grants.RoleAdmin),
	}
	for _, name := range []string{"bob", "carol"} {
		_, err := ps.root.UpdateUser(context.Background(), name, nil, []string{"db-leads"})
		require.NoError(t, err)
	}
	return ps
}

func TestApprovalsFollowThePolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ps := enrolPeople(t, e)
	e.setPolicy(t, grants.Policy{Approvals: 2,
		Approvers: []grants.Principal{"group:db-leads"}})
	_, csr := newCSR(t)
	req, err := ps.alice.CreateRequest(ctx, "db", time.Hour, "fix", csr)
	require.NoError(t, err)
	assert.Equal(t, "needs 2 approvals from group:db-leads", req.Needs)

	_, err = ps.erin.Approve(ctx, req.ID, "")
	requireAPIError(t, err, http.StatusForbidden, "not an approver of db")
	_, err = ps.bob.Approve(ctx, req.ID, "first")
	require.NoError(t, err)
	_, err = ps.bob.Approve(ctx, req.ID, "again")
	requireAPIError(t, err, http.StatusConflict, "already approved by bob")

	got, err := ps.alice.Request(ctx, req.ID)
	require.NoError(t, err)
	assert.Equal(t, "needs 1 more approval from group:db-leads", got.Needs)
	pending, err := ps.erin.PendingRequests(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending, "erin may not decide it")
	pending, err = ps.carol.PendingRequests(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 1)

	denied, err := ps.carol.Deny(ctx, req.ID, "not now")
	require.NoError(t, err)
	assert.Equal(t, grants.RequestDenied, denied.State)
	assert.Empty(t, denied.Needs)
	require.Len(t, denied.Decisions, 2)
	assert.Equal(t, "not now", denied.Decisions[1].Comment)
}

func TestAutomaticApprovalThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ps := enrolPeople(t, e)
	e.setPolicy(t, grants.Policy{AutoApprove: grants.AutoApprove{Always: true},
		TicketPattern: regexp.MustCompile(`INC-[0-9]+`), MaxSessions: 1})
	_, csr := newCSR(t)

	_, err := ps.alice.CreateRequest(ctx, "db", time.Hour, "fix", csr)
	requireAPIError(t, err, http.StatusBadRequest, "invalid ticket: required")
	req, err := ps.alice.CreateRequest(ctx, "db", time.Hour, "fix", csr,
		WithTicket("INC-9"))
	require.NoError(t, err)

	assert.Equal(t, grants.RequestApproved, req.State)
	assert.Equal(t, "INC-9", req.Ticket)
	assert.Equal(t, grants.RuleAlways, req.Rule)
	gc, err := ps.alice.Certificate(ctx, req.ID)
	require.NoError(t, err)
	assert.Equal(t, grants.RuleAlways, gc.Grant.Rule)
	assert.Equal(t, 1, gc.Grant.MaxSessions)
}

func TestResourcesListWhatTheCallerMayRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ps := enrolPeople(t, e)
	e.setPolicy(t, grants.Policy{Requesters: []grants.Principal{"group:dev"}})

	list, err := ps.alice.Resources(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"pair"}, resourceNames(list))

	_, err = ps.root.UpdateUser(ctx, "alice", nil, []string{"dev"})
	require.NoError(t, err)
	list, err = ps.alice.Resources(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"db", "pair"}, resourceNames(list))
	assert.Equal(t, []string{"group:dev"}, list[0].Policy.Requesters)
	assert.Equal(t, "never", list[0].Policy.AutoApprove)

	list, err = ps.bob.Resources(ctx)
	require.NoError(t, err)
	assert.Empty(t, list, "an approver is not a requester")
}

func resourceNames(list []ResourceInfo) []string {
	names := make([]string, len(list))
	for i, r := range list {
		names[i] = r.Name
	}
	return names
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ps := enrolPeople(t, e)

	u, _, err := ps.root.AddUser(ctx, "zoe", []string{"requester"}, "oncall", "dev")
	require.NoError(t, err)
	assert.Equal(t, []string{"dev", "oncall"}, u.Groups)

	u, err = ps.root.UpdateUser(ctx, "zoe", []string{"requester", "approver"}, nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"requester", "approver"}, u.Roles)
	assert.Equal(t, []string{"dev", "oncall"}, u.Groups)
	u, err = ps.root.UpdateUser(ctx, "zoe", nil, []string{})
	require.NoError(t, err)
	assert.Equal(t, []string{}, u.Groups)

	_, err = ps.root.UpdateUser(ctx, "zoe", nil, []string{"Ops"})
	requireAPIError(t, err, http.StatusBadRequest, "invalid groups")
	_, err = ps.root.UpdateUser(ctx, "zoe", nil, nil)
	requireAPIError(t, err, http.StatusBadRequest, "nothing to change")
	_, err = ps.root.UpdateUser(ctx, "nobody", nil, []string{"x"})
	requireAPIError(t, err, http.StatusNotFound, "")
	_, err = ps.bob.UpdateUser(ctx, "zoe", nil, []string{"x"})
	requireAPIError(t, err, http.StatusForbidden, "")
}
