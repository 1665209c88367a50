package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
		file := fmt.Sprintf("cpu-%s.pprof", s.mode)
		if err := cmp.profileUnder(ctx, r, s, file); err != nil {
			return err
		}
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
	err := fetch(ctx, r.Control, path, filepath.Join(cmp.c.ProfileDir, file))
	if lerr := <-done; err == nil {
		err = lerr
	}
	cmp.logf("profiled jitgate under %s load into %s", s.mode, file)
	return err
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
