package admin

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestUserAdministration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.enrol(t, "root", grants.RoleAdmin)

	added, token, err := root.AddUser(ctx, "dave", []string{"requester", "approver"})
	require.NoError(t, err)
	assert.Equal(t, "dave", added.Name)
	assert.ElementsMatch(t, []string{"requester", "approver"}, added.Roles)
	assert.True(t, added.EnrolledAt.IsZero())
	require.NotEmpty(t, token)

	_, _, err = root.AddUser(ctx, "dave", []string{"requester"})
	requireAPIError(t, err, http.StatusConflict, "dave")
	_, _, err = root.AddUser(ctx, "Bad Name", []string{"requester"})
	requireAPIError(t, err, http.StatusBadRequest, "invalid name")
	_, _, err = root.AddUser(ctx, "erin", []string{"king"})
	requireAPIError(t, err, http.StatusBadRequest, "invalid roles")

	fresh, err := root.NewToken(ctx, "dave")
	require.NoError(t, err)
	assert.NotEqual(t, token, fresh)
	_, csr := newCSR(t)
	en, err := e.anonymous(t).Enroll(ctx, fresh, csr)
	require.NoError(t, err)
	assert.Equal(t, "dave", en.User.Name)

	users, err := root.Users(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"root", "dave"}, userNames(users))

	disabled, err := root.DisableUser(ctx, "dave")
	require.NoError(t, err)
	assert.True(t, disabled.Disabled)
	_, err = root.NewToken(ctx, "dave")
	requireAPIError(t, err, http.StatusForbidden, "disabled")
	_, err = root.DisableUser(ctx, "nobody")
	requireAPIError(t, err, http.StatusNotFound, "")
}

func TestWhoamiAndResources(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.enrol(t, "alice", grants.RoleRequester)

	me, err := alice.Whoami(ctx)
	require.NoError(t, err)
	assert.Equal(t, "alice", me.Name)
	assert.False(t, me.Disabled)

	resources, err := alice.Resources(ctx)
	require.NoError(t, err)
	require.Len(t, resources, 2)
	assert.Equal(t, testRoutes[0].Address, resources[0].Address)
	assert.Equal(t, "4h", resources[0].Policy.MaxDuration)
	assert.Equal(t, "pair", resources[1].Name)
	assert.Empty(t, resources[1].Address, "pair is not advertised")
	assert.Equal(t, 2, resources[1].Policy.Approvals)
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.enrol(t, "root", grants.RoleAdmin)
	_, _, err := root.AddUser(ctx, "dave", []string{"requester"})
	require.NoError(t, err)

	events, err := root.Audit(ctx, 0)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	last := events[len(events)-1]
	assert.Equal(t, "root", last.Actor)
	assert.Equal(t, "dave", last.Subject)

	one, err := root.Audit(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []grants.Event{last}, one)

	err = root.do(ctx, http.MethodGet, "/v1/audit?limit=lots", nil, &events)
	requireAPIError(t, err, http.StatusBadRequest, "invalid limit")
}

// userNames returns the names of users.
func userNames(users []UserView) []string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Name
	}
	return names
}
