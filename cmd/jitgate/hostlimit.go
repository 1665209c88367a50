package main

import (
	"net"
	"net/netip"
	"sync"
)

// maxAdminConnsPerHost caps the admin API's open connections from one
// address, so that a single host cannot take every connection the API
// allows before authenticating and lock admins out of revoking.
const maxAdminConnsPerHost = 64

// hostLimitListener accepts at most perHost open connections from each
// remote address and closes the ones over it at once.
type hostLimitListener struct {
	net.Listener
	perHost int

	mu   sync.Mutex
	open map[netip.Addr]int
}

func limitPerHost(l net.Listener, perHost int) *hostLimitListener {
	return &hostLimitListener{Listener: l, perHost: perHost, open: make(map[netip.Addr]int)}
}

// Accept returns the next connection whose host is under its limit.
func (l *hostLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := remoteHost(c)
		if l.take(host) {
			return &hostConn{Conn: c, release: func() { l.release(host) }}, nil
		}
		c.Close()
	}
}

func (l *hostLimitListener) take(host netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.open[host] >= l.perHost {
		return false
	}
	l.open[host]++
	return true
}

func (l *hostLimitListener) release(host netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// remoteHost is the address c comes from, IPv4 in IPv6 unmapped; the zero
// Addr for a connection that is not TCP, which then share one limit.
func remoteHost(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// hostConn gives its place back to its host once closed.
type hostConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *hostConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
