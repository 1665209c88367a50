package ca

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFingerprint(t *testing.T) {
	a := newTestCA(t)
	sum := sha256.Sum256(a.Root().Raw)

	got := Fingerprint(a.Root())
	assert.Len(t, got, 3*sha256.Size-1)
	assert.Regexp(t, `^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`, got)

	parsed, err := ParseFingerprint(got)
	require.NoError(t, err)
	assert.Equal(t, sum[:], parsed)
}

func TestParseFingerprint(t *testing.T) {
	const plain = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
	want := []byte{0x5e, 0x88, 0x48, 0x98, 0xda, 0x28, 0x04, 0x71, 0x51, 0xd0, 0xe5,
		0x6f, 0x8d, 0xc6, 0x29, 0x27, 0x73, 0x60, 0x3d, 0x0d, 0x6a, 0xab, 0xbd, 0xd6,
		0x2a, 0x11, 0xef, 0x72, 0x1d, 0x15, 0x42, 0xd8}
	colons := withColons(strings.ToUpper(plain))

	tests := []struct {
		name    string
		input   string
		wantMsg string
	}{
		{name: "lower case", input: plain},
		{name: "upper case with colons", input: colons},
		{name: "prefixed", input: "SHA256:" + colons},
		{name: "lower-case prefix", input: "sha256:" + plain},
		{name: "surrounding space", input: "  " + colons + "\n"},

		{name: "empty", input: "", wantMsg: "0 hex digits, want 64"},
		{name: "short", input: plain[:62], wantMsg: "62 hex digits, want 64"},
		{name: "long", input: plain + "00", wantMsg: "66 hex digits, want 64"},
		{name: "not hex", input: "zz" + plain[2:], wantMsg: "not hex"},
		{name: "sha1 length", input: withColons(plain[:40]), wantMsg: "40 hex digits"},
		{name: "odd group", input: strings.Replace(colons, "5E:88", "5:E88", 1),
			wantMsg: `group 1 is "5"`},
		{name: "trailing colon", input: colons + ":", wantMsg: `group 33 is ""`},
		{name: "other prefix", input: "MD5:" + plain, wantMsg: "group 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFingerprint(tt.input)
			if tt.wantMsg == "" {
				require.NoError(t, err)
				assert.Equal(t, want, got)
				return
			}

			require.ErrorIs(t, err, ErrBadFingerprint)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Nil(t, got)
		})
	}
}

// withColons joins the pairs of hex digits of s with colons.
func withColons(s string) string {
	var pairs []string
	for i := 0; i+1 < len(s); i += 2 {
		pairs = append(pairs, s[i:i+2])
	}
	return strings.Join(pairs, ":")
}
