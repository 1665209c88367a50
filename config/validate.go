package config

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// ErrInvalid is returned, wrapped with the key and value, when a config value
// is not acceptable.
var ErrInvalid = errors.New("invalid config")

var (
	namePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// Validate checks every value of c and returns the first problem found.
func (c *Config) Validate() error {
	if !domainPattern.MatchString(c.TrustDomain) {
		return invalid("trust_domain", c.TrustDomain, "a lower-case DNS-like name")
	}
	if err := c.Listen.validate(); err != nil {
		return err
	}
	if err := c.TLS.validate(); err != nil {
		return err
	}
	for i, n := range c.ServerNames {
		if net.ParseIP(n) == nil && !domainPattern.MatchString(n) {
			key := fmt.Sprintf("server_names[%d]", i)
			return invalid(key, n, "a DNS name or an IP address")
		}
	}
	if err := c.Store.validate(); err != nil {
		return err
	}
	if err := c.validateResources(); err != nil {
		return err
	}
	return c.validateWebhooks()
}

// taken maps each of l's addresses with a fixed port to its key. The
// three must differ.
func (l Listen) taken() map[string]string {
	taken := map[string]string{}
	for _, kv := range [][2]string{{"listen.proxy", l.Proxy}, {"listen.admin", l.Admin},
		{"listen.metrics", l.Metrics}} {
		if !anyPort(kv[1]) {
			taken[kv[1]] = kv[0]
		}
	}
	return taken
}

// anyPort reports whether addr asks for a port the system picks (port 0),
// which two listeners can both ask for.
func anyPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

func (l Listen) validate() error {
	addrs := map[string]string{
		"listen.proxy": l.Proxy, "listen.admin": l.Admin, "listen.metrics": l.Metrics,
	}
	for key, addr := range addrs {
		if err := checkAddr(key, addr, true); err != nil {
			return err
		}
	}
	if len(l.taken()) < len(addrs)-countAnyPort(l.Proxy, l.Admin, l.Metrics) {
		return fmt.Errorf("%w: listen.proxy, listen.admin and listen.metrics must be "+
			"three different addresses", ErrInvalid)
	}
	return nil
}

func countAnyPort(addrs ...string) int {
	n := 0
	for _, a := range addrs {
		if anyPort(a) {
			n++
		}
	}
	return n
}

func (c *Config) validateResources() error {
	names := map[string]bool{}
	hosts := map[string]bool{}
	listens := c.Listen.taken()
	for i, r := range c.Resources {
		key := fmt.Sprintf("resources[%d]", i)
		if err := r.validate(key); err != nil {
			return err
		}
		if other, ok := listens[r.Listen]; ok && r.Listen != "" {
			return invalid(fmt.Sprintf("resources[%s].listen", r.Name), r.Listen,
				"an address "+other+" does not listen on already")
		}
		if r.Listen != "" && !anyPort(r.Listen) {
			listens[r.Listen] = fmt.Sprintf("resources[%s].listen", r.Name)
		}
		if names[r.Name] {
			return invalid(key+".name", r.Name, "a name no other resource has")
		}
		names[r.Name] = true
		if r.Hostname != "" && hosts[r.Hostname] {
			return invalid(key+".hostname", r.Hostname, "a hostname no other resource has")
		}
		hosts[r.Hostname] = true
	}
	return nil
}

func (r Resource) validate(key string) error {
	if !namePattern.MatchString(r.Name) {
		return invalid(key+".name", r.Name, "lower-case letters, digits, '.', '_' or '-'")
	}
	key = fmt.Sprintf("resources[%s]", r.Name)
	if err := checkAddr(key+".upstream", r.Upstream, false); err != nil {
		return err
	}
	if r.Listen == "" && r.Hostname == "" {
		return fmt.Errorf("%w: %s: needs listen, hostname or both", ErrInvalid, key)
	}
	if r.Listen != "" {
		if err := checkAddr(key+".listen", r.Listen, true); err != nil {
			return err
		}
	}
	if r.Hostname != "" && !domainPattern.MatchString(r.Hostname) {
		return invalid(key+".hostname", r.Hostname, "a lower-case DNS name")
	}
	return r.Policy.check(key + ".policy")
}

// key names the resource in errors: by name when it has a valid one, by
// index otherwise.
func (r Resource) key(i int) string {
	if namePattern.MatchString(r.Name) {
		return fmt.Sprintf("resources[%s]", r.Name)
	}
	return fmt.Sprintf("resources[%d]", i)
}

// checkAddr accepts host:port; a listen address may leave the host empty.
func checkAddr(key, addr string, listen bool) error {
	want := "host:port"
	if listen {
		want = "[host]:port"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (host == "" && !listen) {
		return invalid(key, addr, want)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !listen) {
		return invalid(key, addr, want+" with a port from 1 to 65535")
	}
	return nil
}

func invalid(key, value, want string) error {
	return fmt.Errorf("%w: %s: %q is not accepted; want %s", ErrInvalid, key, value, want)
}
