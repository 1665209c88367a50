package admin

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/ca"
)

func TestFetchCA(t *testing.T) {
	e := newEnv(t)
	other, err := ca.Init(t.TempDir(), testTrustDomain)
	require.NoError(t, err)
	ours, err := ca.ParseFingerprint(ca.Fingerprint(e.ca.Root()))
	require.NoError(t, err)
	theirs := fingerprint(other.Root())

	// An impostor serves our bundle with a certificate of its own CA.
	h, err := NewHandler(Config{Service: e.svc, Authority: e.ca})
	require.NoError(t, err)
	impostor := serveTLS(t, h, e.ca, servingCertificate(t, other))

	tests := []struct {
		name        string
		addr        string
		fingerprint []byte
		wantIs      error
		want        []string
	}{
		{"pinned root", e.addr, ours, nil, nil},
		{"another root", e.addr, theirs, ErrFingerprintMismatch, []string{
			"the server's root is " + ca.Fingerprint(e.ca.Root()),
			"expected " + ca.Fingerprint(other.Root()),
		}},
		{"short fingerprint", e.addr, ours[:20], nil,
			[]string{"fingerprint has 20 bytes"}},
		{"impostor with our bundle", impostor, ours, nil,
			[]string{"server certificate does not chain to the pinned root"}},
		{"bad address", "nowhere", ours, nil, []string{"admin address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bundle, err := FetchCA(context.Background(), tt.addr, tt.fingerprint)
			if tt.wantIs == nil && tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, e.bundle, bundle)
				return
			}
			require.Error(t, err)
			assert.Nil(t, bundle)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			for _, want := range tt.want {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

// fingerprint returns the SHA-256 of cert as FetchCA takes it.
func fingerprint(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	return sum[:]
}
