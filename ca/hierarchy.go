package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Lifetimes of the CA certificates Init makes.
const (
	rootLifetime         = 10 * 365 * 24 * time.Hour
	intermediateLifetime = 5 * 365 * 24 * time.Hour
)

// serialBits is the size of the random serial of every certificate.
const serialBits = 128

func rootCommonName(trustDomain string) string {
	return fmt.Sprintf("jitgate root CA (%s)", trustDomain)
}

func intermediateCommonName(trustDomain string) string {
	return fmt.Sprintf("jitgate intermediate CA (%s)", trustDomain)
}

// newRoot makes a self-signed root that may sign one level of CA below it.
func newRoot(trustDomain string,
	now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	tmpl := caTemplate(rootCommonName(trustDomain), now, rootLifetime)
	tmpl.MaxPathLen = 1

	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}

	cert, err := createCert(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("create root: %w", err)
	}
	return cert, key, nil
}

// newIntermediate makes the signing CA. It may sign no CA below it, and its
// extended key usages bound what the certificates it signs may be used for.
func newIntermediate(trustDomain string, root *x509.Certificate, rootKey crypto.Signer,
	now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	tmpl := caTemplate(intermediateCommonName(trustDomain), now, intermediateLifetime)
	tmpl.MaxPathLenZero = true
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth,
		x509.ExtKeyUsageServerAuth}

	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}

	cert, err := createCert(tmpl, root, key.Public(), rootKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create intermediate: %w", err)
	}
	return cert, key, nil
}

func caTemplate(commonName string, now time.Time,
	lifetime time.Duration) *x509.Certificate {
	subject := pkix.Name{Organization: []string{"jitgate"}, CommonName: commonName}
	return &x509.Certificate{
		Subject:               subject,
		NotBefore:             now.Add(-ClockSkew),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

// createCert gives tmpl a random serial, signs it and parses the result.
func createCert(tmpl, parent *x509.Certificate, pub any,
	signer crypto.Signer) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial

	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// newSerial returns a random positive serial of serialBits bits.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), serialBits)
	for {
		serial, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("generate serial: %w", err)
		}
		if serial.Sign() > 0 {
			return serial, nil
		}
	}
}

// checkHierarchy checks that root is a self-signed CA of trustDomain, that
// it signed inter, and that key is inter's key.
func checkHierarchy(trustDomain string, root, inter *x509.Certificate, key crypto.Signer,
	now time.Time) error {
	if err := checkRoot(trustDomain, root); err != nil {
		return err
	}

	if !inter.IsCA {
		return fmt.Errorf("%w: intermediate is not a ca", ErrBadCA)
	}
	if err := inter.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("%w: intermediate not signed by root: %w", ErrBadCA, err)
	}
	if err := checkKeyPair(inter, key); err != nil {
		return fmt.Errorf("%w: intermediate: %w", ErrBadCA, err)
	}

	if now.After(inter.NotAfter) {
		return fmt.Errorf("%w: intermediate expired at %s", ErrBadCA,
			inter.NotAfter.Format(time.RFC3339))
	}
	return nil
}

func checkRoot(trustDomain string, root *x509.Certificate) error {
	if want := rootCommonName(trustDomain); root.Subject.CommonName != want {
		return fmt.Errorf("%w: root is %q, want %q", ErrBadCA,
			root.Subject.CommonName, want)
	}

	if !root.IsCA {
		return fmt.Errorf("%w: root is not a ca", ErrBadCA)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("%w: root not self-signed: %w", ErrBadCA, err)
	}
	return nil
}

// checkKeyPair returns an error unless key is the private key of cert.
func checkKeyPair(cert *x509.Certificate, key crypto.Signer) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("private key does not match certificate")
	}
	return nil
}
