package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyCheckAccepts(t *testing.T) {
	window := mustWindow(t, "Mon-Fri 08:00-18:00 Europe/Berlin")
	tests := []struct {
		name   string
		policy Policy
	}{
		{"zero", Policy{}},
		{"everything", Policy{
			Requesters: []Principal{"group:dev", "olga"}, MaxDuration: 4 * time.Hour,
			Cap: true, Approvals: 2, Approvers: []Principal{"group:db-leads", "carlos"},
			AutoApprove: AutoApprove{Rules: []Rule{oncallRule(t)}},
			PendingTTL:  time.Hour, MaxSessions: 1, IdleTimeout: 15 * time.Minute,
		}},
		{"approvers by name, enough of them", Policy{Approvals: 2,
			Approvers: []Principal{"bob", "carlos"}}},
		{"a requester who approves leaves enough", Policy{Approvals: 2,
			Requesters: []Principal{"alice", "olga"},
			Approvers:  []Principal{"alice", "bob", "carlos"}}},
		{"a group may have any number of approvers", Policy{Approvals: 5,
			Approvers: []Principal{"bob", "group:db-leads"}}},
		{"later rule narrower in another way", Policy{AutoApprove: AutoApprove{
			Rules: []Rule{
				{Name: "short", MaxDuration: time.Hour},
				{Name: "office", Window: window},
			}}}},
		{"rule for a group of allowed people", Policy{
			Requesters: []Principal{"alice"},
			AutoApprove: AutoApprove{Rules: []Rule{
				{Name: "dev", Requesters: []Principal{"group:dev"}},
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.NoError(t, tc.policy.Check())
		})
	}
}

func TestPolicyCheckRefuses(t *testing.T) {
	window := mustWindow(t, "Mon-Fri 08:00-18:00 Europe/Berlin")
	rules := func(rs ...Rule) AutoApprove { return AutoApprove{Rules: rs} }
	tests := []struct {
		name, field, problem string
		policy               Policy
	}{
		{"negative max_duration", "max_duration", "negative",
			Policy{MaxDuration: -time.Hour}},
		{"max_duration under a second", "max_duration", "under the shortest grant",
			Policy{MaxDuration: 500 * time.Millisecond}},
		{"too many approvals", "approvals", "not from 1 to 10", Policy{Approvals: 11}},
		{"negative pending_ttl", "pending_ttl", "negative", Policy{PendingTTL: -1}},
		{"negative max_sessions", "max_sessions", "negative", Policy{MaxSessions: -1}},
		{"negative idle_timeout", "idle_timeout", "negative", Policy{IdleTimeout: -1}},
		{"bad requester", "requesters[1]", "not a user name or group:NAME",
			Policy{Requesters: []Principal{"alice", "Group:Dev"}}},
		{"empty group", "approvers[0]", "not a user name",
			Policy{Approvers: []Principal{"group:"}}},
		{"listed twice", "approvers[1]", "listed twice",
			Policy{Approvers: []Principal{"bob", "bob"}}},
		{"more approvals than approvers", "approvals", "only 2 of the approvers",
			Policy{Approvals: 3, Approvers: []Principal{"bob", "carlos"}}},
		{"requesters are approvers", "approvals", "only 1 of the approvers",
			Policy{Approvals: 2, Requesters: []Principal{"bob", "carlos"},
				Approvers: []Principal{"bob", "carlos"}}},
		{"always with approvals", "auto_approve", "never apply",
			Policy{Approvals: 2, AutoApprove: AutoApprove{Always: true}}},
		{"always with approvers", "auto_approve", "never apply",
			Policy{Approvers: []Principal{"bob"}, AutoApprove: AutoApprove{Always: true}}},
		{"unnamed rule", "auto_approve[0].name", "want 1 to 63", Policy{
			AutoApprove: rules(Rule{MaxDuration: time.Hour})}},
		{"rule names twice", "auto_approve[1].name", "names two rules", Policy{
			AutoApprove: rules(Rule{Name: "a", Window: window},
				Rule{Name: "a", MaxDuration: time.Hour})}},
		{"rule bad requester", "auto_approve[0].requesters[0]", "not a user name",
			Policy{AutoApprove: rules(Rule{Name: "a", Requesters: []Principal{"A"}})}},
		{"rule negative duration", "auto_approve[0].max_duration", "negative",
			Policy{AutoApprove: rules(Rule{Name: "a", MaxDuration: -1})}},
		{"rule for people who may not request", "auto_approve[0].requesters",
			"can never apply", Policy{Requesters: []Principal{"alice"},
				AutoApprove: rules(Rule{Name: "a", Requesters: []Principal{"olga"}})}},
		{"unconditional rule first", "auto_approve[1]", "rule b can never apply",
			Policy{AutoApprove: rules(Rule{Name: "a"},
				Rule{Name: "b", MaxDuration: time.Hour})}},
		{"wider rule first", "auto_approve[1]", "rule a before it", Policy{
			AutoApprove: rules(
				Rule{Name: "a", Requesters: []Principal{"group:dev", "olga"},
					MaxDuration: 2 * time.Hour},
				Rule{Name: "b", Requesters: []Principal{"olga"},
					MaxDuration: time.Hour, Window: window, Ticket: true})}},
		{"same window first", "auto_approve[1]", "can never apply", Policy{
			AutoApprove: rules(Rule{Name: "a", Window: window},
				Rule{Name: "b", Window: mustWindow(t, window.String()), Ticket: true})}},
		{"first rule's maximum over the policy's", "auto_approve[1]", "rule b can never apply",
			Policy{AutoApprove: rules(Rule{Name: "a", MaxDuration: 10 * time.Hour},
				Rule{Name: "b"})}},
		{"first rule's maximum over a lower policy maximum", "auto_approve[1]",
			"rule b can never apply", Policy{MaxDuration: time.Hour,
				AutoApprove: rules(Rule{Name: "a", MaxDuration: 2 * time.Hour},
					Rule{Name: "b", Ticket: true})}},
		{"window open all week first", "auto_approve[1]", "rule b can never apply",
			Policy{AutoApprove: rules(
				Rule{Name: "a", Window: mustWindow(t, "Mon-Sun 00:00-24:00 UTC")},
				Rule{Name: "b", Requesters: []Principal{"olga"}})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check()
			var pe *PolicyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.Contains(t, pe.Problem, tc.problem)
		})
	}
}

func TestParsePrincipal(t *testing.T) {
	for _, good := range []string{"alice", "group:db-leads", "a.b_c-1"} {
		p, err := ParsePrincipal(good)
		require.NoError(t, err, good)
		assert.Equal(t, Principal(good), p)
	}
	for _, bad := range []string{"", "Alice", "group:", "group:Ops", "grp:ops", "a b"} {
		_, err := ParsePrincipal(bad)
		assert.Error(t, err, bad)
	}

	g, ok := Principal("group:ops").Group()
	assert.True(t, ok)
	assert.Equal(t, "ops", g)
	assert.True(t, Principal("group:dev").Includes(alice))
	assert.False(t, Principal("group:ops").Includes(alice))
	assert.True(t, Principal("alice").Includes(alice))
	assert.False(t, Principal("dev").Includes(alice), "a bare name is a user")
}
