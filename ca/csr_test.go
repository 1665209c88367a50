package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// csrCase is one CSR given to ParseCSR and what must come of it: wantMsg
// empty means accepted.
type csrCase struct {
	name    string
	input   []byte
	wantMsg string
}

// csrCases mints keys of each accepted and refused type and returns CSRs
// made with them, good and hostile.
func csrCases(t testing.TB) []csrCase {
	t.Helper()

	p256 := mintCSRDER(t, newP256(t), nil)
	return []csrCase{
		{name: "p256 der", input: p256},
		{name: "p256 pem", input: csrPEM(csrPEMType, p256)},
		{name: "p256 old pem type", input: csrPEM(csrPEMTypeOld, p256)},
		{name: "p256 pem in white space", input: append(append([]byte("\n  "),
			csrPEM(csrPEMType, p256)...), "\n\n"...)},
		{name: "p384", input: mintCSRDER(t, newECDSA(t, elliptic.P384()), nil)},
		{name: "ed25519", input: mintCSRDER(t, newEd25519(t), nil)},
		{name: "rsa 2048", input: mintCSRDER(t, newRSA(t, 2048), nil)},

		{name: "rsa 1024", input: mintCSRDER(t, newRSA(t, 1024), nil),
			wantMsg: "rsa key of 1024 bits; need at least 2048"},
		{name: "p224", input: mintCSRDER(t, newECDSA(t, elliptic.P224()), nil),
			wantMsg: "ecdsa curve P-224 not accepted"},
		{name: "bad signature", input: flipLastByte(p256),
			wantMsg: "csr signature invalid"},
		{name: "garbage", input: []byte("hello, ca"), wantMsg: "bad certificate request"},
		{name: "empty", input: nil, wantMsg: "empty"},
		{name: "truncated der", input: p256[:len(p256)/2],
			wantMsg: "bad certificate request"},
		{name: "broken pem", input: []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAA"),
			wantMsg: "not a PEM certificate request"},
		{name: "certificate pem", input: csrPEM("CERTIFICATE", p256),
			wantMsg: `pem block is "CERTIFICATE"`},
		{name: "two csrs",
			input:   append(csrPEM(csrPEMType, p256), csrPEM(csrPEMType, p256)...),
			wantMsg: "data after the pem block"},
		{name: "der with trailing data", input: append(append([]byte{}, p256...), 0),
			wantMsg: "trailing data"},
		{name: "just under the size cap", input: paddedCSR(t, MaxCSRBytes-512)},
		{name: "over the size cap", input: csrPEM(csrPEMType,
			paddedCSR(t, MaxCSRBytes)), wantMsg: "at most 8192 accepted"},
	}
}

// paddedCSR returns the DER of a CSR for a fresh P-256 key that carries
// about n bytes of junk in a non-critical extension.
func paddedCSR(t testing.TB, n int) []byte {
	t.Helper()

	junk, err := asn1.Marshal(make([]byte, n))
	require.NoError(t, err)
	ext := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
		Value: junk}
	return mintCSRDER(t, newP256(t),
		&x509.CertificateRequest{ExtraExtensions: []pkix.Extension{ext}})
}

func csrPEM(blockType string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
}

func flipLastByte(der []byte) []byte {
	out := append([]byte{}, der...)
	out[len(out)-1] ^= 0xff
	return out
}

func newECDSA(t testing.TB, curve elliptic.Curve) crypto.Signer {
	t.Helper()

	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	require.NoError(t, err)
	return key
}

func newEd25519(t testing.TB) crypto.Signer {
	t.Helper()

	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return key
}

func newRSA(t testing.TB, bits int) crypto.Signer {
	t.Helper()

	key, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	return key
}

func TestParseCSR(t *testing.T) {
	for _, tc := range csrCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			csr, err := ParseCSR(tc.input)
			if tc.wantMsg == "" {
				require.NoError(t, err)
				assert.NotNil(t, csr.PublicKey)
				return
			}

			require.ErrorIs(t, err, ErrBadCSR)
			assert.Contains(t, err.Error(), tc.wantMsg)
			assert.Nil(t, csr)
		})
	}
}

func TestCheckRSASize(t *testing.T) {
	tests := []struct {
		bits    int
		wantMsg string
	}{
		{bits: 2047, wantMsg: "rsa key of 2047 bits; need at least 2048"},
		{bits: 2048},
		{bits: 8192},
		{bits: 8193, wantMsg: "rsa key of 8193 bits; at most 8192 accepted"},
	}
	for _, tt := range tests {
		err := checkRSASize(tt.bits)
		if tt.wantMsg == "" {
			assert.NoError(t, err, tt.bits)
			continue
		}
		assert.EqualError(t, err, tt.wantMsg)
	}
}

// FuzzParseCSR checks that ParseCSR never panics, and that what it accepts
// has a key jitgate may sign for and a signature that verifies.
func FuzzParseCSR(f *testing.F) {
	for _, tc := range csrCases(f) {
		f.Add(tc.input)
	}

	f.Fuzz(func(t *testing.T, input []byte) {
		csr, err := ParseCSR(input)
		if err != nil {
			require.ErrorIs(t, err, ErrBadCSR)
			return
		}
		require.NoError(t, checkPublicKey(csr.PublicKey))
		require.NoError(t, csr.CheckSignature())
	})
}
