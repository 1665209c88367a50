package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// maxPeerConns is the connection limit in the peers' configurations; it
// stays under the file descriptor limit of this machine's containers.
const maxPeerConns = 9000

// startServers starts the servers of kex: jitgate and the bare server, and
// the installed peers when they support kex.
func (cmp *comparison) startServers(ctx context.Context, kex Kex) error {
	cmp.servers[kex] = map[string]*Running{}
	for _, name := range []string{ServerJitgate, ServerBare} {
		if err := cmp.startServer(ctx, kex, name); err != nil {
			return err
		}
	}
	if kex != KexX25519 {
		return nil
	}

	for _, name := range cmp.c.Peers {
		if !installed(name) {
			cmp.note("%s is not installed, so it was not measured", name)
			continue
		}
		if err := cmp.startServer(ctx, kex, name); err != nil {
			cmp.note("%s did not start (%v), so it was not measured", name, err)
		}
	}
	return nil
}

// startServer starts one server and waits until it answers.
func (cmp *comparison) startServer(ctx context.Context, kex Kex, name string) error {
	addr, err := freePort()
	if err != nil {
		return err
	}
	tag := name + "-" + string(kex)
	r := &Running{}
	argv, err := cmp.command(kex, name, tag, addr, r)
	if err != nil {
		return err
	}
	started, err := startPinned(name, cmp.c.ServerCore, cmp.logPath(tag), argv...)
	if err != nil {
		return err
	}
	started.Addr, started.Control = addr, r.Control
	cmp.servers[kex][name] = started

	if err := waitTLS(ctx, addr, cmp.clients[kex], started.Exited); err != nil {
		started.Stop()
		delete(cmp.servers[kex], name)
		err = fmt.Errorf("%s (%s): %w; see %s", name, kex, err, cmp.logPath(tag))
		return errors.Join(err, started.err)
	}
	cmp.logf("started %s (%s) on %s, pid %d", name, kex, addr, started.PID)
	return nil
}

// command returns the command line of server name for kex; a gateway's
// control address goes into r.
func (cmp *comparison) command(kex Kex, name, tag, addr string,
	r *Running) ([]string, error) {
	dir := cmp.fixture.Dir
	switch name {
	case ServerJitgate:
		control, err := freePort()
		if err != nil {
			return nil, err
		}
		r.Control = control
		return []string{cmp.c.JGServe, "jitgate", "-dir", dir, "-listen", addr,
			"-upstream", cmp.echo.Addr, "-control", control, "-curves", kex.curves(),
			"-log", cmp.logPath(tag + "-connections")}, nil
	case ServerBare:
		return []string{cmp.c.JGServe, "bare", "-dir", dir, "-listen", addr,
			"-curves", kex.curves()}, nil
	}

	run := filepath.Join(cmp.c.Work, "run-"+name)
	if err := os.MkdirAll(run, 0o700); err != nil {
		return nil, err
	}
	return peerCommand(name, peerConf{Fixture: dir, Run: run, Listen: addr,
		Upstream: cmp.echo.Addr, MaxConns: maxPeerConns})
}

// note records what could not be measured.
func (cmp *comparison) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	cmp.report.Notes = append(cmp.report.Notes, line)
	cmp.logf("note: %s", line)
}

// load runs one load against the server name of kex.
func (cmp *comparison) load(ctx context.Context, kex Kex, name string, mode Mode,
	conns int) (Result, error) {
	r := cmp.servers[kex][name]
	return Run(ctx, Load{
		Addr: r.Addr, Client: cmp.clients[kex], Mode: mode, Conns: conns,
		Warmup: cmp.c.Warmup, Duration: cmp.c.Duration, Server: r.Process,
	})
}

// scenarios lists the loads of one round.
func (cmp *comparison) scenarios() []scenario {
	var out []scenario
	for _, n := range cmp.c.Concurrency {
		out = append(out, scenario{KexX25519, ModeFull, n})
	}
	return append(out,
		scenario{KexX25519, ModeResumed, busyConns},
		scenario{KexX25519, ModeThroughput, 1},
		scenario{KexX25519, ModeRTT, 1},
		scenario{KexHybrid, ModeFull, busyConns},
		scenario{KexHybrid, ModeResumed, busyConns},
	)
}

// runRounds runs every scenario against every server of its key exchange,
// Rounds times, turning the order of the servers each round.
func (cmp *comparison) runRounds(ctx context.Context) error {
	cmp.report.Settings.Servers = cmp.serversOf(KexX25519)
	for round := range cmp.c.Rounds {
		for _, s := range cmp.scenarios() {
			for _, name := range rotate(cmp.serversOf(s.kex), round) {
				res, err := cmp.steadyLoad(ctx, s, name)
				if err != nil {
					return fmt.Errorf("round %d, %s %s: %w", round+1, name, s.mode, err)
				}
				cmp.report.Trials = append(cmp.report.Trials,
					Trial{Server: name, Kex: s.kex, Round: round + 1, Result: res})
				cmp.logf("round %d %-8s %-6s %-10s c=%-3d %8.0f/cpu-s %8.1f MB/s "+
					"p50 %6.0f us errors %d", round+1, name, s.kex, s.mode, s.conns,
					res.OpsPerCPUSec, res.BytesPerSec/1e6, res.Latency.P50, res.Errors)
			}
		}
	}
	return nil
}

