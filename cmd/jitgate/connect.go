package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/jitgate/jitgate/admin"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/proxy"
)

const connectHelp = `Open a local plain TCP listener and tunnel each connection to it through
the proxy, presenting your active grant certificate for RESOURCE. Point clients
that cannot do mutual TLS themselves (psql, redis-cli) at the local address.
The tunnel ends with the grant: expiry, revoke or release cut it.`

// defaultListen is where connect accepts plain TCP without --listen:
// loopback only, so that nobody else on the network rides the grant.
const defaultListen = "127.0.0.1:15432"

func newConnectCommand() *cobra.Command {
	var listen, proxyAddr, grantID string
	var remote bool
	cmd := &cobra.Command{
		Use:   "connect RESOURCE [--listen HOST:PORT]",
		Short: "Tunnel local TCP connections to a resource with your grant",
		Long:  connectHelp,
		Args:  namedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			local, err := localAddr(listen, remote, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runConnect(cmd, args[0], local, proxyAddr, grantID)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", defaultListen, "local address to accept plain TCP on")
	f.StringVar(&proxyAddr, "proxy", "", "proxy address HOST:PORT (default: as the server advertises)")
	f.StringVar(&grantID, "grant", "", "grant to use (default: your newest active one for RESOURCE)")
	f.BoolVar(&remote, "allow-remote", false, "let --listen take an address other hosts "+
		"can reach: whoever connects to it uses your grant")
	return cmd
}

// listenAt is where the tunnel accepts plain TCP.
type listenAt struct {
	// network is tcp4 for an IPv4 address, so that 0.0.0.0 does not open
	// the port to IPv6 too, as Go's "tcp" would.
	network, addr string
}

// localAddr turns --listen into where to listen. It refuses an address
// that other hosts could reach unless remote allows it, and then warns on
// warn: the tunnel asks nothing of whoever connects, so anyone who reaches
// the port would use the grant in the user's name. localhost becomes
// 127.0.0.1, rather than whatever a resolver makes of the name.
func localAddr(listen string, remote bool, warn io.Writer) (listenAt, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listenAt{}, fmt.Errorf("--listen %q: want HOST:PORT, such as %s", listen,
			defaultListen)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	switch {
	case ip != nil && ip.IsLoopback():
	case !remote:
		return listenAt{}, fmt.Errorf("--listen %q: not a loopback address, so anyone who "+
			"can reach it would use your grant; listen on 127.0.0.1 or [::1], or pass "+
			"--allow-remote if that is what you want", listen)
	default:
		fmt.Fprintf(warn, "warning: %s is reachable from other hosts; whoever connects "+
			"to it uses your grant\n", listen)
	}

	at := listenAt{network: "tcp", addr: net.JoinHostPort(host, port)}
	if ip != nil && ip.To4() != nil {
		at.network = "tcp4"
	}
	return at, nil
}

// grantPollInterval is how often connect asks whether its grant still holds,
// so the tunnel ends with a revoke or release instead of failing silently.
const grantPollInterval = 2 * time.Second

func runConnect(cmd *cobra.Command, resource string, listen listenAt,
	proxyAddr, grantID string) error {
	p, err := loadProfile()
	if err != nil {
		return err
	}
	c, err := p.connect(cmd.Context())
	if err != nil {
		return err
	}
	route, err := findRoute(cmd, c, resource, proxyAddr)
	if err != nil {
		return err
	}
	grant, err := pickGrant(cmd, c, p, resource, grantID)
	if err != nil {
		return err
	}
	conf, err := tunnelTLS(p, grant.ID, route.ServerName)
	if err != nil {
		return err
	}

	ln, err := net.Listen(listen.network, listen.addr)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	fmt.Fprintf(os.Stderr, "tunnelling %s -> %s (%s) with grant %s until %s\n",
		ln.Addr(), route.Address, resource, grant.ID, stamp(grant.NotAfter))
	return tunnelWhileLive(cmd, c, grant, func(ctx context.Context) error {
		return proxy.Tunnel(ctx, ln, route.Address, conf, tunnelLogger())
	})
}

// tunnelWhileLive runs tunnel until the grant ends: at its NotAfter, or when
// the server says it is no longer active.
func tunnelWhileLive(cmd *cobra.Command, c *admin.Client, g admin.GrantView,
	tunnel func(context.Context) error) error {
	ctx, cancel := context.WithDeadline(cmd.Context(), g.NotAfter)
	defer cancel()
	ended := make(chan error, 1)
	go func() { ended <- watchGrant(ctx, c, g.ID); cancel() }()

	if err := tunnel(ctx); err != nil {
		return err
	}
	cancel()
	if err := <-ended; err != nil {
		return &exitError{code: 3, err: err}
	}
	if time.Now().After(g.NotAfter) {
		return &exitError{code: 3, err: fmt.Errorf("grant %s expired: tunnel closed", g.ID)}
	}
	return nil
}

// watchGrant returns an error once the grant is no longer active, and nil
// when ctx ends first.
func watchGrant(ctx context.Context, c *admin.Client, id string) error {
	tick := time.NewTicker(grantPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		g, err := c.Grant(ctx, id)
		if err == nil && g.State != grants.GrantActive {
			return fmt.Errorf("grant %s is %s: tunnel closed", id, g.State)
		}
	}
}

// tunnelLogger reports refused or failed tunnelled connections on standard
// error, for the person running connect.
func tunnelLogger() *zap.Logger {
	log, err := newLogger(logConsole, "info")
	if err != nil {
		return zap.NewNop()
	}
	return log
}

// pickGrant returns the named grant, or the newest usable one for resource,
// after checking it is active and the caller's own.
func pickGrant(cmd *cobra.Command, c *admin.Client, p *profile, resource,
	id string) (admin.GrantView, error) {
	if id == "" {
		return findGrant(cmd, c, p, resource)
	}
	g, err := c.Grant(cmd.Context(), id)
	if err != nil {
		return g, err
	}
	switch {
	case g.State != grants.GrantActive:
		return g, fmt.Errorf("grant %s is %s, not active", id, g.State)
	case g.Resource != resource:
		return g, fmt.Errorf("grant %s is for %s, not %s", id, g.Resource, resource)
	case g.User != p.User:
		return g, fmt.Errorf("grant %s belongs to %s", id, g.User)
	}
	return g, nil
}

// findRoute returns where the proxy serves resource, as the server says or
// as --proxy overrides.
func findRoute(cmd *cobra.Command, c *admin.Client, resource, override string) (admin.ResourceInfo, error) {
	list, err := c.Resources(cmd.Context())
	if err != nil {
		return admin.ResourceInfo{}, err
	}
	for _, r := range list {
		if r.Name != resource {
			continue
		}
		if override != "" {
			r.Address = override
		}
		if r.Address == "" {
			return r, fmt.Errorf("resource %s has no advertised address: give --proxy", resource)
		}
		return r, nil
	}
	return admin.ResourceInfo{}, fmt.Errorf("unknown resource %q (see jitgate resources)", resource)
}

// findGrant returns the newest active grant of the caller for resource whose
// certificate is on this machine.
func findGrant(cmd *cobra.Command, c *admin.Client, p *profile,
	resource string) (admin.GrantView, error) {
	gs, err := c.Grants(cmd.Context(), false)
	if err != nil {
		return admin.GrantView{}, err
	}
	for i := len(gs) - 1; i >= 0; i-- {
		g := gs[i]
		if g.Resource != resource || g.User != p.User || g.State != grants.GrantActive {
			continue
		}
		if _, err := os.Stat(p.path(grantsDir, g.ID, grantCert)); err == nil {
			return g, nil
		}
	}
	return admin.GrantView{}, fmt.Errorf("no active grant for %s with its certificate on this machine: "+
		"run jitgate request %s --wait", resource, resource)
}

func tunnelTLS(p *profile, grantID, serverName string) (*tls.Config, error) {
	dir := p.path(grantsDir, grantID)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, grantCert), filepath.Join(dir, grantKey))
	if err != nil {
		return nil, fmt.Errorf("load grant %s certificate: %w", grantID, err)
	}
	if time.Now().After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("grant %s certificate expired at %s", grantID, stamp(cert.Leaf.NotAfter))
	}
	bundle, err := os.ReadFile(filepath.Join(dir, caBundleFile))
	if err != nil {
		return nil, fmt.Errorf("read grant ca bundle: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(bundle) {
		return nil, errors.New("grant ca bundle holds no certificate")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		ServerName:   serverName,
		// The grant certificate is sent encrypted only under TLS 1.3.
		MinVersion: tls.VersionTLS13,
	}, nil
}
