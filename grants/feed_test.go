package grants

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// feedWait only guards against a hung test; no test measures speed.
const feedWait = 20 * time.Second

// gatedStore is a Store whose reads fail while it is shut.
type gatedStore struct {
	Store
	shut atomic.Bool
}

var errShut = errors.New("store shut by the test")

func (g *gatedStore) View(ctx context.Context, fn func(Tx) error) error {
	if g.shut.Load() {
		return errShut
	}
	return g.Store.View(ctx, fn)
}

// replica is one jitgate's grant logic over a PostgreSQL schema that
// others share: store, Table, Service and a running Feed, all reading
// through gate. changes receives what the Table's watchers see.
type replica struct {
	store   *SQLStore
	gate    *gatedStore
	table   *Table
	svc     *Service
	feed    *Feed
	changes chan Change
}

func newReplica(tb testing.TB, dsn string, o FeedOptions) *replica {
	tb.Helper()
	r := &replica{store: openPostgres(tb, dsn), changes: make(chan Change, 64)}
	r.gate = &gatedStore{Store: r.store}
	var err error
	r.table, err = NewTable(r.gate, 64)
	require.NoError(tb, err)
	r.table.Watch(func(c Change) { r.changes <- c })
	r.svc, err = NewService(Options{
		Store: r.gate, Signer: &fakeSigner{}, Table: r.table, Resources: testResources,
	})
	require.NoError(tb, err)

	o.DSN, o.Store, o.Table, o.Logger = dsn, r.gate, r.table, zaptest.NewLogger(tb)
	r.feed, err = NewFeed(tb.Context(), o)
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.feed.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })

	r.waitListening(tb)
	return r
}

// waitListening waits until the Feed has connected and caught up.
func (r *replica) waitListening(tb testing.TB) {
	tb.Helper()
	require.Eventually(tb, func() bool {
		return r.feed.Listening() && !r.table.distrusted.Load()
	}, feedWait, 10*time.Millisecond, "the feed did not connect")
}

// hear waits until the Table's watchers see grantID enter state, and
// returns what they saw before.
func (r *replica) hear(tb testing.TB, grantID string, state GrantState) []Change {
	tb.Helper()
	var before []Change
	timeout := time.After(feedWait)
	for {
		select {
		case c := <-r.changes:
			if c.GrantID == grantID && c.State == state {
				return before
			}
			before = append(before, c)
		case <-timeout:
			tb.Fatalf("grant %s never reached the table as %s", grantID, state)
		}
	}
}

// seedGrant stores an active grant of alice for db that ends at until.
func seedGrant(tb testing.TB, s Store, id string, until time.Time) {
	tb.Helper()
	r := sampleRequest("req_"+id, "alice", "db", until.Add(-2*time.Hour))
	g := sampleGrant(id, r, until.Add(-2*time.Hour), until, GrantActive)
	update(tb, s, func(tx Tx) error {
		if _, err := tx.User("alice"); err != nil {
			require.NoError(tb, tx.InsertUser(sampleUser("alice")))
		}
		require.NoError(tb, tx.InsertRequest(r))
		return tx.InsertGrant(g)
	})
}

// TestFeedCarriesChangesBetweenReplicas ends grants through replica a's
// Service and shows replica b's Table hearing of each, through its
// watchers, and refusing the grant.
func TestFeedCarriesChangesBetweenReplicas(t *testing.T) {
	dsn := postgresSchema(t)
	a := newReplica(t, dsn, FeedOptions{})
	b := newReplica(t, dsn, FeedOptions{})
	ctx := t.Context()
	now := time.Now()

	tests := []struct {
		name  string
		ends  time.Time
		end   func(id string) error
		state GrantState
		want  error
	}{
		{"revoke", now.Add(time.Hour), func(id string) error {
			_, err := a.svc.Revoke(ctx, id, "dave", "incident")
			return err
		}, GrantRevoked, ErrGrantRevoked},
		{"release", now.Add(time.Hour), func(id string) error {
			_, err := a.svc.Release(ctx, id, "alice")
			return err
		}, GrantReleased, ErrGrantReleased},
		{"expiry", now.Add(-time.Second), func(string) error {
			return a.svc.Sweep(ctx)
		}, GrantExpired, ErrGrantExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "gr_" + tc.name
			seedGrant(t, a.store, id, tc.ends)
			before := b.table.Check(id, "alice", "db", now)
			if tc.ends.After(now) {
				require.NoError(t, before)
			}

			require.NoError(t, tc.end(id))
			b.hear(t, id, tc.state)
			assert.ErrorIs(t, b.table.Check(id, "alice", "db", now), tc.want)
		})
	}
}

