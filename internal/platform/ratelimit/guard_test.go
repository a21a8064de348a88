package ratelimit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

var tokens = rpctest.Tokens{
	"alice-token": {DID: "did:plc:alice"},
	"bob-token":   {DID: "did:plc:bob"},
}

// proxy is the trusted proxy the tests' requests pass through, so that each request can
// claim its client address in X-Forwarded-For.
var proxy = ClientAddrs{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func newGuard(clock *fakeClock) *Guard {
	return New(Options{Addrs: proxy, Now: clock.Now})
}

// send makes a request from client address addr with an optional bearer token.
func send(t *testing.T, srv *httptest.Server, method, path, addr, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("body"))
	require.NoError(t, err)
	req.Header.Set("X-Forwarded-For", addr)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func TestMiddleware(t *testing.T) {
	clock := newFakeClock()
	g := newGuard(clock)
	signIn := g.Class("sign-ins", Rule{PerAddr: Limit{Events: 3, Per: time.Minute}})
	upload := g.Class("uploads", Rule{PerAddr: Limit{Events: 100, Per: time.Minute}, PerAccount: Limit{Events: 2, Per: time.Hour}})
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux.HandleFunc("/auth/start", ok)
	mux.HandleFunc("POST /upload", ok)
	mux.HandleFunc("GET /audio/x", ok)
	limited := Middleware(Routes{"GET /auth/start": signIn, "POST /auth/start": signIn, "POST /upload": upload}, nil)
	srv := httptest.NewServer(rpc.Authenticate(tokens)(limited(mux)))
	t.Cleanup(srv.Close)

	t.Run("sign-in starts per address, GET and POST alike", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodGet} {
			require.Equal(t, http.StatusNoContent, send(t, srv, method, "/auth/start", "198.51.100.1", "").StatusCode)
		}
		res := send(t, srv, http.MethodPost, "/auth/start", "198.51.100.1", "")
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		require.Equal(t, "20", res.Header.Get("Retry-After"), "a minute's three refill one every 20 s")
		var body struct{ Code, Message string }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
		require.Equal(t, "resource_exhausted", body.Code)
		require.Equal(t, "too many sign-ins from this client; try again in 20 s", body.Message)

		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodGet, "/auth/start", "198.51.100.2", "").StatusCode,
			"another address is unaffected")
		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodGet, "/audio/x", "198.51.100.1", "").StatusCode,
			"routes not named are not limited")

		clock.Advance(20 * time.Second)
		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodGet, "/auth/start", "198.51.100.1", "").StatusCode,
			"allowed again after Retry-After")
	})

	t.Run("uploads per account, whatever the address", func(t *testing.T) {
		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodPost, "/upload", "198.51.100.10", "alice-token").StatusCode)
		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodPost, "/upload", "198.51.100.11", "alice-token").StatusCode)
		res := send(t, srv, http.MethodPost, "/upload", "198.51.100.12", "alice-token")
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		require.Equal(t, "1800", res.Header.Get("Retry-After"))

		require.Equal(t, http.StatusNoContent, send(t, srv, http.MethodPost, "/upload", "198.51.100.12", "bob-token").StatusCode,
			"another account is unaffected, even from the same address")
	})
}

// preferences is an IdentityService that answers the two procedures the test calls.
type preferences struct {
	identityv1connect.UnimplementedIdentityServiceHandler
}

func (preferences) GetPreferences(context.Context, *identityv1.GetPreferencesRequest) (*identityv1.GetPreferencesResponse, error) {
	return &identityv1.GetPreferencesResponse{}, nil
}

func (preferences) UpdatePreferences(context.Context, *identityv1.UpdatePreferencesRequest) (*identityv1.UpdatePreferencesResponse, error) {
	return &identityv1.UpdatePreferencesResponse{}, nil
}

func TestMiddleware_ProceduresThatChangeState(t *testing.T) {
	clock := newFakeClock()
	write := newGuard(clock).Class("changes", Rule{
		PerAddr:    Limit{Events: 3, Per: time.Minute},
		PerAccount: Limit{Events: 2, Per: time.Minute},
	})
	mux := http.NewServeMux()
	mux.Handle(identityv1connect.NewIdentityServiceHandler(preferences{}))
	srv := httptest.NewServer(rpc.Authenticate(tokens)(Middleware(nil, write)(mux)))
	t.Cleanup(srv.Close)

	client := identityv1connect.NewIdentityServiceClient(srv.Client(), srv.URL)
	call := func(addr, token string, update bool) error {
		ctx, info := connect.NewClientContext(context.Background())
		info.RequestHeader().Set("X-Forwarded-For", addr)
		if token != "" {
			info.RequestHeader().Set("Authorization", "Bearer "+token)
		}
		if update {
			_, err := client.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{})
			return err
		}
		_, err := client.GetPreferences(ctx, &identityv1.GetPreferencesRequest{})
		return err
	}

	t.Run("per account", func(t *testing.T) {
		for range 2 {
			require.NoError(t, call("198.51.100.1", "alice-token", true))
		}
		err := call("198.51.100.2", "alice-token", true)
		require.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "%v", err)
		var ce *connect.Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "30", ce.Meta().Get("Retry-After"))
		require.Equal(t, "too many changes from this client; try again in 30 s", ce.Message())

		require.NoError(t, call("198.51.100.2", "bob-token", true), "another account is unaffected")
		require.NoError(t, call("198.51.100.1", "alice-token", false), "a NO_SIDE_EFFECTS procedure is not limited")
	})

	t.Run("per address, anonymous or not", func(t *testing.T) {
		for range 3 {
			require.NoError(t, call("203.0.113.9", "", true))
		}
		require.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(call("203.0.113.9", "bob-token", true)))
		require.NoError(t, call("203.0.113.10", "", true), "another address is unaffected")
		for range 5 {
			require.NoError(t, call("203.0.113.9", "", false), "reads are never limited")
		}
	})
}

func TestChangesState(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{identityv1connect.IdentityServiceUpdatePreferencesProcedure, true},
		{identityv1connect.IdentityServiceLogoutProcedure, true},
		{identityv1connect.IdentityServiceGetMeProcedure, false},
		{identityv1connect.IdentityServiceGetPreferencesProcedure, false},
		{"/plyr.identity.v1.IdentityService/NoSuchMethod", false},
		{"/plyr.identity.v1.IdentityService", false},
		{"/upload", false},
		{"/plyr.identity.v1.IdentityService/Logout/extra", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			require.Equal(t, tt.want, changesState(tt.path))
		})
	}
}
