package grants

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepExpiresRequests(t *testing.T) {
	e := newEnv(t)
	old := e.request(t, "alice", "db", time.Hour)
	e.clock.Advance(time.Minute)
	young := e.request(t, "alice", "db", time.Hour)
	e.clock.Advance(DefaultPendingTTL)

	require.NoError(t, e.svc.Sweep(t.Context()))

	r, err := e.svc.Request(t.Context(), old.ID)
	require.NoError(t, err)
	assert.Equal(t, RequestExpired, r.State)
	assert.Equal(t, e.clock.Now(), r.DecidedAt)
	r, err = e.svc.Request(t.Context(), young.ID)
	require.NoError(t, err)
	assert.Equal(t, RequestPending, r.State, "a request exactly TTL old expired")

	assert.Equal(t, "request.expire", e.actions(t)[e.eventCount(t)-1])
	assert.Contains(t, e.rec.all(), "request/expired")
}

func TestSweepExpiresGrants(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	e.clock.Advance(time.Hour - time.Second)

	require.NoError(t, e.svc.Sweep(t.Context()))
	stored, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantActive, stored.State, "a live grant expired")

	e.clock.Advance(time.Minute)
	require.NoError(t, e.svc.Sweep(t.Context()))
	stored, err = e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantExpired, stored.State)
	assert.Equal(t, g.NotAfter, stored.EndedAt)
	assert.Empty(t, stored.EndedBy)

	assert.Equal(t, []Change{{GrantID: g.ID, State: GrantExpired, NotAfter: g.NotAfter}},
		e.changes.all())
	assert.Equal(t, "grant.expire", e.actions(t)[e.eventCount(t)-1])
	assert.Contains(t, e.rec.all(), "grant/expired")
	err = e.table.Check(g.ID, "alice", "db", e.clock.Now())
	assert.ErrorIs(t, err, ErrGrantExpired)
}

func TestSweepPrunesRevocationSet(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	_, err := e.svc.Revoke(t.Context(), g.ID, "dave", "incident")
	require.NoError(t, err)
	require.Contains(t, e.table.revoked, g.ID)

	e.clock.Advance(time.Hour)
	require.NoError(t, e.svc.Sweep(t.Context()))

	assert.NotContains(t, e.table.revoked, g.ID)
	err = e.table.Check(g.ID, "alice", "db", e.clock.Now())
	assert.ErrorIs(t, err, ErrGrantExpired, "a pruned grant must still be refused")
}

func TestRunSweepsUntilCancelled(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, "alice", "db", time.Hour)
	e.clock.Advance(DefaultPendingTTL + time.Second)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.Run(ctx, time.Millisecond)
	}()

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		got, err := e.svc.Request(t.Context(), r.ID)
		require.NoError(c, err)
		assert.Equal(c, RequestExpired, got.State)
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	<-done
}
