package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// BareConfig returns the configuration of the bare crypto/tls echo server
// jitgate is compared with: the fixture's serving certificate, and client
// certificates verified by crypto/tls against the fixture's CA bundle. It
// checks no grant. curves nil keeps Go's defaults.
//
// The bundle holds the intermediate, so the server verifies a client leaf
// with one signature check, as a client sends the leaf alone.
func BareConfig(dir string, curves []tls.CurveID) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCertFile),
		filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	pool, err := certPool(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        pool,
		CurvePreferences: curves,
	}, nil
}

// certPool reads a PEM bundle into a pool.
func certPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca bundle %s: no certificate", path)
	}
	return pool, nil
}

// ServeEcho accepts connections on ln until ctx ends and writes back what
// each sends. A *tls.Config wraps each connection in a TLS server first; nil
// echoes plain TCP.
func ServeEcho(ctx context.Context, ln net.Listener, config *tls.Config) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("echo accept: %w", err)
		}
		if config != nil {
			c = tls.Server(c, config)
		}
		conns.Go(func() { echo(ctx, c) })
	}
}

// echo copies c to itself until either side ends or ctx does. It copies
// through a buffer of its own: io.Copy between TCP connections would
// splice through a pipe, two more file descriptors per connection, which
// the held-connections test cannot afford.
func echo(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()

	// Either side ending ends the echo; how it ended does not matter.
	_, _ = io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c},
		make([]byte, echoBufSize))
}

// echoBufSize is the copy buffer of each echoed connection, as io.Copy's.
const echoBufSize = 32 << 10
