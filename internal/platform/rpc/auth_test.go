package rpc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// fakeAuth knows one token and counts lookups.
type fakeAuth struct {
	lookups atomic.Int32
	fail    error
}

func (f *fakeAuth) Authenticate(_ context.Context, token string) (Caller, error) {
	f.lookups.Add(1)
	if f.fail != nil {
		return Caller{}, f.fail
	}
	if token == "good" {
		return Caller{DID: "did:plc:alice", Handle: "alice.test"}, nil
	}
	if token == "admin" {
		return Caller{DID: "did:plc:root", Handle: "root.test", Admin: true}, nil
	}
	return Caller{}, ErrInvalidCredentials
}

// requireThrough runs Require for level inside the Authenticate middleware.
func requireThrough(t *testing.T, auth Authenticator, level Level, setup func(*http.Request)) (*Caller, error) {
	t.Helper()
	var caller *Caller
	var err error
	h := Authenticate(auth)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		caller, err = Require(r.Context(), level)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if setup != nil {
		setup(req)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	return caller, err
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func cookie(token string) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token}) }
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name       string
		level      Level
		setup      func(*http.Request)
		wantCaller bool
		wantErr    error
	}{
		{"public ignores a bad token", Public, bearer("bad"), false, nil},
		{"optional without credentials", Optional, nil, false, nil},
		{"optional with a good bearer", Optional, bearer("good"), true, nil},
		{"optional with a bad bearer", Optional, bearer("bad"), false, ErrUnauthenticated},
		{"optional with a stale cookie", Optional, cookie("bad"), false, nil},
		{"session without credentials", Session, nil, false, ErrUnauthenticated},
		{"session with a good cookie", Session, cookie("good"), true, nil},
		{"session with a bad cookie", Session, cookie("bad"), false, ErrUnauthenticated},
		{"session with a bad bearer", Session, bearer("bad"), false, ErrUnauthenticated},
		{"bearer wins over cookie", Session, func(r *http.Request) { cookie("bad")(r); bearer("good")(r) }, true, nil},
		{"admin level, an admin", Admin, bearer("admin"), true, nil},
		{"admin level, not an admin", Admin, bearer("good"), false, ErrNotAdmin},
		{"admin level, nobody", Admin, nil, false, ErrUnauthenticated},
		{"other schemes are no credentials", Session, func(r *http.Request) { r.Header.Set("Authorization", "Basic Z29vZA==") }, false, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller, err := requireThrough(t, &fakeAuth{}, tt.level, tt.setup)
			require.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantCaller, caller != nil)
			if tt.wantCaller {
				require.Contains(t, []string{"did:plc:alice", "did:plc:root"}, caller.DID)
			}
		})
	}
}

func TestRequire_PublicNeverLooksUp(t *testing.T) {
	auth := &fakeAuth{}
	_, err := requireThrough(t, auth, Public, bearer("good"))
	require.NoError(t, err)
	require.Zero(t, auth.lookups.Load())
}

func TestRequire_ResolvesOncePerRequest(t *testing.T) {
	auth := &fakeAuth{}
	h := Authenticate(auth)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		for range 3 {
			_, _ = Require(r.Context(), Session)
		}
		require.NotNil(t, CallerFrom(r.Context()))
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	bearer("good")(req)
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Equal(t, int32(1), auth.lookups.Load())
}

func TestRequire_StoreDownIsNotUnauthenticated(t *testing.T) {
	_, err := requireThrough(t, &fakeAuth{fail: errors.New("connection refused")}, Session, bearer("good"))
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrUnauthenticated)
	require.Equal(t, connect.CodeUnavailable, connect.CodeOf(authError(err)))
}

func TestAuthInterceptor_FailsClosed(t *testing.T) {
	a := &authInterceptor{policy: Policy{"/svc/Known": Public}}
	err := a.check(context.Background(), "/svc/Unknown")
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err))
	require.NoError(t, a.check(context.Background(), "/svc/Known"))
}

func TestRequireHTTP_WritesConnectShapedError(t *testing.T) {
	h := Authenticate(&fakeAuth{})(RequireHTTP(Session, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Fatal("handler must not run")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/upload", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.JSONEq(t, `{"code":"unauthenticated","message":"authentication required: sign in or send a valid bearer token"}`, rec.Body.String())
}

func TestCaller_Browser(t *testing.T) {
	tests := []struct {
		name string
		kind CredentialKind
		want bool
	}{
		{"session cookie", BrowserSession, true},
		{"bearer token", DeveloperToken, false},
		{"unknown", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Caller{DID: "did:plc:alice", SessionID: uuid.New(), Kind: tt.kind}
			require.Equal(t, tt.want, c.Browser())
		})
	}
}
