package ca

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/caddyserver/certmagic"
)

// Issue signs a serving certificate for the names of a CSR; it makes the
// Authority a certmagic.Issuer. The certificate is for server authentication
// only, carries the CSR's DNS names and IP addresses, and lasts
// ServerLifetime. It comes back as PEM, the leaf then the intermediate.
func (a *Authority) Issue(ctx context.Context,
	csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("issue serving certificate: %w", err)
	}

	cert, err := a.signServer(csr, time.Now())
	if err != nil {
		return nil, fmt.Errorf("issue serving certificate: %w", err)
	}
	return &certmagic.IssuedCertificate{Certificate: EncodePEM(cert, a.intermediate)}, nil
}

// IssuerKey names this CA to certmagic's storage.
func (a *Authority) IssuerKey() string {
	return "jitgate-" + a.trustDomain
}
