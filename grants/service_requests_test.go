package grants

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateRequest(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Second)

	r := e.request(t, "alice", "db", 2*time.Hour)
	assert.Regexp(t, `^req_[a-z0-9]+$`, r.ID)
	assert.Equal(t, RequestPending, r.State)
	assert.Equal(t, e.clock.Now(), r.CreatedAt)
	assert.Equal(t, 2*time.Hour, r.Duration)

	stored, err := e.svc.Request(t.Context(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, stored)
	assert.Equal(t, "request.create", e.actions(t)[e.eventCount(t)-1])
	assert.Equal(t, []string{"request/pending"}, e.rec.all())
}

func TestCreateRequestRefuses(t *testing.T) {
	good := NewRequest{User: "alice", Resource: "db", Duration: time.Hour,
		Reason: "deploy the fix", CSR: []byte(testCSR)}
	tests := []struct {
		name    string
		change  func(*NewRequest)
		field   string
		problem string
		wantErr error
	}{
		{name: "unknown resource", change: func(n *NewRequest) { n.Resource = "x" },
			field: "resource", problem: `unknown resource "x"`},
		{name: "zero duration", change: func(n *NewRequest) { n.Duration = 0 },
			field: "duration", problem: "more than zero"},
		{name: "negative duration",
			change: func(n *NewRequest) { n.Duration = -time.Hour },
			field:  "duration", problem: "more than zero"},
		{name: "under a second",
			change: func(n *NewRequest) { n.Duration = time.Millisecond },
			field:  "duration", problem: "under the minimum of 1s"},
		{name: "over default cap",
			change: func(n *NewRequest) { n.Duration = 9 * time.Hour },
			field:  "duration", problem: "9h is over 8h, the longest grant"},
		{name: "over resource cap", change: func(n *NewRequest) {
			n.Resource, n.Duration = "prod", 61*time.Minute
		}, field: "duration", problem: "is over 1h, the longest grant"},
		{name: "empty reason", change: func(n *NewRequest) { n.Reason = " \t\n" },
			field: "reason", problem: "empty"},
		{name: "long reason", change: func(n *NewRequest) {
			n.Reason = strings.Repeat("é", maxReason+1)
		}, field: "reason", problem: "1024"},
		{name: "no csr", change: func(n *NewRequest) { n.CSR = nil }, field: "csr"},
		{name: "unknown user", change: func(n *NewRequest) { n.User = "nobody" },
			wantErr: ErrForbidden},
		{name: "not a requester", change: func(n *NewRequest) { n.User = "bob" },
			wantErr: ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.eventCount(t)
			n := good
			tc.change(&n)

			_, err := e.svc.CreateRequest(t.Context(), n)
			if tc.field != "" {
				in := requireInput(t, err, tc.field)
				assert.Contains(t, in.Problem, tc.problem)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}

			all, err := e.svc.Requests(t.Context(), RequestFilter{})
			require.NoError(t, err)
			assert.Empty(t, all, "bad input stored a request")
			assert.Equal(t, before, e.eventCount(t), "bad input wrote an event")
		})
	}
}

func TestCreateRequestAllowed(t *testing.T) {
	tests := []struct {
		name string
		n    NewRequest
	}{
		{"admin may request", NewRequest{User: "dave", Resource: "db",
			Duration: time.Minute, Reason: "look", CSR: []byte(testCSR)}},
		{"at the cap", NewRequest{User: "alice", Resource: "prod",
			Duration: time.Hour, Reason: "look", CSR: []byte(testCSR)}},
		{"longest reason", NewRequest{User: "alice", Resource: "db",
			Duration: time.Hour, Reason: strings.Repeat("é", maxReason),
			CSR: []byte(testCSR)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r, err := e.svc.CreateRequest(t.Context(), tc.n)
			require.NoError(t, err)
			assert.Equal(t, RequestPending, r.State)
		})
	}
}

