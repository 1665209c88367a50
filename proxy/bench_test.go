package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchServer returns a proxy that has not opened its listeners, the
// dedicated listener config of its resource "db", and a client config
// holding a grant certificate for "db" whose grant is live.
func benchServer(b *testing.B) (*Server, *tls.Config, *tls.Config) {
	b.Helper()

	pki := newPKI(b)
	serving := pki.serving(b)
	srv, err := New(Config{
		Resources:      []Resource{{Name: "db", Upstream: "db:5432", Listen: ":0"}},
		Verifier:       &testVerifier{roots: pki.pool},
		Checker:        newFakeChecker("g1"),
		GetCertificate: fixedCert(&serving),
	})
	require.NoError(b, err)

	cert := pki.client(b, grantClaims("alice", "g1", "db"))
	client := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		RootCAs:      pki.pool,
		ServerName:   "db" + testDomain,
		Certificates: []tls.Certificate{cert},
	}
	return srv, srv.listeners[0].tls, client
}

// BenchmarkVerifyConnection measures the inline check alone, as crypto/tls
// calls it at the end of a handshake, when the client's chain is already in
// the verify cache and the grant check answers from memory: the common case
// of what jitgate adds to a handshake. It should report 0 allocs/op. Compare
// two versions of the code with
//
//	go test -run '^$' -bench VerifyConnection -count 10 ./proxy > old.txt
//	(change the code, then the same command > new.txt)
//	benchstat old.txt new.txt
func BenchmarkVerifyConnection(b *testing.B) {
	_, server, client := benchServer(b)
	cs := tls.ConnectionState{
		ServerName:       client.ServerName,
		PeerCertificates: []*x509.Certificate{client.Certificates[0].Leaf},
	}
	require.NoError(b, server.VerifyConnection(cs), "the warming call fills the cache")

	b.ReportAllocs()
	for b.Loop() {
		if err := server.VerifyConnection(cs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandshake measures one full TLS 1.3 handshake with a client
// certificate (no resumption) against a proxy listener's config, over
// net.Pipe so that no socket or kernel time is counted. check=on is the
// config the proxy serves with; check=off is the same config without
// VerifyConnection, so the difference between the two is the cost of the
// inline check beside the handshake's crypto. Compare them with
//
//	go test -run '^$' -bench Handshake -count 10 ./proxy > hs.txt
//	benchstat -col /check hs.txt
func BenchmarkHandshake(b *testing.B) {
	for _, check := range []string{"on", "off"} {
		b.Run("check="+check, func(b *testing.B) {
			_, server, client := benchServer(b)
			if check == "off" {
				server = server.Clone()
				server.VerifyConnection = nil
			}

			b.ReportAllocs()
			for b.Loop() {
				pipeHandshake(b, server, client)
			}
		})
	}
}

// pipeHandshake runs one handshake between server and client over net.Pipe.
func pipeHandshake(b *testing.B, server, client *tls.Config) {
	sideS, sideC := net.Pipe()
	defer sideS.Close()
	defer sideC.Close()

	serverDone := make(chan error, 1)
	go func() { serverDone <- tls.Server(sideS, server).Handshake() }()
	c := tls.Client(sideC, client)
	if err := c.Handshake(); err != nil {
		b.Fatal(err)
	}

	// The server sends its session tickets after the client's Finished; a
	// pipe has no buffer, so the client must read them for the server to
	// finish.
	go io.Copy(io.Discard, c)
	if err := <-serverDone; err != nil {
		b.Fatal(err)
	}
}
