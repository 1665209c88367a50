package grants

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flakyStore wraps a Store; while down is set every View fails, and views
// counts the calls.
type flakyStore struct {
	Store
	down  atomic.Bool
	views atomic.Int64
}

var errStoreDown = errors.New("disk on fire")

func (f *flakyStore) View(ctx context.Context, fn func(Tx) error) error {
	f.views.Add(1)
	if f.down.Load() {
		return errStoreDown
	}
	return f.Store.View(ctx, fn)
}

// tableFixture is a store holding grants of alice, relative to now.
type tableFixture struct {
	store *flakyStore
	now   time.Time
	grant map[string]Grant
}

// newTableFixture stores one grant per name of states, each active from
// an hour ago for two hours, in the state named, plus "future", which
// starts in an hour.
func newTableFixture(tb testing.TB) *tableFixture {
	tb.Helper()
	f := &tableFixture{
		store: &flakyStore{Store: openSQLite(tb, filepath.Join(tb.TempDir(), "t.db"))},
		now:   time.Now().UTC().Truncate(time.Second),
		grant: make(map[string]Grant),
	}
	r := sampleRequest("req_1", "alice", "db", f.now)
	from, until := f.now.Add(-time.Hour), f.now.Add(time.Hour)
	states := map[string]GrantState{
		"active": GrantActive, "revoked": GrantRevoked,
		"released": GrantReleased, "expired": GrantExpired,
	}
	for id, state := range states {
		f.grant[id] = sampleGrant(id, r, from, until, state)
	}
	f.grant["future"] = sampleGrant("future", r, until, until.Add(time.Hour), GrantActive)

	update(tb, f.store, func(tx Tx) error {
		require.NoError(tb, tx.InsertUser(sampleUser("alice")))
		require.NoError(tb, tx.InsertRequest(r))
		for _, g := range f.grant {
			require.NoError(tb, tx.InsertGrant(g))
		}
		return nil
	})
	return f
}

func (f *tableFixture) table(tb testing.TB) *Table {
	tb.Helper()
	t, err := NewTable(f.store, 16)
	require.NoError(tb, err)
	return t
}

// checkCase is a check of a grant of newTableFixture, at its now plus at,
// and the answer it must get.
type checkCase struct {
	name     string
	id       string
	user     string
	resource string
	at       time.Duration
	want     error
}

// checkCases give every answer Check has.
var checkCases = []checkCase{
	{"active", "active", "alice", "db", 0, nil},
	{"first instant", "active", "alice", "db", -time.Hour, nil},
	{"wrong user", "active", "mallory", "db", 0, ErrWrongUser},
	{"wrong resource", "active", "alice", "ssh", 0, ErrWrongResource},
	{"not yet valid", "future", "alice", "db", 0, ErrNotYetValid},
	{"at its end", "active", "alice", "db", time.Hour, ErrGrantExpired},
	{"revoked", "revoked", "alice", "db", 0, ErrGrantRevoked},
	{"released", "released", "alice", "db", 0, ErrGrantReleased},
	{"expired state", "expired", "alice", "db", 0, ErrGrantExpired},
	{"unknown", "gr_nope", "alice", "db", 0, ErrUnknownGrant},
	{"empty id", "", "alice", "db", 0, ErrUnknownGrant},
}

// fromCache reports whether the cache answers c once it has read the
// grant: unknown grants are never cached, and the revocation set answers
// for revoked and released ones.
func (c checkCase) fromCache() bool {
	return !errors.Is(c.want, ErrUnknownGrant) && !errors.Is(c.want, ErrGrantRevoked) &&
		!errors.Is(c.want, ErrGrantReleased)
}

func TestTableCheck(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	// The second round answers from the cache what the first read.
	for round := range 2 {
		for _, tc := range checkCases {
			t.Run(fmt.Sprint(tc.name, round), func(t *testing.T) {
				err := table.Check(tc.id, tc.user, tc.resource, f.now.Add(tc.at))
				if tc.want == nil {
					assert.NoError(t, err)
					return
				}
				assert.ErrorIs(t, err, tc.want)
			})
		}
	}
	hits, _ := table.Stats()
	assert.NotZero(t, hits)
}

