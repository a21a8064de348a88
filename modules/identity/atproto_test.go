package identity_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/identity"
)

func me(t *testing.T, u *user) *identityv1.GetMeResponse {
	t.Helper()
	res, err := u.client().GetMe(context.Background(), &identityv1.GetMeRequest{})
	require.NoError(t, err)
	return res
}

func TestSignIn_PublicClient(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	landing := u.signIn(t, alice)
	require.Equal(t, "/", landing.Path)
	require.Equal(t, "1", landing.Query().Get("signed_in"), "the app is told the sign-in happened")

	res := me(t, u)
	require.Equal(t, alice.DID, res.Account.Did)
	require.Equal(t, alice.Handle, res.Account.Handle, "the handle shows, never a bare DID")
	require.True(t, res.TermsPending)
	require.Len(t, res.LinkedAccounts, 1)

	// At rest the grant is ciphertext: no token shows, and it opens only with the key.
	var sealedData []byte
	var scope string
	var confidential bool
	require.NoError(t, f.pool.QueryRow(context.Background(),
		"SELECT sealed_data, scope, confidential FROM identity.grants WHERE did = $1", alice.DID).Scan(&sealedData, &scope, &confidential))
	require.False(t, confidential)
	require.NotContains(t, string(sealedData), "access_token")
	require.NotContains(t, string(sealedData), "eyJ", "a JWT shows through")
	var grantID string
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT id FROM identity.grants WHERE did = $1", alice.DID).Scan(&grantID))
	plain, err := f.keys.Open(sealedData, []byte(grantID))
	require.NoError(t, err)
	require.Contains(t, string(plain), `"access_token":"eyJ`)
	require.Contains(t, scope, "collection=fm.plyr.track", "the permission set was granted, expanded")

	// The session cookie is stored only as a hash.
	var stored int
	require.NoError(t, f.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM identity.sessions WHERE position(convert_to($1, 'UTF8') in token_hash) > 0 OR token_prefix = $1", u.cookie(t)).Scan(&stored))
	require.Zero(t, stored)
}

func TestSignIn_ConfidentialClient(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{confidential: true})
	u := f.newUser()

	// The PDS fetched plyr's metadata and keys to accept the client.
	res, err := u.http.Get(f.base + "/oauth-client-metadata.json")
	require.NoError(t, err)
	var meta map[string]any
	decodeJSON(t, res.Body, &meta)
	res.Body.Close()
	require.Equal(t, "private_key_jwt", meta["token_endpoint_auth_method"])
	require.Equal(t, f.base+"/.well-known/jwks.json", meta["jwks_uri"])
	require.Equal(t, f.base+"/oauth-client-metadata.json", meta["client_id"])
	res, err = u.http.Get(f.base + "/.well-known/jwks.json")
	require.NoError(t, err)
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	decodeJSON(t, res.Body, &jwks)
	res.Body.Close()
	require.Len(t, jwks.Keys, 1)
	require.Equal(t, "test-key", jwks.Keys[0]["kid"])
	require.NotContains(t, jwks.Keys[0], "d", "the private part is not published")

	bob := f.newAccount(t, "bob")
	u.signIn(t, bob)
	require.Equal(t, bob.DID, me(t, u).Account.Did)

	var confidential bool
	var expires time.Time
	require.NoError(t, f.pool.QueryRow(context.Background(),
		"SELECT confidential, expires_at FROM identity.grants WHERE did = $1", bob.DID).Scan(&confidential, &expires))
	require.True(t, confidential)
	require.WithinDuration(t, time.Now().Add(91*24*time.Hour), expires, 48*time.Hour, "confidential grants last 3 months")
}