// Stalls: on this shared machine another job sometimes takes the cores
// for seconds. A load that got less than minStallFraction of the server's
// CPU, or no operation done, is run again, up to maxRetries times.
const (
	minStallFraction = 0.1
	maxRetries       = 2
)

// steadyLoad runs the load of s against name, again when it stalled.
func (cmp *comparison) steadyLoad(ctx context.Context, s scenario,
	name string) (Result, error) {
	var res Result
	var err error
	for try := 0; try <= maxRetries; try++ {
		res, err = cmp.load(ctx, s.kex, name, s.mode, s.conns)
		if err != nil || !stalled(res) {
			return res, err
		}
		cmp.logf("%s %s %s c=%d stalled (%.2f CPU-s, %d ops); again", name, s.kex,
			s.mode, s.conns, res.ServerCPU, res.Ops)
	}
	cmp.note("%s %s %s with %d conns stalled %d times; its last run is kept",
		name, s.kex, s.mode, s.conns, maxRetries+1)
	return res, nil
}

// stalled reports whether res looks like a load the machine starved.
func stalled(res Result) bool {
	done := res.Ops > 0 || res.Bytes > 0
	return !done || res.ServerCPU < minStallFraction*res.Seconds
}

// measureMemory reads each server's memory with MemoryConns idle
// connections, after a short warm-up load.
func (cmp *comparison) measureMemory(ctx context.Context) error {
	for _, name := range cmp.serversOf(KexX25519) {
		r := cmp.servers[KexX25519][name]
		_, err := Run(ctx, Load{Addr: r.Addr, Client: cmp.clients[KexX25519],
			Mode: ModeFull, Conns: busyConns, Duration: memoryWarmup})
		if err != nil {
			return fmt.Errorf("warm %s: %w", name, err)
		}

		h, m, err := HoldMeasured(ctx, r.Addr, cmp.clients[KexX25519],
			cmp.c.MemoryConns, holdParallel, r.Process, settleTime)
		if err != nil {
			return fmt.Errorf("memory of %s: %w", name, err)
		}
		h.Close()
		cmp.report.Memory = append(cmp.report.Memory, MemoryRun{Server: name, Memory: m})
		cmp.logf("memory %-8s %d idle connections: %.1f KB each", name, m.Conns,
			m.PerConn/1024)
	}
	return nil
}

// measureHeld measures jitgate's full-handshake rate without and with
// HeldConns idle connections held, interleaved: free, held, held, free.
func (cmp *comparison) measureHeld(ctx context.Context) error {
	r := cmp.servers[KexX25519][ServerJitgate]
	if r == nil {
		return errNoJitgate
	}
	held := &HeldRun{}
	rate := func(into *[]float64) error {
		res, err := cmp.load(ctx, KexX25519, ServerJitgate, ModeFull, busyConns)
		*into = append(*into, res.OpsPerCPUSec)
		return err
	}

	if err := rate(&held.Free); err != nil {
		return err
	}
	h, m, err := HoldMeasured(ctx, r.Addr, cmp.clients[KexX25519], cmp.c.HeldConns,
		holdParallel, r.Process, settleTime)
	if err != nil {
		return fmt.Errorf("hold %d connections: %w", cmp.c.HeldConns, err)
	}
	held.Memory = m
	err = rate(&held.Loaded)
	if err == nil {
		err = rate(&held.Loaded)
	}
	h.Close()
	if err == nil {
		err = rate(&held.Free)
	}
	cmp.report.Held = held
	cmp.logf("held %d: free %v, held %v per cpu-s", m.Conns, held.Free, held.Loaded)
	return err
}

// measureRevocation holds RevokeConns connections of the fixture's second
// grant, revokes it through jitgate's control endpoint and measures how
// soon each connection ends.
func (cmp *comparison) measureRevocation(ctx context.Context) error {
	r := cmp.servers[KexX25519][ServerJitgate]
	if r == nil {
		return errNoJitgate
	}
	client, err := ClientConfig(cmp.fixture.Dir, cmp.fixture.Revoke,
		cmp.clients[KexX25519].CurvePreferences)
	if err != nil {
		return err
	}
	h, err := Hold(ctx, r.Addr, client, cmp.c.RevokeConns, holdParallel)
	if err != nil {
		return err
	}
	// Let the proxy register the last connections it admitted.
	time.Sleep(500 * time.Millisecond)

	cut, err := h.Revocation(RevokeVia(r.Control, cmp.fixture.Revoke.GrantID), cutWait)
	if err != nil {
		return err
	}
	cmp.report.Revocation = &cut
	cmp.logf("revocation of %d connections: p50 %.0f us, p99 %.0f us, %d open",
		cut.Conns, cut.Latency.P50, cut.Latency.P99, cut.Open)
	return nil
}