func TestTableCachesKnownGrantsOnly(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	loaded := f.store.views.Load()

	for range 3 {
		require.NoError(t, table.Check("active", "alice", "db", f.now))
	}
	hits, misses := table.Stats()
	assert.Equal(t, uint64(2), hits)
	assert.Equal(t, uint64(1), misses)
	assert.Equal(t, loaded+1, f.store.views.Load(), "a hit read the store")

	for range 3 {
		assert.ErrorIs(t, table.Check("gr_nope", "alice", "db", f.now), ErrUnknownGrant)
	}
	_, misses = table.Stats()
	assert.Equal(t, uint64(4), misses, "an unknown grant was cached")
	assert.Equal(t, 1, table.cache.len())
}

func TestTableFailsClosed(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	require.NoError(t, table.Check("active", "alice", "db", f.now))
	f.store.down.Store(true)

	err := table.Check("future", "alice", "db", f.now)
	assert.ErrorIs(t, err, ErrStoreUnavailable)
	assert.ErrorIs(t, err, errStoreDown)
	assert.Equal(t, "store_unavailable", Reason(err))

	assert.NoError(t, table.Check("active", "alice", "db", f.now),
		"a cached answer needs no store")
}

func TestNewTableLoadsRevocationSet(t *testing.T) {
	f := newTableFixture(t)
	r := sampleRequest("req_old", "alice", "db", f.now)
	from, until := f.now.Add(-2*time.Hour), f.now.Add(-time.Hour)
	old := sampleGrant("old", r, from, until, GrantRevoked)
	update(t, f.store, func(tx Tx) error {
		require.NoError(t, tx.InsertRequest(r))
		return tx.InsertGrant(old)
	})

	table := f.table(t)
	end := f.now.Add(time.Hour)
	assert.Equal(t, map[string]Change{
		"revoked":  {GrantID: "revoked", State: GrantRevoked, NotAfter: end},
		"released": {GrantID: "released", State: GrantReleased, NotAfter: end},
	}, table.revoked)

	f.store.down.Store(true)
	assert.ErrorIs(t, table.Check("revoked", "alice", "db", f.now), ErrGrantRevoked)
	_, err := NewTable(f.store, 16)
	assert.ErrorIs(t, err, errStoreDown)
}

func TestNewTableRefusesSize(t *testing.T) {
	f := newTableFixture(t)
	_, err := NewTable(f.store, 0)
	assert.Error(t, err)
}

func TestTableEnded(t *testing.T) {
	tests := []struct {
		state GrantState
		want  error
	}{
		{GrantRevoked, ErrGrantRevoked},
		{GrantReleased, ErrGrantReleased},
		{GrantExpired, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			f := newTableFixture(t)
			table := f.table(t)
			require.NoError(t, table.Check("active", "alice", "db", f.now))
			var first, second []Change
			table.Watch(func(c Change) { first = append(first, c) })
			stop := table.Watch(func(c Change) { second = append(second, c) })
			stop()

			c := Change{GrantID: "active", State: tc.state}
			table.Ended(c)
			assert.Equal(t, []Change{c}, first)
			assert.Empty(t, second, "a stopped watcher was called")
			assert.Zero(t, table.cache.len(), "the grant stayed cached")

			// The store still says active: only the revocation set refuses.
			err := table.Check("active", "alice", "db", f.now)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestTableCheckHitAllocatesNothing(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	require.NoError(t, table.Check("active", "alice", "db", f.now))

	allocs := testing.AllocsPerRun(100, func() {
		_ = table.Check("active", "alice", "db", f.now)
	})
	assert.Zero(t, allocs)

	refused := testing.AllocsPerRun(100, func() {
		_ = table.Check("revoked", "alice", "db", f.now)
	})
	assert.Zero(t, refused, "a revocation-set refusal allocated")
}

// BenchmarkTableCheckHit isolates the inline check when the grant is
// cached: revocation-set lookup, cache lookup and comparisons. Compare runs
// with -count 10 and benchstat.
func BenchmarkTableCheckHit(b *testing.B) {
	f := newTableFixture(b)
	table := f.table(b)
	require.NoError(b, table.Check("active", "alice", "db", f.now))

	b.ReportAllocs()
	for b.Loop() {
		if err := table.Check("active", "alice", "db", f.now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTableConcurrentCheckAndEnded(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = table.Check("active", "alice", "db", f.now)
			}
		}
	}()

	table.Ended(Change{GrantID: "active", State: GrantRevoked})
	for range 100 {
		assert.ErrorIs(t, table.Check("active", "alice", "db", f.now), ErrGrantRevoked)
	}
	close(stop)
	<-done
}
