package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// RSA key sizes accepted in a CSR. The upper bound keeps a hostile CSR from
// costing much to verify.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// MaxCSRBytes is the largest DER certificate request ParseCSR accepts. A
// CSR of the largest accepted RSA key is under 3 KiB; the cap keeps junk
// extensions from filling the store with stored requests.
const MaxCSRBytes = 8 << 10

// PEM block types of a certificate request; the second is what some older
// tools write.
const (
	csrPEMType    = "CERTIFICATE REQUEST"
	csrPEMTypeOld = "NEW CERTIFICATE REQUEST"
)

// ParseCSR reads a PEM or DER CSR of at most MaxCSRBytes of DER and checks
// its signature and key type (ECDSA P-256 or P-384, Ed25519, RSA of at
// least 2048 bits). Errors say what was wrong.
func ParseCSR(b []byte) (*x509.CertificateRequest, error) {
	der, err := csrDER(b)
	if err != nil {
		return nil, err
	}
	if len(der) > MaxCSRBytes {
		return nil, fmt.Errorf("%w: %d bytes of der, at most %d accepted",
			ErrBadCSR, len(der), MaxCSRBytes)
	}

	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}

	if err := vetCSR(csr); err != nil {
		return nil, err
	}
	return csr, nil
}

// csrDER returns the DER of a CSR given as PEM or as DER. PEM must hold one
// certificate request block and nothing else but white space.
func csrDER(b []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadCSR)
	}
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return b, nil
	}

	block, rest := pem.Decode(trimmed)
	if block == nil {
		return nil, fmt.Errorf("%w: not a PEM certificate request", ErrBadCSR)
	}
	if block.Type != csrPEMType && block.Type != csrPEMTypeOld {
		return nil, fmt.Errorf("%w: pem block is %q, not %q", ErrBadCSR, block.Type,
			csrPEMType)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%w: data after the pem block", ErrBadCSR)
	}
	return block.Bytes, nil
}

// vetCSR checks the key type first, so that an absurd key costs nothing to
// refuse, then the signature.
func vetCSR(csr *x509.CertificateRequest) error {
	if csr == nil {
		return fmt.Errorf("%w: no csr", ErrBadCSR)
	}

	if err := checkPublicKey(csr.PublicKey); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCSR, err)
	}

	if err := csr.CheckSignature(); err != nil {
		return fmt.Errorf("%w: csr signature invalid: %w", ErrBadCSR, err)
	}
	return nil
}

// checkPublicKey accepts ECDSA P-256 and P-384, Ed25519, and RSA of
// minRSABits to maxRSABits.
func checkPublicKey(pub any) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return fmt.Errorf("ecdsa curve %s not accepted; use P-256 or P-384",
				k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		return checkRSASize(k.N.BitLen())
	case nil:
		return errors.New("public key algorithm not recognised")
	default:
		return fmt.Errorf("%T public key not accepted", pub)
	}
	return nil
}

func checkRSASize(bits int) error {
	if bits < minRSABits {
		return fmt.Errorf("rsa key of %d bits; need at least %d", bits, minRSABits)
	}
	if bits > maxRSABits {
		return fmt.Errorf("rsa key of %d bits; at most %d accepted", bits, maxRSABits)
	}
	return nil
}
