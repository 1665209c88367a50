package grants

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is a Store of grants in memory, fast enough for a test to race
// thousands of misses. Its Tx serves Grant and Grants only. After every
// read of a grant it calls read, when set, with the grant's ID.
type memStore struct {
	mu     sync.Mutex
	grants map[string]Grant
	read   atomic.Pointer[func(id string)]
}

func newMemStore() *memStore {
	return &memStore{grants: make(map[string]Grant)}
}

func (m *memStore) put(g Grant) {
	m.mu.Lock()
	m.grants[g.ID] = g
	m.mu.Unlock()
}

func (m *memStore) View(_ context.Context, fn func(Tx) error) error {
	return fn(memTx{m: m})
}

func (m *memStore) Update(_ context.Context, fn func(Tx) error) error {
	return fn(memTx{m: m})
}

func (m *memStore) Close() error { return nil }

// memTx embeds a nil Tx: any method but Grant and Grants panics.
type memTx struct {
	Tx
	m *memStore
}

func (tx memTx) Grant(id string) (Grant, error) {
	tx.m.mu.Lock()
	g, ok := tx.m.grants[id]
	tx.m.mu.Unlock()

	if hook := tx.m.read.Load(); hook != nil {
		(*hook)(id)
	}
	if !ok {
		return Grant{}, ErrNotFound
	}
	return g, nil
}

func (memTx) Grants(GrantFilter) ([]Grant, error) { return nil, nil }

// activeGrant is an active grant of alice for db, valid an hour either
// side of now.
func activeGrant(id string, now time.Time) Grant {
	r := sampleRequest("req_"+id, "alice", "db", now)
	return sampleGrant(id, r, now.Add(-time.Hour), now.Add(time.Hour), GrantActive)
}

// TestCheckAfterEndedRefuses ends a grant while misses are reading
// it, the way the Service and the Feed do: the store says ended, then
// Ended runs (here through applyRemote, as the Feed calls it). No
// Check that starts after Ended has returned may pass: the watchers Ended
// called have already cut the grant's connections, so a connection let in
// now stays. The same holds when another replica moves an active grant to
// another resource and the Feed tells the Table.
//
// Revoked and released grants are held off by the revocation set. A grant
// that Sweep expires for idleness before its NotAfter, or one moved, is
// refused only because Ended (or applyRemote) dropped it from the cache,
// so a miss that read it before must not cache it, even for a moment.
func TestCheckAfterEndedRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("races thousands of misses")
	}
	tests := []struct {
		name   string
		change func(Grant) Grant
	}{
		{"revoked", endedAs(GrantRevoked)},
		{"released", endedAs(GrantReleased)},
		{"expired", endedAs(GrantExpired)},
		{"moved", func(g Grant) Grant {
			g.Resource = "ssh"
			return g
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore()
			table, err := NewTable(store, 16)
			require.NoError(t, err)
			now := time.Now()

			var passed int64
			deadline := time.Now().Add(time.Second)
			rounds := 0
			for passed == 0 && rounds < 5000 && time.Now().Before(deadline) {
				id := fmt.Sprint("gr_", rounds)
				passed = raceEnd(table, store, activeGrant(id, now), now, tc.change)
				rounds++
			}
			assert.Zero(t, passed,
				"a check that began after Ended returned passed, in round %d", rounds)
		})
	}
}

// endedAs returns the change of raceEnd that ends a grant in state.
func endedAs(state GrantState) func(Grant) Grant {
	return func(g Grant) Grant {
		g.State = state
		return g
	}
}

