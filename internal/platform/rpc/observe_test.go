package rpc

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
)

func TestRequestID(t *testing.T) {
	require.Equal(t, "abc-123_x.y", requestID("abc-123_x.y"))
	for _, bad := range []string{"", "has space", "<script>", strings.Repeat("a", 65)} {
		id := requestID(bad)
		require.NotEqual(t, bad, id)
		require.Len(t, id, 24)
	}
}

func TestObserve_LabelsByRoutePatternAndRecoversPanics(t *testing.T) {
	m := metrics.New()
	var logs bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /audio/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := Observe(logging.New(&logs, nil), m, mux)(mux)

	for _, path := range []string{"/audio/1", "/audio/2", "/nowhere", "/boom"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.NotEmpty(t, rec.Header().Get(RequestIDHeader))
		if path == "/boom" {
			require.Equal(t, http.StatusInternalServerError, rec.Code)
		}
	}
	// Two paths under one pattern share a series; unknown paths share "unmatched".
	require.Equal(t, 3, testutil.CollectAndCount(m.HTTPDuration))
	require.Contains(t, logs.String(), `"msg":"panic in handler"`)
	require.Contains(t, logs.String(), `"route":"GET /audio/{id}"`)
}
