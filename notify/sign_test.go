package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/notify"
)

var (
	testSecret = []byte("0123456789abcdef-test-secret")
	signedAt   = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	testBody   = []byte(`{"id":"evt_1","event":"request.created"}`)
)

// hexMAC is the v1 signature computed independently of the package.
func hexMAC(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + "." + string(body)))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignIsHMACOfTimestampDotBody(t *testing.T) {
	sig, ts := notify.Sign(testSecret, signedAt, testBody)

	assert.Equal(t, "1930367167", ts)
	assert.Equal(t, "v1="+hexMAC(testSecret, ts, testBody), sig)
	assert.NoError(t, notify.Verify(testSecret, sig, ts, testBody, signedAt))
}

func TestVerify(t *testing.T) {
	sig, ts := notify.Sign(testSecret, signedAt, testBody)
	other, _ := notify.Sign([]byte("another-secret-of-16+"), signedAt, testBody)

	tests := []struct {
		name    string
		secret  []byte
		sig, ts string
		body    []byte
		now     time.Time
		want    error
	}{
		{"valid", testSecret, sig, ts, testBody, signedAt, nil},
		{"valid at the edge of the skew", testSecret, sig, ts, testBody,
			signedAt.Add(notify.MaxSkew), nil},
		{"one of two signatures matches", testSecret, other + ", " + sig, ts, testBody,
			signedAt, nil},
		{"unknown schemes are skipped", testSecret, "v0=abc," + sig, ts, testBody,
			signedAt, nil},
		{"old timestamp", testSecret, sig, ts, testBody,
			signedAt.Add(notify.MaxSkew + time.Second), notify.ErrStale},
		{"timestamp from the future", testSecret, sig, ts, testBody,
			signedAt.Add(-notify.MaxSkew - time.Second), notify.ErrStale},
		{"wrong secret", []byte("not-the-right-secret"), sig, ts, testBody, signedAt,
			notify.ErrSignature},
		{"body changed", testSecret, sig, ts, []byte(`{"id":"evt_2"}`), signedAt,
			notify.ErrSignature},
		{"timestamp changed", testSecret, sig, "1930367168", testBody, signedAt,
			notify.ErrSignature},
		{"signature of another secret", testSecret, other, ts, testBody, signedAt,
			notify.ErrSignature},
		{"empty secret", nil, sig, ts, testBody, signedAt, notify.ErrWeakSecret},
		{"no signature", testSecret, "", ts, testBody, signedAt, notify.ErrMalformed},
		{"no v1 signature", testSecret, "v2=" + sig[3:], ts, testBody, signedAt,
			notify.ErrMalformed},
		{"v1 not hex", testSecret, "v1=zz", ts, testBody, signedAt, notify.ErrMalformed},
		{"v1 too short", testSecret, sig[:20], ts, testBody, signedAt,
			notify.ErrMalformed},
		{"no timestamp", testSecret, sig, "", testBody, signedAt, notify.ErrMalformed},
		{"signed timestamp", testSecret, sig, "+" + ts, testBody, signedAt,
			notify.ErrMalformed},
		{"timestamp in another form", testSecret, sig, signedAt.Format(time.RFC3339),
			testBody, signedAt, notify.ErrMalformed},
		{"huge header", testSecret, strings.Repeat(sig+",", 20), ts, testBody, signedAt,
			notify.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify(tc.secret, tc.sig, tc.ts, tc.body, tc.now)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// FuzzVerify feeds hostile header values to Verify: it must not panic, must
// refuse with one of its sentinel errors, and may accept only a header that
// carries the right MAC of this timestamp and body.
func FuzzVerify(f *testing.F) {
	sig, ts := notify.Sign(testSecret, signedAt, testBody)
	f.Add(sig, ts)
	f.Add("v1="+strings.ToUpper(sig[3:]), ts)
	f.Add(" v1= ,v1="+sig[3:], ts)
	f.Add("v1", "0")
	f.Add("=,=,", "-1")
	f.Add(sig, "99999999999999999999")

	f.Fuzz(func(t *testing.T, sig, ts string) {
		err := notify.Verify(testSecret, sig, ts, testBody, signedAt)
		if err != nil {
			require.True(t, isSentinel(err), "unexpected error %v", err)
			return
		}
		want := "v1=" + hexMAC(testSecret, ts, testBody)
		assert.Contains(t, strings.ToLower(sig), want)
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{notify.ErrMalformed, notify.ErrSignature, notify.ErrStale} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
