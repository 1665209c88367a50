package grants

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndGrant(t *testing.T) {
	tests := []struct {
		name      string
		end       func(context.Context, *env, string) (Grant, error)
		state     GrantState
		by        string
		reason    string
		action    string
		checkErr  error
		recording string
	}{
		{"revoke", func(ctx context.Context, e *env, id string) (Grant, error) {
			return e.svc.Revoke(ctx, id, "dave", " incident 42 ")
		}, GrantRevoked, "dave", "incident 42", "grant.revoke", ErrGrantRevoked,
			"grant/revoked"},
		{"release", func(ctx context.Context, e *env, id string) (Grant, error) {
			return e.svc.Release(ctx, id, "alice")
		}, GrantReleased, "alice", "released by its user", "grant.release",
			ErrGrantReleased, "grant/released"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			g := e.grant(t)
			require.NoError(t, e.table.Check(g.ID, "alice", "db", e.clock.Now()))
			e.clock.Advance(time.Minute)

			ended, err := tc.end(t.Context(), e, g.ID)
			require.NoError(t, err)
			assert.Equal(t, tc.state, ended.State)
			assert.Equal(t, tc.by, ended.EndedBy)
			assert.Equal(t, tc.reason, ended.EndReason)
			assert.Equal(t, e.clock.Now(), ended.EndedAt)

			stored, err := e.svc.Grant(t.Context(), g.ID)
			require.NoError(t, err)
			assert.Equal(t, ended, stored)
			assert.Equal(t, tc.action, e.actions(t)[e.eventCount(t)-1])
			assert.Contains(t, e.rec.all(), tc.recording)

			// Ended ran before the call returned: the cached "active" is gone.
			want := Change{GrantID: g.ID, State: tc.state, NotAfter: g.NotAfter}
			assert.Equal(t, []Change{want}, e.changes.all())
			err = e.table.Check(g.ID, "alice", "db", e.clock.Now())
			assert.ErrorIs(t, err, tc.checkErr)
		})
	}
}

func TestEndGrantRefuses(t *testing.T) {
	revoked := func(tb testing.TB, e *env) string {
		g := e.grant(tb)
		_, err := e.svc.Revoke(tb.Context(), g.ID, "dave", "incident")
		require.NoError(tb, err)
		return g.ID
	}
	active := func(tb testing.TB, e *env) string { return e.grant(tb).ID }
	missing := func(testing.TB, *env) string { return "gr_nope" }
	revoke := func(ctx context.Context, e *env, id string) error {
		_, err := e.svc.Revoke(ctx, id, "dave", "incident")
		return err
	}
	release := func(who string) func(context.Context, *env, string) error {
		return func(ctx context.Context, e *env, id string) error {
			_, err := e.svc.Release(ctx, id, who)
			return err
		}
	}

	tests := []struct {
		name    string
		prepare func(testing.TB, *env) string
		end     func(context.Context, *env, string) error
		wantErr error
	}{
		{"revoke revoked", revoked, revoke, ErrConflict},
		{"release revoked", revoked, release("alice"), ErrConflict},
		{"release by someone else", active, release("mallory"), ErrForbidden},
		{"revoke unknown", missing, revoke, ErrNotFound},
		{"release unknown", missing, release("alice"), ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := tc.prepare(t, e)
			before, changes := e.eventCount(t), len(e.changes.all())

			require.ErrorIs(t, tc.end(t.Context(), e, id), tc.wantErr)
			assert.Equal(t, before, e.eventCount(t), "a refusal wrote an event")
			assert.Len(t, e.changes.all(), changes, "a refusal told the Table")
		})
	}
}

func TestRevokeNeedsReason(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)

	_, err := e.svc.Revoke(t.Context(), g.ID, "dave", " ")
	requireInput(t, err, "reason")

	stored, err := e.svc.Grant(t.Context(), g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantActive, stored.State)
}

func TestRestartKeepsRevocations(t *testing.T) {
	e := newEnv(t)
	revoked, released, active := e.grant(t), e.grant(t), e.grant(t)
	_, err := e.svc.Revoke(t.Context(), revoked.ID, "dave", "incident")
	require.NoError(t, err)
	_, err = e.svc.Release(t.Context(), released.ID, "alice")
	require.NoError(t, err)
	require.NoError(t, e.store.Close())

	e.store = openSQLite(t, e.path)
	e.start(t)

	now := e.clock.Now()
	assert.ErrorIs(t, e.table.Check(revoked.ID, "alice", "db", now), ErrGrantRevoked)
	assert.ErrorIs(t, e.table.Check(released.ID, "alice", "db", now), ErrGrantReleased)
	_, misses := e.table.Stats()
	assert.Zero(t, misses, "the revocation set did not answer")
	assert.NoError(t, e.table.Check(active.ID, "alice", "db", now))

	users, err := e.svc.Users(t.Context())
	require.NoError(t, err)
	assert.Len(t, users, len(testUsers))
	requests, err := e.svc.Requests(t.Context(), RequestFilter{
		States: []RequestState{RequestApproved}})
	require.NoError(t, err)
	assert.Len(t, requests, 3)
	ended, err := e.svc.Grant(t.Context(), revoked.ID)
	require.NoError(t, err)
	assert.Equal(t, "incident", ended.EndReason)
}
