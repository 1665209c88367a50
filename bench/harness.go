package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Comparison configures a side-by-side run of jitgate, a bare crypto/tls
// server and the installed peers (`make bench-peers`). Servers run pinned
// to ServerCore; the load runs in the calling process, which the caller
// pins to LoadCore, beside the echo upstream.
type Comparison struct {
	// JGServe is the path of the jgserve binary.
	JGServe string
	// Work is a scratch directory: fixture, configurations, logs.
	Work                 string
	ServerCore, LoadCore int
	// Rounds is how many times every load runs against every server,
	// interleaved: A B C D, then again.
	Rounds           int
	Warmup, Duration time.Duration
	// Concurrency lists the connections at once of the full-handshake
	// loads drawn in the chart.
	Concurrency []int
	// Peers are the peers to run when installed.
	Peers []string
	// MemoryConns are the idle connections held to measure each server's
	// memory; HeldConns those jitgate holds while its handshake rate is
	// measured again; RevokeConns those of the grant that is revoked.
	MemoryConns, HeldConns, RevokeConns int
	// ProfileDir receives jitgate's CPU and allocation profiles under load;
	// empty means none are taken.
	ProfileDir string
	// Log receives progress lines; nil means none.
	Log io.Writer
}

// Trial is one load against one server in one round.
type Trial struct {
	Server string `json:"server"`
	Kex    Kex    `json:"kex"`
	Round  int    `json:"round"`
	Result
}

// HeldRun is what jitgate did with many idle connections held.
type HeldRun struct {
	Memory Memory `json:"memory"`
	// Free and Loaded are the full-handshake rates per CPU-second without
	// and with the connections held, one per measurement.
	Free   []float64 `json:"free_ops_per_cpu_second"`
	Loaded []float64 `json:"held_ops_per_cpu_second"`
}

// MemoryRun is one server's memory with MemoryConns idle connections.
type MemoryRun struct {
	Server string `json:"server"`
	Memory
}

// Report is everything a Comparison measured.
type Report struct {
	Machine    Machine      `json:"machine"`
	Settings   Settings     `json:"settings"`
	Trials     []Trial      `json:"trials"`
	Memory     []MemoryRun  `json:"memory"`
	Held       *HeldRun     `json:"held,omitempty"`
	Revocation *Cut         `json:"revocation,omitempty"`
	Checks     []CheckBench `json:"grant_checks"`
	// Profile is where jitgate's CPU went under a full-handshake load and
	// under a throughput load.
	Profile map[Mode][]Share `json:"profile,omitempty"`
	// Notes say what could not be run and why.
	Notes []string `json:"notes,omitempty"`
}

// Settings are the Comparison's parameters as the report shows them.
type Settings struct {
	Rounds      int      `json:"rounds"`
	Warmup      string   `json:"warmup"`
	Duration    string   `json:"duration"`
	Concurrency []int    `json:"concurrency"`
	Servers     []string `json:"servers"`
}

// scenario is one load of every round, run against each server of its key
// exchange.
type scenario struct {
	kex   Kex
	mode  Mode
	conns int
}

// Fixed loads of every round besides the full handshakes by concurrency.
const (
	// busyConns are the connections at once of the resumed and hybrid loads
	// and of the held test.
	busyConns = 16
	// memoryWarmup is the warm-up load before a server's memory is read.
	memoryWarmup = 500 * time.Millisecond
	// settleTime lets a server settle before its memory is read.
	settleTime = 3 * time.Second
	// holdParallel is how many connections a hold opens at once.
	holdParallel = 32
	// cutWait bounds the wait for revoked connections to end.
	cutWait = 10 * time.Second
)

// comparison is a running Comparison.
type comparison struct {
	c       Comparison
	fixture *Fixture
	echo    *Running
	// servers are the running servers by key exchange and name.
	servers map[Kex]map[string]*Running
	clients map[Kex]*tls.Config
	report  Report
}

// Compare runs c and returns its report. It stops every process it
// started before it returns.
func Compare(ctx context.Context, c Comparison) (*Report, error) {
	cmp, err := startComparison(ctx, c)
	defer cmp.stop()
	if err != nil {
		return nil, err
	}

	steps := []func(context.Context) error{
		cmp.measureMemory, cmp.runRounds, cmp.measureHeld, cmp.measureChecks,
		cmp.captureProfiles, cmp.measureRevocation,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return &cmp.report, err
		}
	}
	return &cmp.report, nil
}

// startComparison makes the fixture and starts the upstream and servers.
func startComparison(ctx context.Context, c Comparison) (*comparison, error) {
	cmp := &comparison{c: c, servers: map[Kex]map[string]*Running{},
		clients: map[Kex]*tls.Config{}}
	cmp.report.Machine = describeMachine(c.ServerCore, c.LoadCore)
	cmp.report.Settings = Settings{Rounds: c.Rounds, Warmup: c.Warmup.String(),
		Duration: c.Duration.String(), Concurrency: c.Concurrency}

	if err := cmp.setup(ctx); err != nil {
		return cmp, err
	}
	for _, kex := range []Kex{KexX25519, KexHybrid} {
		if err := cmp.startServers(ctx, kex); err != nil {
			return cmp, err
		}
	}
	return cmp, nil
}

// setup makes a fresh fixture and the clients, and starts the upstream.
func (cmp *comparison) setup(ctx context.Context) error {
	dir := filepath.Join(cmp.c.Work, "fixture")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var err error
	if cmp.fixture, err = Setup(ctx, dir); err != nil {
		return err
	}

	for kex, curves := range map[Kex][]tls.CurveID{
		KexX25519: {tls.X25519}, KexHybrid: nil,
	} {
		if cmp.clients[kex], err = ClientConfig(dir, cmp.fixture.Load, curves); err != nil {
			return err
		}
	}
	addr, err := freePort()
	if err != nil {
		return err
	}
	cmp.echo, err = startPinned("echo", cmp.c.LoadCore, cmp.logPath("echo"),
		cmp.c.JGServe, "echo", "-listen", addr)
	if cmp.echo != nil {
		cmp.echo.Addr = addr
	}
	return err
}

// logPath returns the path of a server's log in the work directory.
func (cmp *comparison) logPath(name string) string {
	return filepath.Join(cmp.c.Work, name+".log")
}

// stop stops every process the comparison started.
func (cmp *comparison) stop() {
	for _, byName := range cmp.servers {
		for _, r := range byName {
			r.Stop()
		}
	}
	cmp.echo.Stop()
}

// logf writes a progress line.
func (cmp *comparison) logf(format string, args ...any) {
	if cmp.c.Log != nil {
		fmt.Fprintf(cmp.c.Log, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
}

// serversOf returns the names of the servers of kex, in a fixed order.
func (cmp *comparison) serversOf(kex Kex) []string {
	var names []string
	for _, name := range []string{ServerJitgate, ServerBare, ServerNginx, ServerHAProxy} {
		if cmp.servers[kex][name] != nil {
			names = append(names, name)
		}
	}
	return names
}

// rotate returns names turned left by n, so that no server always runs
// first in a round.
func rotate(names []string, n int) []string {
	if len(names) == 0 {
		return names
	}
	n %= len(names)
	return append(slices.Clone(names[n:]), names[:n]...)
}
