package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChangesCheckTheCallerInTheirOwnTransaction plays the race between a
// signed-in caller and a change to them committed after the admin API
// authenticated them: each change made under WithCaller is refused, and
// changes nothing, once the caller no longer stands.
func TestChangesCheckTheCallerInTheirOwnTransaction(t *testing.T) {
	tests := []struct {
		name string
		// overtake is what commits between authentication and the change.
		overtake func(t *testing.T, e *env)
		want     string
	}{
		{"new enrolment token", func(t *testing.T, e *env) {
			_, err := e.svc.NewToken(t.Context(), "dave", "alice")
			require.NoError(t, err)
		}, "identity certificate of alice was replaced"},
		{"disabled", func(t *testing.T, e *env) {
			_, err := e.svc.DisableUser(t.Context(), "dave", "alice")
			require.NoError(t, err)
		}, `user "alice" is disabled`},
		{"role taken away", func(t *testing.T, e *env) {
			_, err := e.svc.UpdateUser(t.Context(), "dave", "alice",
				UserChange{Roles: []Role{RoleApprover}})
			require.NoError(t, err)
		}, `user "alice" lacks the requester role`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			issued := enrolAlice(t, e)
			e.clock.Advance(time.Minute)
			ctx := WithCaller(t.Context(),
				Caller{Name: "alice", Issued: issued, Role: RoleRequester})

			tt.overtake(t, e)
			before := e.eventCount(t)
			_, err := e.svc.CreateRequest(ctx, NewRequest{
				User: "alice", Resource: "db", Duration: time.Hour,
				Reason: "deploy the fix", CSR: []byte(testCSR),
			})
			require.ErrorIs(t, err, ErrForbidden)
			assert.ErrorContains(t, err, tt.want)

			assert.Equal(t, before, e.eventCount(t), "nothing recorded")
			rs, err := e.svc.Requests(t.Context(), RequestFilter{User: "alice"})
			require.NoError(t, err)
			assert.Empty(t, rs)
		})
	}
}

func TestAStandingCallerChanges(t *testing.T) {
	e := newEnv(t)
	issued := enrolAlice(t, e)
	ctx := WithCaller(t.Context(), Caller{Name: "alice", Issued: issued})

	r, err := e.svc.CreateRequest(ctx, NewRequest{
		User: "alice", Resource: "db", Duration: time.Hour,
		Reason: "deploy the fix", CSR: []byte(testCSR),
	})
	require.NoError(t, err)
	_, err = e.svc.Cancel(ctx, r.ID, "alice")
	require.NoError(t, err)

	unknown := WithCaller(t.Context(), Caller{Name: "zed", Issued: issued})
	_, err = e.svc.Cancel(unknown, r.ID, "zed")
	require.ErrorIs(t, err, ErrForbidden)
	assert.ErrorContains(t, err, `user "zed" is not known`)
}
