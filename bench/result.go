package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Result is what one load measured. Rates per CPU-second divide by the
// server's CPU time over the measured window, so they do not depend on how
// busy the load generator's core was.
type Result struct {
	Mode    Mode    `json:"mode"`
	Conns   int     `json:"conns"`
	Seconds float64 `json:"seconds"`
	// Ops are the handshakes (full, resumed) or round trips (rtt) that
	// completed in the measured window; Resumed are those that resumed a
	// session.
	Ops     int64 `json:"ops"`
	Resumed int64 `json:"resumed"`
	Errors  int64 `json:"errors"`
	// FirstError is the first failure, if any.
	FirstError string `json:"first_error,omitempty"`
	// Bytes are those echoed back to the clients in ModeThroughput.
	Bytes int64 `json:"bytes"`
	// ServerCPU is the server's user plus system CPU time in the window.
	ServerCPU      float64 `json:"server_cpu_seconds"`
	OpsPerSec      float64 `json:"ops_per_second"`
	OpsPerCPUSec   float64 `json:"ops_per_cpu_second"`
	BytesPerSec    float64 `json:"bytes_per_second"`
	BytesPerCPUSec float64 `json:"bytes_per_cpu_second"`
	Latency        Latency `json:"latency_us"`
}

// Latency holds percentiles of the operations' durations, in microseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// result turns the runner's counts into a Result.
func (r *runner) result(cpu float64) Result {
	secs := r.to.Sub(r.from).Seconds()
	res := Result{
		Mode: r.load.Mode, Conns: r.load.Conns, Seconds: secs,
		Ops: r.ops.Load(), Resumed: r.resumed.Load(), Errors: r.errs.Load(),
		Bytes: r.bytes.Load(), ServerCPU: cpu,
		Latency: percentiles(r.latencies),
	}
	if err := r.firstErr.Load(); err != nil {
		res.FirstError = (*err).Error()
	}

	res.OpsPerSec = float64(res.Ops) / secs
	res.BytesPerSec = float64(res.Bytes) / secs
	if cpu > 0 {
		res.OpsPerCPUSec = float64(res.Ops) / cpu
		res.BytesPerCPUSec = float64(res.Bytes) / cpu
	}
	return res
}

// percentiles returns the nearest-rank percentiles of ds, which it sorts.
func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.5) - 1
		return micros(ds[min(max(i, 0), len(ds)-1)])
	}
	return Latency{P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: micros(ds[len(ds)-1])}
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}

// WriteTable writes results as an aligned text table.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tconns\tops/s\tops/cpu-s\tMB/s\tMB/cpu-s\t"+
		"p50 us\tp99 us\tp999 us\tresumed\terrors\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%d\t%d\t\n",
			r.Mode, r.Conns, r.OpsPerSec, r.OpsPerCPUSec, r.BytesPerSec/1e6,
			r.BytesPerCPUSec/1e6, r.Latency.P50, r.Latency.P99, r.Latency.P999,
			r.Resumed, r.Errors)
	}
	return tw.Flush()
}
