package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/ca"
	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/notify"
	"github.com/jitgate/jitgate/proxy"
)

// Timings of a running gateway.
const (
	// sweepInterval is how often ended requests and grants are marked so.
	sweepInterval = time.Second
	// drainTimeout bounds how long a shutdown waits for HTTP requests.
	drainTimeout = 10 * time.Second
	// readHeaderTimeout bounds a slow client's request headers.
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds reading a whole request: bodies are at most 64 KiB,
	// so a client trickling one holds its connection no longer than this.
	readTimeout = 30 * time.Second
	// writeTimeout bounds writing an answer.
	writeTimeout = 30 * time.Second
	// idleTimeout closes kept-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
)

type serveFlags struct {
	configPath string
	logFormat  string
	logLevel   string
}

func (f *serveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.logFormat, "log-format", logJSON, "log format: json or console")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func newServeCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--config DIR/jitgate.yaml]",
		Short: "Run the proxy, the admin API and the metrics listener",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(f.logFormat, f.logLevel)
			if err != nil {
				return err
			}
			// Sync fails on a terminal's stderr; there is nothing to do then.
			defer func() { _ = log.Sync() }()
			cfg, err := config.Load(f.configPath)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, log, nil)
		},
	}
	cmd.Flags().StringVar(&f.configPath, "config", config.FileName, "path of the config file")
	f.register(cmd)
	return cmd
}

// gateway is a running jitgate: core, proxy, admin API and ops listener.
type gateway struct {
	cfg   *config.Config
	log   *zap.Logger
	core  *core
	proxy *proxy.Server
	admin net.Listener
	ops   net.Listener
	// adminTLS and handler serve the admin API; opsHTTP the ops listener.
	adminTLS *tls.Config
	handler  http.Handler
	opsHTTP  http.Handler
	notifier *notify.Notifier
}

// serve runs a gateway for cfg until ctx ends. When started is not nil it is
// called once every listener is open.
func serve(ctx context.Context, cfg *config.Config, log *zap.Logger,
	started func(*gateway)) error {
	g, err := openGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer g.core.Close()
	if err := g.listen(); err != nil {
		return err
	}
	log.Info("jitgate serving", zap.String("admin", g.admin.Addr().String()),
		zap.String("metrics", g.ops.Addr().String()), zap.Int("resources", len(cfg.Resources)))
	if started != nil {
		started(g)
	}
	return g.run(ctx)
}

func openGateway(ctx context.Context, cfg *config.Config, log *zap.Logger) (*gateway, error) {
	reg := newRegistry()
	c, err := openCore(ctx, cfg, log, newTransitions(reg))
	if err != nil {
		return nil, err
	}
	g := &gateway{cfg: cfg, log: log, core: c}
	if err := g.build(ctx, reg); err != nil {
		c.Close()
		return nil, err
	}
	return g, nil
}

func (g *gateway) build(ctx context.Context, reg *prometheus.Registry) error {
	registerTable(reg, g.core.table)
	registerFeed(reg, g.core.feed)
	storage := filepath.Join(g.cfg.DataDir, certsDir)
	getCert, err := ca.ServingCertificates(ctx, g.core.authority, storage,
		g.cfg.ServingNames(), g.log.Named("ca"))
	if err != nil {
		return fmt.Errorf("serving certificates: %w", err)
	}
	g.proxy, err = proxy.New(proxy.Config{
		Resources:        proxyResources(g.cfg),
		SharedAddr:       g.cfg.Listen.Proxy,
		Verifier:         g.core.authority,
		Checker:          g.core.table,
		Sessions:         g.core.table,
		GetCertificate:   getCert,
		CurvePreferences: g.cfg.TLS.CurveIDs(),
		MinVersion:       g.cfg.TLS.Version(),
		Logger:           g.log,
		Recorder:         proxy.NewPrometheusRecorder(reg),
	})
	if err != nil {
		return err
	}
	g.core.table.Watch(func(c grants.Change) { g.proxy.EndGrant(c.GrantID) })

	g.handler, err = admin.NewHandler(admin.Config{
		Service:   g.core.service,
		Authority: g.core.authority,
		Resources: adminResources(g.cfg),
		Logger:    g.log,
	})
	if err != nil {
		return err
	}
	g.adminTLS = admin.TLSConfig(g.core.authority, getCert)
	g.opsHTTP = opsHandler(reg, g.ready)
	g.notifier, err = newNotifier(ctx, g.cfg, g.core, g.log, reg)
	return err
}

