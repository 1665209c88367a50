package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestNobodyCanApproveIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		want   string
	}{
		{"a listed approver is not a user",
			Policy{Approvals: 2, Approvers: []Principal{"bob", "carrol"}},
			"a request for db cannot be approved now: its policy needs 2 approvals from " +
				"bob, carrol and 1 user can give them (carrol is not a user); an admin can " +
				"fix the users or the policy"},
		{"a listed approver lacks the role",
			Policy{Approvals: 2, Approvers: []Principal{"bob", "mallory"}},
			"(mallory lacks the approver role)"},
		{"the approvers' group has no members",
			Policy{Approvers: []Principal{"group:night-shift"}},
			"its policy needs 1 approval from group:night-shift and no user can give them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			withPolicies(t, e, tt.policy)
			before := e.eventCount(t)

			_, err := e.svc.CreateRequest(t.Context(), NewRequest{User: "alice",
				Resource: "db", Duration: time.Hour, Reason: "fix", CSR: []byte(testCSR)})
			require.ErrorIs(t, err, ErrConflict)
			assert.ErrorContains(t, err, tt.want)
			assert.Equal(t, before, e.eventCount(t), "nothing was stored")
		})
	}
}

func TestRequestApprovableOnceTheUsersAreFixed(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{Approvals: 2, Approvers: []Principal{"bob", "mallory"}})
	n := NewRequest{User: "alice", Resource: "db", Duration: time.Hour, Reason: "fix",
		CSR: []byte(testCSR)}
	_, err := e.svc.CreateRequest(t.Context(), n)
	require.ErrorIs(t, err, ErrConflict)

	_, err = e.svc.UpdateUser(t.Context(), "dave", "mallory",
		UserChange{Roles: []Role{RoleRequester, RoleApprover}})
	require.NoError(t, err)
	r, err := e.svc.CreateRequest(t.Context(), n)
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State)
}

func TestRequestersOwnApprovalIsNotCounted(t *testing.T) {
	e := newEnv(t)
	withPolicies(t, e, Policy{Approvals: 2, Approvers: []Principal{"bob", "erin"}})

	_, err := e.svc.CreateRequest(t.Context(), NewRequest{User: "erin", Resource: "db",
		Duration: time.Hour, Reason: "fix", CSR: []byte(testCSR)})
	require.ErrorIs(t, err, ErrConflict, "erin cannot approve her own request")
	assert.ErrorContains(t, err, "1 user can give them;")
}