func TestMultiAccount(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice, bob, carol := f.newAccount(t, "alice"), f.newAccount(t, "bob"), f.newAccount(t, "carol")
	u := f.newUser()
	u.signIn(t, alice)
	ctx := context.Background()
	c := u.client()

	// A developer token of alice's, made before anything else, outlives every logout.
	token := newDeveloperToken(t, u, alice, "before")

	// Add bob: prompt=login at the PDS, and bob becomes current.
	added, err := c.StartAddAccount(ctx, &identityv1.StartAddAccountRequest{Identifier: bob.Handle, ReturnTo: "/settings"})
	require.NoError(t, err)
	landing := u.follow(t, added.AuthUrl, devpds.Credentials{Handle: bob.Handle, Password: bob.Password})
	require.Equal(t, "/settings", landing.Path)
	require.Equal(t, "1", landing.Query().Get("account_added"))
	res := me(t, u)
	require.Equal(t, bob.DID, res.Account.Did)
	require.Len(t, res.LinkedAccounts, 2)
	require.Equal(t, alice.Handle, res.LinkedAccounts[0].Account.Handle)
	require.False(t, res.LinkedAccounts[0].Current)
	require.True(t, res.LinkedAccounts[1].Current)

	// Adding an account already here is refused.
	_, err = c.StartAddAccount(ctx, &identityv1.StartAddAccountRequest{Identifier: alice.Handle})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))

	// Switch both ways, at once (no PDS involved).
	before := f.outbound.requests.Load()
	sw, err := c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: alice.DID})
	require.NoError(t, err)
	require.Equal(t, alice.Handle, sw.Account.Handle)
	require.Equal(t, alice.DID, me(t, u).Account.Did)
	_, err = c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: bob.DID})
	require.NoError(t, err)
	require.Equal(t, bob.DID, me(t, u).Account.Did)
	require.Equal(t, before, f.outbound.requests.Load(), "switching needs no PDS")

	// An account outside the group is refused; so is switching with a token.
	_, err = c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: carol.DID})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err))
	require.Contains(t, err.Error(), "not signed in on this browser")
	tokens := tokenClient(f)
	_, err = tokens.SwitchAccount(rpctest.WithToken(ctx, token), &identityv1.SwitchAccountRequest{Did: alice.DID})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))

	// An expired account is refused too, and leaves the group.
	_, err = c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: alice.DID})
	require.NoError(t, err)
	expireGrant(t, f, bob.DID)
	_, err = c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: bob.DID})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
	require.Contains(t, err.Error(), "expired")
	require.Len(t, me(t, u).LinkedAccounts, 1)

	// Add carol back in, log out of alice switching to carol, then log out of everything.
	added, err = c.StartAddAccount(ctx, &identityv1.StartAddAccountRequest{Identifier: carol.Handle})
	require.NoError(t, err)
	u.follow(t, added.AuthUrl, devpds.Credentials{Handle: carol.Handle, Password: carol.Password})
	_, err = c.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: alice.DID})
	require.NoError(t, err)
	out, err := c.Logout(ctx, &identityv1.LogoutRequest{SwitchTo: carol.DID})
	require.NoError(t, err)
	require.Equal(t, carol.DID, out.Account.Did)
	res = me(t, u)
	require.Equal(t, carol.DID, res.Account.Did)
	require.Len(t, res.LinkedAccounts, 1)

	_, err = c.LogoutAll(ctx, &identityv1.LogoutAllRequest{})
	require.NoError(t, err)
	_, err = c.GetMe(ctx, &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "the cookie was cleared and the session ended")

	// The developer token still works.
	tres, err := tokens.GetMe(rpctest.WithToken(ctx, token), &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.Equal(t, alice.DID, tres.Account.Did)
}

