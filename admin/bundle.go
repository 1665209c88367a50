package admin

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// rootPool returns a pool of the self-signed CA certificates of a bundle.
func rootPool(bundlePEM []byte) (*x509.CertPool, error) {
	certs, err := parseBundle(bundlePEM)
	if err != nil {
		return nil, err
	}

	pool := x509.NewCertPool()
	found := false
	for _, c := range certs {
		if isRoot(c) {
			pool.AddCert(c)
			found = true
		}
	}
	if !found {
		return nil, errors.New("CA bundle holds no root certificate")
	}
	return pool, nil
}

// parseBundle reads every certificate of a PEM bundle.
func parseBundle(bundlePEM []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(bundlePEM)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("CA bundle: trailing data is not PEM")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}

		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		certs = append(certs, c)
		rest = bytes.TrimSpace(rest)
	}

	if len(certs) == 0 {
		return nil, errors.New("CA bundle holds no certificate")
	}
	return certs, nil
}

// isRoot reports whether c is a self-signed CA certificate.
func isRoot(c *x509.Certificate) bool {
	selfIssued := bytes.Equal(c.RawSubject, c.RawIssuer)
	return c.IsCA && selfIssued && c.CheckSignatureFrom(c) == nil
}
