package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// The grant-check benchmarks run with testing.Benchmark, so that the
// harness can run them besides `go test -bench`.

// GrantCheckHit returns a benchmark of grants.Table.Check answering from
// its cache, with active grants cached. It isolates the revocation-set
// lookup, the cache lookup and the comparisons of the inline check. With
// spread, each call checks the next grant, so that a large table is read
// from memory rather than from a warm CPU cache, as when many grants
// connect; without, every call checks the same grant.
func GrantCheckHit(active int, spread bool) func(*testing.B) {
	return func(b *testing.B) {
		store := newMemStore(active)
		table, err := grants.NewTable(store, active)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		for _, id := range store.ids {
			mustCheck(b, table, id, now)
		}
		// What filling the table left for the collector is not measured.
		runtime.GC()

		b.ReportAllocs()
		i := 0
		for b.Loop() {
			mustCheck(b, table, store.ids[i], now)
			if spread {
				i = (i + 1) % len(store.ids)
			}
		}
	}
}

// MapFloor returns a benchmark of one lookup in a plain Go map holding
// active entries, each looked up in turn, as the spread grant-check hits
// do. It is no part of jitgate: it shows what reaching one entry of a table
// that size costs on this machine, the floor under a spread hit.
func MapFloor(active int) func(*testing.B) {
	return func(b *testing.B) {
		store := newMemStore(active)
		// The smallest entry that could answer a check: the grant's end.
		table := make(map[string]int64, active)
		for _, id := range store.ids {
			table[id] = store.grants[id].NotAfter.UnixNano()
		}
		runtime.GC()

		i := 0
		for b.Loop() {
			if _, ok := table[store.ids[i]]; !ok {
				b.Fatalf("%s is missing", store.ids[i])
			}
			i = (i + 1) % len(store.ids)
		}
	}
}

// GrantCheckMiss returns a benchmark of grants.Table.Check missing its
// cache, so that each call reads the grant from store: two grants take
// turns in a cache of one. It isolates the cost of a miss.
func GrantCheckMiss(store grants.Store, ids [2]string) func(*testing.B) {
	return func(b *testing.B) {
		table, err := grants.NewTable(store, 1)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()

		b.ReportAllocs()
		i := 0
		for b.Loop() {
			mustCheck(b, table, ids[i], now)
			i ^= 1
		}
		if _, misses := table.Stats(); misses < uint64(b.N) {
			b.Fatalf("%d misses in %d checks", misses, b.N)
		}
	}
}

// GrantCheckRevoked returns a benchmark of grants.Table.Check refusing a
// grant from the revocation set, which holds revoked grants. It isolates
// the revocation-set check, which comes before the cache.
func GrantCheckRevoked(revoked int) func(*testing.B) {
	return func(b *testing.B) {
		store := newMemStore(revoked)
		table, err := grants.NewTable(store, revoked)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range store.ids {
			table.Ended(grants.Change{GrantID: id, State: grants.GrantRevoked,
				NotAfter: store.grants[id].NotAfter})
		}
		now := time.Now()

		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := table.Check(store.ids[i], requester, Resource, now); err == nil {
				b.Fatal("a revoked grant passed the check")
			}
			i = (i + 1) % len(store.ids)
		}
	}
}

// mustCheck fails b unless the grant id passes the check.
func mustCheck(b *testing.B, table *grants.Table, id string, now time.Time) {
	if err := table.Check(id, requester, Resource, now); err != nil {
		b.Fatalf("check %s: %v", id, err)
	}
}

// memStore is a grants.Store in memory holding active grants of the
// fixture's requester for Resource, for the Table to read. The Table only
// reads, so writes fail.
type memStore struct {
	grants map[string]grants.Grant
	ids    []string
}

func newMemStore(n int) *memStore {
	s := &memStore{grants: make(map[string]grants.Grant, n), ids: make([]string, n)}
	from := time.Now().Add(-time.Hour)
	for i := range n {
		id := fmt.Sprintf("gr_%08d", i)
		s.ids[i] = id
		s.grants[id] = grants.Grant{
			// Each grant gets its own copy of the names, as a store read gives.
			ID: id, User: strings.Clone(requester), Resource: strings.Clone(Resource),
			State:     grants.GrantActive,
			NotBefore: from, NotAfter: from.Add(grantLength),
		}
	}
	return s
}

func (s *memStore) View(_ context.Context, fn func(grants.Tx) error) error {
	return fn(memTx{s: s})
}

func (s *memStore) Update(context.Context, func(grants.Tx) error) error {
	return errReadOnly
}

func (s *memStore) Close() error { return nil }

// memTx answers the Table's two reads. The other methods of grants.Tx are
// those of the nil interface it embeds: the Table never calls them.
type memTx struct {
	grants.Tx
	s *memStore
}

func (tx memTx) Grant(id string) (grants.Grant, error) {
	g, ok := tx.s.grants[id]
	if !ok {
		return grants.Grant{}, grants.ErrNotFound
	}
	return g, nil
}

// Grants returns nothing: no grant in a memStore has ended.
func (tx memTx) Grants(grants.GrantFilter) ([]grants.Grant, error) {
	return nil, nil
}
