package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// BenchmarkGrantCheck measures grants.Table.Check, the grant check the
// proxy runs inside every handshake, full or resumed:
//
//   - hit/grants=N/spread: N active grants cached, each checked in turn,
//     so that the large tables are read from memory rather than from a
//     warm CPU cache: the revocation-set lookup, the cache lookup and the
//     comparisons; hit/grants=N/same checks one of them again and again;
//   - floor/entries=N/spread: no grant check, one lookup in a plain Go map
//     of N entries, each in turn: the memory floor under the spread hits;
//   - revoked: a refusal from a revocation set of 1,000 grants;
//   - miss: every check misses a cache of one and reads the grant from the
//     SQLite store of a fixture.
//
// A hit must not allocate. Compare two versions of the code with
//
//	go test -run '^$' -bench GrantCheck -benchmem -count 10 ./bench > old.txt
//	(change the code, then the same command > new.txt)
//	go tool -modfile=tools/go.mod benchstat old.txt new.txt
func BenchmarkGrantCheck(b *testing.B) {
	for _, n := range checkSizes {
		b.Run(fmt.Sprintf("hit/grants=%d/spread", n), GrantCheckHit(n, true))
		b.Run(fmt.Sprintf("hit/grants=%d/same", n), GrantCheckHit(n, false))
	}
	for _, n := range checkSizes {
		b.Run(fmt.Sprintf("floor/entries=%d/spread", n), MapFloor(n))
	}
	b.Run("revoked", GrantCheckRevoked(1_000))
	b.Run("miss", func(b *testing.B) {
		f, err := Setup(context.Background(), b.TempDir())
		require.NoError(b, err)
		store, err := grants.OpenSQLite(filepath.Join(f.Dir, StoreFile))
		require.NoError(b, err)
		b.Cleanup(func() { store.Close() })

		GrantCheckMiss(store, [2]string{f.Load.GrantID, f.Revoke.GrantID})(b)
	})
}

// BenchmarkLoopbackConnection measures one whole connection over loopback
// sockets, end to end and in one process: dial, full or resumed TLS 1.3
// handshake with the fixture's grant certificate, one 64-byte echo, close,
// through the gateway (jitgate's proxy over its real CA and grant table)
// and through the bare crypto/tls server. Client and servers share the
// process's cores, so it tracks regressions of the whole path; the
// per-server-core comparison is `make bench-peers`. Compare runs with
//
//	go test -run '^$' -bench LoopbackConnection -count 10 ./bench > new.txt
//	go tool -modfile=tools/go.mod benchstat old.txt new.txt
func BenchmarkLoopbackConnection(b *testing.B) {
	s := startServers(b)
	for _, server := range []string{ServerJitgate, ServerBare} {
		for _, mode := range []Mode{ModeFull, ModeResumed} {
			b.Run(server+"/"+string(mode), func(b *testing.B) {
				addr := map[string]string{ServerJitgate: s.gateway, ServerBare: s.bare}[server]
				l := loopbackLoad(addr, s.client, mode)
				require.NoError(b, l.check())
				r := newRunner(l)
				msg, buf := message(DefaultMessageSize), make([]byte, DefaultMessageSize)

				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.once(context.Background(), msg, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// loopbackLoad is the one-connection load BenchmarkLoopbackConnection runs
// operation by operation; b.Loop, not Duration, decides how long.
func loopbackLoad(addr string, client *tls.Config, mode Mode) Load {
	return Load{Addr: addr, Client: client, Mode: mode, Conns: 1, Duration: time.Second}
}

// TestLoopbackBenchmarkLoadIsValid keeps the benchmark's load one that
// Load.check accepts, since go test does not run benchmarks.
func TestLoopbackBenchmarkLoadIsValid(t *testing.T) {
	s := startServers(t)
	for _, mode := range []Mode{ModeFull, ModeResumed} {
		l := loopbackLoad(s.bare, s.client, mode)
		require.NoError(t, l.check())
	}
}
