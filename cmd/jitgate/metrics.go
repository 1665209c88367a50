package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jitgate/jitgate/grants"
)

// transitions counts requests and grants entering each state.
type transitions struct{ c *prometheus.CounterVec }

func newTransitions(reg prometheus.Registerer) transitions {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "jitgate",
		Name:      "transitions_total",
		Help:      "Requests and grants entering each state.",
	}, []string{"object", "state"})
	reg.MustRegister(c)
	return transitions{c}
}

func (t transitions) Transition(object, state string) {
	t.c.WithLabelValues(object, state).Inc()
}

// registerTable exposes the grant cache's hit and miss counts.
func registerTable(reg prometheus.Registerer, table *grants.Table) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "jitgate", Name: "grant_cache_hits_total",
			Help: "Inline grant checks answered from the cache.",
		}, func() float64 { h, _ := table.Stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "jitgate", Name: "grant_cache_misses_total",
			Help: "Inline grant checks that read the store.",
		}, func() float64 { _, m := table.Stats(); return float64(m) }),
	)
}

// registerFeed exports whether the grant feed of a shared store listens;
// with SQLite there is no feed and no gauge.
func registerFeed(reg prometheus.Registerer, feed *grants.Feed) {
	if feed == nil {
		return
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "jitgate", Name: "grant_feed_listening",
		Help: "1 while this replica hears of other replicas' grant changes; " +
			"0 while every check reads the store instead.",
	}, func() float64 {
		if feed.Listening() {
			return 1
		}
		return 0
	}))
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// opsHandler serves /metrics, /healthz (the process is up) and /readyz (it
// can read its store).
func opsHandler(reg *prometheus.Registry, ready func(*http.Request) error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r); err != nil {
			http.Error(w, "not ready: store unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}
