package identity_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

// noAccounts is a directory in which no handle exists, or one that cannot be reached.
type noAccounts struct{ err error }

func (d noAccounts) LookupHandle(context.Context, syntax.Handle) (*atid.Identity, error) {
	return nil, d.err
}
func (d noAccounts) LookupDID(context.Context, syntax.DID) (*atid.Identity, error) { return nil, d.err }
func (d noAccounts) Lookup(context.Context, syntax.AtIdentifier) (*atid.Identity, error) {
	return nil, d.err
}
func (d noAccounts) Purge(context.Context, syntax.AtIdentifier) error { return nil }

// signInMux is the identity module's routes, sign-in on, at http://127.0.0.1:8080.
func signInMux(t *testing.T, dir atid.Directory) (*http.ServeMux, *identity.Module) {
	t.Helper()
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)
	m, err := identity.New(identity.Deps{
		DB: testenv.NewDatabase(t), Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys,
		Config:     identity.Config{PublicURL: "http://127.0.0.1:8080", SessionTTL: time.Hour},
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Directory: dir,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	m.Mount(mux)
	return mux, m
}

func start(mux http.Handler, method, host, query string, headers map[string]string) *httptest.ResponseRecorder {
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, "http://"+host+"/auth/start", strings.NewReader(query))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://"+host+"/auth/start?"+query, nil)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// Another site must not be able to start a sign-in in someone's browser (login CSRF).
func TestSignInStart_AnotherSiteCannotStartIt(t *testing.T) {
	t.Parallel()
	mux, _ := signInMux(t, noAccounts{atid.ErrHandleNotFound})
	const host = "127.0.0.1:8080"

	// A link or redirect from elsewhere only shows a page that asks.
	rec := start(mux, http.MethodGet, host, "identifier=mallory.test", map[string]string{"Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	require.Contains(t, rec.Body.String(), "mallory.test")
	require.Contains(t, rec.Body.String(), `method="post"`)

	// A form on another site posting here is refused, before anything is looked up.
	rec = start(mux, http.MethodPost, host, "identifier=mallory.test", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	landing, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "permission_denied", landing.Query().Get("auth_error"))
	require.Empty(t, rec.Result().Cookies(), "no sign-in cookie for a refused start")
}

// Errors on browser navigations go back to the app with a code it can show, never JSON;
// an unknown handle is not_found, an unreachable directory unavailable.
func TestSignInStart_ErrorsReturnToTheApp(t *testing.T) {
	t.Parallel()
	own := map[string]string{"Sec-Fetch-Site": "none"}
	tests := []struct {
		name  string
		dir   atid.Directory
		query string
		code  string
	}{
		{"unknown handle", noAccounts{atid.ErrHandleNotFound}, "identifier=nobody.test&return_to=/u/me", "not_found"},
		{"directory down", noAccounts{atid.ErrDIDResolutionFailed}, "identifier=nobody.test&return_to=/u/me", "unavailable"},
		{"nothing to sign in as", noAccounts{atid.ErrHandleNotFound}, "return_to=/u/me", "invalid_argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux, _ := signInMux(t, tt.dir)
			rec := start(mux, http.MethodGet, "127.0.0.1:8080", tt.query, own)
			require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
			landing, err := url.Parse(rec.Header().Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "/u/me", landing.Path)
			require.Equal(t, tt.code, landing.Query().Get("auth_error"))
			desc := landing.Query().Get("auth_error_description")
			require.NotEmpty(t, desc)
			require.NotContains(t, desc, "\n")
		})
	}
}

// A sign-in opened on another name of the host (localhost for 127.0.0.1) moves to the
// public URL's host first, so the sign-in cookie is where the callback comes back.
func TestSignInStart_MovesToThePublicHost(t *testing.T) {
	t.Parallel()
	mux, _ := signInMux(t, noAccounts{atid.ErrHandleNotFound})
	rec := start(mux, http.MethodGet, "localhost:8080", "identifier=alice.test", map[string]string{"Sec-Fetch-Site": "none"})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "http://127.0.0.1:8080/auth/start?identifier=alice.test", rec.Header().Get("Location"))
}
