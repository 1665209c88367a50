package ca

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/caddyserver/certmagic"
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

// Kind tells identity certificates from grant certificates.
type Kind string

// The kinds of client certificate jitgate signs.
const (
	KindIdentity Kind = "identity"
	KindGrant    Kind = "grant"
)

// Claims is what a client certificate signed by this CA says.
type Claims struct {
	Kind Kind
	User string
	// GrantID and Resource are set for grant certificates only.
	GrantID  string
	Resource string
	NotAfter time.Time
}

// GrantClaims is what a grant certificate is signed for.
type GrantClaims struct {
	User     string
	GrantID  string
	Resource string
	NotAfter time.Time
}

// Authority signs certificates with the intermediate key. It is safe for
// concurrent use.
type Authority struct{}

// Init creates a new root and intermediate under dir/ca and returns the
// Authority. It refuses, naming the file, when any CA file already exists.
func Init(dir, trustDomain string) (*Authority, error) { panic("todo") }

// Load reads the CA under dir/ca. It refuses to load a private key that is
// readable or writable by anyone but its owner.
func Load(dir, trustDomain string) (*Authority, error) { panic("todo") }

// TrustDomain returns the trust domain of the user URIs this CA signs.
func (a *Authority) TrustDomain() string { panic("todo") }

// Root returns the root certificate.
func (a *Authority) Root() *x509.Certificate { panic("todo") }

// Intermediate returns the signing intermediate certificate.
func (a *Authority) Intermediate() *x509.Certificate { panic("todo") }

// Roots returns a pool holding the root alone.
func (a *Authority) Roots() *x509.CertPool { panic("todo") }

// BundlePEM returns the root then the intermediate, PEM encoded.
func (a *Authority) BundlePEM() []byte { panic("todo") }

// Fingerprint returns the SHA-256 fingerprint of cert in the form that
// ParseFingerprint accepts: upper-case hex pairs joined by colons.
func Fingerprint(cert *x509.Certificate) string { panic("todo") }

// ParseFingerprint reads a SHA-256 fingerprint as hex, with or without
// colons, in either case, optionally prefixed "SHA256:".
func ParseFingerprint(s string) ([]byte, error) { panic("todo") }

// ParseCSR reads a PEM or DER CSR and checks its signature and key type
// (ECDSA P-256 or P-384, Ed25519, RSA of at least 2048 bits). Errors say what
// was wrong.
func ParseCSR(b []byte) (*x509.CertificateRequest, error) { panic("todo") }

// SignIdentity signs an identity certificate for user, valid for
// IdentityLifetime from now. Names in the CSR are ignored.
func (a *Authority) SignIdentity(csr *x509.CertificateRequest, user string, now time.Time) (*x509.Certificate, error) {
	panic("todo")
}

// SignGrant signs a grant certificate valid from now minus ClockSkew until
// c.NotAfter. Names in the CSR are ignored.
func (a *Authority) SignGrant(csr *x509.CertificateRequest, c GrantClaims, now time.Time) (*x509.Certificate, error) {
	panic("todo")
}

// Issue signs a serving certificate for the names of a CSR; it makes the
// Authority a certmagic.Issuer.
func (a *Authority) Issue(ctx context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	panic("todo")
}

// IssuerKey names this CA to certmagic's storage.
func (a *Authority) IssuerKey() string { panic("todo") }

// Verify checks that chain[0] was signed by this CA for client
// authentication and is valid at now, and returns its claims. The rest of
// chain is ignored: the intermediate is known.
func (a *Authority) Verify(chain []*x509.Certificate, now time.Time) (Claims, error) {
	panic("todo")
}

// ReadClaims reads the claims of a certificate signed by a CA of
// trustDomain, without verifying its signature.
func ReadClaims(cert *x509.Certificate, trustDomain string) (Claims, error) { panic("todo") }
