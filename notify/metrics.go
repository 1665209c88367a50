package notify

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The results of one delivery attempt.
const (
	// resultDelivered: the receiver answered 2xx.
	resultDelivered = "delivered"
	// resultRejected: the receiver answered 4xx other than 408 and 429,
	// which retrying is unlikely to change: an operator must look.
	resultRejected = "rejected"
	// resultFailed: any other answer (3xx, 408, 429, 5xx).
	resultFailed = "failed"
	// resultUnreachable: no answer within the attempt's timeout.
	resultUnreachable = "unreachable"
	// resultSkipped: the event's request or grant could not be found, so
	// there was nothing to send; it is logged as an error.
	resultSkipped = "skipped"
)

// Recorder counts delivery attempts. webhook is a configured name; result
// is delivered, rejected, failed, unreachable or skipped. Implementations
// must be safe for concurrent use and must not block.
type Recorder interface {
	Delivery(webhook, result string)
}

type nopRecorder struct{}

func (nopRecorder) Delivery(string, string) {}

// promRecorder is the Recorder behind NewPrometheusRecorder.
type promRecorder struct {
	deliveries *prometheus.CounterVec
}

// NewPrometheusRecorder returns a Recorder whose counter,
// jitgate_webhook_deliveries_total{webhook,result}, is registered with reg.
func NewPrometheusRecorder(reg prometheus.Registerer) Recorder {
	return &promRecorder{
		deliveries: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Namespace: "jitgate", Subsystem: "webhook", Name: "deliveries_total",
			Help: "Webhook delivery attempts by webhook and result.",
		}, []string{"webhook", "result"}),
	}
}

func (p *promRecorder) Delivery(webhook, result string) {
	p.deliveries.WithLabelValues(webhook, result).Inc()
}
