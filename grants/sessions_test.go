package grants

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conditionedGrant gives alice an active hour on db under p, approved by
// bob.
func conditionedGrant(tb testing.TB, e *env, p Policy) Grant {
	tb.Helper()
	withPolicies(tb, e, p)
	return e.grant(tb)
}

func TestOpenSessionCountsAgainstMaxSessions(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{MaxSessions: 2})
	now := e.clock.Now()
	require.NoError(t, e.table.Check(g.ID, "alice", "db", now))

	require.NoError(t, e.table.OpenSession(g.ID, now))
	require.NoError(t, e.table.OpenSession(g.ID, now))
	err := e.table.OpenSession(g.ID, now)
	assert.ErrorIs(t, err, ErrSessionLimit)
	assert.Equal(t, "session_limit", Reason(err))
	assert.NoError(t, e.table.Check(g.ID, "alice", "db", now),
		"the grant itself stays valid")

	stored, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, stored.Sessions)
	assert.Equal(t, []string{"grant.session", "grant.session"},
		e.actions(t)[e.eventCount(t)-2:])
}

func TestSessionCountSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{MaxSessions: 1})
	require.NoError(t, e.table.OpenSession(g.ID, e.clock.Now()))

	e.start(t)

	err := e.table.OpenSession(g.ID, e.clock.Now())
	assert.ErrorIs(t, err, ErrSessionLimit)
}

func TestOpenSessionRefusesEndedGrants(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{MaxSessions: 3})
	_, err := e.svc.Revoke(t.Context(), g.ID, "dave", "incident")
	require.NoError(t, err)

	err = e.table.OpenSession(g.ID, e.clock.Now())
	assert.ErrorIs(t, err, ErrGrantRevoked)
	assert.ErrorIs(t, e.table.OpenSession("gr_nope", e.clock.Now()), ErrUnknownGrant)
}

func TestOpenSessionFailsClosed(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{MaxSessions: 3})
	require.NoError(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()))
	require.NoError(t, e.store.Close())

	err := e.table.OpenSession(g.ID, e.clock.Now())
	assert.ErrorIs(t, err, ErrStoreUnavailable)
}

func TestOpenSessionWithoutLimitAllocatesNothing(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	now := e.clock.Now()
	require.NoError(t, e.table.Check(g.ID, "alice", "db", now))
	before := e.eventCount(t)

	allocs := testing.AllocsPerRun(100, func() {
		if err := e.table.OpenSession(g.ID, now); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, before, e.eventCount(t), "an unlimited grant writes nothing")
}

func TestIdleGrantEnds(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{IdleTimeout: 10 * time.Minute})
	require.NoError(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()))

	e.clock.Advance(5 * time.Minute)
	traffic := e.clock.Now()
	e.table.Activity(g.ID, traffic)
	e.clock.Advance(6 * time.Minute)
	require.NoError(t, e.svc.Sweep(t.Context()))
	stored, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantActive, stored.State, "traffic 6m ago keeps it")
	assert.Equal(t, traffic, stored.LastActive, "the sweep stores the traffic")

	e.start(t)
	e.clock.Advance(4*time.Minute + time.Second)
	require.NoError(t, e.svc.Sweep(t.Context()))

	stored, err = e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantExpired, stored.State, "a restart keeps the stored traffic")
	assert.Equal(t, "idle", stored.EndReason)
	assert.Equal(t, traffic.Add(10*time.Minute), stored.EndedAt)
	assert.Equal(t, []Change{{GrantID: g.ID, State: GrantExpired, NotAfter: g.NotAfter}},
		e.changes.all())
	assert.ErrorIs(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()), ErrGrantExpired)
}

func TestIdleGrantWithoutTrafficEndsAfterTimeout(t *testing.T) {
	e := newEnv(t)
	g := conditionedGrant(t, e, Policy{IdleTimeout: 10 * time.Minute})

	e.clock.Advance(10 * time.Minute)
	require.NoError(t, e.svc.Sweep(t.Context()))

	stored, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantExpired, stored.State)
	assert.Equal(t, g.NotBefore.Add(10*time.Minute), stored.EndedAt)
}

func TestActivityIgnoresGrantsWithoutIdleTimeout(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	require.NoError(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()))

	e.table.Activity(g.ID, e.clock.Now())

	assert.True(t, e.table.activity.last(g.ID).IsZero())
}

func TestActivityKeepsTheLatest(t *testing.T) {
	var a activity
	at := mondayMorning
	a.record("gr_1", at)
	a.record("gr_1", at.Add(-time.Minute))
	assert.Equal(t, at, a.last("gr_1"))

	a.record("gr_2", at)
	a.keep([]string{"gr_2"})
	assert.True(t, a.last("gr_1").IsZero())
	assert.Equal(t, at, a.last("gr_2"))
}