func TestLogout_LastAccountSignsOut(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	u := f.newUser()
	u.signIn(t, f.newAccount(t, "solo"))
	out, err := u.client().Logout(context.Background(), &identityv1.LogoutRequest{})
	require.NoError(t, err)
	require.Nil(t, out.Account)
	_, err = u.client().GetMe(context.Background(), &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
}

func TestDeveloperTokens(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	ctx := context.Background()

	token := newDeveloperToken(t, u, alice, "laptop")
	tokens := tokenClient(f)
	res, err := tokens.GetMe(rpctest.WithToken(ctx, token), &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.Equal(t, alice.DID, res.Account.Did)

	list, err := u.client().ListDeveloperTokens(ctx, &identityv1.ListDeveloperTokensRequest{})
	require.NoError(t, err)
	require.Len(t, list.Tokens, 1)
	require.Equal(t, "laptop", list.Tokens[0].Name)
	require.True(t, strings.HasPrefix(token, list.Tokens[0].Prefix))
	// Clamped to the grant: a public client's grant lasts two weeks.
	require.WithinDuration(t, time.Now().Add(14*24*time.Hour), list.Tokens[0].ExpiresAt.AsTime(), time.Hour)

	// Each token has a grant of its own, not the browser's.
	var grants int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.grants WHERE did = $1", alice.DID).Scan(&grants))
	require.Equal(t, 2, grants)

	_, err = u.client().RevokeDeveloperToken(ctx, &identityv1.RevokeDeveloperTokenRequest{Prefix: "plyr_"})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "too short to name one token")
	_, err = u.client().RevokeDeveloperToken(ctx, &identityv1.RevokeDeveloperTokenRequest{Prefix: list.Tokens[0].Prefix})
	require.NoError(t, err)
	_, err = tokens.GetMe(rpctest.WithToken(ctx, token), &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	_, err = u.client().RevokeDeveloperToken(ctx, &identityv1.RevokeDeveloperTokenRequest{Prefix: list.Tokens[0].Prefix})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
}

// newDeveloperToken makes a developer token through its own sign-in and claims it.
func newDeveloperToken(t *testing.T, u *user, acct devpds.Account, name string) string {
	t.Helper()
	ctx := context.Background()
	start, err := u.client().StartDeveloperToken(ctx, &identityv1.StartDeveloperTokenRequest{Name: name, ReturnTo: "/settings/tokens"})
	require.NoError(t, err)
	landing := u.follow(t, start.AuthUrl, devpds.Credentials{Handle: acct.Handle, Password: acct.Password})
	code := landing.Query().Get("developer_token")
	require.NotEmpty(t, code)
	claimed, err := u.client().ClaimDeveloperToken(ctx, &identityv1.ClaimDeveloperTokenRequest{Code: code})
	require.NoError(t, err)
	require.Equal(t, name, claimed.Details.Name)
	_, err = u.client().ClaimDeveloperToken(ctx, &identityv1.ClaimDeveloperTokenRequest{Code: code})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "a claim code works once")
	return claimed.Token
}

// tokenClient calls IdentityService from no browser: the token goes with rpctest.WithToken.
func tokenClient(f *pdsFixture) identityv1connect.IdentityServiceClient { return f.newUser().client() }

func TestSignUp_OnAnOfferedPDS(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	u := f.newUser()
	handle := "newcomer" + strings.ReplaceAll(time.Now().Format("150405.000"), ".", "") + ".test"
	landing := u.follow(t, f.base+"/auth/start?pds="+url.QueryEscape(f.net.PDSURL)+"&return_to=/welcome",
		devpds.Credentials{Handle: handle, Password: "newcomer-pass-123", Email: "newcomer@plyr.invalid"})
	require.Equal(t, "/welcome", landing.Path)
	require.Equal(t, "1", landing.Query().Get("signed_up"), "the app is told the account was made")
	res := me(t, u)
	require.Equal(t, handle, res.Account.Handle, "signed in as the account just made")
	require.True(t, strings.HasPrefix(res.Account.Did, "did:plc:"))

	options, err := u.client().ListPdsOptions(context.Background(), &identityv1.ListPdsOptionsRequest{})
	require.NoError(t, err)
	require.True(t, options.Enabled)
	require.Equal(t, f.net.PDSURL, options.Options[0].Url)
}

func TestSignUp_RefusesPDSNotOffered(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	u := f.newUser()
	for _, pds := range []string{
		"https://evil.example", "http://169.254.169.254", "http://127.0.0.1:1", "http://localhost:2583",
		"https://pds.test.evil.example", "https://user@pds.test", "https://pds.test/../admin", "file:///etc/passwd",
	} {
		t.Run(pds, func(t *testing.T) {
			before := f.outbound.requests.Load()
			res, err := u.http.Get(f.base + "/auth/start?pds=" + url.QueryEscape(pds))
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			landing, err := url.Parse(res.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "invalid_argument", landing.Query().Get("auth_error"))
			require.Contains(t, landing.Query().Get("auth_error_description"), "not offered")
			require.Equal(t, before, f.outbound.requests.Load(), "a request left plyr")
		})
	}
}

func TestSession_ExpiredGrantEndsIt(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	expireGrant(t, f, alice.DID)

	_, err := u.client().GetMe(context.Background(), &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	var sessions int
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM identity.sessions WHERE did = $1", alice.DID).Scan(&sessions))
	require.Zero(t, sessions, "the session is gone")
}

func TestSession_RevokedGrantEndsItAtRefresh(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	ctx := context.Background()

	// The user revokes plyr at their PDS; plyr learns it when the access token expires.
	revokeAtPDS(t, f, alice.DID)
	expireAccessToken(t, f, alice.DID)

	_, err := u.client().GetMe(ctx, &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	require.Equal(t, 1.0, testutil.ToFloat64(f.metrics.OAuthRefreshes.WithLabelValues("rejected")))
	var sessions int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.sessions WHERE did = $1", alice.DID).Scan(&sessions))
	require.Zero(t, sessions)
}

func TestRefresh_ConcurrentRequestsRefreshOnce(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	expireAccessToken(t, f, alice.DID)
	refreshesBefore := f.outbound.tokenRefreshes()

	// Half the requests reach this process over HTTP, half another process (a replica
	// sharing only the database): still one refresh between them.
	replica := f.replica(t)
	cookie := u.cookie(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, err := u.client().GetMe(context.Background(), &identityv1.GetMeRequest{})
				errs <- err
				return
			}
			_, err := replica.Authenticate(context.Background(), cookie)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.outbound.tokenRefreshes()-refreshesBefore, "token endpoint refreshes")
	require.Equal(t, 1.0, testutil.ToFloat64(f.metrics.OAuthRefreshes.WithLabelValues("ok")))

	// The refreshed tokens work on the PDS.
	caller, err := f.module.Authenticate(context.Background(), u.cookie(t))
	require.NoError(t, err)
	_, _, err = f.module.PutRecord(context.Background(), &caller, "fm.plyr.actor.profile", "self",
		map[string]any{"$type": "fm.plyr.actor.profile", "bio": "after refresh", "createdAt": syntax.DatetimeNow().String()})
	require.NoError(t, err)
}

func TestPDS_WriteOutsideGrantIsAPermissionError(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	ctx := context.Background()
	caller, err := f.module.Authenticate(ctx, u.cookie(t))
	require.NoError(t, err)

	// Inside the permission set: fine.
	uri, _, err := f.module.PutRecord(ctx, &caller, "fm.plyr.actor.profile", "self",
		map[string]any{"$type": "fm.plyr.actor.profile", "bio": "hello", "createdAt": syntax.DatetimeNow().String()})
	require.NoError(t, err)
	require.Contains(t, uri, "/fm.plyr.actor.profile/self")

	// Outside it: a clear permission error, not a 500.
	_, _, err = f.module.PutRecord(ctx, &caller, "app.bsky.feed.post", "3lzzzzzzzzzz2",
		map[string]any{"$type": "app.bsky.feed.post", "text": "hi", "createdAt": syntax.DatetimeNow().String()})
	require.ErrorIs(t, err, identity.ErrScopeMissing)
	require.Contains(t, err.Error(), "app.bsky.feed.post")
	var ce *connect.Error
	require.ErrorAs(t, identity.ConnectErrorForTest(f.module, err), &ce)
	require.Equal(t, connect.CodePermissionDenied, ce.Code())
	require.Contains(t, ce.Message(), "re-authorise plyr")
}

func TestScopeUpgrade_AddsTealAndKeepsTheSession(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	ctx := context.Background()
	cookie := u.cookie(t)

	on := true
	prefs, err := u.client().UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{EnableTealScrobbling: &on})
	require.NoError(t, err)
	require.True(t, prefs.Preferences.TealNeedsReauth, "the grant lacks teal's scopes")

	start, err := u.client().StartScopeUpgrade(ctx, &identityv1.StartScopeUpgradeRequest{IncludeTeal: true, ReturnTo: "/settings"})
	require.NoError(t, err)
	landing := u.follow(t, start.AuthUrl, devpds.Credentials{Handle: alice.Handle, Password: alice.Password})
	require.Equal(t, "1", landing.Query().Get("scope_upgraded"))

	got, err := u.client().GetPreferences(ctx, &identityv1.GetPreferencesRequest{})
	require.NoError(t, err)
	require.False(t, got.Preferences.TealNeedsReauth)
	require.Equal(t, cookie, u.cookie(t), "the same session carries on")
	var grants int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.grants WHERE did = $1", alice.DID).Scan(&grants))
	require.Equal(t, 1, grants, "the old grant is revoked and gone")
}

func TestSignIn_HandleFallsBackToThePDS(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{directory: func(d atid.Directory) atid.Directory { return lateHandles{d} }})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	require.Equal(t, alice.Handle, me(t, u).Account.Handle, "the handle came from describeRepo")
}

