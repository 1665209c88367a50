package proxy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

// benchServer returns the dedicated listener config of resource "db" of a
// proxy that has not opened its listeners, a client config holding a grant
// certificate for "db" whose grant is live, and the pool of the root that
// signed it.
func benchServer(b *testing.B) (*tls.Config, *tls.Config, *x509.CertPool) {
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
	return srv.listeners[0].tls, client, pki.pool
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
	server, client, _ := benchServer(b)
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

// BenchmarkVerifyCache isolates the chain verification of a client
// certificate signed by jitgate's real CA, through the proxy's cache: hit
// is the SHA-256 of the leaf and an LRU lookup, as on every handshake of a
// known certificate; miss adds the CA's x509 verification and the reading
// of the claims, as on a certificate's first handshake. Compare runs with
//
//	go test -run '^$' -bench VerifyCache -benchmem -count 10 ./proxy > new.txt
//	benchstat old.txt new.txt
func BenchmarkVerifyCache(b *testing.B) {
	authority, err := ca.Init(b.TempDir(), "jitgate.test")
	require.NoError(b, err)
	now := time.Now()
	cert := signWith(b, authority, func(csr *x509.CertificateRequest) (*x509.Certificate, error) {
		return authority.SignGrant(csr, ca.GrantClaims{User: "alice", GrantID: "g1",
			Resource: "db", NotAfter: now.Add(time.Hour)}, now)
	})
	chain := []*x509.Certificate{cert.Leaf}

	for _, hit := range []bool{true, false} {
		b.Run(map[bool]string{true: "hit", false: "miss"}[hit], func(b *testing.B) {
			v, err := newVerifyCache(authority, DefaultVerifyCacheSize)
			require.NoError(b, err)
			key := sha256.Sum256(cert.Leaf.Raw)

			b.ReportAllocs()
			for b.Loop() {
				if !hit {
					v.leaves.Remove(key)
				}
				if _, err := v.claims(chain, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshake measures one TLS 1.3 handshake with a client
// certificate over net.Pipe, so that no socket or kernel time is counted,
// with the client's certificate sent as a leaf alone. full makes a new
// session every time; resumed resumes one with a session ticket, the
// inline check running again. check=on is the config the proxy serves
// with; check=off is the same config without VerifyConnection (no check of
// the client at all), so on minus off is the cost of the inline check;
// check=x509 is what a bare crypto/tls server does instead,
// RequireAndVerifyClientCert against the CA, so x509 minus on is what the
// verification cache saves. Compare the variants with
//
//	go test -run '^$' -bench Handshake -benchmem -count 10 ./proxy > hs.txt
//	benchstat -col /check hs.txt
func BenchmarkHandshake(b *testing.B) {
	for _, resume := range []bool{false, true} {
		for _, check := range []string{"on", "off", "x509"} {
			name := map[bool]string{false: "full", true: "resumed"}[resume]
			b.Run(name+"/check="+check, func(b *testing.B) {
				server, client, pool := benchServer(b)
				server = handshakeConfig(server, check, pool)
				if resume {
					client.ClientSessionCache = tls.NewLRUClientSessionCache(1)
					pipeHandshake(b, server, client)
				}

				b.ReportAllocs()
				for b.Loop() {
					if resumed := pipeHandshake(b, server, client); resumed != resume {
						b.Fatalf("handshake resumed: %v", resumed)
					}
				}
			})
		}
	}
}

// handshakeConfig returns the proxy's config as check says.
func handshakeConfig(server *tls.Config, check string, pool *x509.CertPool) *tls.Config {
	if check == "on" {
		return server
	}
	server = server.Clone()
	server.VerifyConnection = nil
	if check == "x509" {
		server.ClientAuth = tls.RequireAndVerifyClientCert
		server.ClientCAs = pool
	}
	return server
}

// BenchmarkRecorder measures the metrics of one connection, as the proxy
// records them: a handshake, an opening and a closing, through the
// Prometheus recorder (on) and through none (off).
func BenchmarkRecorder(b *testing.B) {
	recorders := map[string]Recorder{
		"on":  NewPrometheusRecorder(prometheus.NewRegistry()),
		"off": orNopRecorder(nil),
	}
	for _, name := range []string{"on", "off"} {
		rec := recorders[name]
		b.Run("metrics="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec.Handshake("db", resultAllowed, reasonOK, time.Millisecond)
				rec.ConnOpened("db")
				rec.ConnClosed("db", closeEOF, 100, 200)
			}
		})
	}
}

// pipeHandshake runs one handshake between server and client in memory
// and reports whether it resumed a session.
func pipeHandshake(b *testing.B, server, client *tls.Config) bool {
	sideS, sideC, stop := relayedPipe()
	defer stop()

	serverDone := make(chan error, 1)
	go func() { serverDone <- tls.Server(sideS, server).Handshake() }()
	c := tls.Client(sideC, client)
	if err := c.Handshake(); err != nil {
		b.Fatal(err)
	}

	// The server sends its session tickets after its Finished or the
	// client's; the client stores them as it reads them.
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(io.Discard, c)
	}()
	if err := <-serverDone; err != nil {
		b.Fatal(err)
	}
	sideS.Close()
	<-read
	return c.ConnectionState().DidResume
}

// relayBuffers are the copy buffers of relayedPipe.
var relayBuffers = sync.Pool{New: func() any { return new([4096]byte) }}

// relayedPipe returns the two ends of an in-memory connection, and a
// function that closes it. A net.Pipe blocks a writer until the other end
// reads, so a TLS 1.3 server writing its session ticket while the client
// writes its Finished would wait forever; a goroutine copying each
// direction lets both writes finish.
func relayedPipe() (net.Conn, net.Conn, func()) {
	a, relayA := net.Pipe()
	relayB, b := net.Pipe()
	var copies sync.WaitGroup
	relay := func(dst, src net.Conn) {
		buf := relayBuffers.Get().(*[4096]byte)
		defer relayBuffers.Put(buf)
		io.CopyBuffer(dst, src, buf[:])
		dst.Close()
	}
	copies.Go(func() { relay(relayB, relayA) })
	copies.Go(func() { relay(relayA, relayB) })
	return a, b, func() {
		a.Close()
		b.Close()
		copies.Wait()
	}
}
