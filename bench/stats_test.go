package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPercentiles(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Microsecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}

	tests := []struct {
		name string
		in   []time.Duration
		want Latency
	}{
		{"none", nil, Latency{}},
		{"one", ms(7), Latency{P50: 7, P99: 7, P999: 7, Max: 7}},
		{"unsorted", ms(3, 1, 2), Latency{P50: 2, P99: 3, P999: 3, Max: 3}},
		{"a hundred", ms(hundred...), Latency{P50: 50, P99: 99, P999: 100, Max: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentiles(tt.in))
		})
	}
}

func TestMedian(t *testing.T) {
	id := func(v float64) float64 { return v }
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"none", nil, 0},
		{"odd", []float64{5, 1, 3}, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, median(tt.in, id), 1e-9)
		})
	}
}

func TestMedianResultsGroupsTrials(t *testing.T) {
	trial := func(server string, round int, rate float64) Trial {
		return Trial{Server: server, Kex: KexX25519, Round: round,
			Result: Result{Mode: ModeFull, Conns: 4, OpsPerCPUSec: rate}}
	}
	m := medianResults([]Trial{
		trial(ServerJitgate, 1, 100), trial(ServerBare, 1, 80),
		trial(ServerJitgate, 2, 300), trial(ServerBare, 2, 90),
		trial(ServerJitgate, 3, 200), trial(ServerBare, 3, 85),
	})
	assert.InDelta(t, 200, m[trialKey{ServerJitgate, KexX25519, ModeFull, 4}].OpsPerCPUSec, 1e-9)
	assert.InDelta(t, 85, m[trialKey{ServerBare, KexX25519, ModeFull, 4}].OpsPerCPUSec, 1e-9)
	assert.Len(t, m, 2)
}

func TestRoundRatiosPairsEachRound(t *testing.T) {
	trial := func(server string, round int, mode Mode, rate float64) Trial {
		return Trial{Server: server, Kex: KexX25519, Round: round,
			Result: Result{Mode: mode, Conns: 4, OpsPerCPUSec: rate}}
	}
	trials := []Trial{
		trial(ServerJitgate, 1, ModeFull, 100), trial(ServerBare, 1, ModeFull, 50),
		trial(ServerJitgate, 2, ModeFull, 90), trial(ServerBare, 2, ModeFull, 100),
		// Round 3 lacks the bare server and round 4 measured nothing of it:
		// neither gives a ratio.
		trial(ServerJitgate, 3, ModeFull, 500),
		trial(ServerJitgate, 4, ModeFull, 80), trial(ServerBare, 4, ModeFull, 0),
		// Another mode of the same round is not mixed in.
		trial(ServerBare, 3, ModeResumed, 1),
	}
	j := trialKey{ServerJitgate, KexX25519, ModeFull, 4}
	b := trialKey{ServerBare, KexX25519, ModeFull, 4}
	rate := func(r Result) float64 { return r.OpsPerCPUSec }

	got := roundRatios(trials, j, b, rate)
	assert.InDeltaSlice(t, []float64{0.9, 2}, got, 1e-9, "sorted, one per paired round")
	assert.Empty(t, roundRatios(trials[:1], j, b, rate))
}

func TestRotate(t *testing.T) {
	names := []string{"a", "b", "c"}
	assert.Equal(t, []string{"a", "b", "c"}, rotate(names, 0))
	assert.Equal(t, []string{"b", "c", "a"}, rotate(names, 1))
	assert.Equal(t, []string{"a", "b", "c"}, rotate(names, 3))
	assert.Empty(t, rotate(nil, 2))
}
