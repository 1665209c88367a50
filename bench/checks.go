package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jitgate/jitgate/grants"
)

// CheckBench is one grant-check benchmark as a report shows it.
type CheckBench struct {
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
}

// checkSizes are the numbers of active grants of the hit benchmarks.
var checkSizes = []int{1_000, 100_000, 1_000_000}

// measureChecks runs the grant-check benchmarks on the load core: hits at
// each of checkSizes, spread over the grants and on one grant, the floor
// under a spread hit at each size, a revocation-set refusal, and a miss
// that reads the fixture's SQLite store.
func (cmp *comparison) measureChecks(context.Context) error {
	for _, n := range checkSizes {
		cmp.check(fmt.Sprintf("hit, %d active grants, each in turn", n),
			GrantCheckHit(n, true))
	}
	for _, n := range checkSizes {
		cmp.check(fmt.Sprintf("hit, %d active grants, the same one", n),
			GrantCheckHit(n, false))
	}
	for _, n := range checkSizes {
		cmp.check(fmt.Sprintf("floor: a Go map lookup, %d entries, each in turn", n),
			MapFloor(n))
	}
	cmp.check("revoked, 1000 in the revocation set", GrantCheckRevoked(1_000))

	store, err := grants.OpenSQLite(filepath.Join(cmp.fixture.Dir, StoreFile))
	if err != nil {
		return err
	}
	defer store.Close()
	ids := [2]string{cmp.fixture.Load.GrantID, cmp.fixture.Revoke.GrantID}
	cmp.check("miss, read from SQLite", GrantCheckMiss(store, ids))
	return nil
}

// check runs one benchmark and adds it to the report.
func (cmp *comparison) check(name string, bench func(*testing.B)) {
	r := testing.Benchmark(bench)
	cb := CheckBench{Name: name, NsPerOp: float64(r.T.Nanoseconds()) / float64(max(r.N, 1)),
		AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp()}
	cmp.report.Checks = append(cmp.report.Checks, cb)
	cmp.logf("grant check %s: %.0f ns/op, %d allocs/op", name, cb.NsPerOp, cb.AllocsPerOp)
}
