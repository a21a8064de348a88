package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

// TestRateLimits_Routes checks the wiring: which routes each configured limit covers.
func TestRateLimits_Routes(t *testing.T) {
	limits := rateLimits(config.RateLimits{
		SignInPerAddr:    config.Rate{Events: 1, Per: time.Minute},
		UploadPerAccount: config.Rate{Events: 1, Per: time.Hour},
		WritePerAddr:     config.Rate{Events: 1, Per: time.Minute},
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := rpc.Authenticate(rpctest.Tokens{"alice-token": {DID: "did:plc:alice"}})(limits(ok))
	do := func(method, target, addr, token string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, nil)
		req.RemoteAddr = addr + ":40000"
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	// Sign-in starts: GET and POST share one budget per address.
	require.Equal(t, http.StatusNoContent, do(http.MethodGet, "/auth/start?identifier=alice.test", "192.0.2.1", "").Code)
	rec := do(http.MethodPost, "/auth/start", "192.0.2.1", "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "60", rec.Header().Get("Retry-After"))
	require.Equal(t, http.StatusNoContent, do(http.MethodGet, "/auth/start", "192.0.2.9", "").Code)

	// Uploads: per account, from any address.
	require.Equal(t, http.StatusNoContent, do(http.MethodPost, "/upload", "192.0.2.2", "alice-token").Code)
	require.Equal(t, http.StatusTooManyRequests, do(http.MethodPost, "/upload", "192.0.2.3", "alice-token").Code)

	// Procedures: those that change state are limited, reads are not.
	logout := identityv1connect.IdentityServiceLogoutProcedure
	require.Equal(t, http.StatusNoContent, do(http.MethodPost, logout, "192.0.2.4", "").Code)
	require.Equal(t, http.StatusTooManyRequests, do(http.MethodPost, logout, "192.0.2.4", "").Code)
	for range 3 {
		require.Equal(t, http.StatusNoContent, do(http.MethodPost, identityv1connect.IdentityServiceGetMeProcedure, "192.0.2.4", "").Code)
		require.Equal(t, http.StatusNoContent, do(http.MethodGet, "/audio/some-file", "192.0.2.1", "").Code)
		require.Equal(t, http.StatusNoContent, do(http.MethodGet, "/rest/getAlbum.view?id=al-x", "192.0.2.5", "").Code)
	}

	// Subsonic's writes, made with GET too, count as writes per address.
	require.Equal(t, http.StatusNoContent, do(http.MethodGet, "/rest/scrobble.view?id=tr-x&apiKey=k", "192.0.2.6", "").Code)
	require.Equal(t, http.StatusTooManyRequests, do(http.MethodGet, "/rest/star?id=tr-x&apiKey=k", "192.0.2.6", "").Code)
}
