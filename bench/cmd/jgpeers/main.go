// Command jgpeers runs jitgate side by side with a bare crypto/tls server
// and the installed peers (nginx, HAProxy) on loopback, and writes a
// Markdown report, the raw results as JSON and an SVG chart:
//
//	taskset -c 1 jgpeers -jgserve bin/jgserve -out bench/results
//
// With -render FILE it measures nothing and writes the report and chart of
// an earlier results.json again.
//
// Run it pinned to the load core, as `make bench-peers` does; servers are
// pinned to -server-core. It holds up to 10,000 idle connections in one
// test: raise the file descriptor limit first (ulimit -n).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jitgate/jitgate/bench"
)

// Files written under -out.
const (
	reportFile  = "report.md"
	resultsFile = "results.json"
	chartFile   = "chart.svg"
)

// Idle connections of the held test: 10,000, or as many as the file
// descriptor limit allows a proxy, which holds two per connection.
const (
	heldWanted   = 10_000
	fdsPerProxy  = 2
	fdsKeptSpare = 200
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jgpeers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	c := bench.Comparison{Log: os.Stderr}
	fs := flag.NewFlagSet("jgpeers", flag.ContinueOnError)
	out := fs.String("out", "bench/results", "directory for the report")
	conc := fs.String("conc", "1,4,16,64", "connections at once of the full loads")
	peers := fs.String("peers", "nginx,haproxy", "peers to run when installed")
	fs.StringVar(&c.JGServe, "jgserve", "bin/jgserve", "path of the jgserve binary")
	fs.StringVar(&c.Work, "work", "", "scratch directory; empty: a new temporary one")
	fs.IntVar(&c.ServerCore, "server-core", 0, "core the servers are pinned to")
	fs.IntVar(&c.LoadCore, "load-core", 1, "core of the echo upstream (and of this process)")
	fs.IntVar(&c.Rounds, "rounds", 7, "rounds of every load against every server")
	fs.DurationVar(&c.Warmup, "warmup", 500*time.Millisecond, "warm-up of each load")
	fs.DurationVar(&c.Duration, "duration", 3*time.Second, "measured time of each load")
	fs.IntVar(&c.MemoryConns, "memory-conns", 2000, "idle connections to measure memory with")
	fs.IntVar(&c.HeldConns, "held-conns", heldConns(), "idle connections jitgate holds")
	fs.IntVar(&c.RevokeConns, "revoke-conns", 1000, "connections of the revoked grant")
	fs.StringVar(&c.ProfileDir, "profile", "", "directory for jitgate's pprof profiles; empty: none")
	render := fs.String("render", "", "a results.json to write the report and chart of "+
		"again, under -out, measuring nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *render != "" {
		return rerender(*render, *out)
	}
	if err := parseLists(&c, *conc, *peers); err != nil {
		return err
	}
	return compare(ctx, c, *out)
}

// heldConns is heldWanted, or less when the file descriptor limit is
// lower than a proxy needs for it.
func heldConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return heldWanted
	}
	return min(heldWanted, int(lim.Max-fdsKeptSpare)/fdsPerProxy)
}

// parseLists reads the comma-separated concurrency and peer lists into c.
func parseLists(c *bench.Comparison, conc, peers string) error {
	for _, f := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-conc %q: want numbers from 1 up, comma-separated", conc)
		}
		c.Concurrency = append(c.Concurrency, n)
	}
	if peers != "" {
		c.Peers = strings.Split(peers, ",")
	}
	return nil
}

// compare runs c and writes what it measured under out, even when a step
// failed after others had measured something.
func compare(ctx context.Context, c bench.Comparison, out string) error {
	if c.Work == "" {
		dir, err := os.MkdirTemp("", "jgpeers-")
		if err != nil {
			return err
		}
		c.Work = dir
	}
	fmt.Fprintf(os.Stderr, "work directory (configs, logs): %s\n", c.Work)

	report, err := bench.Compare(ctx, c)
	if report == nil {
		return err
	}
	if werr := write(report, out); werr != nil {
		return werr
	}
	return err
}

// rerender writes the report and chart of the results in file under out,
// as they would be written now: for a change of the report's layout.
func rerender(file, out string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var r bench.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return write(&r, out)
}

// write writes the report, the results and the chart under out.
func write(r *bench.Report, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	files := map[string]func(*os.File) error{
		chartFile:   func(f *os.File) error { return r.WriteChart(f) },
		reportFile:  func(f *os.File) error { return r.WriteMarkdown(f, chartFile) },
		resultsFile: func(f *os.File) error { return writeJSON(f, r) },
	}
	for name, fill := range files {
		if err := writeFile(filepath.Join(out, name), fill); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path and fills it.
func writeFile(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// writeJSON writes v indented.
func writeJSON(f *os.File, v any) error {
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
