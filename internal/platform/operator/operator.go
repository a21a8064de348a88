// Package operator places the endpoints that operators and their tooling use: /healthz
// (liveness, what load balancers probe), /readyz (whether the database, Temporal and
// storage answer) and /metrics (Prometheus).
//
// By default all three share the public listener. With a separate operator listener,
// /readyz and /metrics live only there: the public internet then sees neither the metrics
// nor a readiness probe that costs three backend round trips per request, and /healthz
// stays on both so a load balancer in front of the public listener keeps working.
package operator

import "net/http"

// Endpoints are the operators' handlers.
type Endpoints struct {
	Healthz http.Handler
	Readyz  http.Handler
	Metrics http.Handler
}

// Mount registers e on public, or, when operator is not nil, /readyz and /metrics on
// operator only and /healthz on both.
func Mount(public, operator *http.ServeMux, e Endpoints) {
	public.Handle("GET /healthz", e.Healthz)
	private := public
	if operator != nil {
		private = operator
		operator.Handle("GET /healthz", e.Healthz)
	}
	private.Handle("GET /readyz", e.Readyz)
	private.Handle("GET /metrics", e.Metrics)
}
