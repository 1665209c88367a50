package proxy

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingGet is a GetCertificate that returns a new certificate for each
// call, or err, and counts its calls.
type countingGet struct {
	calls int
	err   error
}

func (g *countingGet) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	g.calls++
	if g.err != nil {
		return nil, g.err
	}
	return &tls.Certificate{}, nil
}

// localConn is a net.Conn that only knows its local address.
type localConn struct {
	net.Conn
	local net.Addr
}

func (c localConn) LocalAddr() net.Addr { return c.local }

func helloTo(serverName, localIP string) *tls.ClientHelloInfo {
	local := &net.TCPAddr{IP: net.ParseIP(localIP), Port: 8443}
	return &tls.ClientHelloInfo{ServerName: serverName, Conn: localConn{local: local}}
}

func TestCertCacheRemembersPerName(t *testing.T) {
	g := &countingGet{}
	c, err := newCertCache(g.get)
	require.NoError(t, err)

	first, err := c.getCertificate(helloTo("a.test", "127.0.0.1"))
	require.NoError(t, err)
	again, err := c.getCertificate(helloTo("a.test", "127.0.0.2"))
	require.NoError(t, err)
	assert.Same(t, first, again, "a server name is remembered whatever the address")
	assert.Equal(t, 1, g.calls)

	tests := []struct {
		name  string
		hello *tls.ClientHelloInfo
		calls int
	}{
		{"another name", helloTo("b.test", "127.0.0.1"), 2},
		{"no name, by local address", helloTo("", "127.0.0.1"), 3},
		{"no name, same address", helloTo("", "127.0.0.1"), 3},
		{"no name, another address", helloTo("", "127.0.0.2"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.getCertificate(tt.hello)
			require.NoError(t, err)
			assert.Equal(t, tt.calls, g.calls)
		})
	}
}

func TestCertCacheForgetsErrors(t *testing.T) {
	g := &countingGet{err: errors.New("no certificate")}
	c, err := newCertCache(g.get)
	require.NoError(t, err)

	for range 2 {
		_, err := c.getCertificate(helloTo("a.test", "127.0.0.1"))
		require.ErrorIs(t, err, g.err)
	}
	assert.Equal(t, 2, g.calls, "a failure was remembered")

	g.err = nil
	_, err = c.getCertificate(helloTo("a.test", "127.0.0.1"))
	require.NoError(t, err)
}

func TestCertCacheEntryExpires(t *testing.T) {
	g := &countingGet{}
	c, err := newCertCache(g.get)
	require.NoError(t, err)
	hello := helloTo("a.test", "127.0.0.1")
	_, err = c.getCertificate(hello)
	require.NoError(t, err)

	key := certKey{serverName: "a.test"}
	s, ok := c.certs.Get(key)
	require.True(t, ok)
	s.expires = s.expires.Add(-2 * certCacheTTL)
	c.certs.Add(key, s)

	_, err = c.getCertificate(hello)
	require.NoError(t, err)
	assert.Equal(t, 2, g.calls, "an expired entry was served")
}
