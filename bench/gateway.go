package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/proxy"
)

// RevokePath is the control endpoint that revokes a grant: POST
// RevokePath?grant=ID answers 204 once the revocation is committed.
const RevokePath = "/revoke"

// sweepInterval is how often the gateway sweeps ended grants, as jitgate
// serve does.
const sweepInterval = time.Second

// GatewayConfig is a jitgate proxy over a fixture, wired as jitgate serve
// wires it: the CA as Verifier, the grant Table over the SQLite store as
// Checker, certmagic's serving certificates, Prometheus metrics and a logger.
type GatewayConfig struct {
	// Dir is the fixture directory.
	Dir string
	// Listen is the proxy's listen address, dedicated to Resource.
	Listen string
	// Upstream is the echo service the proxy splices clients to.
	Upstream string
	// Control is a loopback address for RevokePath and /debug/pprof; empty
	// means none.
	Control string
	// Curves restricts the key exchanges; nil keeps Go's defaults.
	Curves []tls.CurveID
	// Logger receives the proxy's logs, one line per connection at info.
	Logger *zap.Logger
}

// gateway is a running GatewayConfig.
type gateway struct {
	store   grants.Store
	service *grants.Service
	proxy   *proxy.Server
}

// RunGateway serves c until ctx ends.
func RunGateway(ctx context.Context, c GatewayConfig) error {
	if c.Control != "" && !loopback(c.Control) {
		return fmt.Errorf("control address %q: want a loopback address", c.Control)
	}
	g, err := openGateway(ctx, c)
	if err != nil {
		return err
	}
	defer g.store.Close()

	grp, ctx := errgroup.WithContext(ctx)
	grp.Go(func() error { return g.proxy.Serve(ctx) })
	grp.Go(func() error { g.service.Run(ctx, sweepInterval); return nil })
	if c.Control != "" {
		grp.Go(func() error { return serveControl(ctx, c.Control, g.controlMux()) })
	}
	return grp.Wait()
}

// openGateway opens the fixture's CA and store and builds the proxy.
func openGateway(ctx context.Context, c GatewayConfig) (*gateway, error) {
	authority, err := ca.Load(c.Dir, TrustDomain)
	if err != nil {
		return nil, err
	}
	store, err := grants.OpenSQLite(filepath.Join(c.Dir, StoreFile))
	if err != nil {
		return nil, err
	}

	g := &gateway{store: store}
	if err := g.build(ctx, c, authority); err != nil {
		store.Close()
		return nil, err
	}
	return g, nil
}

// build makes the table, the service and the proxy, and tells the proxy of
// every ended grant.
func (g *gateway) build(ctx context.Context, c GatewayConfig,
	authority *ca.Authority) error {
	log := c.Logger
	if log == nil {
		log = zap.NewNop()
	}
	table, err := grants.NewTable(g.store, tableSize)
	if err != nil {
		return err
	}
	if g.service, err = newService(g.store, authority, table, log.Named("grants")); err != nil {
		return err
	}
	getCert, err := ca.ServingCertificates(ctx, authority,
		filepath.Join(c.Dir, certsDir), servingNames(), log.Named("ca"))
	if err != nil {
		return err
	}

	g.proxy, err = proxy.New(proxy.Config{
		Resources: []proxy.Resource{{
			Name: Resource, Upstream: c.Upstream, Listen: c.Listen,
		}},
		Verifier:         authority,
		Checker:          table,
		GetCertificate:   getCert,
		CurvePreferences: c.Curves,
		Logger:           log,
		Recorder:         proxy.NewPrometheusRecorder(prometheus.NewRegistry()),
	})
	if err != nil {
		return err
	}
	table.Watch(func(ch grants.Change) { g.proxy.EndGrant(ch.GrantID) })
	return nil
}

// controlMux serves RevokePath and the profiler.
func (g *gateway) controlMux() *http.ServeMux {
	mux := profilerMux()
	mux.HandleFunc("POST "+RevokePath, g.revoke)
	return mux
}

// profilerMux serves the profiler under /debug/pprof/.
func profilerMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	return mux
}

// ServeProfiler serves /debug/pprof/ on the loopback address addr until
// ctx ends.
func ServeProfiler(ctx context.Context, addr string) error {
	if !loopback(addr) {
		return fmt.Errorf("profiler address %q: want a loopback address", addr)
	}
	return serveControl(ctx, addr, profilerMux())
}

// revoke revokes the grant named by the query, through the grants service.
func (g *gateway) revoke(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("grant")
	if _, err := g.service.Revoke(r.Context(), id, approver, "benchmark"); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveControl serves h on addr until ctx ends.
func serveControl(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("control listener: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()

	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
