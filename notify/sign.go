package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "v1=HEX": the hex HMAC-SHA256, keyed with the
	// webhook's secret, of the timestamp header's value, a dot and the body.
	// A receiver accepts the delivery when any comma-separated v1 value
	// matches, which leaves room to send two during a secret rotation.
	SignatureHeader = "X-Jitgate-Signature"
	// TimestampHeader carries the Unix time, in seconds, of the signing.
	// Each attempt is signed afresh, so a retry is never stale on arrival.
	TimestampHeader = "X-Jitgate-Timestamp"
	// EventHeader names the webhook event, such as request.created.
	EventHeader = "X-Jitgate-Event"
	// DeliveryHeader carries the event ID, the same on every attempt, for
	// receivers to drop a duplicate.
	DeliveryHeader = "X-Jitgate-Delivery"
)

// MaxSkew is how far a delivery's timestamp may be from the receiver's
// clock, either way, before Verify refuses it as a replay.
const MaxSkew = 5 * time.Minute

// signatureScheme names the signature's construction in its header.
const signatureScheme = "v1"

// Bounds on what Verify parses, so a hostile header costs little.
const (
	maxSignatureHeader = 1024
	maxTimestampDigits = 12
)

// Sign returns the values of SignatureHeader and TimestampHeader for body,
// signed with secret at time at.
func Sign(secret []byte, at time.Time, body []byte) (signature, timestamp string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	sum := mac(secret, timestamp, body)
	return signatureScheme + "=" + hex.EncodeToString(sum), timestamp
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify is the reference check of a receiver: signature and timestamp are
// the values of SignatureHeader and TimestampHeader, body the raw request
// body, now the receiver's clock. It returns nil only when a v1 signature
// matches and the timestamp is within MaxSkew of now; otherwise an error
// wrapping ErrMalformed, ErrSignature, ErrStale or ErrWeakSecret (an empty
// secret never verifies). The signature is compared in constant time and
// checked before the timestamp, so ErrStale means an authentic but old
// delivery.
func Verify(secret []byte, signature, timestamp string, body []byte, now time.Time,
) error {
	if len(secret) == 0 {
		return fmt.Errorf("verify webhook: empty secret: %w", ErrWeakSecret)
	}
	at, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	sums, err := parseSignatures(signature)
	if err != nil {
		return err
	}

	if !anyEqual(sums, mac(secret, timestamp, body)) {
		return ErrSignature
	}

	if skew := now.Sub(at); skew > MaxSkew || skew < -MaxSkew {
		return fmt.Errorf("timestamp %s is %s from now: %w",
			timestamp, skew.Round(time.Second), ErrStale)
	}
	return nil
}

func anyEqual(sums [][]byte, want []byte) bool {
	for _, s := range sums {
		if hmac.Equal(s, want) {
			return true
		}
	}
	return false
}

// parseTimestamp reads decimal Unix seconds, digits only.
func parseTimestamp(v string) (time.Time, error) {
	if v == "" || len(v) > maxTimestampDigits {
		return time.Time{}, fmt.Errorf("%s %q: want Unix seconds: %w",
			TimestampHeader, clip(v), ErrMalformed)
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%s %q: want Unix seconds: %w",
				TimestampHeader, clip(v), ErrMalformed)
		}
	}

	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", TimestampHeader, ErrMalformed)
	}
	return time.Unix(n, 0), nil
}

// parseSignatures returns the decoded v1 values of a signature header.
// Values of other schemes are skipped; a header with no v1 value, or with
// a v1 value that is not a hex SHA-256, is malformed.
func parseSignatures(v string) ([][]byte, error) {
	if len(v) > maxSignatureHeader {
		return nil, fmt.Errorf("%s longer than %d bytes: %w",
			SignatureHeader, maxSignatureHeader, ErrMalformed)
	}

	var sums [][]byte
	for part := range strings.SplitSeq(v, ",") {
		scheme, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		if scheme != signatureScheme {
			continue
		}
		sum, err := hex.DecodeString(value)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("%s: v1 is not a hex SHA-256: %w",
				SignatureHeader, ErrMalformed)
		}
		sums = append(sums, sum)
	}

	if len(sums) == 0 {
		return nil, fmt.Errorf("%s: no v1 signature: %w", SignatureHeader, ErrMalformed)
	}
	return sums, nil
}

// clip shortens a header value quoted in an error.
func clip(v string) string {
	const most = 32
	if len(v) <= most {
		return v
	}
	return v[:most] + "..."
}
