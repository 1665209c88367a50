package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/jitgate/jitgate/config"
	"github.com/jitgate/jitgate/grants"
)

// Addresses jitgate dev serves on: loopback only, the usual ports.
const (
	devProxyAddr   = "127.0.0.1:8443"
	devAdminAddr   = "127.0.0.1:8444"
	devMetricsAddr = "127.0.0.1:9100"
)

const devHelp = `Run a throw-away jitgate for a first look: a fresh CA and store in a
temporary directory, a sample HTTP upstream, a resource "demo" in front of it and
a resource "postgres" in front of --postgres, an admin and a requester "alice"
already enrolled. It prints the exact commands to try the flow. Everything is
deleted on exit unless --dir is given.`

func newDevCommand() *cobra.Command {
	var f serveFlags
	var dir, pgUpstream string
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a throw-away jitgate with sample resources and users",
		Long:  devHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd, f, dir, pgUpstream)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "keep the jitgate in this new directory")
	cmd.Flags().StringVar(&pgUpstream, "postgres", "127.0.0.1:5432", "upstream of the postgres resource")
	f.register(cmd)
	cmd.Flags().Lookup("log-format").DefValue = logConsole
	f.logFormat = logConsole
	return cmd
}

func runDev(cmd *cobra.Command, f serveFlags, dir, pgUpstream string) error {
	log, err := newLogger(f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "jitgate-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	sample, err := startSample(cmd.Context())
	if err != nil {
		return err
	}

	cfg := devConfig(sample, pgUpstream)
	if _, err := initialise(cmd.Context(), dir, cfg, "admin"); err != nil {
		return err
	}
	if err := enrolDevUser(cmd.Context(), cfg); err != nil {
		return err
	}
	return serve(cmd.Context(), cfg, log, func(*gateway) {
		printDevGuide(cmd.OutOrStdout(), cfg.DataDir)
	})
}

func devConfig(sample, pgUpstream string) *config.Config {
	cfg := config.Default()
	cfg.Listen = config.Listen{Proxy: devProxyAddr, Admin: devAdminAddr, Metrics: devMetricsAddr}
	cfg.Resources = []config.Resource{
		{Name: "demo", Upstream: sample, Hostname: "demo.localhost"},
		{Name: "postgres", Upstream: pgUpstream, Hostname: "postgres.localhost"},
	}
	return cfg
}

func enrolDevUser(ctx context.Context, cfg *config.Config) error {
	auth, err := loadAuthority(cfg)
	if err != nil {
		return err
	}
	return withCore(auth, cfg, func(c *core) error {
		return c.bootstrap(ctx, "alice", []grants.Role{grants.RoleRequester},
			filepath.Join(cfg.DataDir, "alice"), devAdminAddr)
	})
}

// startSample serves a tiny HTTP upstream on loopback until ctx ends.
func startSample(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sample upstream: %w", err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(sampleHandler),
		ReadHeaderTimeout: readHeaderTimeout,
	}
	go func() { _ = srv.Serve(ln) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return ln.Addr().String(), nil
}

func sampleHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	//nolint:gosec // text/plain and nosniff: the echoed path is never read as HTML
	fmt.Fprintf(w, "hello from the demo upstream: you reached %s %s through jitgate\n",
		r.Method, r.URL.Path)
}

func printDevGuide(w io.Writer, dir string) {
	err := devGuide.Execute(w, map[string]string{"Dir": dir, "Bin": selfCommand()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "jitgate dev: print guide:", err)
	}
}

// selfCommand is how the person can run this binary again: its path, or
// "go run ./cmd/jitgate" when go run built it in a temporary directory.
func selfCommand() string {
	exe, err := os.Executable()
	switch {
	case err != nil:
		return "jitgate"
	case strings.Contains(exe, string(filepath.Separator)+"go-build"):
		return "go run ./cmd/jitgate"
	}
	return exe
}

var devGuide = template.Must(template.New("dev").Parse(`
jitgate dev is running in {{.Dir}}
In another terminal, as the requester alice, ask for access and wait:

  export JITGATE_HOME={{.Dir}}/alice
  {{.Bin}} request demo --for 10m --reason "first look" --wait

As the admin, in a third terminal, see the request and approve it:

  JITGATE_HOME={{.Dir}}/admin {{.Bin}} requests
  JITGATE_HOME={{.Dir}}/admin {{.Bin}} approve REQUEST_ID

Back as alice, reach the demo upstream with the grant certificate:

  G={{.Dir}}/alice/grants/GRANT_ID
  curl --cacert $G/ca.pem --cert $G/cert.pem --key $G/key.pem https://demo.localhost:8443/

PostgreSQL through a local tunnel (request the "postgres" resource the same way):

  JITGATE_HOME={{.Dir}}/alice {{.Bin}} connect postgres --listen 127.0.0.1:15432 &
  psql "host=127.0.0.1 port=15432 dbname=test user=postgres" -c 'select 1'

Revoke as the admin and watch the connection close:

  JITGATE_HOME={{.Dir}}/admin {{.Bin}} revoke GRANT_ID --reason "done"

Metrics: curl http://{{"127.0.0.1:9100"}}/metrics    Stop: Ctrl-C
`))