func TestApproveStartsGrantAtApproval(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", 2*time.Hour)
	e.clock.Advance(30 * time.Minute)
	approvedAt := e.clock.Now()

	r, err := e.svc.Approve(t.Context(), r.ID, "bob", "  fine  ")
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
	assert.Equal(t, approvedAt, r.DecidedAt)
	require.Len(t, r.Decisions, 1)
	assert.Equal(t, Decision{Approver: "bob", Verdict: VerdictApprove, Comment: "fine",
		At: approvedAt}, r.Decisions[0])

	g, err := e.svc.Grant(t.Context(), r.GrantID)
	require.NoError(t, err)
	assert.Regexp(t, `^gr_[a-z0-9]+$`, g.ID)
	assert.Equal(t, approvedAt, g.NotBefore)
	assert.Equal(t, approvedAt.Add(2*time.Hour), g.NotAfter)
	assert.Equal(t, GrantActive, g.State)
	assert.Equal(t, []byte("certificate of "+g.ID), g.Certificate)

	require.Len(t, e.signer.grants, 1)
	assert.Equal(t, []byte(testCSR), e.signer.csrs[0])
	signed := g
	signed.Certificate = nil
	assert.Equal(t, signed, e.signer.grants[0])

	actions := e.actions(t)
	assert.Equal(t, []string{"request.create", "request.approve", "grant.activate"},
		actions[len(actions)-3:])
	assert.ElementsMatch(t,
		[]string{"request/pending", "request/approved", "grant/active"}, e.rec.all())
	assert.NoError(t, e.table.Check(g.ID, "alice", "db", approvedAt))
}

func TestTwoApprovers(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "prod", time.Hour)

	r, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State)
	assert.Empty(t, r.GrantID)

	_, err = e.svc.Approve(t.Context(), r.ID, "bob", "again")
	require.ErrorIs(t, err, ErrConflict)
	assert.Contains(t, err.Error(), "already approved by bob")

	e.clock.Advance(time.Minute)
	r, err = e.svc.Approve(t.Context(), r.ID, "dave", "")
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
	assert.Len(t, r.Decisions, 2)

	g, err := e.svc.Grant(t.Context(), r.GrantID)
	require.NoError(t, err)
	assert.Equal(t, e.clock.Now(), g.NotBefore, "the clock starts at the last approval")
}

func TestApproveRefuses(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(testing.TB, *env) string
		approver string
		wantErr  error
		message  string
	}{
		{"own request", func(tb testing.TB, e *env) string {
			return e.request(tb, "erin", "db", time.Hour).ID
		}, "erin", ErrForbidden, "cannot approve or deny own request"},
		{"not an approver", alicesRequest, "mallory", ErrForbidden, "lacks the approver"},
		{"unknown approver", alicesRequest, "nobody", ErrForbidden, "not known"},
		{"disabled approver", func(tb testing.TB, e *env) string {
			_, err := e.svc.DisableUser(tb.Context(), "dave", "carol")
			require.NoError(tb, err)
			return alicesRequest(tb, e)
		}, "carol", ErrForbidden, "disabled"},
		{"unknown request", func(testing.TB, *env) string { return "req_nope" },
			"bob", ErrNotFound, "req_nope"},
		{"already denied", func(tb testing.TB, e *env) string {
			id := alicesRequest(tb, e)
			_, err := e.svc.Deny(tb.Context(), id, "bob", "no")
			require.NoError(tb, err)
			return id
		}, "carol", ErrConflict, "is denied"},
		{"already approved", func(tb testing.TB, e *env) string {
			id := alicesRequest(tb, e)
			_, err := e.svc.Approve(tb.Context(), id, "bob", "")
			require.NoError(tb, err)
			return id
		}, "carol", ErrConflict, "is approved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := tc.prepare(t, e)
			before := e.eventCount(t)

			_, err := e.svc.Approve(t.Context(), id, tc.approver, "")
			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), tc.message)
			assert.Equal(t, before, e.eventCount(t), "a refusal wrote an event")
		})
	}
}

func alicesRequest(tb testing.TB, e *env) string {
	return e.request(tb, "alice", "db", time.Hour).ID
}

