package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profileSeconds is how long each CPU profile of jitgate runs.
const profileSeconds = 8

// captureProfiles saves, into ProfileDir, jitgate's CPU profile under a
// full-handshake load and under a throughput load (X25519), then its
// allocation profile, cumulative since it started. Read them with
// go tool pprof -top bin/jgserve FILE.
func (cmp *comparison) captureProfiles(ctx context.Context) error {
	if cmp.c.ProfileDir == "" {
		return nil
	}
	r := cmp.servers[KexX25519][ServerJitgate]
	if r == nil {
		return errNoJitgate
	}
	if err := os.MkdirAll(cmp.c.ProfileDir, 0o755); err != nil {
		return err
	}

	loads := []scenario{{KexX25519, ModeFull, busyConns}, {KexX25519, ModeThroughput, 1}}
	for _, s := range loads {
		file := filepath.Join(cmp.c.ProfileDir, fmt.Sprintf("cpu-%s.pprof", s.mode))
		if err := cmp.profileUnder(ctx, r, s, file); err != nil {
			return err
		}
		cmp.breakDown(ctx, s.mode, file)
	}
	return fetch(ctx, r.Control, "/debug/pprof/allocs",
		filepath.Join(cmp.c.ProfileDir, "allocs.pprof"))
}

// profileUnder saves a CPU profile of r into file while the load of s runs.
func (cmp *comparison) profileUnder(ctx context.Context, r *Running, s scenario,
	file string) error {
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Load{Addr: r.Addr, Client: cmp.clients[s.kex], Mode: s.mode,
			Conns: s.conns, Duration: (profileSeconds + 2) * time.Second})
		done <- err
	}()
	path := fmt.Sprintf("/debug/pprof/profile?seconds=%d", profileSeconds)
	err := fetch(ctx, r.Control, path, file)
	if lerr := <-done; err == nil {
		err = lerr
	}
	cmp.logf("profiled jitgate under %s load into %s", s.mode, file)
	return err
}

// breakDown adds the categories of a CPU profile taken under mode to the
// report, or a note saying why it could not.
func (cmp *comparison) breakDown(ctx context.Context, mode Mode, file string) {
	shares, err := breakdown(ctx, cmp.c.JGServe, file)
	if err != nil {
		cmp.note("no breakdown of %s: %v", file, err)
		return
	}
	if cmp.report.Profile == nil {
		cmp.report.Profile = map[Mode][]Share{}
	}
	cmp.report.Profile[mode] = shares
}

// fetch saves what GET http://addr+path answers into file.
func fetch(ctx context.Context, addr, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: %s", path, resp.Status)
	}

	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("fetch %s: %w", path, err)
	}
	return f.Close()
}

// Share is the part of a CPU profile's samples that one category of code
// takes.
type Share struct {
	Category string  `json:"category"`
	Percent  float64 `json:"percent"`
}

// category is a kind of code, named by a pattern of function names.
type category struct {
	name string
	re   *regexp.Regexp
}

// categories sort a profile's functions, first match wins; the last one
// takes the rest.
var categories = []category{
	{"public-key crypto (X25519, ML-KEM, ECDSA)",
		regexp.MustCompile(`nistec|p256|edwards25519|mlkem|ecdh|ecdsa|bigmod|fiat`)},
	{"symmetric crypto and hashing (AES-GCM, SHA-2, HKDF)",
		regexp.MustCompile(`sha256|sha512|sha3|keccak|hmac|hkdf|aes|gcm|tls13|subtle`)},
	{"kernel: system calls (loopback TCP)", regexp.MustCompile(`Syscall|^syscall\.`)},
	{"Go runtime: GC, scheduling, allocation, copying",
		regexp.MustCompile(`^runtime\.|^internal/runtime`)},
	{"jitgate's own code", regexp.MustCompile(`jitgate/jitgate`)},
	{"the rest: crypto/tls protocol, x509 parsing, net, libraries", regexp.MustCompile(``)},
}

// topLine is one line of `go tool pprof -top`: flat time, then the name.
var topLine = regexp.MustCompile(`^\s*([0-9.]+)(ms|s)\s+\S+\s+\S+\s+\S+\s+\S+\s+(.+)$`)

// breakdown sorts the flat samples of a CPU profile into categories, with
// `go tool pprof` from the toolchain that built bin.
func breakdown(ctx context.Context, bin, profile string) ([]Share, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top",
		"-nodefraction=0", "-nodecount=1000000", bin, profile).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof %s: %w", profile, err)
	}
	return sharesOfTop(string(out)), nil
}

// sharesOfTop sorts the lines of `go tool pprof -top` into categories.
func sharesOfTop(top string) []Share {
	sums := make([]float64, len(categories))
	total := 0.0
	for line := range strings.Lines(top) {
		m := topLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "ms" {
			v /= 1000
		}
		total += v
		i := slices.IndexFunc(categories, func(c category) bool {
			return c.re.MatchString(m[3])
		})
		sums[i] += v
	}
	return shares(sums, total)
}

// shares turns sums per category into percentages of total.
func shares(sums []float64, total float64) []Share {
	out := make([]Share, len(sums))
	for i, v := range sums {
		out[i] = Share{Category: categories[i].name, Percent: 100 * ratio(v, total)}
	}
	return out
}
