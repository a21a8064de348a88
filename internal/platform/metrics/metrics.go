// Package metrics holds plyr's Prometheus collectors on one registry (no global default
// registry), served at GET /metrics.
//
// Label values are always bounded: HTTP routes are the mux's patterns, RPCs are the
// procedures a service declares, workflows are their registered names.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors the process updates.
type Metrics struct {
	// Registry holds every collector below plus the Go runtime and process collectors.
	Registry *prometheus.Registry
	// HTTPDuration observes plain HTTP requests by route pattern, method and status code.
	HTTPDuration *prometheus.HistogramVec
	// RPCDuration observes Connect calls by procedure and Connect code.
	RPCDuration *prometheus.HistogramVec
	// WorkflowStarts counts workflows started, by workflow name and result
	// (started, already_started, error).
	WorkflowStarts *prometheus.CounterVec
	// WorkflowOutcomes counts workflow executions that ended on this worker, by workflow
	// name and outcome (completed, failed, canceled, continued_as_new).
	WorkflowOutcomes *prometheus.CounterVec
	// OAuthRefreshes counts OAuth token refreshes by result (ok, rejected, error).
	OAuthRefreshes *prometheus.CounterVec
}

// latencyBuckets span 1 ms to 30 s: a presign is sub-millisecond, an upload body can take long.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New creates the collectors and registers them on a new registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plyr_http_request_duration_seconds",
			Help:    "Latency of plain HTTP requests by route pattern, method and status code.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "code"}),
		RPCDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plyr_rpc_duration_seconds",
			Help:    "Latency of Connect calls by procedure and code (streams: until the stream ends).",
			Buckets: latencyBuckets,
		}, []string{"procedure", "code"}),
		WorkflowStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plyr_workflow_starts_total",
			Help: "Workflow start requests by workflow and result.",
		}, []string{"workflow", "result"}),
		WorkflowOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plyr_workflow_outcomes_total",
			Help: "Workflow executions that ended on this worker, by workflow and outcome.",
		}, []string{"workflow", "outcome"}),
		OAuthRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plyr_oauth_refreshes_total",
			Help: "OAuth token refreshes by result: ok, rejected (the grant is dead), error (try later).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPDuration, m.RPCDuration, m.WorkflowStarts, m.WorkflowOutcomes, m.OAuthRefreshes,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
