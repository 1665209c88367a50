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

// gate admits connections to their handshake while fewer than total are
// in progress, and fewer than perHost from the same address. It is safe
// for concurrent use.
type gate struct {
	total, perHost int

	mu     sync.Mutex
	inAll  int
	byHost map[netip.Addr]int
}

func newGate(total, perHost int) *gate {
	return &gate{total: total, perHost: perHost, byHost: make(map[netip.Addr]int)}
}

// enter takes a slot for a handshake from host, or reports that none is
// free.
func (g *gate) enter(host netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()

	if g.inAll >= g.total || g.byHost[host] >= g.perHost {
		return false
	}
	g.inAll++
	g.byHost[host]++
	return true
}

// leave gives back a slot enter took.
func (g *gate) leave(host netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()

	g.inAll--
	if g.byHost[host]--; g.byHost[host] <= 0 {
		delete(g.byHost, host)
	}
}

// remoteHost returns the address c comes from, the zero Addr when it has
// none: all of those share one count.
func remoteHost(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
