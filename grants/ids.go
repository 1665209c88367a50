package grants

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefixes of the IDs the Service mints, so that an ID says what it names.
const (
	RequestIDPrefix = "req_"
	GrantIDPrefix   = "gr_"
)

// tokenBytes is the entropy of an enrolment token.
const tokenBytes = 32

// newID returns prefix followed by 128 random bits in lower-case base32,
// which is URL-safe and made of [a-z2-7].
func newID(prefix string) string {
	return prefix + strings.ToLower(rand.Text())
}

// newToken returns a fresh enrolment token, base64url without padding.
func newToken() string {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never fails; it crashes the program instead.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken returns the SHA-256 of a token, the only form that is stored.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
