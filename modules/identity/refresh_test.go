package identity_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

// tokenServer is an authorization server's token endpoint under the test's control: each
// refresh reports its arrival, then waits for release (when set) before answering.
type tokenServer struct {
	*httptest.Server
	arrived chan string   // the refresh token of each request, as it arrives
	release chan struct{} // closed to let answers go; nil answers at once
	// refuse, when set, is the status and body of every answer instead of new tokens.
	refuse func() (int, string)
}

func newTokenServer(t *testing.T, hold bool) *tokenServer {
	t.Helper()
	ts := &tokenServer{arrived: make(chan string, 64)}
	if hold {
		ts.release = make(chan struct{})
	}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ts.arrived <- r.PostForm.Get("refresh_token")
		if ts.release != nil {
			<-ts.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("DPoP-Nonce", "as-nonce-2")
		if ts.refuse != nil {
			status, body := ts.refuse()
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"access_token":  accessToken(time.Now().Add(time.Hour)),
			"refresh_token": "rotated-" + r.PostForm.Get("refresh_token"),
			"token_type":    "DPoP",
		})
	}))
	t.Cleanup(func() {
		if ts.release != nil {
			select {
			case <-ts.release:
			default:
				close(ts.release)
			}
		}
		ts.Close()
	})
	return ts
}

// waitArrivals waits for n refreshes to reach the server.
func (ts *tokenServer) waitArrivals(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-ts.arrived:
		case <-deadline:
			t.Fatalf("only %d of %d refreshes reached the authorization server: something holds them back", i, n)
		}
	}
}

// accessToken is a JWT-shaped access token expiring at exp (plyr reads only exp).
func accessToken(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))) + ".sig"
}

// refreshModule is the identity module with sign-in on and a pool of poolSize connections.
func refreshModule(t *testing.T, poolSize int32) (*identity.Module, *pgxpool.Pool) {
	t.Helper()
	base := testenv.NewDatabase(t)
	cfg := base.Config().Copy()
	cfg.MaxConns = poolSize
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)
	m, err := identity.New(identity.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys,
		Config:     identity.Config{PublicURL: "http://127.0.0.1:8080", SessionTTL: time.Hour},
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
	})
	require.NoError(t, err)
	return m, pool
}

// expiredGrant is a signed-in account whose access token has expired, at ts.
func expiredGrant(t *testing.T, ts *tokenServer, n int) oauth.ClientSessionData {
	t.Helper()
	key, err := atcrypto.GeneratePrivateKeyP256()
	require.NoError(t, err)
	return oauth.ClientSessionData{
		AccountDID:              syntax.DID(fmt.Sprintf("did:plc:refresh%d", n)),
		SessionID:               fmt.Sprintf("grant-%d", n),
		HostURL:                 "http://127.0.0.1:9",
		AuthServerURL:           ts.URL,
		AuthServerTokenEndpoint: ts.URL + "/token",
		Scopes:                  []string{"atproto"},
		AccessToken:             accessToken(time.Now().Add(-time.Minute)),
		RefreshToken:            fmt.Sprintf("refresh-%d", n),
		DPoPAuthServerNonce:     "as-nonce-1",
		DPoPPrivateKeyMultibase: key.Multibase(),
	}
}

func signedIn(t *testing.T, m *identity.Module, data oauth.ClientSessionData) string {
	t.Helper()
	token, err := m.NewGrantSessionForTest(context.Background(), data)
	require.NoError(t, err)
	return token.Value
}