// A PDS can claim any handle for its accounts: a claim that does not resolve back to the
// account's DID is not shown.
func TestSignIn_UnverifiedHandleIsNotShown(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{directory: func(d atid.Directory) atid.Directory { return impostor{lateHandles{d}} }})
	alice := f.newAccount(t, "alice")
	u := f.newUser()
	u.signIn(t, alice)
	require.Equal(t, "handle.invalid", me(t, u).Account.Handle)
}

// impostor is a directory in which the handle the PDS claims belongs to someone else.
type impostor struct{ lateHandles }

func (i impostor) LookupHandle(ctx context.Context, h syntax.Handle) (*atid.Identity, error) {
	ident, err := i.lateHandles.LookupHandle(ctx, h)
	if err != nil {
		return nil, err
	}
	copied := *ident
	copied.DID = "did:plc:someoneelse"
	return &copied, nil
}

// lateHandles is a directory whose handle resolution has not caught up with new accounts:
// looking a DID up gives no verified handle.
type lateHandles struct{ atid.Directory }

func (l lateHandles) LookupDID(ctx context.Context, did syntax.DID) (*atid.Identity, error) {
	ident, err := l.Directory.LookupDID(ctx, did)
	if err != nil {
		return nil, err
	}
	copied := *ident
	copied.Handle = syntax.HandleInvalid
	return &copied, nil
}