// raceEnd stores g and races checks of it by alice for db against a
// change made right after the first read of g: the store gets change(g)
// and the table is told through applyRemote. It returns how many checks
// that began after the table was told passed.
func raceEnd(table *Table, store *memStore, g Grant, now time.Time,
	change func(Grant) Grant) int64 {
	store.put(g)

	var told atomic.Bool
	var once sync.Once
	hook := func(read string) {
		if read != g.ID {
			return
		}
		once.Do(func() {
			changed := change(g)
			store.put(changed)
			table.applyRemote(Change{GrantID: g.ID, State: changed.State,
				NotAfter: g.NotAfter})
			told.Store(true)
		})
	}
	store.read.Store(&hook)
	defer store.read.Store(nil)

	var passed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for after := 0; after < 64; {
				was := told.Load()
				err := table.Check(g.ID, "alice", "db", now)
				if was {
					after++
					if err == nil {
						passed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	return passed.Load()
}

// TestMissAcrossAChangeLeavesNoEntry changes a grant, or the Table's
// trust, while a miss is reading it. The miss answers from what it read,
// but must leave nothing cached, and the next check must see the change.
func TestMissAcrossAChangeLeavesNoEntry(t *testing.T) {
	tests := []struct {
		name string
		// change runs once, after the miss has read the grant "active".
		change func(tb testing.TB, f *tableFixture, table *Table)
		want   error
	}{
		{"revoked", endActive(GrantRevoked), ErrGrantRevoked},
		{"released", endActive(GrantReleased), ErrGrantReleased},
		{"expired", endActive(GrantExpired), ErrGrantExpired},
		{"moved to ssh elsewhere", func(tb testing.TB, f *tableFixture, table *Table) {
			g := f.grant["active"]
			g.Resource = "ssh"
			update(tb, f.store, func(tx Tx) error { return tx.UpdateGrant(g) })
			table.applyRemote(Change{GrantID: g.ID, State: GrantActive})
		}, ErrWrongResource},
		{"distrusted", func(_ testing.TB, _ *tableFixture, table *Table) {
			table.distrust()
		}, nil},
		{"distrusted and trusted again", func(_ testing.TB, _ *tableFixture, table *Table) {
			table.distrust()
			table.trust()
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newTableFixture(t)
			hooked := &hookStore{Store: f.store, during: func() {}}
			table, err := NewTable(hooked, 16)
			require.NoError(t, err)

			var once sync.Once
			hooked.during = func() { once.Do(func() { tc.change(t, f, table) }) }
			require.NoError(t, table.Check("active", "alice", "db", f.now),
				"the miss did not answer from what it read")
			assert.Zero(t, table.cache.len(), "a read older than a change was cached")

			err = table.Check("active", "alice", "db", f.now)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// endActive returns a change that stores the fixture's grant "active" in
// state and tells the Table, as the Service does.
func endActive(state GrantState) func(testing.TB, *tableFixture, *Table) {
	return func(tb testing.TB, f *tableFixture, table *Table) {
		g := f.grant["active"]
		g.State = state
		update(tb, f.store, func(tx Tx) error { return tx.UpdateGrant(g) })
		table.Ended(Change{GrantID: g.ID, State: state, NotAfter: g.NotAfter})
	}
}

// TestCheckEdgesAgreeOnAHit checks the edges of a grant's claims
// twice, so that the second answer comes from the cache: a hit must
// answer as the miss did.
func TestCheckEdgesAgreeOnAHit(t *testing.T) {
	f := newTableFixture(t)
	from, until := f.now.Add(-time.Hour), f.now.Add(time.Hour)
	tests := []struct {
		name     string
		user     string
		resource string
		at       time.Time
		want     error
	}{
		{"a nanosecond early", "alice", "db", from.Add(-time.Nanosecond), ErrNotYetValid},
		{"first instant", "alice", "db", from, nil},
		{"last instant", "alice", "db", until.Add(-time.Nanosecond), nil},
		{"at its end", "alice", "db", until, ErrGrantExpired},
		{"long after", "alice", "db", until.Add(100 * 365 * 24 * time.Hour), ErrGrantExpired},
		{"zero time", "alice", "db", time.Time{}, ErrNotYetValid},
		{"user in another case", "Alice", "db", f.now, ErrWrongUser},
		{"user with a space", "alice ", "db", f.now, ErrWrongUser},
		{"no user", "", "db", f.now, ErrWrongUser},
		{"resource in another case", "alice", "DB", f.now, ErrWrongResource},
		{"no resource", "alice", "", f.now, ErrWrongResource},
		{"user and resource swapped", "db", "alice", f.now, ErrWrongUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := f.table(t)
			for _, source := range []string{"miss", "hit"} {
				err := table.Check("active", tc.user, tc.resource, tc.at)
				if tc.want == nil {
					assert.NoError(t, err, source)
					continue
				}
				assert.ErrorIs(t, err, tc.want, source)
			}
			hits, misses := table.Stats()
			assert.Equal(t, [2]uint64{1, 1}, [2]uint64{hits, misses})
		})
	}
}

// TestRefusalOfEveryState maps states, known and not, to their
// refusal: the index must be in range, and only an active grant may pass.
func TestRefusalOfEveryState(t *testing.T) {
	states := []GrantState{GrantActive, GrantRevoked, GrantReleased, GrantExpired,
		"", "ACTIVE", "active ", "Active", "pending", "\x00"}
	for _, state := range states {
		i := refusalOf(state)
		require.Less(t, int(i), len(stateRefusals), "state %q", state)
		assert.Equal(t, stateErr(state), stateRefusals[i], "state %q", state)
		if state != GrantActive {
			assert.Error(t, stateRefusals[i], "state %q passes", state)
		}
	}
}

// TestCachedIs32Bytes holds the cached entry to the size its doc
// comment gives.
func TestCachedIs32Bytes(t *testing.T) {
	assert.Equal(t, uintptr(32), unsafe.Sizeof(cached{}))
}

// TestCachedAnswersAllocateNothing checks that every answer a hit
// gives, refusals included, and the session calls on a cached grant
// without limits, allocate nothing.
func TestCachedAnswersAllocateNothing(t *testing.T) {
	f := newTableFixture(t)
	table := f.table(t)
	for _, tc := range checkCases {
		if !tc.fromCache() {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			at := f.now.Add(tc.at)
			first := table.Check(tc.id, tc.user, tc.resource, at)
			hits, _ := table.Stats()
			allocs := testing.AllocsPerRun(100, func() {
				_ = table.Check(tc.id, tc.user, tc.resource, at)
			})
			assert.Zero(t, allocs)
			after, _ := table.Stats()
			assert.Equal(t, hits+101, after, "the checks did not hit")
			assert.Equal(t, first, table.Check(tc.id, tc.user, tc.resource, at))
		})
	}

	t.Run("sessions", func(t *testing.T) {
		require.NoError(t, table.Check("active", "alice", "db", f.now))
		views := f.store.views.Load()
		allocs := testing.AllocsPerRun(100, func() {
			_ = table.OpenSession("active", f.now)
			table.Activity("active", f.now)
			_ = table.IdleLimited("active")
		})
		assert.Zero(t, allocs)
		assert.Equal(t, views, f.store.views.Load(), "a cached grant was read")
	})
}

// churnGrant is one grant of TestChecksUnderChurn and whether it has ended.
type churnGrant struct {
	Grant
	ended atomic.Bool
}

// passes reports whether g, as first stored, lets user reach resource at
// now.
func (g *churnGrant) passes(user, resource string, now time.Time) bool {
	return g.State == GrantActive && g.User == user && g.Resource == resource &&
		!now.Before(g.NotBefore) && now.Before(g.NotAfter)
}

// TestChecksUnderChurn checks grants of two users for two resources, in
// every state and window, from several goroutines through a cache far
// smaller than the grants, so that it evicts on most misses, while grants
// are revoked, released and expired and the cache is forgotten, distrusted
// and trusted again. A check passes only what the grant passes and never a
// grant that ended before the check began; the cache never holds more than
// its size.
func TestChecksUnderChurn(t *testing.T) {
	const size = 4
	store := newMemStore()
	table, err := NewTable(store, size)
	require.NoError(t, err)
	now := time.Now()
	grants := churnGrants(store, now)

	stop, ending := make(chan struct{}), make(chan struct{})
	var workers, checkers sync.WaitGroup
	var largest atomic.Int64
	workers.Go(func() {
		for !stopped(stop) {
			largest.Store(max(largest.Load(), int64(table.cache.len())))
		}
	})
	workers.Go(func() { unsettle(table, grants, stop) })
	for w := range 3 {
		checkers.Go(func() { churnChecks(t, table, grants, now, w, ending) })
	}
	for i, g := range grants {
		if g.State != GrantActive || i%3 == 0 {
			continue
		}
		ended := g.Grant
		ended.State = []GrantState{GrantRevoked, GrantReleased, GrantExpired}[(i/3)%3]
		store.put(ended)
		table.Ended(Change{GrantID: g.ID, State: ended.State, NotAfter: g.NotAfter})
		g.ended.Store(true)
		time.Sleep(time.Millisecond)
	}

	close(ending)
	checkers.Wait()
	close(stop)
	workers.Wait()
	assert.LessOrEqual(t, largest.Load(), int64(size), "the cache outgrew its size")
}

// churnGrants stores 48 grants: each user, resource, window and state.
func churnGrants(store *memStore, now time.Time) []*churnGrant {
	windows := [][2]time.Duration{{-time.Hour, time.Hour}, {time.Hour, 2 * time.Hour},
		{-2 * time.Hour, -time.Hour}}
	var grants []*churnGrant
	for _, user := range []string{"alice", "bob"} {
		for _, resource := range []string{"db", "ssh"} {
			for _, w := range windows {
				for _, state := range []GrantState{GrantActive, GrantRevoked,
					GrantReleased, GrantExpired} {
					r := sampleRequest("req", user, resource, now)
					id := fmt.Sprint("gr_", len(grants))
					g := sampleGrant(id, r, now.Add(w[0]), now.Add(w[1]), state)
					store.put(g)
					grants = append(grants, &churnGrant{Grant: g})
				}
			}
		}
	}
	return grants
}

// unsettle forgets grants and distrusts and trusts the table until stop.
func unsettle(table *Table, grants []*churnGrant, stop chan struct{}) {
	for i := 0; !stopped(stop); i++ {
		switch i % 50 {
		case 0:
			table.distrust()
		case 5:
			table.trust()
		default:
			table.forget(grants[i%len(grants)].ID)
		}
		time.Sleep(10 * time.Microsecond)
	}
}

// churnChecks checks every grant with every claim, and an unknown grant,
// again and again, until ending is closed and at least 20 times. Each
// worker w starts at another grant.
func churnChecks(t testing.TB, table *Table, grants []*churnGrant, now time.Time,
	w int, ending chan struct{}) {
	for round := 0; round < 20 || !stopped(ending); round++ {
		for i := range grants {
			g := grants[(i+w*7)%len(grants)]
			for _, user := range []string{"alice", "bob", ""} {
				for _, resource := range []string{"db", "ssh"} {
					churnCheck(t, table, g, user, resource, now)
				}
			}
		}
		assert.ErrorIs(t, table.Check("gr_none", "alice", "db", now), ErrUnknownGrant)
	}
}

// churnCheck checks g with one claim: it may pass only if g passes and had
// not ended before, and must pass if g passes and had not ended after.
func churnCheck(t testing.TB, table *Table, g *churnGrant, user, resource string,
	now time.Time) {
	t.Helper()
	endedBefore := g.ended.Load()
	err := table.Check(g.ID, user, resource, now)
	endedAfter := g.ended.Load()

	want := g.passes(user, resource, now)
	if err == nil && (!want || endedBefore) {
		t.Errorf("%s of %s/%s in state %s passed %s/%s (ended: %v)",
			g.ID, g.User, g.Resource, g.State, user, resource, endedBefore)
	}
	if err != nil && want && !endedAfter {
		t.Errorf("%s refused %s/%s: %v", g.ID, user, resource, err)
	}
}

// stopped reports whether stop is closed.
func stopped(stop chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
