package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

// confidentialHost is the https name a confidential test client lives at; the PDS's own
// fetches of its metadata, and the test user's requests, are routed to the test server.
// (The reference server refuses client ids under .test and similar names.)
const confidentialHost = "ci-client.plyr.fm"

// pdsFixture is the identity module serving its routes on a real listener, signed in to
// by test users through the reference PDS.
type pdsFixture struct {
	net      *devpds.Network
	module   *identity.Module
	pool     *pgxpool.Pool
	keys     *sealed.Keyring
	metrics  *metrics.Metrics
	base     string // how users reach plyr: the loopback URL, or https://ci-client.plyr.fm
	server   *httptest.Server
	outbound *countingTransport // everything plyr sends out
	deps     identity.Deps
}

type fixtureOptions struct {
	confidential bool
	// directory, when set, replaces the PDS's directory (to break handle resolution).
	directory func(atid.Directory) atid.Directory
	admins    []string
}

func newPDSFixture(t *testing.T, o fixtureOptions) *pdsFixture {
	t.Helper()
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	f := &pdsFixture{net: net, pool: testenv.NewDatabase(t), metrics: metrics.New()}
	f.keys, err = sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)

	var handler http.Handler
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(f.server.Close)
	cfg := identity.Config{
		PublicURL: f.server.URL, SessionTTL: time.Hour, AccountCreation: true, AdminDIDs: o.admins,
		PDSOptions: []identity.PDSOption{{Name: "the test PDS", URL: net.PDSURL, Recommended: true}},
	}
	f.base = f.server.URL
	if o.confidential {
		key, err := atcrypto.GeneratePrivateKeyP256()
		require.NoError(t, err)
		cfg.PublicURL, cfg.ClientKey, cfg.ClientKeyID = "https://"+confidentialHost, key, "test-key"
		f.base = cfg.PublicURL
		port := f.server.URL[strings.LastIndex(f.server.URL, ":")+1:]
		require.NoError(t, net.MapFetch(confidentialHost, "http://localhost:"+port))
		t.Cleanup(func() { _ = net.MapFetch(confidentialHost, "") })
	}
	f.outbound = &countingTransport{base: net.Transport(nil)}
	dir := atid.Directory(&atid.BaseDirectory{
		PLCURL: net.PLCURL, HTTPClient: http.Client{Transport: f.outbound}, SkipDNSDomainSuffixes: []string{".test"},
	})
	if o.directory != nil {
		dir = o.directory(dir)
	}
	f.deps = identity.Deps{
		DB: f.pool, Logger: logging.Discard(), Metrics: f.metrics, Config: cfg, Keys: f.keys,
		HTTPClient: &http.Client{Transport: f.outbound, Timeout: 30 * time.Second}, Directory: dir,
	}
	f.module, err = identity.New(f.deps)
	require.NoError(t, err)
	mux := http.NewServeMux()
	f.module.Mount(mux)
	handler = rpc.Authenticate(f.module, rpc.PublicOrigin(cfg.PublicURL))(mux)
	return f
}

// replica is the identity module as another plyr process would run it: the same database
// and configuration, nothing in memory shared.
func (f *pdsFixture) replica(t *testing.T) *identity.Module {
	t.Helper()
	m, err := identity.New(f.deps)
	require.NoError(t, err)
	return m
}

// newAccount makes a fresh account on the PDS.
func (f *pdsFixture) newAccount(t *testing.T, name string) devpds.Account {
	t.Helper()
	handle := fmt.Sprintf("%s%d.test", name, time.Now().UnixNano()%1_000_000_000)
	acct, err := f.net.CreateAccount(context.Background(), handle, name+"-pass-123")
	require.NoError(t, err)
	return acct
}

// user is a person with a browser: a cookie jar for plyr and one for the PDS.
type user struct {
	f    *pdsFixture
	http *http.Client // to plyr, with plyr's cookies
	pds  *devpds.Browser
}

func (f *pdsFixture) newUser() *user {
	jar, _ := cookiejar.New(nil)
	// The confidential client's https name leads to the test server; everything else
	// (the PDS, *.test) goes where the network says.
	transport := hostRoute{host: confidentialHost, to: f.server.URL, base: f.net.Transport(nil)}
	return &user{
		f:   f,
		pds: devpds.NewBrowser(transport),
		http: &http.Client{Transport: ownNavigations{transport}, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// client is IdentityService as this user's browser calls it (with the session cookie).
func (u *user) client() identityv1connect.IdentityServiceClient {
	return identityv1connect.NewIdentityServiceClient(u.http, u.f.base)
}

// signIn goes through /auth/start?identifier=acct, the PDS's pages, and the callback.
func (u *user) signIn(t *testing.T, acct devpds.Account) *url.URL {
	t.Helper()
	return u.follow(t, u.f.base+"/auth/start?identifier="+url.QueryEscape(acct.Handle), devpds.Credentials{Handle: acct.Handle, Password: acct.Password})
}

// follow takes a URL that leads to the PDS (plyr's /auth/start answers with a redirect; an
// RPC returns the authorization URL itself), signs in there, and delivers the callback to
// plyr. It returns where plyr finally sends the browser.
func (u *user) follow(t *testing.T, start string, creds devpds.Credentials) *url.URL {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	authURL := start
	if strings.HasPrefix(start, u.f.base) {
		res, err := u.http.Get(start)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "%s", body)
		authURL = res.Header.Get("Location")
	}
	callback, err := u.pds.Authorize(ctx, authURL, creds)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(callback.String(), u.f.base+"/auth/callback"), callback.String())
	res, err := u.http.Get(callback.String())
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "%s", body)
	landing, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Empty(t, landing.Query().Get("auth_error"), landing.String())
	return landing
}

// cookie is the user's plyr session token.
func (u *user) cookie(t *testing.T) string {
	t.Helper()
	base, _ := url.Parse(u.f.base)
	for _, c := range u.http.Jar.Cookies(base) {
		if c.Name == rpc.SessionCookie || c.Name == rpc.SecureSessionCookie {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// ownNavigations marks each request as the person's own navigation (Sec-Fetch-Site:
// none), as a browser does for a typed address: plyr's sign-in start asks for that.
type ownNavigations struct{ base http.RoundTripper }

func (o ownNavigations) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Sec-Fetch-Site") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Sec-Fetch-Site", "none")
	}
	return o.base.RoundTrip(r)
}

// hostRoute sends https://host to another base URL, and the rest through base.
type hostRoute struct {
	host, to string
	base     http.RoundTripper
}

func (h hostRoute) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == h.host {
		to, _ := url.Parse(h.to)
		r2 := r.Clone(r.Context())
		r2.URL.Scheme, r2.URL.Host, r2.Host = to.Scheme, to.Host, to.Host
		return h.base.RoundTrip(r2)
	}
	return h.base.RoundTrip(r)
}

// countingTransport counts the requests plyr sends out, and the token refreshes among them.
type countingTransport struct {
	base      http.RoundTripper
	requests  atomic.Int64
	mu        sync.Mutex
	refreshes int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth/token") && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if strings.Contains(string(body), "grant_type=refresh_token") {
			c.mu.Lock()
			c.refreshes++
			c.mu.Unlock()
		}
	}
	return c.base.RoundTrip(r)
}

func (c *countingTransport) tokenRefreshes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refreshes
}

func decodeJSON(t *testing.T, r io.Reader, v any) {
	t.Helper()
	require.NoError(t, json.NewDecoder(r).Decode(v))
}
