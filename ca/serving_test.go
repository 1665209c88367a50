package ca

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// getCertFunc is what ServingCertificates returns.
type getCertFunc = func(*tls.ClientHelloInfo) (*tls.Certificate, error)

func TestServingCertificates(t *testing.T) {
	a := newTestCA(t)
	get := startServing(t, a, t.TempDir(), "localhost", "127.0.0.1")
	addr, sawSNI := serveTLS(t, get)

	tests := []struct {
		name       string
		serverName string
		wantSNI    string
	}{
		{name: "by name", serverName: "localhost", wantSNI: "localhost"},
		{name: "by ip, no sni", serverName: "127.0.0.1", wantSNI: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := dialTLS(t, addr, &tls.Config{
				RootCAs:    a.Roots(),
				ServerName: tt.serverName,
				MinVersion: tls.VersionTLS13,
			})
			assert.Equal(t, tt.wantSNI, <-sawSNI)

			leaf := state.PeerCertificates[0]
			assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
			assert.Equal(t, ServerLifetime+ClockSkew, leaf.NotAfter.Sub(leaf.NotBefore))
			require.NoError(t, leaf.CheckSignatureFrom(a.Intermediate()))
		})
	}
}

func TestServingCertificatesDefaultName(t *testing.T) {
	a := newTestCA(t)
	get := startServing(t, a, t.TempDir(), "localhost")
	addr, sawSNI := serveTLS(t, get)

	// Dialled by IP, which is not among the names, so no SNI and no
	// certificate for the address: the server must fall back to localhost.
	state := dialTLS(t, addr, &tls.Config{
		InsecureSkipVerify: true,
		VerifyConnection:   verifyFor(a, "localhost"),
		MinVersion:         tls.VersionTLS13,
	})
	assert.Equal(t, "", <-sawSNI)
	assert.Equal(t, []string{"localhost"}, state.PeerCertificates[0].DNSNames)
}

// TestServingCertificatesUnknownName has a client name a host no
// certificate is held for: it gets the default certificate, and its own
// name check fails, rather than the handshake ending in an internal error.
func TestServingCertificatesUnknownName(t *testing.T) {
	a := newTestCA(t)
	get := startServing(t, a, t.TempDir(), "localhost", "127.0.0.1")
	addr, sawSNI := serveTLS(t, get)

	state := dialTLS(t, addr, &tls.Config{
		InsecureSkipVerify: true,
		ServerName:         "alias.example.test",
		VerifyConnection:   verifyFor(a, "localhost"),
		MinVersion:         tls.VersionTLS13,
	})
	assert.Equal(t, "alias.example.test", <-sawSNI)
	assert.Equal(t, []string{"localhost"}, state.PeerCertificates[0].DNSNames)

	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: a.Roots(),
		ServerName: "alias.example.test", MinVersion: tls.VersionTLS13})
	if err == nil {
		conn.Close()
	}
	var wrongName x509.HostnameError
	require.ErrorAs(t, err, &wrongName)
	<-sawSNI
}

func TestServingCertificatesReusesStorage(t *testing.T) {
	a := newTestCA(t)
	storage := t.TempDir()
	hello := &tls.ClientHelloInfo{ServerName: "localhost"}

	first, err := startServing(t, a, storage, "localhost")(hello)
	require.NoError(t, err)
	second, err := startServing(t, a, storage, "localhost")(hello)
	require.NoError(t, err)

	assert.Equal(t, first.Leaf.Raw, second.Leaf.Raw)
}

func TestServingCertificatesNeedsNames(t *testing.T) {
	get, err := ServingCertificates(context.Background(), newTestCA(t), t.TempDir(), nil,
		zap.NewNop())
	assert.Error(t, err)
	assert.Nil(t, get)
}

// startServing runs ServingCertificates until the test ends.
func startServing(t testing.TB, a *Authority, storage string,
	names ...string) getCertFunc {
	t.Helper()

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	get, err := ServingCertificates(ctx, a, storage, names, zap.NewNop())
	require.NoError(t, err)
	return get
}

// serveTLS accepts TLS connections on a loopback port until the test ends,
// completing each handshake with get. It reports the server name of each
// hello on the returned channel.
func serveTLS(t testing.TB, get getCertFunc) (string, <-chan string) {
	t.Helper()

	sawSNI := make(chan string, 8)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sawSNI <- hello.ServerName
			return get(hello)
		},
	})
	require.NoError(t, err)

	var wg sync.WaitGroup
	wg.Go(func() { acceptHandshakes(ln) })
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), sawSNI
}

func acceptHandshakes(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		_ = conn.(*tls.Conn).Handshake()
		_ = conn.Close()
	}
}

func dialTLS(t testing.TB, addr string, cfg *tls.Config) tls.ConnectionState {
	t.Helper()

	conn, err := tls.Dial("tcp", addr, cfg)
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState()
}

// verifyFor checks the server's chain against a's root for name.
func verifyFor(a *Authority, name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		opts := x509.VerifyOptions{Roots: a.Roots(), DNSName: name,
			Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}
