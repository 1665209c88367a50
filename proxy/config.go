package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/jitgate/jitgate/ca"
)

// DefaultVerifyCacheSize is how many verified client certificates the
// proxy remembers when Config.VerifyCacheSize is zero. A grant certificate is
// one entry, so this is the number of distinct grants connecting at once.
const DefaultVerifyCacheSize = 4096

// Timeouts of one proxied connection.
const (
	// HandshakeTimeout bounds a client's TLS handshake.
	HandshakeTimeout = 10 * time.Second
	// DialTimeout bounds the dial to a resource's upstream.
	DialTimeout = 10 * time.Second
)

// Verifier checks a client certificate chain and returns what it claims;
// *ca.Authority satisfies it. It must be safe for concurrent use.
type Verifier interface {
	Verify(chain []*x509.Certificate, now time.Time) (ca.Claims, error)
}

// Checker is the inline grant check; *grants.Table satisfies it. It returns
// nil when the grant may connect and a grants check error otherwise. It must
// be safe for concurrent use.
type Checker interface {
	Check(grantID, user, resource string, now time.Time) error
}

// Sessions counts and watches the connections of grants whose conditions
// limit them; *grants.Table satisfies it. It must be safe for concurrent
// use.
type Sessions interface {
	// OpenSession is called once for every connection that passed Check,
	// full or resumed handshake alike, when the handshake is over: a full
	// one has then proved that the client holds its certificate's key, a
	// resumed one that it holds a ticket issued to such a client. An error
	// refuses the connection like a Check error.
	OpenSession(grantID string, now time.Time) error
	// IdleLimited reports whether grantID ends when idle, so that the
	// traffic of its connections must be reported through Activity.
	IdleLimited(grantID string) bool
	// Activity is told that a connection of grantID carried traffic at
	// at: when it opens, then at most once a second while data flows.
	Activity(grantID string, at time.Time)
}

// Resource is one protected service the proxy fronts.
type Resource struct {
	// Name is what grants are issued for; it must be unique.
	Name string
	// Upstream is the host:port the proxy dials for each allowed client.
	Upstream string
	// Listen is a dedicated listen address for this resource alone; clients
	// need not send SNI. Empty means none.
	Listen string
	// Hostname routes clients on the shared listener by SNI. Empty means the
	// resource is not on the shared listener. Matching ignores case.
	Hostname string
}

// Config is what New needs. Verifier, Checker and GetCertificate are
// required; every other zero value has a meaning given on its field.
type Config struct {
	// Resources are the services to front; each has Listen, Hostname or both.
	Resources []Resource
	// SharedAddr is the listen address of the listener that routes by SNI.
	// Empty, or no resource with a Hostname, means no shared listener.
	SharedAddr string
	// Verifier checks client certificate chains.
	Verifier Verifier
	// Checker answers the inline grant check.
	Checker Checker
	// Sessions enforces session limits and sees the traffic of idle-limited
	// grants; nil means grants have no such conditions.
	Sessions Sessions
	// GetCertificate returns the proxy's serving certificate (certmagic's).
	// On a dedicated listener the client may send no SNI, so it must have
	// a default for an empty ServerName.
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// CurvePreferences are the key exchanges offered; nil keeps Go's
	// defaults, which put the hybrid post-quantum exchange first.
	CurvePreferences []tls.CurveID
	// MinVersion is the oldest TLS version accepted; zero means TLS 1.3,
	// under which client certificates never cross the network in clear.
	MinVersion uint16
	// Logger receives the proxy's logs; nil means none.
	Logger *zap.Logger
	// Recorder receives the proxy's metrics; nil means none.
	Recorder Recorder
	// Now is the clock of the checks; nil means time.Now. Connection
	// deadlines always use the real clock.
	Now func() time.Time
	// VerifyCacheSize is how many verified certificates are remembered;
	// zero means DefaultVerifyCacheSize.
	VerifyCacheSize int
	// MaxHandshakes and MaxHandshakesPerHost bound the handshakes in
	// progress, in all and from one address; a connection over either is
	// closed at once. Zero means DefaultMaxHandshakes and
	// DefaultMaxHandshakesPerHost.
	MaxHandshakes, MaxHandshakesPerHost int
}

// validate returns an ErrInvalidConfig naming the first problem of c.
func (c *Config) validate() error {
	switch {
	case c.Verifier == nil:
		return fmt.Errorf("%w: Verifier is required", ErrInvalidConfig)
	case c.Checker == nil:
		return fmt.Errorf("%w: Checker is required", ErrInvalidConfig)
	case c.GetCertificate == nil:
		return fmt.Errorf("%w: GetCertificate is required", ErrInvalidConfig)
	case len(c.Resources) == 0:
		return fmt.Errorf("%w: no resources", ErrInvalidConfig)
	case c.VerifyCacheSize < 0:
		return fmt.Errorf("%w: VerifyCacheSize %d: want 0 or more",
			ErrInvalidConfig, c.VerifyCacheSize)
	case c.MaxHandshakes < 0 || c.MaxHandshakesPerHost < 0:
		return fmt.Errorf("%w: MaxHandshakes %d, MaxHandshakesPerHost %d: want 0 or more",
			ErrInvalidConfig, c.MaxHandshakes, c.MaxHandshakesPerHost)
	}

	return c.validateResources()
}

// validateResources checks each resource and that names and hostnames are
// unique.
func (c *Config) validateResources() error {
	names := make(map[string]bool, len(c.Resources))
	hosts := make(map[string]string, len(c.Resources))
	for i, r := range c.Resources {
		if err := c.validateResource(r); err != nil {
			return fmt.Errorf("%w: resources[%d] %q: %w",
				ErrInvalidConfig, i, r.Name, err)
		}
		if names[r.Name] {
			return fmt.Errorf("%w: resources[%d]: name %q is used twice",
				ErrInvalidConfig, i, r.Name)
		}
		names[r.Name] = true

		host := strings.ToLower(r.Hostname)
		if other, dup := hosts[host]; dup && host != "" {
			return fmt.Errorf("%w: resources[%d] %q: hostname %q is also %q's",
				ErrInvalidConfig, i, r.Name, r.Hostname, other)
		}
		hosts[host] = r.Name
	}
	return nil
}

// validateResource checks one resource on its own.
func (c *Config) validateResource(r Resource) error {
	if r.Name == "" {
		return errors.New("name is empty")
	}
	if err := checkHostPort(r.Upstream, true); err != nil {
		return fmt.Errorf("upstream %q: %w", r.Upstream, err)
	}

	switch {
	case r.Listen == "" && r.Hostname == "":
		return errors.New("needs listen or hostname")
	case r.Hostname != "" && c.SharedAddr == "":
		return fmt.Errorf("hostname %q needs a shared listen address", r.Hostname)
	case r.Hostname != "" && strings.ContainsAny(r.Hostname, ":/ "):
		return fmt.Errorf("hostname %q: want a DNS name", r.Hostname)
	}
	if r.Listen == "" {
		return nil
	}
	if err := checkHostPort(r.Listen, false); err != nil {
		return fmt.Errorf("listen %q: %w", r.Listen, err)
	}
	return nil
}

// checkHostPort checks that addr is host:port with a numeric port; a dial
// address needs a host and a port other than zero.
func checkHostPort(addr string, dial bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	if dial && (host == "" || n == 0) {
		return errors.New("want a host and a port other than 0")
	}
	return nil
}
