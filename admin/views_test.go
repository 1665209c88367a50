package admin

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestViewsGolden(t *testing.T) {
	created := time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CET", 3600))
	decided := created.Add(4 * time.Minute)
	req := grants.Request{
		ID:        "req_01",
		User:      "alice",
		Resource:  "db",
		Duration:  90 * time.Minute,
		Reason:    "rebuild the orders index",
		CSR:       []byte("never shown"),
		State:     grants.RequestApproved,
		CreatedAt: created,
		DecidedAt: decided,
		Decisions: []grants.Decision{{Approver: "bob", Verdict: grants.VerdictApprove,
			Comment: "go ahead", At: decided}},
		GrantID: "grt_01",
		Ticket:  "INC-4711",
		Notes:   []string{"needs 1 approval from group:db-leads"},
	}
	grant := grants.Grant{
		ID:          "grt_01",
		RequestID:   "req_01",
		User:        "alice",
		Resource:    "db",
		NotBefore:   decided,
		NotAfter:    decided.Add(90 * time.Minute),
		State:       grants.GrantRevoked,
		EndedAt:     decided.Add(time.Hour),
		EndedBy:     "root",
		EndReason:   "incident",
		Certificate: []byte("never shown"),
		MaxSessions: 1,
		Sessions:    1,
		IdleTimeout: 15 * time.Minute,
	}
	auto := req
	auto.ID, auto.Decisions, auto.Rule = "req_03", nil, "oncall-office-hours"
	auto.Notes = []string{"approved by rule oncall-office-hours"}
	unlimited := grant
	unlimited.ID, unlimited.State, unlimited.MaxSessions, unlimited.Sessions =
		"grt_02", grants.GrantActive, 0, 0
	unlimited.EndedAt, unlimited.EndedBy, unlimited.EndReason = time.Time{}, "", ""
	pending := grants.Request{ID: "req_02", User: "carol", Resource: "db",
		Duration: 2 * time.Hour, Reason: "deploy", State: grants.RequestPending,
		CreatedAt: created}

	tests := []struct {
		file string
		view any
	}{
		{"request_view.json", requestView(req)},
		{"request_view_auto.json", requestView(auto)},
		{"request_view_pending.json", requestView(pending)},
		{"grant_view.json", grantView(grant)},
		{"grant_view_unlimited.json", grantView(unlimited)},
		{"resource_info.json", ResourceInfo{Name: "db", Address: "proxy.example:8443",
			ServerName: "db.proxy.example", Policy: PolicyViewOf(goldenPolicy(t))}},
		{"policy_view_defaults.json", PolicyViewOf(grants.Policy{})},
		{"policy_view_always.json", PolicyViewOf(grants.Policy{
			AutoApprove: grants.AutoApprove{Always: true}, MaxSessions: 1})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := json.MarshalIndent(tt.view, "", "  ")
			require.NoError(t, err)
			checkGolden(t, tt.file, append(got, '\n'))
		})
	}
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}

	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestViewsGolden -update to create it")
	assert.Equal(t, string(want), string(got))
}

// goldenPolicy has every setting of a policy.
func goldenPolicy(tb testing.TB) grants.Policy {
	tb.Helper()
	w, err := grants.ParseWindow("Mon-Fri 08:00-18:00 Europe/Berlin")
	require.NoError(tb, err)
	return grants.Policy{
		Requesters:     []grants.Principal{"group:dev"},
		MaxDuration:    4 * time.Hour,
		Cap:            true,
		ReasonOptional: true,
		TicketPattern:  regexp.MustCompile(`INC-[0-9]+`),
		Approvals:      2,
		Approvers:      []grants.Principal{"group:db-leads", "carlos"},
		AutoApprove: grants.AutoApprove{Rules: []grants.Rule{{
			Name: "oncall-office-hours", Requesters: []grants.Principal{"group:oncall"},
			MaxDuration: time.Hour, Window: &w, Ticket: true,
		}}},
		PendingTTL:  2 * time.Hour,
		MaxSessions: 3,
		IdleTimeout: 15 * time.Minute,
	}
}
