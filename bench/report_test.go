package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleReport is a report with two rounds of every load, made up so that
// the ratios are easy to check by eye.
func sampleReport() *Report {
	r := &Report{
		Machine: Machine{Date: "2026-01-02T03:04:05Z", CPUs: 2, CPUModel: "Test CPU",
			Kernel: "6.1.0", Go: "go1.26", Nginx: "nginx/1.22.1", HAProxy: "HAProxy 2.6",
			LoadAvg: "0.10 0.20 0.30", ServerCore: 0, LoadCore: 1, LoadCPUs: "1"},
		Settings: Settings{Rounds: 2, Warmup: "500ms", Duration: "3s",
			Concurrency: []int{1, 16},
			Servers:     []string{ServerJitgate, ServerBare, ServerNginx, ServerHAProxy}},
		Notes: []string{"ghostunnel is not installed, so it was not measured"},
	}
	rate := map[string]float64{ServerJitgate: 3000, ServerBare: 2500,
		ServerNginx: 1000, ServerHAProxy: 900}
	for round := 1; round <= 2; round++ {
		for server, base := range rate {
			// jitgate's rates stray by 10% either way between the rounds,
			// so that the targets show a range while the medians stay put.
			if server == ServerJitgate {
				base *= 0.7 + 0.2*float64(round)
			}
			add := func(kex Kex, res Result) {
				r.Trials = append(r.Trials, Trial{Server: server, Kex: kex, Round: round,
					Result: res})
			}
			for _, c := range r.Settings.Concurrency {
				add(KexX25519, Result{Mode: ModeFull, Conns: c, OpsPerCPUSec: base})
			}
			add(KexX25519, Result{Mode: ModeResumed, Conns: busyConns, OpsPerCPUSec: 2 * base})
			add(KexX25519, Result{Mode: ModeThroughput, Conns: 1, BytesPerSec: base * 1e5,
				BytesPerCPUSec: base * 2e5})
			add(KexX25519, Result{Mode: ModeRTT, Conns: 1,
				Latency: Latency{P50: 1e5 / rate[server], P99: 2e5 / rate[server],
					P999: 4e5 / rate[server]}})
			add(KexHybrid, Result{Mode: ModeFull, Conns: busyConns, OpsPerCPUSec: base / 2})
			add(KexHybrid, Result{Mode: ModeResumed, Conns: busyConns, OpsPerCPUSec: base})
		}
	}
	for server, kb := range map[string]float64{ServerJitgate: 20, ServerBare: 45,
		ServerNginx: 40, ServerHAProxy: 22} {
		r.Memory = append(r.Memory, MemoryRun{Server: server,
			Memory: Memory{Conns: 2000, PerConn: kb * 1024}})
	}
	r.Held = &HeldRun{Memory: Memory{Conns: 9968, PerConn: 21 * 1024},
		Free: []float64{3000, 3100}, Loaded: []float64{2900, 2950}}
	r.Revocation = &Cut{Conns: 1000, Latency: Latency{P50: 9000, P99: 21000, Max: 23000}}
	r.Checks = []CheckBench{
		{Name: "hit, 1000 active grants, each in turn", NsPerOp: 90},
		{Name: "hit, 1000000 active grants, each in turn", NsPerOp: 300},
		{Name: "hit, 1000 active grants, the same one", NsPerOp: 80},
		{Name: "hit, 1000000 active grants, the same one", NsPerOp: 85},
		{Name: "miss, read from SQLite", NsPerOp: 50000, AllocsPerOp: 100, BytesPerOp: 6000},
	}
	r.Profile = map[Mode][]Share{
		ModeFull:       shares([]float64{45, 5, 25, 19, 1, 5}, 100),
		ModeThroughput: shares([]float64{0, 30, 50, 18, 1, 1}, 100),
	}
	return r
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, sampleReport().WriteMarkdown(&b, "chart.svg"))
	golden(t, "report.md", b.Bytes())
}

func TestWriteChart(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, sampleReport().WriteChart(&b))
	golden(t, "chart.svg", b.Bytes())

	lines := 0
	dec := xml.NewDecoder(&b)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the chart is not well-formed XML")
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			lines++
		}
	}
	assert.Equal(t, 4, lines, "one line per server")
}

func TestNiceCeiling(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 1}, {0.5, 1}, {7, 10}, {12, 20}, {3100, 5000}, {5000, 5000}, {5001, 10000},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, niceCeiling(tt.in), 1e-9, "niceCeiling(%v)", tt.in)
	}
}
