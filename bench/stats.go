package bench

import (
	"cmp"
	"slices"
)

// trialKey names the trials whose medians a report compares.
type trialKey struct {
	server string
	kex    Kex
	mode   Mode
	conns  int
}

// medians holds the median of every trial metric by trialKey.
type medians map[trialKey]Result

// medianResults returns, for every server, key exchange, mode and
// concurrency, the median of each metric over the rounds.
func medianResults(trials []Trial) medians {
	groups := map[trialKey][]Result{}
	for _, t := range trials {
		k := trialKey{t.Server, t.Kex, t.Mode, t.Conns}
		groups[k] = append(groups[k], t.Result)
	}

	out := medians{}
	for k, rs := range groups {
		out[k] = Result{
			Mode: k.mode, Conns: k.conns,
			OpsPerCPUSec:   median(rs, func(r Result) float64 { return r.OpsPerCPUSec }),
			OpsPerSec:      median(rs, func(r Result) float64 { return r.OpsPerSec }),
			BytesPerSec:    median(rs, func(r Result) float64 { return r.BytesPerSec }),
			BytesPerCPUSec: median(rs, func(r Result) float64 { return r.BytesPerCPUSec }),
			Errors:         int64(median(rs, func(r Result) float64 { return float64(r.Errors) })),
			Latency: Latency{
				P50:  median(rs, func(r Result) float64 { return r.Latency.P50 }),
				P99:  median(rs, func(r Result) float64 { return r.Latency.P99 }),
				P999: median(rs, func(r Result) float64 { return r.Latency.P999 }),
			},
		}
	}
	return out
}

// median returns the median of f over rs; the mean of the middle two for
// an even count.
func median[T any](rs []T, f func(T) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.SortFunc(vs, cmp.Compare[float64])
	mid := len(vs) / 2
	if len(vs)%2 == 0 {
		return (vs[mid-1] + vs[mid]) / 2
	}
	return vs[mid]
}

// ratio returns a / b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// roundRatios returns, for every round in which both servers ran the
// load, the first's metric over the second's, sorted. The servers of a
// round run one after the other, so each ratio shares the machine's state
// of that moment.
func roundRatios(trials []Trial, a, b trialKey, metric func(Result) float64) []float64 {
	of := func(k trialKey) map[int]float64 {
		out := map[int]float64{}
		for _, t := range trials {
			if (trialKey{t.Server, t.Kex, t.Mode, t.Conns}) == k {
				out[t.Round] = metric(t.Result)
			}
		}
		return out
	}
	as, bs := of(a), of(b)

	var out []float64
	for round, av := range as {
		if bv, ok := bs[round]; ok && bv > 0 {
			out = append(out, av/bv)
		}
	}
	slices.Sort(out)
	return out
}
