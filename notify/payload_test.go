package notify

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// mapReader serves fixed requests and grants.
type mapReader struct {
	requests map[string]grants.Request
	grants   map[string]grants.Grant
}

func (m mapReader) Request(_ context.Context, id string) (grants.Request, error) {
	r, ok := m.requests[id]
	if !ok {
		return grants.Request{}, fmt.Errorf("request %s: %w", id, grants.ErrNotFound)
	}
	return r, nil
}

func (m mapReader) Grant(_ context.Context, id string) (grants.Grant, error) {
	g, ok := m.grants[id]
	if !ok {
		return grants.Grant{}, fmt.Errorf("grant %s: %w", id, grants.ErrNotFound)
	}
	return g, nil
}

var created = time.Date(2031, 3, 4, 9, 26, 53, 0, time.UTC)

// fixtures returns a reader with a request in every state and a grant in
// every state.
func fixtures() mapReader {
	decided := created.Add(4 * time.Minute)
	base := grants.Request{ID: "req_pending", User: "alice", Resource: "db",
		Duration: time.Hour, Reason: "<!channel> fix orders & invoices",
		State: grants.RequestPending, CreatedAt: created, CSR: []byte("never shown"),
		Decisions: []grants.Decision{}}
	rd := mapReader{
		requests: map[string]grants.Request{},
		grants:   map[string]grants.Grant{},
	}
	rd.requests[base.ID] = base

	for _, st := range []grants.RequestState{grants.RequestDenied,
		grants.RequestExpired, grants.RequestCancelled, grants.RequestApproved} {
		r := base
		r.ID, r.State, r.DecidedAt = "req_"+string(st), st, decided
		rd.requests[r.ID] = r
	}
	denied := rd.requests["req_denied"]
	denied.Decisions = []grants.Decision{{Approver: "bob", Verdict: grants.VerdictDeny,
		Comment: "use the replica", At: decided}}
	rd.requests[denied.ID] = denied

	for _, st := range []grants.GrantState{grants.GrantActive, grants.GrantRevoked,
		grants.GrantReleased, grants.GrantExpired} {
		rd.addGrant(st, decided)
	}
	return rd
}

// addGrant adds a grant in state st with its approved request.
func (m mapReader) addGrant(st grants.GrantState, decided time.Time) {
	r := m.requests["req_approved"]
	r.ID, r.GrantID = "req_for_"+string(st), "gr_"+string(st)
	r.Decisions = []grants.Decision{{Approver: "bob", Verdict: grants.VerdictApprove,
		At: decided}}
	m.requests[r.ID] = r

	g := grants.Grant{ID: r.GrantID, RequestID: r.ID, User: "alice", Resource: "db",
		NotBefore: decided, NotAfter: decided.Add(time.Hour), State: st,
		Certificate: []byte("never shown")}
	switch st {
	case grants.GrantRevoked:
		g.EndedAt, g.EndedBy, g.EndReason = decided.Add(time.Minute), "dave", "incident <42>"
	case grants.GrantReleased:
		g.EndedAt, g.EndedBy, g.EndReason = decided.Add(time.Minute), "alice", "done"
	case grants.GrantExpired:
		g.EndedAt, g.EndReason = g.NotAfter, "reached its end"
	}
	m.grants[g.ID] = g
}

// auditSamples is one audit event of every action that becomes a webhook
// event.
var auditSamples = []grants.Event{
	{Seq: 1, Actor: "alice", Action: "request.create", Subject: "req_pending"},
	{Seq: 2, Actor: "bob", Action: "grant.activate", Subject: "gr_active"},
	{Seq: 3, Actor: "bob", Action: "request.deny", Subject: "req_denied"},
	{Seq: 4, Actor: "system", Action: "request.expire", Subject: "req_expired"},
	{Seq: 5, Actor: "alice", Action: "request.cancel", Subject: "req_cancelled"},
	{Seq: 6, Actor: "dave", Action: "grant.revoke", Subject: "gr_revoked"},
	{Seq: 7, Actor: "alice", Action: "grant.release", Subject: "gr_released"},
	{Seq: 8, Actor: "system", Action: "grant.expire", Subject: "gr_expired"},
}

// TestPayloadsGolden renders every event in both formats. Regenerate with
// go test ./notify -run Golden -update.
func TestPayloadsGolden(t *testing.T) {
	rd := fixtures()
	for _, f := range []Format{FormatJSON, FormatSlack} {
		t.Run(string(f), func(t *testing.T) {
			w := &worker{hook: Webhook{Format: f}}
			var out strings.Builder
			for _, e := range auditSamples {
				e.At = created.Add(time.Duration(e.Seq) * time.Minute)
				p, err := load(t.Context(), rd, e, kinds[e.Action])
				require.NoError(t, err)
				body, err := w.encode(p)
				require.NoError(t, err)
				fmt.Fprintf(&out, "%s\n%s\n\n", e.Action, body)
			}
			golden(t, "payloads_"+string(f)+".golden", out.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

func TestEveryAuditSampleHasAKind(t *testing.T) {
	var seen []string
	for _, e := range auditSamples {
		k, ok := kinds[e.Action]
		require.True(t, ok, e.Action)
		seen = append(seen, k.event)
	}
	assert.ElementsMatch(t, EventNames(), seen)
}

func TestLoadReportsAMissingSubject(t *testing.T) {
	tests := []grants.Event{
		{Seq: 1, Action: "request.create", Subject: "req_gone"},
		{Seq: 2, Action: "grant.revoke", Subject: "gr_gone"},
	}
	for _, e := range tests {
		t.Run(e.Action, func(t *testing.T) {
			_, err := load(t.Context(), fixtures(), e, kinds[e.Action])
			assert.ErrorIs(t, err, grants.ErrNotFound)
		})
	}
}