func TestSignerFailureRollsBackApproval(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", time.Hour)
	before := e.eventCount(t)
	e.signer.fail(errSign)

	_, err := e.svc.Approve(t.Context(), r.ID, "bob", "ok")
	require.ErrorIs(t, err, errSign)

	stored, err := e.svc.Request(t.Context(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, stored, "the request changed")
	grants, err := e.svc.Grants(t.Context(), GrantFilter{})
	require.NoError(t, err)
	assert.Empty(t, grants)
	assert.Equal(t, before, e.eventCount(t), "the approval's events survived")
	assert.Equal(t, []string{"request/pending"}, e.rec.all())

	e.signer.fail(nil)
	r, err = e.svc.Approve(t.Context(), r.ID, "bob", "ok")
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
}

func TestRacingApprovalsDecideOnce(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", time.Hour)

	approvers := []string{"bob", "carol", "dave", "erin"}
	errs := make([]error, len(approvers))
	var wg sync.WaitGroup
	for i, who := range approvers {
		wg.Go(func() {
			_, errs[i] = e.svc.Approve(t.Context(), r.ID, who, "")
		})
	}
	wg.Wait()

	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		assert.ErrorIs(t, err, ErrConflict)
	}
	assert.Equal(t, 1, won)
	grants, err := e.svc.Grants(t.Context(), GrantFilter{})
	require.NoError(t, err)
	assert.Len(t, grants, 1)
}

func TestDeny(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "prod", time.Hour)
	_, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.NoError(t, err)
	e.clock.Advance(time.Minute)

	r, err = e.svc.Deny(t.Context(), r.ID, "carol", " too risky ")
	require.NoError(t, err)
	assert.Equal(t, RequestDenied, r.State)
	assert.Equal(t, e.clock.Now(), r.DecidedAt)
	assert.Empty(t, r.GrantID)
	require.Len(t, r.Decisions, 2)
	assert.Equal(t, Decision{Approver: "carol", Verdict: VerdictDeny,
		Comment: "too risky", At: e.clock.Now()}, r.Decisions[1])

	stored, err := e.svc.Request(t.Context(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r, stored)
	assert.Equal(t, "request.deny", e.actions(t)[e.eventCount(t)-1])
	assert.Equal(t, []string{"request/pending", "request/denied"}, e.rec.all())
}

func TestDenyRefuses(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(testing.TB, *env) string
		approver string
		reason   string
		wantErr  error
	}{
		{"empty reason", alicesRequest, "bob", "  ", nil},
		{"own request", func(tb testing.TB, e *env) string {
			return e.request(tb, "erin", "db", time.Hour).ID
		}, "erin", "no", ErrForbidden},
		{"not an approver", alicesRequest, "mallory", "no", ErrForbidden},
		{"second decision", func(tb testing.TB, e *env) string {
			id := alicesRequest(tb, e)
			_, err := e.svc.Deny(tb.Context(), id, "bob", "no")
			require.NoError(tb, err)
			return id
		}, "carol", "no", ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := tc.prepare(t, e)
			before := e.eventCount(t)

			_, err := e.svc.Deny(t.Context(), id, tc.approver, tc.reason)
			if tc.wantErr == nil {
				requireInput(t, err, "reason")
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			assert.Equal(t, before, e.eventCount(t), "a refusal wrote an event")
		})
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", time.Hour)

	_, err := e.svc.Cancel(t.Context(), r.ID, "mallory")
	require.ErrorIs(t, err, ErrForbidden)

	r, err = e.svc.Cancel(t.Context(), r.ID, "alice")
	require.NoError(t, err)
	assert.Equal(t, RequestCancelled, r.State)
	assert.Equal(t, "request.cancel", e.actions(t)[e.eventCount(t)-1])

	_, err = e.svc.Cancel(t.Context(), r.ID, "alice")
	require.ErrorIs(t, err, ErrConflict)
	_, err = e.svc.Cancel(t.Context(), "req_nope", "alice")
	require.ErrorIs(t, err, ErrNotFound)
}

