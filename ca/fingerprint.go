package ca

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// fingerprintPrefix may come in front of a fingerprint, as ssh-keygen and
// some admins write it.
const fingerprintPrefix = "sha256:"

const upperHex = "0123456789ABCDEF"

// Fingerprint returns the SHA-256 fingerprint of cert in the form that
// ParseFingerprint accepts: upper-case hex pairs joined by colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)

	out := make([]byte, 0, len(sum)*3-1)
	for i, c := range sum {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, upperHex[c>>4], upperHex[c&0x0f])
	}
	return string(out)
}

// ParseFingerprint reads a SHA-256 fingerprint as hex, with or without
// colons, in either case, optionally prefixed "SHA256:".
func ParseFingerprint(s string) ([]byte, error) {
	digits := strings.TrimSpace(s)
	if len(digits) >= len(fingerprintPrefix) &&
		strings.EqualFold(digits[:len(fingerprintPrefix)], fingerprintPrefix) {
		digits = digits[len(fingerprintPrefix):]
	}

	digits, err := dropColons(digits)
	if err != nil {
		return nil, err
	}

	if len(digits) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: %d hex digits, want %d", ErrBadFingerprint,
			len(digits), 2*sha256.Size)
	}
	sum, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex: %w", ErrBadFingerprint, err)
	}
	return sum, nil
}

// dropColons returns s without colons. When s has colons they must separate
// pairs of digits, as in AB:CD:EF.
func dropColons(s string) (string, error) {
	if !strings.Contains(s, ":") {
		return s, nil
	}

	pairs := strings.Split(s, ":")
	for i, p := range pairs {
		if len(p) != 2 {
			return "", fmt.Errorf("%w: group %d is %q, want two hex digits",
				ErrBadFingerprint, i+1, p)
		}
	}
	return strings.Join(pairs, ""), nil
}
