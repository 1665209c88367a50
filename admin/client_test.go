package admin

import (
	"context"
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

func TestClientVerifiesServer(t *testing.T) {
	e := newEnv(t)
	other, err := ca.Init(t.TempDir(), testTrustDomain)
	require.NoError(t, err)

	c, err := NewClient(e.addr, other.BundlePEM(), nil)
	require.NoError(t, err)
	_, err = c.Enroll(context.Background(), "token", []byte("csr"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "certificate signed by unknown authority")
	assert.ErrorContains(t, err, "is not the jitgate this profile trusts")

	_, err = NewClient(e.addr, []byte("not pem"), nil)
	assert.Error(t, err)
	_, err = NewClient(e.addr, pemOf(t, e.ca.Intermediate()), nil)
	assert.ErrorContains(t, err, "no root certificate")
}

func TestSplitAddr(t *testing.T) {
	tests := []struct {
		addr, host, port string
		ok               bool
	}{
		{"127.0.0.1:8444", "127.0.0.1", "8444", true},
		{":8444", "localhost", "8444", true},
		{"admin.example:443", "admin.example", "443", true},
		{"[::1]:8444", "::1", "8444", true},
		{"admin.example", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			host, port, err := splitAddr(tt.addr)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.host, host)
			assert.Equal(t, tt.port, port)
		})
	}
}

func TestAPIErrorReads(t *testing.T) {
	err := apiError(http.StatusConflict,
		[]byte(`{"error": "request req_x is approved, not pending"}`))
	assert.EqualError(t, err, "409 conflict: request req_x is approved, not pending")

	err = apiError(http.StatusBadGateway, []byte("upstream gone\n"))
	assert.EqualError(t, err, "502 bad gateway: upstream gone")
}

// pemOf encodes cert as PEM.
func pemOf(t testing.TB, cert *x509.Certificate) []byte {
	t.Helper()
	return []byte(pemCertificate(cert.Raw))
}
