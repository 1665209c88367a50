package grants

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The people of the policy tests.
var (
	alice = User{Name: "alice", Roles: []Role{RoleRequester}, Groups: []string{"dev"}}
	olga  = User{Name: "olga", Roles: []Role{RoleRequester},
		Groups: []string{"dev", "oncall"}}
	bob    = User{Name: "bob", Roles: []Role{RoleApprover}, Groups: []string{"db-leads"}}
	gone   = User{Name: "gone", Roles: []Role{RoleRequester}, Disabled: true}
	carlos = User{Name: "carlos", Roles: []Role{RoleApprover}}
)

// Instants of the policy tests: a Monday inside office hours in Berlin
// just after the change to summer time, which a fixed offset would put
// before opening, and the Friday before at the same UTC time, which is
// before opening.
var (
	mondayMorning = utc(2025, 3, 31, 6, 30)
	fridayEarly   = utc(2025, 3, 28, 6, 30)
	saturdayNoon  = utc(2025, 3, 29, 11, 0)
)

// oncallRule approves on-call engineers with a ticket, for an hour, in
// Berlin office hours.
func oncallRule(tb testing.TB) Rule {
	return Rule{
		Name:        "oncall-office-hours",
		Requesters:  []Principal{"group:oncall"},
		MaxDuration: time.Hour,
		Window:      mustWindow(tb, "Mon-Fri 08:00-18:00 Europe/Berlin"),
		Ticket:      true,
	}
}

// ask is the request of the policy tests: user asks for db for d.
func ask(u User, d time.Duration) NewRequest {
	return NewRequest{User: u.Name, Resource: "db", Duration: d,
		Reason: "fix the index", CSR: []byte(testCSR)}
}

func withTicket(n NewRequest, ticket string) NewRequest {
	n.Ticket = ticket
	return n
}

func withReason(n NewRequest, reason string) NewRequest {
	n.Reason = reason
	return n
}