// TestFreeTextRefusesControlCharacters checks that what approvers and
// admins type is held to what requesters type: a terminal escape in a
// comment or a reason is refused, naming the field, and changes nothing.
func TestFreeTextRefusesControlCharacters(t *testing.T) {
	const forged = "ok\x1b[1A\x1b[2K  approved by dave"
	grantOf := func(tb testing.TB, e *env) string { return e.grant(tb).ID }
	tests := []struct {
		name    string
		field   string
		prepare func(testing.TB, *env) string
		act     func(context.Context, *Service, string) error
	}{
		{"approve comment", "comment", alicesRequest,
			func(ctx context.Context, s *Service, id string) error {
				_, err := s.Approve(ctx, id, "bob", forged)
				return err
			}},
		{"deny reason", "reason", alicesRequest,
			func(ctx context.Context, s *Service, id string) error {
				_, err := s.Deny(ctx, id, "bob", forged)
				return err
			}},
		{"revoke reason", "reason", grantOf,
			func(ctx context.Context, s *Service, id string) error {
				_, err := s.Revoke(ctx, id, "dave", forged)
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := tc.prepare(t, e)
			before := e.eventCount(t)

			err := tc.act(t.Context(), e.svc, id)
			in := requireInput(t, err, tc.field)
			assert.Contains(t, in.Problem, "U+001B at character 3")
			assert.Equal(t, before, e.eventCount(t), "a refusal wrote an event")
		})
	}
}

// TestDecidingAnOverdueRequestExpiresIt checks that a request past its
// pending TTL cannot be decided in the gap before the sweep: the decision
// expires it instead, as the sweep would, and says so.
func TestDecidingAnOverdueRequestExpiresIt(t *testing.T) {
	tests := []struct {
		name   string
		decide func(context.Context, *Service, string) (Request, error)
	}{
		{"approve", func(ctx context.Context, s *Service, id string) (Request, error) {
			return s.Approve(ctx, id, "bob", "")
		}},
		{"deny", func(ctx context.Context, s *Service, id string) (Request, error) {
			return s.Deny(ctx, id, "bob", "no")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			onTime := alicesRequest(t, e)
			late := alicesRequest(t, e)
			e.clock.Advance(DefaultPendingTTL)
			_, err := tc.decide(t.Context(), e.svc, onTime)
			require.NoError(t, err, "exactly TTL old is still in time, as for the sweep")

			e.clock.Advance(time.Second)
			_, err = tc.decide(t.Context(), e.svc, late)
			require.ErrorIs(t, err, ErrConflict)
			assert.ErrorContains(t, err, "expired: no decision within 24h")

			stored, err := e.svc.Request(t.Context(), late)
			require.NoError(t, err)
			assert.Equal(t, RequestExpired, stored.State)
			assert.Empty(t, stored.Decisions)
			assert.Equal(t, "request.expire", e.actions(t)[e.eventCount(t)-1])
		})
	}
}

// TestPendingRequestsPerUserAreCapped checks that one requester cannot
// flood the store and the approvers' lists with pending requests, and that
// the cap is theirs alone.
func TestPendingRequestsPerUserAreCapped(t *testing.T) {
	e := newEnv(t)
	var first Request
	for i := range MaxPendingPerUser {
		r := e.request(t, "alice", "db", time.Hour)
		if i == 0 {
			first = r
		}
	}
	before := e.eventCount(t)

	_, err := e.svc.CreateRequest(t.Context(), NewRequest{User: "alice",
		Resource: "db", Duration: time.Hour, Reason: "one more", CSR: []byte(testCSR)})
	require.ErrorIs(t, err, ErrConflict)
	assert.ErrorContains(t, err, `user "alice" has 20 requests pending`)
	assert.Equal(t, before, e.eventCount(t), "a refusal wrote an event")

	e.request(t, "mallory", "db", time.Hour)
	_, err = e.svc.Cancel(t.Context(), first.ID, "alice")
	require.NoError(t, err)
	e.request(t, "alice", "db", time.Hour)

	withPolicies(t, e, Policy{AutoApprove: AutoApprove{Always: true}})
	r := e.request(t, "alice", "db", time.Hour)
	assert.Equal(t, RequestApproved, r.State, "a request that does not wait")
}

