package proxy

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// The proxy remembers the serving certificate GetCertificate returned for
// a server name, for certCacheTTL, in an LRU of certCacheSize names (server
// names come from clients, so the LRU bounds what they can make it hold).
// certmagic renews a certificate days before it ends, so a renewal reaches
// new handshakes within certCacheTTL; in exchange a handshake skips
// certmagic's cache lookup and per-handshake logger, about 3% of the CPU of
// a full handshake.
const (
	certCacheTTL  = 10 * time.Second
	certCacheSize = 64
)

// certKey names the certificate a hello gets: by server name, or by the
// local address a hello without one arrived on.
type certKey struct {
	serverName string
	local      netip.Addr
}

// servedCert is a remembered serving certificate.
type servedCert struct {
	cert    *tls.Certificate
	expires time.Time
}

// certCache is a GetCertificate that remembers what the one it wraps
// returned. Errors are not remembered. It is safe for concurrent use.
type certCache struct {
	get   func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	certs *lru.Cache[certKey, servedCert]
}

// newCertCache wraps get.
func newCertCache(get func(*tls.ClientHelloInfo) (*tls.Certificate, error),
) (*certCache, error) {
	certs, err := lru.New[certKey, servedCert](certCacheSize)
	if err != nil {
		return nil, fmt.Errorf("serving certificate cache: %w", err)
	}
	return &certCache{get: get, certs: certs}, nil
}

// getCertificate is the tls.Config.GetCertificate of the proxy's listeners.
func (c *certCache) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	key := certKey{serverName: hello.ServerName}
	if key.serverName == "" && hello.Conn != nil {
		if tcp, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok {
			key.local = tcp.AddrPort().Addr()
		}
	}
	now := time.Now()
	if s, ok := c.certs.Get(key); ok && now.Before(s.expires) {
		return s.cert, nil
	}

	cert, err := c.get(hello)
	if err != nil {
		return nil, err
	}
	c.certs.Add(key, servedCert{cert: cert, expires: now.Add(certCacheTTL)})
	return cert, nil
}
