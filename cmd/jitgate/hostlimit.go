package main

import (
	"net"
	"sync"

	"github.com/jitgate/jitgate/proxy"
)

// Limits of the admin API's open connections, which anyone can open before
// authenticating: in all, and from one address, so that a single host
// cannot take every connection and lock admins out of revoking.
const (
	maxAdminConns        = 512
	maxAdminConnsPerHost = 64
)

// hostLimitListener accepts a connection while its gate has a place for
// it, and closes the others at once.
type hostLimitListener struct {
	net.Listener
	gate *proxy.HostGate
}

// limitConns lets l hold at most total open connections, perHost from one
// address.
func limitConns(l net.Listener, total, perHost int) *hostLimitListener {
	return &hostLimitListener{Listener: l, gate: proxy.NewHostGate(total, perHost)}
}

// Accept returns the next connection the gate has a place for.
func (l *hostLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := proxy.RemoteHost(c)
		if l.gate.Enter(host) {
			return &hostConn{Conn: c, release: func() { l.gate.Leave(host) }}, nil
		}
		c.Close()
	}
}

// hostConn gives its place back once closed.
type hostConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *hostConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
