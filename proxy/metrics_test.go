package proxy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestPrometheusRecorder(t *testing.T) {
	reg := prometheus.NewRegistry()
	rec := NewPrometheusRecorder(reg)

	rec.Handshake("db", resultAllowed, reasonOK, 3*time.Millisecond)
	rec.Handshake("db", resultDenied, "revoked", time.Millisecond)
	rec.Handshake("", resultDenied, reasonUnknownResource, 2*time.Second)
	rec.ConnOpened("db")
	rec.ConnOpened("db")
	rec.ConnClosed("db", closeGrantEnded, 10, 20)

	requireGolden(t, "metrics.golden", gatherText(t, reg))
}

func TestPrometheusRecorderRegistersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	NewPrometheusRecorder(reg)

	assert.Panics(t, func() { NewPrometheusRecorder(reg) })
}

// gatherText returns the metrics of reg in the text exposition format.
func gatherText(t testing.TB, reg *prometheus.Registry) []byte {
	t.Helper()

	families, err := reg.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, f := range families {
		_, err := expfmt.MetricFamilyToText(&buf, f)
		require.NoError(t, err)
	}
	return buf.Bytes()
}

// requireGolden requires got to equal testdata/name, or rewrites the file
// under -update.
func requireGolden(t testing.TB, name string, got []byte) {
	t.Helper()

	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}
