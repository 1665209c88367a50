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

func TestTLSMinVersion(t *testing.T) {
	for doc, want := range map[string]uint16{
		"":                            tls.VersionTLS13,
		"tls: {min_version: '1.3'}\n": tls.VersionTLS13,
		"tls: {min_version: '1.2'}\n": tls.VersionTLS12,
		"tls: {curves: [x25519]}\n":   tls.VersionTLS13,
	} {
		c, err := Parse([]byte(doc))
		require.NoError(t, err, doc)
		assert.Equal(t, want, c.TLS.Version(), doc)
	}

	for _, v := range []string{"1.1", "1.0", "TLS1.2", "1.4"} {
		_, err := Parse([]byte("tls: {min_version: '" + v + "'}\n"))
		require.ErrorIs(t, err, ErrInvalid, v)
		assert.ErrorContains(t, err,
			`tls.min_version: "`+v+`" is not accepted; want "1.3" or "1.2"`)
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