// TestFeedCatchesUpAfterItsConnectionIsKilled kills the listener's backend
// and revokes while the Feed is away: replica b's store is shut meanwhile,
// so the Feed cannot finish reconnecting, and b's checks fail closed. Once
// the store is back, the revocation reaches b's Table.
func TestFeedCatchesUpAfterItsConnectionIsKilled(t *testing.T) {
	dsn := postgresSchema(t)
	a := newReplica(t, dsn, FeedOptions{})
	quick := FeedOptions{InitialBackoff: 100 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond}
	b := newReplica(t, dsn, quick)
	now := time.Now()
	seedGrant(t, a.store, "gr_1", now.Add(time.Hour))
	require.NoError(t, b.table.Check("gr_1", "alice", "db", now))

	b.gate.shut.Store(true)
	_, err := a.store.write.ExecContext(t.Context(), "SELECT pg_terminate_backend($1)",
		b.feed.pid.Load())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.table.distrusted.Load() },
		feedWait, time.Millisecond, "the feed did not notice its connection end")
	assert.Zero(t, b.table.cache.len(), "the cache kept entries without a feed")
	assert.ErrorIs(t, b.table.Check("gr_1", "alice", "db", now), ErrStoreUnavailable,
		"a check without feed or store did not fail closed")

	_, err = a.svc.Revoke(t.Context(), "gr_1", "dave", "incident")
	require.NoError(t, err)
	require.Zero(t, b.feed.pid.Load(), "the feed came back before the revoke")
	b.gate.shut.Store(false)

	b.hear(t, "gr_1", GrantRevoked)
	b.waitListening(t)
	assert.ErrorIs(t, b.table.Check("gr_1", "alice", "db", now), ErrGrantRevoked)
}

// TestFeedIgnoresForgedAnnouncements sends announcements nobody committed:
// one with a far future seq, which must not make the Feed skip what comes
// next, and one that does not parse. Neither changes anything.
func TestFeedIgnoresForgedAnnouncements(t *testing.T) {
	dsn := postgresSchema(t)
	a := newReplica(t, dsn, FeedOptions{})
	b := newReplica(t, dsn, FeedOptions{})
	now := time.Now()
	seedGrant(t, a.store, "gr_1", now.Add(time.Hour))
	seedGrant(t, a.store, "gr_2", now.Add(time.Hour))

	forged := []string{
		`{"schema": "` + b.feed.schema + `", "seq": 1000000000, "grant": "gr_2",` +
			` "action": "grant.revoke"}`,
		`not json`,
	}
	for _, payload := range forged {
		_, err := a.store.write.ExecContext(t.Context(),
			"SELECT pg_notify('"+feedChannel+"', $1)", payload)
		require.NoError(t, err)
	}

	_, err := a.svc.Revoke(t.Context(), "gr_1", "dave", "incident")
	require.NoError(t, err)
	assert.Empty(t, b.hear(t, "gr_1", GrantRevoked), "forged news reached the table")
	assert.NoError(t, b.table.Check("gr_2", "alice", "db", now))
}

func TestNewFeedRefuses(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)

	tests := []struct {
		name string
		o    FeedOptions
	}{
		{"no dsn", FeedOptions{Store: f.store, Table: table}},
		{"no store", FeedOptions{DSN: "postgres://h/db", Table: table}},
		{"no table", FeedOptions{DSN: "postgres://h/db", Store: f.store}},
		{"bad dsn", FeedOptions{DSN: "postgres://jg:hunter2@h:port/db", Store: f.store,
			Table: table}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFeed(t.Context(), tc.o)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "hunter2", "the error shows the password")
			assert.False(t, table.distrusted.Load(), "a refused feed touched the table")
		})
	}
}

// TestFeedReadsTheTrailWhenQuiet drops the trigger that announces grant
// events: the Feed still learns of a revoke from the audit trail, which it
// reads after every quiet spell once it has checked its connection.
func TestFeedReadsTheTrailWhenQuiet(t *testing.T) {
	dsn := postgresSchema(t)
	a := newReplica(t, dsn, FeedOptions{})
	b := newReplica(t, dsn, FeedOptions{Idle: 50 * time.Millisecond})
	now := time.Now()
	seedGrant(t, a.store, "gr_1", now.Add(time.Hour))

	_, err := a.store.write.ExecContext(t.Context(),
		"DROP TRIGGER events_announce_grant ON events")
	require.NoError(t, err)
	_, err = a.svc.Revoke(t.Context(), "gr_1", "dave", "incident")
	require.NoError(t, err)

	b.hear(t, "gr_1", GrantRevoked)
	assert.ErrorIs(t, b.table.Check("gr_1", "alice", "db", now), ErrGrantRevoked)
}