func TestEvaluate(t *testing.T) {
	incident := regexp.MustCompile(`INC-[0-9]+`)
	rules := AutoApprove{Rules: []Rule{
		oncallRule(t),
		{Name: "dev-short", Requesters: []Principal{"group:dev"},
			MaxDuration: 15 * time.Minute},
	}}
	leads := Policy{Approvals: 2, Approvers: []Principal{"group:db-leads", "carlos"}}

	tests := []struct {
		name     string
		policy   Policy
		who      User
		req      NewRequest
		at       time.Time
		outcome  Outcome
		duration time.Duration
		rule     string
		field    string // of the *InputError of a refusal
		reason   string // one of the reasons contains it
	}{
		{name: "defaults: one approval", who: alice, req: ask(alice, time.Hour),
			outcome: OutcomePending, reason: "needs 1 approval from any approver"},
		{name: "requesters: group member", who: olga, req: ask(olga, time.Hour),
			policy:  Policy{Requesters: []Principal{"group:oncall"}},
			outcome: OutcomePending},
		{name: "requesters: outsider", who: alice, req: ask(alice, time.Hour),
			policy:  Policy{Requesters: []Principal{"group:oncall", "olga"}},
			outcome: OutcomeRefused, reason: "requesters: group:oncall, olga"},
		{name: "requesters: by name", who: alice, req: ask(alice, time.Hour),
			policy:  Policy{Requesters: []Principal{"alice"}},
			outcome: OutcomePending},
		{name: "not a requester", who: bob, req: ask(bob, time.Hour),
			outcome: OutcomeRefused, reason: "may not request"},
		{name: "disabled", who: gone, req: ask(gone, time.Hour),
			outcome: OutcomeRefused, reason: "may not request"},
		{name: "zero duration", who: alice, req: ask(alice, 0),
			outcome: OutcomeRefused, field: "duration"},
		{name: "over the default maximum", who: alice, req: ask(alice, 9*time.Hour),
			outcome: OutcomeRefused, field: "duration",
			reason: "9h is over 8h, the longest grant"},
		{name: "over max_duration", who: alice, req: ask(alice, 3*time.Hour),
			policy:  Policy{MaxDuration: 2 * time.Hour},
			outcome: OutcomeRefused, field: "duration",
			reason: "3h is over 2h, the longest grant"},
		{name: "cap shortens", who: alice, req: ask(alice, 3*time.Hour),
			policy:  Policy{MaxDuration: 2 * time.Hour, Cap: true},
			outcome: OutcomePending, duration: 2 * time.Hour,
			reason: "shortened to the 2h maximum"},
		{name: "reason required", who: alice, req: withReason(ask(alice, time.Hour), ""),
			outcome: OutcomeRefused, field: "reason"},
		{name: "reason optional", who: alice, req: withReason(ask(alice, time.Hour), ""),
			policy: Policy{ReasonOptional: true}, outcome: OutcomePending},
		{name: "optional reason still bounded", who: alice,
			req:     withReason(ask(alice, time.Hour), strings.Repeat("x", maxReason+1)),
			policy:  Policy{ReasonOptional: true},
			outcome: OutcomeRefused, field: "reason"},
		{name: "reason with a terminal escape", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\x1b[2Japproved by bob"),
			outcome: OutcomeRefused, field: "reason", reason: "U+001B at character 4"},
		{name: "reason over two lines", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\rapproved"),
			outcome: OutcomeRefused, field: "reason", reason: "U+000D"},
		{name: "reason with a c1 control", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\u009b2J"),
			outcome: OutcomeRefused, field: "reason", reason: "U+009B"},
		{name: "reason with a bidi override", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix \u202edeppots"),
			outcome: OutcomeRefused, field: "reason", reason: "U+202E"},
		{name: "reason with a zero-width space", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\u200bapproved"),
			outcome: OutcomeRefused, field: "reason", reason: "U+200B"},
		{name: "reason with a line separator", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\u2028approved by bob"),
			outcome: OutcomeRefused, field: "reason", reason: "U+2028"},
		{name: "reason with a tag character", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\U000E0041"),
			outcome: OutcomeRefused, field: "reason", reason: "U+E0041"},
		{name: "reason with a byte order mark", who: alice,
			req:     withReason(ask(alice, time.Hour), "\ufefffix"),
			outcome: OutcomeRefused, field: "reason", reason: "U+FEFF"},
		{name: "reason with a hangul filler", who: alice,
			req:     withReason(ask(alice, time.Hour), "fixㅤapproved"),
			outcome: OutcomeRefused, field: "reason", reason: "U+3164"},
		{name: "reason with a combining grapheme joiner", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix͏"),
			outcome: OutcomeRefused, field: "reason", reason: "U+034F"},
		{name: "reason with a run of variation selectors", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix ⚠️󠄀󠄁"),
			outcome: OutcomeRefused, field: "reason", reason: "U+E0100 at character 7"},
		{name: "reason starting with a variation selector", who: alice,
			req:     withReason(ask(alice, time.Hour), "️fix"),
			outcome: OutcomeRefused, field: "reason", reason: "U+FE0F at character 1"},
		{name: "reason with a variation selector after a space", who: alice,
			req:     withReason(ask(alice, time.Hour), "a \ufe0f"),
			outcome: OutcomeRefused, field: "reason", reason: "U+FE0F at character 3"},
		{name: "reason of a blank braille pattern", who: alice,
			req:     withReason(ask(alice, time.Hour), "\u2800"),
			outcome: OutcomeRefused, field: "reason", reason: "U+2800"},
		{name: "reason with a private-use character", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\ue000"),
			outcome: OutcomeRefused, field: "reason", reason: "U+E000"},
		{name: "reason with a non-character", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\ufffe"),
			outcome: OutcomeRefused, field: "reason", reason: "U+FFFE"},
		{name: "reason with an unassigned code point", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\U0003fffd"),
			outcome: OutcomeRefused, field: "reason", reason: "U+3FFFD"},
		{name: "reason with spaces of other scripts", who: alice,
			req:     withReason(ask(alice, time.Hour), "fix\u00a0the\u3000index"),
			outcome: OutcomePending},
		{name: "reason with an emoji", who: alice,
			req:     withReason(ask(alice, time.Hour), "⚠️ db down"),
			outcome: OutcomePending},
		{name: "reason in any script", who: alice,
			req:     withReason(ask(alice, time.Hour), "réparer l’index, 修复索引"),
			outcome: OutcomePending},
		{name: "ticket required", who: alice, req: ask(alice, time.Hour),
			policy:  Policy{TicketPattern: incident},
			outcome: OutcomeRefused, field: "ticket", reason: "required"},
		{name: "ticket matches", who: alice,
			req:    withTicket(ask(alice, time.Hour), "INC-42"),
			policy: Policy{TicketPattern: incident}, outcome: OutcomePending},
		{name: "ticket must match whole", who: alice,
			req:     withTicket(ask(alice, time.Hour), "INC-42x"),
			policy:  Policy{TicketPattern: incident},
			outcome: OutcomeRefused, field: "ticket", reason: "does not match"},
		{name: "ticket matches a later alternative whole", who: alice,
			req:     withTicket(ask(alice, time.Hour), "INC-12"),
			policy:  Policy{TicketPattern: regexp.MustCompile(`INC-1|INC-12`)},
			outcome: OutcomePending},
		{name: "ticket matches no alternative whole", who: alice,
			req:     withTicket(ask(alice, time.Hour), "INC-123"),
			policy:  Policy{TicketPattern: regexp.MustCompile(`INC-1|INC-12`)},
			outcome: OutcomeRefused, field: "ticket", reason: "does not match"},
		{name: "ticket must match from the start", who: alice,
			req:     withTicket(ask(alice, time.Hour), "see INC-42"),
			policy:  Policy{TicketPattern: incident},
			outcome: OutcomeRefused, field: "ticket"},
		{name: "free ticket without control characters", who: alice,
			req:     withTicket(ask(alice, time.Hour), "INC\n42"),
			outcome: OutcomeRefused, field: "ticket", reason: "U+000A"},
		{name: "free ticket bounded", who: alice,
			req:     withTicket(ask(alice, time.Hour), strings.Repeat("t", maxTicket+1)),
			outcome: OutcomeRefused, field: "ticket"},
		{name: "always", who: alice, req: ask(alice, time.Hour),
			policy:  Policy{AutoApprove: AutoApprove{Always: true}},
			outcome: OutcomeApproved, rule: RuleAlways},
		{name: "always with cap", who: alice, req: ask(alice, 3*time.Hour),
			policy: Policy{MaxDuration: time.Hour, Cap: true,
				AutoApprove: AutoApprove{Always: true}},
			outcome: OutcomeApproved, rule: RuleAlways, duration: time.Hour},
		{name: "always still refuses outsiders", who: alice, req: ask(alice, time.Hour),
			policy: Policy{Requesters: []Principal{"olga"},
				AutoApprove: AutoApprove{Always: true}},
			outcome: OutcomeRefused},
		{name: "rule: every condition holds", who: olga,
			req:    withTicket(ask(olga, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: mondayMorning,
			outcome: OutcomeApproved, rule: "oncall-office-hours"},
		{name: "rule: grant ends with the window", who: olga,
			req:    withTicket(ask(olga, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: utc(2025, 3, 31, 15, 40),
			outcome: OutcomeApproved, rule: "oncall-office-hours",
			duration: 20 * time.Minute, reason: "duration 1h shortened to 20m: " +
				"rule oncall-office-hours holds only until Mon 18:00 in Europe/Berlin"},
		{name: "rule: window closing in under a second does not apply", who: olga,
			req:    withTicket(ask(olga, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: utc(2025, 3, 31, 15, 59).Add(59900 * time.Millisecond),
			outcome: OutcomePending,
			reason:  "Mon-Fri 08:00-18:00 Europe/Berlin closes in less than 1s"},
		{name: "rule: window end in the hour clocks skip", who: olga,
			req: withTicket(ask(olga, 4*time.Hour), "INC-1"),
			policy: Policy{AutoApprove: AutoApprove{Rules: []Rule{{Name: "night",
				Window: mustWindow(t, "Sun 01:00-02:30 America/New_York")}}}},
			at: utc(2025, 3, 9, 6, 50), outcome: OutcomeApproved, rule: "night",
			duration: 10 * time.Minute, reason: "shortened to 10m"},
		{name: "rule: window read in Berlin time across DST", who: olga,
			req:    withTicket(ask(olga, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: fridayEarly,
			outcome: OutcomePending, reason: "Fri 07:30 in Europe/Berlin is outside"},
		{name: "rule: weekend", who: olga,
			req:    withTicket(ask(olga, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: saturdayNoon,
			outcome: OutcomePending, reason: "outside Mon-Fri 08:00-18:00"},
		{name: "rule: too long", who: olga,
			req:    withTicket(ask(olga, 2*time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: mondayMorning,
			outcome: OutcomePending, reason: "duration 2h is over 1h"},
		{name: "rule: no ticket falls to the next rule", who: olga,
			req:    ask(olga, 10*time.Minute),
			policy: Policy{AutoApprove: rules}, at: mondayMorning,
			outcome: OutcomeApproved, rule: "dev-short"},
		{name: "rule: no ticket and too long for the next", who: olga,
			req:    ask(olga, time.Hour),
			policy: Policy{AutoApprove: rules}, at: mondayMorning,
			outcome: OutcomePending, reason: "no ticket was given"},
		{name: "rule: not in the group", who: alice,
			req:    withTicket(ask(alice, time.Hour), "INC-1"),
			policy: Policy{AutoApprove: rules}, at: mondayMorning,
			outcome: OutcomePending, reason: "alice is not one of group:oncall"},
		{name: "rule: cap first, then the rule's limit", who: olga,
			req:    withTicket(ask(olga, 3*time.Hour), "INC-1"),
			policy: Policy{MaxDuration: 2 * time.Hour, Cap: true, AutoApprove: rules},
			at:     mondayMorning, outcome: OutcomePending, duration: 2 * time.Hour,
			reason: "duration 2h is over 1h"},
		{name: "rule missed: manual fallback names the approvers", who: olga,
			req: ask(olga, 2*time.Hour),
			policy: Policy{Approvals: leads.Approvals, Approvers: leads.Approvers,
				AutoApprove: rules},
			at: saturdayNoon, outcome: OutcomePending,
			reason: "needs 2 approvals from group:db-leads, carlos"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.at
			if at.IsZero() {
				at = mondayMorning
			}
			ev := Evaluate(tc.policy, tc.who, tc.req, at)

			assert.Equal(t, tc.outcome, ev.Outcome, ev.Reasons)
			assert.Equal(t, tc.rule, ev.Rule)
			if tc.duration != 0 {
				assert.Equal(t, tc.duration, ev.Duration)
			} else if ev.Outcome != OutcomeRefused {
				assert.Equal(t, tc.req.Duration, ev.Duration)
			}
			checkRefusal(t, ev, tc.field)
			if tc.reason != "" {
				assert.Contains(t, strings.Join(ev.Reasons, "\n"), tc.reason)
			}
		})
	}
}

// checkRefusal asserts that ev carries an error exactly when it is a
// refusal: an *InputError about field, or ErrForbidden when field is "".
func checkRefusal(tb testing.TB, ev Evaluation, field string) {
	tb.Helper()
	if ev.Outcome != OutcomeRefused {
		assert.NoError(tb, ev.Err)
		return
	}
	require.Error(tb, ev.Err)
	if field == "" {
		assert.ErrorIs(tb, ev.Err, ErrForbidden)
		return
	}
	_ = requireInput(tb, ev.Err, field)
}

func TestEvaluateIsPure(t *testing.T) {
	p := Policy{AutoApprove: AutoApprove{Rules: []Rule{oncallRule(t)}}}
	n := withTicket(ask(olga, time.Hour), "INC-1")

	first := Evaluate(p, olga, n, mondayMorning)
	assert.Equal(t, first, Evaluate(p, olga, n, mondayMorning))
	assert.Equal(t, OutcomePending, Evaluate(p, olga, n, fridayEarly).Outcome,
		"only the clock argument changed")
}

func TestMayDecide(t *testing.T) {
	r := Request{ID: "req_1", User: "alice", Resource: "db"}
	leads := Policy{Approvers: []Principal{"group:db-leads"}}
	admin := User{Name: "dave", Roles: []Role{RoleAdmin}}
	both := User{Name: "alice", Roles: []Role{RoleRequester, RoleApprover},
		Groups: []string{"db-leads"}}
	disabled := bob
	disabled.Disabled = true

	tests := []struct {
		name   string
		policy Policy
		who    User
		want   string // "" when allowed
	}{
		{"any approver", Policy{}, carlos, ""},
		{"admin counts as approver", Policy{}, admin, ""},
		{"listed group", leads, bob, ""},
		{"outside the list", leads, carlos, "not an approver of db"},
		{"admin outside the list", leads, admin, "not an approver of db"},
		{"listed by name", Policy{Approvers: []Principal{"carlos"}}, carlos, ""},
		{"own request", leads, both, "own request"},
		{"requester only", Policy{}, olga, "lacks the approver role"},
		{"disabled", leads, disabled, "disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.MayDecide(tc.who, r)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrForbidden)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestTally(t *testing.T) {
	at := mondayMorning
	approve := func(who string) Decision {
		return Decision{Approver: who, Verdict: VerdictApprove, At: at}
	}
	leads := Policy{Approvals: 2, Approvers: []Principal{"group:db-leads"}}
	named := Policy{Approvals: 2, Approvers: []Principal{"bob", "lena"}}
	withAlice := Policy{Approvers: []Principal{"alice", "bob"}}
	withDora := Policy{Approvals: 2, Approvers: []Principal{"bob", "dora"}}
	lena := User{Name: "lena", Roles: []Role{RoleApprover}, Groups: []string{"db-leads"}}
	dora := lena
	dora.Name, dora.Disabled = "dora", true
	current := map[string]User{}
	for _, u := range []User{alice, bob, carlos, lena, dora} {
		current[u.Name] = u
	}

	tests := []struct {
		name      string
		policy    Policy
		decisions []Decision
		have      int
		done      bool
		text      string
	}{
		{"none yet", leads, nil, 0, false, "needs 2 approvals from group:db-leads"},
		{"one", leads, []Decision{approve("bob")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"same person twice counts once", leads,
			[]Decision{approve("bob"), approve("bob")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"requester never counts", leads,
			[]Decision{approve("alice"), approve("bob")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"denials do not count", leads, []Decision{{Approver: "bob",
			Verdict: VerdictDeny, At: at}}, 0, false,
			"needs 2 approvals from group:db-leads"},
		{"enough", leads, []Decision{approve("bob"), approve("lena")}, 2, true,
			"has the approvals it needs"},
		{"one who left the approvers no longer counts", leads,
			[]Decision{approve("bob"), approve("carlos")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"one disabled since no longer counts", leads,
			[]Decision{approve("dora"), approve("bob")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"one no longer known does not count", leads,
			[]Decision{approve("bob"), approve("ghost")}, 1, false,
			"needs 1 more approval from group:db-leads"},
		{"named approvers who approved are not asked again", named,
			[]Decision{approve("bob")}, 1, false, "needs 1 more approval from lena"},
		{"the requester is not asked", withAlice, nil, 0, false,
			"needs 1 approval from bob"},
		{"no named approver left", withDora, []Decision{approve("bob"), approve("dora")},
			1, false, "needs 1 more approval, and every approver the policy names has " +
				"approved or made the request"},
		{"default policy", Policy{}, nil, 0, false, "needs 1 approval from any approver"},
		{"default policy takes any approver", Policy{},
			[]Decision{approve("carlos")}, 1, true, "has the approvals it needs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{User: "alice", Decisions: tc.decisions}
			p := Tally(tc.policy, r, current)
			assert.Equal(t, tc.have, p.Have)
			assert.Equal(t, tc.done, p.Done())
			assert.Equal(t, tc.text, p.String())
		})
	}
}
