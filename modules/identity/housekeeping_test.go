package identity

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// revocations is an authorization server's revocation endpoint that records the tokens
// it is asked to revoke.
type revocations struct {
	mu     sync.Mutex
	tokens []string
}

func (r *revocations) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.tokens = append(r.tokens, req.PostForm.Get("token"))
	r.mu.Unlock()
}

func (r *revocations) revoked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.tokens...)
	sort.Strings(out)
	return out
}

// sweepFixture is the module with sign-in on, its grants' authorization server a fake
// that records revocations.
type sweepFixture struct {
	m      *Module
	pool   *pgxpool.Pool
	as     *httptest.Server
	revoke *revocations
}

const sweepDID = "did:plc:alice"

func newSweepFixture(t *testing.T) *sweepFixture {
	t.Helper()
	f := &sweepFixture{pool: testenv.NewDatabase(t), revoke: &revocations{}}
	f.as = httptest.NewServer(f.revoke)
	t.Cleanup(f.as.Close)
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)
	f.m, err = New(Deps{
		DB: f.pool, Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys, HTTPClient: f.as.Client(),
		Config: Config{PublicURL: "http://127.0.0.1:1", SessionTTL: time.Hour},
	})
	require.NoError(t, err)
	_, err = f.m.EnsureAccount(context.Background(), sweepDID, "alice.test")
	require.NoError(t, err)
	return f
}

// grant stores a grant whose tokens are named after it, as a sign-in would.
func (f *sweepFixture) grant(t *testing.T, name string) string {
	t.Helper()
	key, err := atcrypto.GeneratePrivateKeyP256()
	require.NoError(t, err)
	id := name + "-" + uuid.NewString()
	require.NoError(t, f.m.store.SaveSession(context.Background(), oauth.ClientSessionData{
		AccountDID: syntax.DID(sweepDID), SessionID: id, HostURL: f.as.URL, AuthServerURL: f.as.URL,
		AuthServerTokenEndpoint: f.as.URL + "/token", AuthServerRevocationEndpoint: f.as.URL + "/revoke",
		Scopes: []string{"atproto"}, AccessToken: name + "-access", RefreshToken: name + "-refresh",
		DPoPPrivateKeyMultibase: key.Multibase(),
	}))
	return id
}

// session makes a browser session holding alice through grantID, expiring at expires.
func (f *sweepFixture) session(t *testing.T, grantID string, expires time.Time) uuid.UUID {
	t.Helper()
	token, err := session.Create(context.Background(), db.New(f.pool), sweepDID, rpc.BrowserSession, "", expires, &grantID)
	require.NoError(t, err)
	return token.ID
}

