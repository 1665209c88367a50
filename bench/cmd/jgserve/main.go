// Command jgserve runs the servers of a benchmark, one per process so that
// each can be pinned to a core and its CPU time read from /proc:
//
//	jgserve setup   -dir DIR                  make a fixture (CA, store, grants, PEM files)
//	jgserve jitgate -dir DIR -listen A -upstream U [-control C] [-curves x25519] [-log FILE]
//	jgserve bare    -dir DIR -listen A [-control C] [-curves x25519]
//	jgserve echo    -listen A
//
// jitgate is the proxy built from jitgate's packages and wired as jitgate
// serve wires it; bare is a crypto/tls echo server that verifies client
// certificates and checks no grant; echo is the plain TCP upstream.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"

	"github.com/jitgate/jitgate/bench"
	"github.com/jitgate/jitgate/config"
)

const usage = "usage: jgserve setup|jitgate|bare|echo [flags]"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jgserve:", err)
		os.Exit(1)
	}
}

// flags are those of every subcommand; each reads the ones it needs.
type flags struct {
	dir, listen, upstream, control, curves, log string
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	var f flags
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&f.dir, "dir", "", "fixture directory")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:0", "listen address (loopback)")
	fs.StringVar(&f.upstream, "upstream", "", "echo upstream of jitgate")
	fs.StringVar(&f.control, "control", "", "loopback address for pprof (and jitgate's /revoke)")
	fs.StringVar(&f.curves, "curves", "", "comma-separated key exchanges; empty: Go's")
	fs.StringVar(&f.log, "log", "", "jitgate's log file; empty: none")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	switch args[0] {
	case "setup":
		_, err := bench.Setup(ctx, f.dir)
		return err
	case "jitgate":
		return f.jitgate(ctx)
	case "bare":
		return f.bare(ctx)
	case "echo":
		return f.echo(ctx)
	}
	return errors.New(usage)
}

func (f flags) jitgate(ctx context.Context) error {
	curves, err := f.curveIDs()
	if err != nil {
		return err
	}
	log, err := f.logger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	return bench.RunGateway(ctx, bench.GatewayConfig{
		Dir: f.dir, Listen: f.listen, Upstream: f.upstream, Control: f.control,
		Curves: curves, Logger: log,
	})
}

func (f flags) bare(ctx context.Context) error {
	curves, err := f.curveIDs()
	if err != nil {
		return err
	}
	config, err := bench.BareConfig(f.dir, curves)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	if f.control == "" {
		return bench.ServeEcho(ctx, ln, config)
	}
	grp, ctx := errgroup.WithContext(ctx)
	grp.Go(func() error { return bench.ServeEcho(ctx, ln, config) })
	grp.Go(func() error { return bench.ServeProfiler(ctx, f.control) })
	return grp.Wait()
}

func (f flags) echo(ctx context.Context) error {
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	return bench.ServeEcho(ctx, ln, nil)
}

// curveIDs parses -curves as the tls.curves key of jitgate's config file.
func (f flags) curveIDs() ([]tls.CurveID, error) {
	if f.curves == "" {
		return nil, nil
	}
	return config.ParseCurves(strings.Split(f.curves, ","))
}

// logger writes JSON lines at info to -log, configured as jitgate serve's
// (sampling included).
func (f flags) logger() (*zap.Logger, error) {
	if f.log == "" {
		return zap.NewNop(), nil
	}
	c := zap.NewProductionConfig()
	c.OutputPaths = []string{f.log}
	c.EncoderConfig.TimeKey = "ts"
	c.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return c.Build()
}
