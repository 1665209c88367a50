package config

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSCurves(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []tls.CurveID
	}{
		{"default", "", nil},
		{"x25519 only", "tls: {curves: [x25519]}\n", []tls.CurveID{tls.X25519}},
		{"names in any case", "tls: {curves: [X25519MLKEM768, X25519, secp256r1]}\n",
			[]tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.TLS.CurveIDs())
		})
	}
}

func TestTLSCurvesRefused(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"unknown", "tls: {curves: [x448]}\n", `tls.curves[0]: "x448"`},
		{"repeated", "tls: {curves: [x25519, X25519]}\n", `tls.curves[1]: "X25519"`},
		{"not a list", "tls: {curves: x25519}\n", "cannot unmarshal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseCurves(t *testing.T) {
	ids, err := ParseCurves([]string{"x25519", "secp384r1"})
	require.NoError(t, err)
	assert.Equal(t, []tls.CurveID{tls.X25519, tls.CurveP384}, ids)

	_, err = ParseCurves([]string{"p256"})
	assert.ErrorContains(t, err, `curve "p256"`)
}