// listen opens every listener before any is served, so a taken port fails
// the start rather than half of it.
func (g *gateway) listen() error {
	if err := g.proxy.Listen(); err != nil {
		return err
	}
	var err error
	if g.admin, err = net.Listen("tcp", g.cfg.Listen.Admin); err != nil {
		return fmt.Errorf("listen.admin: %w", err)
	}
	g.admin = limitConns(g.admin, maxAdminConns, maxAdminConnsPerHost)
	if g.ops, err = net.Listen("tcp", g.cfg.Listen.Metrics); err != nil {
		g.admin.Close()
		return fmt.Errorf("listen.metrics: %w", err)
	}
	return nil
}

// run serves until ctx ends, then drains and stops everything.
func (g *gateway) run(ctx context.Context) error {
	adminSrv := g.httpServer(g.handler, "admin")
	adminSrv.TLSConfig = g.adminTLS
	opsSrv := g.httpServer(g.opsHTTP, "ops")

	grp, ctx := errgroup.WithContext(ctx)
	grp.Go(func() error { return g.proxy.Serve(ctx) })
	grp.Go(func() error { return serveHTTP(adminSrv.ServeTLS(g.admin, "", "")) })
	grp.Go(func() error { return serveHTTP(opsSrv.Serve(g.ops)) })
	grp.Go(func() error { g.core.service.Run(ctx, sweepInterval); return nil })
	grp.Go(func() error { g.core.runFeed(ctx); return nil })
	grp.Go(func() error { g.notifier.Run(ctx); return nil })
	grp.Go(func() error { g.watchReloads(ctx); return nil })
	grp.Go(func() error {
		<-ctx.Done()
		g.log.Info("jitgate stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		return errors.Join(adminSrv.Shutdown(shutdown), opsSrv.Shutdown(shutdown))
	})
	return grp.Wait()
}

func (g *gateway) httpServer(h http.Handler, name string) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          zap.NewStdLog(g.log.Named(name)),
	}
}

func serveHTTP(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ready reports whether the store can be read.
func (g *gateway) ready(r *http.Request) error {
	return g.core.store.View(r.Context(), func(tx grants.Tx) error {
		_, err := tx.Events(1)
		return err
	})
}

func proxyResources(cfg *config.Config) []proxy.Resource {
	out := make([]proxy.Resource, 0, len(cfg.Resources))
	for _, r := range cfg.Resources {
		out = append(out, proxy.Resource{
			Name: r.Name, Upstream: r.Upstream, Listen: r.Listen, Hostname: r.Hostname,
		})
	}
	return out
}

// adminResources says where clients reach each resource: the address and
// server name jitgate connect dials. The admin API adds the policies.
func adminResources(cfg *config.Config) []admin.ResourceInfo {
	out := make([]admin.ResourceInfo, 0, len(cfg.Resources))
	for _, r := range cfg.Resources {
		info := admin.ResourceInfo{Name: r.Name}
		info.Address, info.ServerName = route(cfg, r)
		out = append(out, info)
	}
	return out
}

// route picks how a client reaches r: its SNI name on the shared listener,
// else its dedicated listener.
func route(cfg *config.Config, r config.Resource) (addr, serverName string) {
	if r.Hostname != "" {
		return dialable(cfg.Listen.Proxy), r.Hostname
	}
	return dialable(r.Listen), "localhost"
}

// dialable turns a listen address with no host into one on localhost.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
