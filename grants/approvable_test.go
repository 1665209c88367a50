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
			"a request for db cannot be approved now: its policy asks for 2 approvals " +
				"from bob, carrol, but 1 user may approve it (carrol cannot); an admin can " +
				"fix the users or the policy"},
		{"a listed approver lacks the role",
			Policy{Approvals: 2, Approvers: []Principal{"bob", "mallory"}},
			"(mallory cannot)"},
		{"two listed approvers cannot",
			Policy{Approvals: 3, Approvers: []Principal{"bob", "carrol", "mallory"}},
			"but 1 user may approve it (carrol and mallory cannot)"},
		{"the approvers' group has no members",
			Policy{Approvers: []Principal{"group:night-shift"}},
			"its policy asks for 1 approval from group:night-shift, but no user may " +
				"approve it;"},
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
	assert.ErrorContains(t, err, "but 1 user may approve it;",
		"erin is listed, but not counted, nor named as unable")
}
