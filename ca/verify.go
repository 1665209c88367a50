package ca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Verify checks that chain[0] was signed by this CA for client
// authentication and is valid at now, and returns its claims. The rest of
// chain is ignored: the intermediate is known.
//
// Errors wrap ErrNotOurs for a certificate of another CA, ErrExpired or
// ErrNotYetValid for one of ours outside its validity, ErrWrongKind for a CA
// or serving certificate, and ErrBadClaims for claims that do not read.
// Callers check the Kind.
func (a *Authority) Verify(chain []*x509.Certificate, now time.Time) (Claims, error) {
	if len(chain) == 0 || chain[0] == nil {
		return Claims{}, fmt.Errorf("%w: no certificate", ErrNotOurs)
	}
	leaf := chain[0]

	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         a.roots,
		Intermediates: a.intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return Claims{}, a.explain(leaf, now, err)
	}

	if err := checkClientLeaf(leaf); err != nil {
		return Claims{}, err
	}
	return ReadClaims(leaf, a.trustDomain)
}

// checkClientLeaf refuses our own CA certificates, which chain to the root
// like any other, and a leaf that may not sign a handshake.
func checkClientLeaf(leaf *x509.Certificate) error {
	if leaf.IsCA {
		return fmt.Errorf("%w: %q is a ca certificate", ErrWrongKind,
			leaf.Subject.CommonName)
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: key usage lacks digital signature", ErrWrongKind)
	}
	return nil
}

// explain sorts a failed verification. crypto/x509 checks the leaf's
// validity period before it looks for a chain, so an expired certificate is
// only called ours once its signature is checked against the intermediate.
func (a *Authority) explain(leaf *x509.Certificate, now time.Time, err error) error {
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) {
		return fmt.Errorf("%w: %w", ErrNotOurs, err)
	}

	switch {
	case invalid.Reason == x509.IncompatibleUsage:
		return fmt.Errorf("%w: %w", ErrWrongKind, err)
	case invalid.Reason != x509.Expired:
		return fmt.Errorf("%w: %w", ErrNotOurs, err)
	case leaf.CheckSignatureFrom(a.intermediate) != nil:
		return fmt.Errorf("%w: %w", ErrNotOurs, err)
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("%w: %w", ErrNotYetValid, err)
	}
	return fmt.Errorf("%w: %w", ErrExpired, err)
}
