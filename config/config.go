package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jitgate/jitgate/grants"
)

// Defaults applied to keys the file leaves out.
const (
	// DefaultProxyAddr is the shared proxy listener, routed by SNI.
	DefaultProxyAddr = ":8443"
	// DefaultAdminAddr is the admin API's mTLS listener.
	DefaultAdminAddr = ":8444"
	// DefaultMetricsAddr serves /metrics, /healthz and /readyz over plain HTTP.
	DefaultMetricsAddr = ":9100"
	// DefaultTrustDomain names the CA's trust domain in user URIs.
	DefaultTrustDomain = "jitgate.local"
	// DefaultMaxDuration is the longest grant a resource allows unless its
	// policy sets max_duration.
	DefaultMaxDuration = grants.DefaultMaxDuration
	// FileName is the name init gives the config file in its directory.
	FileName = "jitgate.yaml"
)

// Config is the content of a jitgate config file.
type Config struct {
	// TrustDomain names users as spiffe://TRUST_DOMAIN/user/NAME; empty means
	// DefaultTrustDomain.
	TrustDomain string `yaml:"trust_domain"`
	// DataDir holds the CA, the store and serving certificates. A relative
	// path is taken from the config file's directory; empty means that
	// directory.
	DataDir string `yaml:"data_dir"`
	Listen  Listen `yaml:"listen"`
	// ServerNames are extra DNS names or IP addresses the admin API and the
	// shared proxy listener answer to; localhost and 127.0.0.1 always are.
	ServerNames []string `yaml:"server_names,omitempty"`
	TLS         TLS      `yaml:"tls,omitempty"`
	// Webhooks receive audit events; none means no notifications.
	Webhooks []Webhook `yaml:"webhooks,omitempty"`
	// Store is where state is kept; absent means SQLite in DataDir.
	Store Store `yaml:"store,omitempty"`
	// Resources come last, so that a file Marshal wrote takes more of them
	// appended at its end.
	Resources []Resource `yaml:"resources"`
	// Path is the file Load read, for reloading it; empty when the Config
	// was built in code.
	Path string `yaml:"-"`
}

// Listen holds the process's listen addresses; empty ones take the defaults.
type Listen struct {
	Proxy   string `yaml:"proxy"`
	Admin   string `yaml:"admin"`
	Metrics string `yaml:"metrics"`
}

// Resource is one protected service.
type Resource struct {
	Name string `yaml:"name"`
	// Upstream is the host:port connections are spliced to.
	Upstream string `yaml:"upstream"`
	// Listen is a dedicated listener for clients that send no SNI; empty
	// means none.
	Listen string `yaml:"listen,omitempty"`
	// Hostname routes the shared proxy listener by SNI and names the
	// serving certificate; empty means the resource has no shared route.
	Hostname string `yaml:"hostname,omitempty"`
	// Policy says who may request the resource and how requests are
	// approved; absent means the defaults of grants.Policy.
	Policy Policy `yaml:"policy,omitempty"`
}

// Duration is a time.Duration written as "30m" or "8h" in the file.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 30m or 8h", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 30m or 8h", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) {
	return time.Duration(d).String(), nil
}

// Load reads, defaults and validates the config file at path.
func Load(path string) (*Config, error) {
	b, err := readTrusted("config file", path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	var fe *FileError
	if errors.As(err, &fe) {
		fe.File = path
		return nil, fe
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.DataDir = resolve(filepath.Dir(path), c.DataDir)
	if err := CheckNotWritableByOthers("data directory", c.DataDir); err != nil {
		return nil, err
	}
	c.Path = path
	c.resolveSecretFiles(filepath.Dir(path))
	c.Store.resolve(filepath.Dir(path))
	return c, nil
}

// Parse decodes a config document strictly (unknown keys are errors), fills
// in defaults and validates it. DataDir is left as written. Problems in a
// policy block are *FileError values that point at the key.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, explainDecode(err, b)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file holds more than one YAML document "+
			"(a line of ---); jitgate reads one", ErrInvalid)
	}
	for i := range c.Resources {
		r := &c.Resources[i]
		if err := r.Policy.decode(r.key(i) + ".policy"); err != nil {
			return nil, err
		}
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Default returns the configuration init writes: defaults and no resources.
func Default() *Config {
	c := &Config{Resources: []Resource{}}
	c.applyDefaults()
	return c
}

// Marshal encodes c as YAML.
func (c *Config) Marshal() ([]byte, error) {
	return yaml.Marshal(c)
}

func (c *Config) applyDefaults() {
	if c.TrustDomain == "" {
		c.TrustDomain = DefaultTrustDomain
	}
	if c.Listen.Proxy == "" {
		c.Listen.Proxy = DefaultProxyAddr
	}
	if c.Listen.Admin == "" {
		c.Listen.Admin = DefaultAdminAddr
	}
	if c.Listen.Metrics == "" {
		c.Listen.Metrics = DefaultMetricsAddr
	}
}

func resolve(base, dir string) string {
	if dir == "" {
		return base
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(base, dir)
}
