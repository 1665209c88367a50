package proxy

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Results of a handshake, as metric labels.
const (
	resultAllowed = "allowed"
	resultDenied  = "denied"
)

// Directions of proxied bytes, as metric labels: in is client to upstream,
// out is upstream to client.
const (
	directionIn  = "in"
	directionOut = "out"
)

// Recorder receives the proxy's metrics. Label values are bounded: resource
// is a configured name, or "" on the shared listener when the SNI names no
// resource; result is "allowed" or "denied"; reason is a short snake_case
// word. Implementations must be safe for concurrent use and must not block.
type Recorder interface {
	// Handshake records one finished handshake and how long it took.
	Handshake(resource, result, reason string, d time.Duration)
	// ConnOpened records a client admitted to resource.
	ConnOpened(resource string)
	// ConnClosed records the end of a connection opened by ConnOpened, why
	// it ended ("eof", "grant_ended", "expired", "upstream_error", ...) and
	// the bytes it carried each way.
	ConnClosed(resource, reason string, bytesIn, bytesOut int64)
}

// nopRecorder records nothing.
type nopRecorder struct{}

func (nopRecorder) Handshake(string, string, string, time.Duration) {}
func (nopRecorder) ConnOpened(string)                               {}
func (nopRecorder) ConnClosed(string, string, int64, int64)         {}

// handshakeBuckets spans a loopback handshake (under a millisecond) to a
// slow client across the world (seconds).
var handshakeBuckets = prometheus.ExponentialBuckets(0.0005, 2, 14)

// promRecorder is the Recorder behind NewPrometheusRecorder.
type promRecorder struct {
	handshakes *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	active     *prometheus.GaugeVec
	bytes      *prometheus.CounterVec
	closed     *prometheus.CounterVec
}

// NewPrometheusRecorder returns a Recorder whose metrics are registered with
// reg: jitgate_proxy_handshakes_total{resource,result,reason},
// jitgate_proxy_handshake_duration_seconds{result},
// jitgate_proxy_active_connections{resource},
// jitgate_proxy_bytes_total{resource,direction} and
// jitgate_proxy_connections_closed_total{resource,reason}. It panics when
// they are already registered with reg.
func NewPrometheusRecorder(reg prometheus.Registerer) Recorder {
	f := promauto.With(reg)
	return &promRecorder{
		handshakes: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "jitgate", Subsystem: "proxy", Name: "handshakes_total",
			Help: "Client handshakes by resource, result and refusal reason.",
		}, []string{"resource", "result", "reason"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "jitgate", Subsystem: "proxy", Name: "handshake_duration_seconds",
			Help:    "Time from accept to the end of the client handshake.",
			Buckets: handshakeBuckets,
		}, []string{"result"}),
		active: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "jitgate", Subsystem: "proxy", Name: "active_connections",
			Help: "Client connections admitted and not yet closed.",
		}, []string{"resource"}),
		bytes: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "jitgate", Subsystem: "proxy", Name: "bytes_total",
			Help: "Bytes proxied; in is client to upstream, out is upstream to client.",
		}, []string{"resource", "direction"}),
		closed: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "jitgate", Subsystem: "proxy", Name: "connections_closed_total",
			Help: "Closed client connections by resource and why they closed.",
		}, []string{"resource", "reason"}),
	}
}

func (p *promRecorder) Handshake(resource, result, reason string, d time.Duration) {
	p.handshakes.WithLabelValues(resource, result, reason).Inc()
	p.duration.WithLabelValues(result).Observe(d.Seconds())
}

func (p *promRecorder) ConnOpened(resource string) {
	p.active.WithLabelValues(resource).Inc()
}

func (p *promRecorder) ConnClosed(resource, reason string, bytesIn, bytesOut int64) {
	p.active.WithLabelValues(resource).Dec()
	p.closed.WithLabelValues(resource, reason).Inc()
	p.bytes.WithLabelValues(resource, directionIn).Add(float64(bytesIn))
	p.bytes.WithLabelValues(resource, directionOut).Add(float64(bytesOut))
}