func (l lateHandles) Lookup(ctx context.Context, id syntax.AtIdentifier) (*atid.Identity, error) {
	return l.Directory.Lookup(ctx, id)
}

func expireGrant(t *testing.T, f *pdsFixture, did string) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), "UPDATE identity.grants SET expires_at = now() - interval '1 second' WHERE did = $1", did)
	require.NoError(t, err)
}

func expireAccessToken(t *testing.T, f *pdsFixture, did string) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), "UPDATE identity.grants SET access_expires_at = now() - interval '1 second' WHERE did = $1", did)
	require.NoError(t, err)
}

// revokeAtPDS revokes the account's grants at the authorization server, as a user
// removing plyr from their PDS's settings would.
func revokeAtPDS(t *testing.T, f *pdsFixture, did string) {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), "SELECT id FROM identity.grants WHERE did = $1", did)
	require.NoError(t, err)
	var ids []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	rows.Close()
	require.NotEmpty(t, ids)
	for _, id := range ids {
		require.NoError(t, identity.RevokeForTest(f.module, did, id))
	}
}

// A callback that someone completed for their own account, handed to another browser (a
// link, an image tag), must not sign that browser in as them: login CSRF.
func TestSignIn_CallbackInAnotherBrowserIsRefused(t *testing.T) {
	f := newPDSFixture(t, fixtureOptions{})
	mallory, alice := f.newAccount(t, "mallory"), f.newAccount(t, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Mallory starts a sign-in and completes it at her PDS, but stops before the callback.
	attacker := f.newUser()
	res, err := attacker.http.Get(f.base + "/auth/start?identifier=" + url.QueryEscape(mallory.Handle))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	callback, err := attacker.pds.Authorize(ctx, res.Header.Get("Location"), devpds.Credentials{Handle: mallory.Handle, Password: mallory.Password})
	require.NoError(t, err)

	// The victim's browser gets the callback: refused, and no session is made.
	var sessionsBefore int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.sessions").Scan(&sessionsBefore))
	victim := f.newUser()
	res, err = victim.http.Get(callback.String())
	require.NoError(t, err)
	res.Body.Close()
	requireAuthError(t, res, "permission_denied")
	_, err = victim.client().GetMe(ctx, &identityv1.GetMeRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	var sessionsAfter int
	require.NoError(t, f.pool.QueryRow(ctx, "SELECT count(*) FROM identity.sessions").Scan(&sessionsAfter))
	require.Equal(t, sessionsBefore, sessionsAfter)

	// In the browser that started it, the same callback still works.
	res, err = attacker.http.Get(callback.String())
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, mallory.DID, me(t, attacker).Account.Did)

	// Adding an account is bound to the session that asked: mallory's add-account
	// callback, delivered to alice's signed-in browser, adds nothing to alice's session.
	victim.signIn(t, alice)
	other := f.newAccount(t, "other")
	added, err := attacker.client().StartAddAccount(ctx, &identityv1.StartAddAccountRequest{Identifier: other.Handle})
	require.NoError(t, err)
	callback, err = attacker.pds.Authorize(ctx, added.AuthUrl, devpds.Credentials{Handle: other.Handle, Password: other.Password})
	require.NoError(t, err)
	res, err = victim.http.Get(callback.String())
	require.NoError(t, err)
	res.Body.Close()
	requireAuthError(t, res, "permission_denied")
	got := me(t, victim)
	require.Equal(t, alice.DID, got.Account.Did)
	require.Len(t, got.LinkedAccounts, 1)
}

// requireAuthError checks that a browser navigation was sent back to the app with code.
func requireAuthError(t *testing.T, res *http.Response, code string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	landing, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, code, landing.Query().Get("auth_error"), landing.String())
}