// TestApproveUnderTheCurrentPolicy checks that a pending request is decided
// under the requester and policy as they are now, not as they were when it
// was made.
func TestApproveUnderTheCurrentPolicy(t *testing.T) {
	tests := []struct {
		name     string
		change   func(testing.TB, *env)
		wantErr  string
		duration time.Duration
	}{
		{name: "unchanged", duration: 2 * time.Hour},
		{name: "requester role removed", change: func(tb testing.TB, e *env) {
			_, err := e.svc.UpdateUser(tb.Context(), "dave", "alice",
				UserChange{Roles: []Role{RoleApprover}})
			require.NoError(tb, err)
		}, wantErr: `user "alice" may not request db now`},
		{name: "requesters narrowed", change: func(tb testing.TB, e *env) {
			setPolicy(tb, e, Policy{Requesters: []Principal{"mallory"}})
		}, wantErr: `user "alice" may not request db now`},
		{name: "maximum lowered", change: func(tb testing.TB, e *env) {
			setPolicy(tb, e, Policy{MaxDuration: 30 * time.Minute})
		}, wantErr: "2h is over 30m, the longest grant of resource"},
		{name: "maximum lowered, capping", change: func(tb testing.TB, e *env) {
			setPolicy(tb, e, Policy{MaxDuration: 30 * time.Minute, Cap: true})
		}, duration: 30 * time.Minute},
		{name: "ticket now required", change: func(tb testing.TB, e *env) {
			setPolicy(tb, e, Policy{TicketPattern: regexp.MustCompile(`INC-[0-9]+`)})
		}, wantErr: `invalid ticket: required by resource "db"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.request(t, "alice", "db", 2*time.Hour)
			if tc.change != nil {
				tc.change(t, e)
			}

			got, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
			if tc.wantErr != "" {
				require.ErrorIs(t, err, ErrConflict)
				assert.ErrorContains(t, err, tc.wantErr)
				r, err = e.svc.Request(t.Context(), r.ID)
				require.NoError(t, err)
				assert.Equal(t, RequestPending, r.State, "a refused approval changed the request")
				assert.Empty(t, r.Decisions, "a refused approval was recorded")
				return
			}
			require.NoError(t, err)
			g, err := e.svc.Grant(t.Context(), got.GrantID)
			require.NoError(t, err)
			assert.Equal(t, tc.duration, g.NotAfter.Sub(g.NotBefore))
		})
	}
}

// setPolicy gives the resource db policy p.
func setPolicy(tb testing.TB, e *env, p Policy) {
	tb.Helper()
	require.NoError(tb, e.svc.SetResources([]Resource{{Name: "db", Policy: p},
		testResources[1]}))
}

// TestARepeatedApprovalCompletesARequestThatNowHasEnough has an approval
// stop counting and count again: the request then has the approvals it
// needs, and the approver's second approval completes it instead of a 409.
func TestARepeatedApprovalCompletesARequestThatNowHasEnough(t *testing.T) {
	e := newEnv(t)
	setPolicy(t, e, Policy{Approvals: 2, Approvers: []Principal{"group:leads"}})
	setGroups := func(name string, groups ...string) {
		_, err := e.svc.UpdateUser(t.Context(), "dave", name, UserChange{Groups: append([]string{}, groups...)})
		require.NoError(t, err)
	}
	setGroups("bob", "leads")
	setGroups("carol", "leads")
	r := e.request(t, "alice", "db", time.Hour)

	_, err := e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.NoError(t, err)
	_, err = e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.ErrorIs(t, err, ErrConflict, "bob's one approval is not enough")
	setGroups("bob")
	r, err = e.svc.Approve(t.Context(), r.ID, "carol", "")
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State, "bob's approval no longer counts")

	setGroups("bob", "leads")
	r, err = e.svc.Approve(t.Context(), r.ID, "bob", "")
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, r.State)
	assert.NotEmpty(t, r.GrantID)
}
