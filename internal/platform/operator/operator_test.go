package operator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
}

// get returns what mux answers to GET path: the handler's name, or "404".
func get(t *testing.T, mux *http.ServeMux, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code == http.StatusNotFound {
		return "404"
	}
	require.Equal(t, http.StatusOK, rec.Code, path)
	return rec.Body.String()
}

func TestMount(t *testing.T) {
	e := Endpoints{Healthz: named("healthz"), Readyz: named("readyz"), Metrics: named("metrics")}
	paths := []string{"/healthz", "/readyz", "/metrics"}

	t.Run("one listener serves everything", func(t *testing.T) {
		public := http.NewServeMux()
		Mount(public, nil, e)
		for _, p := range paths {
			require.Equal(t, p[1:], get(t, public, p))
		}
	})

	t.Run("an operator listener takes readyz and metrics off the public one", func(t *testing.T) {
		public, op := http.NewServeMux(), http.NewServeMux()
		Mount(public, op, e)
		require.Equal(t, "healthz", get(t, public, "/healthz"))
		require.Equal(t, "404", get(t, public, "/readyz"))
		require.Equal(t, "404", get(t, public, "/metrics"))
		for _, p := range paths {
			require.Equal(t, p[1:], get(t, op, p))
		}
	})
}
