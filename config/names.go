package config

import "net"

// ServingNames lists every name jitgate's serving certificates cover:
// localhost, 127.0.0.1, the configured server names, the resources'
// hostnames and the hosts of listen addresses, each once.
func (c *Config) ServingNames() []string {
	names := []string{"localhost", "127.0.0.1"}
	names = append(names, c.ServerNames...)
	for _, r := range c.Resources {
		names = append(names, r.Hostname, hostOf(r.Listen))
	}
	names = append(names, hostOf(c.Listen.Proxy), hostOf(c.Listen.Admin))
	return unique(names)
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	return host
}

func unique(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
