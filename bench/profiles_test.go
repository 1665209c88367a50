package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSharesOfTop(t *testing.T) {
	top := `File: jgserve
Type: cpu
Showing nodes accounting for 2s, 100% of 2s total
      flat  flat%   sum%        cum   cum%
     0.50s 25.00% 25.00%      0.50s 25.00%  internal/runtime/syscall/linux.Syscall6
     0.40s 20.00% 45.00%      0.40s 20.00%  crypto/internal/fips140/edwards25519/field.feMul
     300ms 15.00% 60.00%      0.30s 15.00%  crypto/internal/fips140/aes/gcm.gcmAesEnc
     0.30s 15.00% 75.00%      0.30s 15.00%  runtime.memmove
     0.20s 10.00% 85.00%      0.90s 45.00%  github.com/jitgate/jitgate/proxy.pipe
     0.20s 10.00% 95.00%      0.20s 10.00%  crypto/x509.parseCertificate
     0.10s  5.00%   100%      0.10s  5.00%  p256MulInternal
         0     0%   100%      1.00s 50.00%  crypto/tls.(*Conn).Read
`
	got := map[string]float64{}
	for _, s := range sharesOfTop(top) {
		got[s.Category] = s.Percent
	}
	want := map[string]float64{
		categories[0].name: 25, categories[1].name: 15, categories[2].name: 25,
		categories[3].name: 15, categories[4].name: 10, categories[5].name: 10,
	}
	assert.InDeltaMapValues(t, want, got, 1e-9)
}