func (f *sweepFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (f *sweepFixture) exists(t *testing.T, table, column string, value any) bool {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM identity."+table+" WHERE "+column+" = $1", value).Scan(&n))
	return n > 0
}

func TestSweepExpired(t *testing.T) {
	ctx := context.Background()
	f := newSweepFixture(t)
	now := time.Now()

	// Sessions: one past its own expiry, one whose grant has lapsed, one live.
	expiredGrant := f.grant(t, "expired")
	expired := f.session(t, expiredGrant, now.Add(-time.Minute))
	lapsedGrant := f.grant(t, "lapsed")
	lapsed := f.session(t, lapsedGrant, now.Add(time.Hour))
	f.exec(t, "UPDATE identity.grants SET expires_at = now() - interval '1 minute' WHERE id = $1", lapsedGrant)
	liveGrant := f.grant(t, "live")
	live := f.session(t, liveGrant, now.Add(time.Hour))

	// Developer tokens made at a sign-in: one whose claim code lapsed unclaimed long ago,
	// one just made (its code can still be claimed).
	unclaimedGrant := f.grant(t, "unclaimed")
	_, err := f.m.tokens.Mint(ctx, live, sweepDID, unclaimedGrant, "old", time.Hour)
	require.NoError(t, err)
	var unclaimed uuid.UUID
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT token_session_id FROM identity.token_claims").Scan(&unclaimed))
	f.exec(t, "UPDATE identity.sessions SET created_at = now() - interval '1 hour' WHERE id = $1", unclaimed)
	f.exec(t, "UPDATE identity.token_claims SET expires_at = now() - interval '50 minutes'")
	pendingGrant := f.grant(t, "pending")
	_, err = f.m.tokens.Mint(ctx, live, sweepDID, pendingGrant, "new", time.Hour)
	require.NoError(t, err)

	// A claim code past its expiry whose token is someone's operator token.
	operator, err := f.m.IssueDeveloperToken(ctx, sweepDID, "ops", time.Hour)
	require.NoError(t, err)
	require.NoError(t, db.New(f.pool).CreateTokenClaim(ctx, db.CreateTokenClaimParams{
		CodeHash: make([]byte, 32), SessionID: live, TokenSessionID: operator.ID, ExpiresAt: now.Add(-time.Minute),
	}))

	// Sign-ins: one never finished, one in flight.
	for state, expires := range map[string]time.Time{"stale": now.Add(-time.Minute), "fresh": now.Add(10 * time.Minute)} {
		require.NoError(t, db.New(f.pool).CreateAuthRequest(ctx, db.CreateAuthRequestParams{
			State: state, SealedData: []byte("x"), Flow: "login", ExpiresAt: expires, ReturnTo: "/",
		}))
	}

	// Grants no session holds: one left long ago, one of a sign-in finishing now.
	abandonedGrant := f.grant(t, "abandoned")
	f.exec(t, "UPDATE identity.grants SET created_at = now() - interval '2 hours' WHERE id = $1", abandonedGrant)
	finishingGrant := f.grant(t, "finishing")

	counts, err := f.m.SweepExpired(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Equal(t, SweepCounts{Sessions: 2, UnclaimedTokens: 1, TokenClaims: 1, AuthRequests: 1, Grants: 4}, counts)

	require.Equal(t, []string{
		"abandoned-access", "abandoned-refresh", "expired-access", "expired-refresh",
		"lapsed-access", "lapsed-refresh", "unclaimed-access", "unclaimed-refresh",
	}, f.revoke.revoked(), "each deleted grant was revoked at its authorization server, and no other")

	for _, gone := range []uuid.UUID{expired, lapsed, unclaimed} {
		require.False(t, f.exists(t, "sessions", "id", gone))
	}
	for _, kept := range []uuid.UUID{live, operator.ID} {
		require.True(t, f.exists(t, "sessions", "id", kept))
	}
	for _, gone := range []string{expiredGrant, lapsedGrant, unclaimedGrant, abandonedGrant} {
		require.False(t, f.exists(t, "grants", "id", gone), gone)
	}
	for _, kept := range []string{liveGrant, pendingGrant, finishingGrant} {
		require.True(t, f.exists(t, "grants", "id", kept), kept)
	}
	require.True(t, f.exists(t, "auth_requests", "state", "fresh"))
	require.False(t, f.exists(t, "auth_requests", "state", "stale"))
	var claims int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.token_claims").Scan(&claims))
	require.Equal(t, 1, claims, "the pending token's claim code stays")

	again, err := f.m.SweepExpired(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Equal(t, SweepCounts{}, again, "a second sweep finds nothing")
}

func TestSweepExpired_Batch(t *testing.T) {
	ctx := context.Background()
	f := newSweepFixture(t)
	for range 3 {
		f.session(t, f.grant(t, "g"), time.Now().Add(-time.Minute))
	}
	counts, err := f.m.SweepExpired(ctx, time.Now(), 2)
	require.NoError(t, err)
	require.Equal(t, 2, counts.Sessions, "at most a batch per run")
	require.Equal(t, 2, counts.Grants)
	counts, err = f.m.SweepExpired(ctx, time.Now(), 2)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Sessions)
}

func TestSweepExpired_UnreachableAuthorizationServer(t *testing.T) {
	ctx := context.Background()
	f := newSweepFixture(t)
	id := f.grant(t, "g")
	f.session(t, id, time.Now().Add(-time.Minute))
	f.as.Close() // the authorization server is gone

	counts, err := f.m.SweepExpired(ctx, time.Now(), 10)
	require.NoError(t, err)
	require.Equal(t, SweepCounts{Sessions: 1, Grants: 1, RevokeFailures: 1}, counts)
	require.False(t, f.exists(t, "grants", "id", id), "plyr forgets the grant whether or not its server answers")
}