// Many grants refreshing at once against a slow authorization server must not take the
// database pool with them: no connection is held while the server answers.
func TestRefresh_SlowAuthorizationServerDoesNotStarveThePool(t *testing.T) {
	t.Parallel()
	const poolSize, refreshes = 2, 6
	ts := newTokenServer(t, true)
	m, _ := refreshModule(t, poolSize)
	ctx := context.Background()

	tokens := make([]string, refreshes)
	for i := range tokens {
		tokens[i] = signedIn(t, m, expiredGrant(t, ts, i))
	}
	_, err := m.EnsureAccount(ctx, "did:plc:bystander", "bystander.test")
	require.NoError(t, err)
	bystander, err := m.IssueDeveloperToken(ctx, "did:plc:bystander", "cli", time.Hour)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, refreshes)
	for _, token := range tokens {
		wg.Go(func() {
			_, err := m.Authenticate(ctx, token)
			errs <- err
		})
	}
	// Every refresh reaches the server while it is still holding the others: with one
	// connection held per refresh, only poolSize of them could.
	ts.waitArrivals(t, refreshes)

	// Meanwhile an ordinary request still gets a connection.
	plainCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	caller, err := m.Authenticate(plainCtx, bystander.Value)
	require.NoError(t, err, "a plain request waited behind the refreshes")
	require.Equal(t, "did:plc:bystander", caller.DID)

	close(ts.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range tokens {
		data, err := m.GrantDataForTest(ctx, fmt.Sprintf("did:plc:refresh%d", i), fmt.Sprintf("grant-%d", i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("rotated-refresh-%d", i), data.RefreshToken)
	}
}

// A browser that gives up on its request must not lose the refresh token the server has
// already rotated: the refresh finishes and is stored anyway.
func TestRefresh_OutlivesTheRequestThatStartedIt(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, true)
	m, _ := refreshModule(t, 4)
	data := expiredGrant(t, ts, 1)
	token := signedIn(t, m, data)

	reqCtx, abort := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Authenticate(reqCtx, token)
		done <- err
	}()
	ts.waitArrivals(t, 1)
	abort() // the browser goes away while the server is answering
	<-done  // and its request ends at once, whatever it answers
	close(ts.release)

	require.Eventually(t, func() bool {
		stored, err := m.GrantDataForTest(context.Background(), data.AccountDID.String(), data.SessionID)
		return err == nil && stored.RefreshToken == "rotated-refresh-1"
	}, 10*time.Second, 20*time.Millisecond, "the rotated refresh token was lost with the request")

	// And the session goes on with the new tokens, without another refresh.
	_, err := m.Authenticate(context.Background(), token)
	require.NoError(t, err)
	require.Empty(t, ts.arrived)
}

// Only invalid_grant kills a grant; any other refusal or failure keeps the session, to be
// refreshed again next time.
func TestRefresh_OnlyInvalidGrantEndsTheSession(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		ends   bool
	}{
		{"invalid_grant", http.StatusBadRequest, `{"error":"invalid_grant","error_description":"refresh token revoked"}`, true},
		{"invalid_grant with 401", http.StatusUnauthorized, `{"error":"invalid_grant"}`, true},
		{"invalid_request", http.StatusBadRequest, `{"error":"invalid_request"}`, false},
		{"invalid_client", http.StatusUnauthorized, `{"error":"invalid_client"}`, false},
		{"403 from a proxy", http.StatusForbidden, `<html>forbidden</html>`, false},
		{"server error", http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`, false},
		{"error text that mentions the word", http.StatusBadRequest, `{"error":"server_error","error_description":"invalid_grant cache miss"}`, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTokenServer(t, false)
			ts.refuse = func() (int, string) { return tt.status, tt.body }
			m, _ := refreshModule(t, 4)
			token := signedIn(t, m, expiredGrant(t, ts, i))

			_, err := m.Authenticate(context.Background(), token)
			if tt.ends {
				require.ErrorIs(t, err, rpc.ErrInvalidCredentials)
				_, err = m.Authenticate(context.Background(), token)
				require.ErrorIs(t, err, rpc.ErrInvalidCredentials, "the session is gone")
				return
			}
			require.NoError(t, err, "the session goes on")
			ts.refuse = nil
			_, err = m.Authenticate(context.Background(), token)
			require.NoError(t, err)
			require.Len(t, ts.arrived, 2, "and the refresh is tried again")
		})
	}
}

// indigo saves a session whenever a DPoP nonce changes, with whatever tokens its copy
// holds; a copy older than a refresh must not put the spent tokens back.
func TestRefresh_NonceUpdateNeverWritesOlderTokens(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, false)
	m, _ := refreshModule(t, 4)
	ctx := context.Background()
	stale := expiredGrant(t, ts, 1)
	token := signedIn(t, m, stale)
	_, err := m.Authenticate(ctx, token) // refreshes: the stored tokens move on
	require.NoError(t, err)

	stale.DPoPHostNonce = "host-nonce-new"
	require.NoError(t, m.SaveGrantDataForTest(ctx, stale))

	stored, err := m.GrantDataForTest(ctx, stale.AccountDID.String(), stale.SessionID)
	require.NoError(t, err)
	require.Equal(t, "rotated-refresh-1", stored.RefreshToken, "a stale copy wrote back spent tokens")
	require.NotEqual(t, stale.AccessToken, stored.AccessToken)
	require.Equal(t, "host-nonce-new", stored.DPoPHostNonce, "the nonce itself is kept")
	require.Equal(t, "as-nonce-2", stored.DPoPAuthServerNonce, "the authorization server's nonce from the refresh is kept")
}
