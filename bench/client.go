package bench

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jitgate/jitgate/ca"
)

// ClientConfig returns the TLS configuration of a load with the grant
// certificate c of the fixture in dir. curves nil keeps Go's defaults.
//
// The client pins the fixture's serving certificate instead of verifying
// its chain: crypto/tls still checks the server's signature with the pinned
// key, and the load generator's core is spared two signature checks per
// handshake, which would otherwise bound the load below what a server core
// can take.
func ClientConfig(dir string, c Client, curves []tls.CurveID) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	serving, err := servingLeaf(dir)
	if err != nil {
		return nil, err
	}

	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		ServerName:         ServerName,
		Certificates:       []tls.Certificate{cert},
		CurvePreferences:   curves,
		InsecureSkipVerify: true, // the serving leaf is pinned below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], serving) {
				return errors.New("server certificate is not the fixture's")
			}
			return nil
		},
	}, nil
}

// servingLeaf returns the DER of the fixture's serving certificate.
func servingLeaf(dir string) ([]byte, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCertFile),
		filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	return cert.Certificate[0], nil
}

// OpenFixture returns the fixture that Setup made in dir.
func OpenFixture(dir string) (*Fixture, error) {
	f := &Fixture{Dir: dir}
	var err error
	if f.Load, err = f.clientFiles(loadName); err != nil {
		return nil, err
	}
	if f.Revoke, err = f.clientFiles(revokeName); err != nil {
		return nil, err
	}
	return f, nil
}

// clientFiles returns the client called name, its grant ID read from its
// certificate.
func (f *Fixture) clientFiles(name string) (Client, error) {
	c := Client{CertFile: f.Path(name + ".crt"), KeyFile: f.Path(name + ".key")}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return Client{}, fmt.Errorf("fixture client %s: %w", name, err)
	}
	claims, err := ca.ReadClaims(cert.Leaf, TrustDomain)
	if err != nil {
		return Client{}, fmt.Errorf("fixture client %s: %w", name, err)
	}
	c.GrantID = claims.GrantID
	return c, nil
}
