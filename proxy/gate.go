package proxy

import (
	"net"
	"net/netip"
	"sync"
)

// Bounds on the handshakes in progress, when Config leaves them zero.
const (
	// DefaultMaxHandshakes bounds them in all: a handshake that never
	// finishes holds a file descriptor for HandshakeTimeout, and the
	// admin API and the live connections need theirs.
	DefaultMaxHandshakes = 4096
	// DefaultMaxHandshakesPerHost bounds them from one address, so that
	// one client cannot take every slot, while a connection pool opening
	// at once through `jitgate connect` still fits.
	DefaultMaxHandshakesPerHost = 256
)

// HostGate admits a connection while fewer than total hold a place, and
// fewer than perHost from its address: the proxy holds one per handshake
// in progress, the admin API one per open connection. It is safe for
// concurrent use.
type HostGate struct {
	total, perHost int

	mu     sync.Mutex
	inAll  int
	byHost map[netip.Addr]int
}

// NewHostGate returns a HostGate of total places, perHost for one address.
func NewHostGate(total, perHost int) *HostGate {
	return &HostGate{total: total, perHost: perHost, byHost: make(map[netip.Addr]int)}
}

// Enter takes a place for a connection from host, or reports that none is
// free.
func (g *HostGate) Enter(host netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()

	if g.inAll >= g.total || g.byHost[host] >= g.perHost {
		return false
	}
	g.inAll++
	g.byHost[host]++
	return true
}

// Leave gives back a place Enter took.
func (g *HostGate) Leave(host netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()

	g.inAll--
	if g.byHost[host]--; g.byHost[host] <= 0 {
		delete(g.byHost, host)
	}
}

// RemoteHost returns the address c comes from, IPv4 in IPv6 unmapped; the
// zero Addr for a connection that is not TCP, which then share one count.
func RemoteHost(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
