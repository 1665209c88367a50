package ca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Lifetimes and allowances of the signing profiles.
const (
	// IdentityLifetime is how long an identity certificate is valid.
	IdentityLifetime = 12 * time.Hour
	// ClockSkew is how far before now a certificate's NotBefore is set, so a
	// client whose clock runs slightly behind accepts it.
	ClockSkew = time.Minute
	// ServerLifetime is how long a serving certificate is valid; certmagic
	// renews it before it ends.
	ServerLifetime = 30 * 24 * time.Hour
)

// SignIdentity signs an identity certificate for user, valid for
// IdentityLifetime from now. Names in the CSR are ignored.
func (a *Authority) SignIdentity(csr *x509.CertificateRequest, user string,
	now time.Time) (*x509.Certificate, error) {
	if err := checkName("user", user); err != nil {
		return nil, fmt.Errorf("sign identity: %w", err)
	}

	tmpl := a.clientTemplate(KindIdentity, user, now, now.Add(IdentityLifetime))
	cert, err := a.sign(csr, tmpl)
	if err != nil {
		return nil, fmt.Errorf("sign identity for %s: %w", user, err)
	}
	return cert, nil
}

// IssuedAt returns when this CA signed a client certificate, to the
// second: its NotBefore plus ClockSkew.
func IssuedAt(cert *x509.Certificate) time.Time {
	return cert.NotBefore.Add(ClockSkew)
}

// SignGrant signs a grant certificate valid from now minus ClockSkew until
// c.NotAfter. Names in the CSR are ignored. The certificate carries
// c.NotAfter to the second, as X.509 does, rounded down.
func (a *Authority) SignGrant(csr *x509.CertificateRequest, c GrantClaims,
	now time.Time) (*x509.Certificate, error) {
	if err := c.check(now); err != nil {
		return nil, fmt.Errorf("sign grant: %w", err)
	}

	tmpl := a.clientTemplate(KindGrant, c.User, now, c.NotAfter)
	tmpl.URIs = append(tmpl.URIs, grantURI(c.GrantID), resourceURI(c.Resource))
	cert, err := a.sign(csr, tmpl)
	if err != nil {
		return nil, fmt.Errorf("sign grant %s: %w", c.GrantID, err)
	}
	return cert, nil
}

// clientTemplate is what identity and grant certificates share: the kind as
// a certificate policy, client authentication only, and the user as common
// name and SPIFFE URI.
func (a *Authority) clientTemplate(kind Kind, user string,
	now, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: user},
		NotBefore:             now.Add(-ClockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{userURI(a.trustDomain, user)},
		Policies:              []x509.OID{kind.policy()},
	}
}

// signServer makes a serving certificate for the DNS names and IP addresses
// of csr, for server authentication only.
func (a *Authority) signServer(csr *x509.CertificateRequest,
	now time.Time) (*x509.Certificate, error) {
	if csr == nil {
		return nil, fmt.Errorf("%w: no csr", ErrBadCSR)
	}
	if err := checkServerNames(csr.DNSNames, csr.IPAddresses); err != nil {
		return nil, err
	}

	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: firstName(csr)},
		NotBefore:             now.Add(-ClockSkew),
		NotAfter:              now.Add(ServerLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              csr.DNSNames,
		IPAddresses:           csr.IPAddresses,
	}
	return a.sign(csr, tmpl)
}

func checkServerNames(dnsNames []string, ips []net.IP) error {
	if len(dnsNames)+len(ips) == 0 {
		return fmt.Errorf("%w: csr names no dns name or ip address", ErrBadName)
	}

	for _, name := range dnsNames {
		if name == "" {
			return fmt.Errorf("%w: empty dns name in csr", ErrBadName)
		}
	}
	return nil
}

func firstName(csr *x509.CertificateRequest) string {
	if len(csr.DNSNames) > 0 {
		return csr.DNSNames[0]
	}
	return csr.IPAddresses[0].String()
}

// sign vets csr, so that one built in memory gets the checks ParseCSR
// makes, and signs tmpl for its key with the intermediate.
func (a *Authority) sign(csr *x509.CertificateRequest,
	tmpl *x509.Certificate) (*x509.Certificate, error) {
	if err := vetCSR(csr); err != nil {
		return nil, err
	}

	if tmpl.NotAfter.After(a.intermediate.NotAfter) {
		return nil, errors.New("certificate would outlive the intermediate; " +
			"renew the ca")
	}

	cert, err := createCert(tmpl, a.intermediate, csr.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	return cert, nil
}
