// Package pds is the identity module's access to accounts' PDSes: API clients acting with
// a grant, for the signed-in caller (the grant their session holds) or for work no
// browser is part of (workflows: the account's most recently refreshed live grant).
//
// Every PDS client plyr hands out comes from here, so every refresh goes through the
// refresher's per-grant lease (internal/grants), before a request and when a PDS calls
// the access token expired; indigo's own refresh, which knows nothing of other requests
// and processes, is never used.
package pds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
)

// Access hands out PDS clients.
type Access struct {
	q         *db.Queries
	app       *oauth.ClientApp
	store     *oauthstore.Store
	refresher *grants.Refresher
	logger    *slog.Logger
}

// New returns an Access that resumes grants through app (whose store is store) and
// refreshes them through refresher.
func New(q *db.Queries, app *oauth.ClientApp, store *oauthstore.Store, refresher *grants.Refresher, logger *slog.Logger) *Access {
	return &Access{q: q, app: app, store: store, refresher: refresher, logger: logger}
}

// ForCaller returns an API client acting on the caller's PDS with the grant the caller's
// session holds for them, refreshed first when its access token has expired.
func (a *Access) ForCaller(ctx context.Context, caller *rpc.Caller) (*atclient.APIClient, error) {
	link, err := a.q.GetLink(ctx, db.GetLinkParams{SessionID: caller.SessionID, Did: caller.DID})
	if err != nil || link.GrantID == nil {
		return nil, ierr.NoPDSAccess
	}
	return a.client(ctx, caller.DID, *link.GrantID)
}

// ForDID returns an API client acting on an account's PDS for work that no browser
// session is part of (workflows): it uses the account's most recently refreshed grant
// that has not lapsed. ierr.NoPDSAccess means plyr holds no live grant for the account (it
// has to sign in again).
func (a *Access) ForDID(ctx context.Context, did string) (*atclient.APIClient, error) {
	grantID, err := a.q.LatestLiveGrant(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ierr.NoPDSAccess
	}
	if err != nil {
		return nil, fmt.Errorf("find a grant of %s: %w", did, err)
	}
	return a.client(ctx, did, grantID)
}

// client returns an API client for one grant. Every PDS client plyr hands out comes
// from here, so every refresh goes through the refresher (its per-grant lease).
func (a *Access) client(ctx context.Context, did, grantID string) (*atclient.APIClient, error) {
	times, err := a.q.GetGrantTimes(ctx, grantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ierr.NoPDSAccess
	}
	if err != nil {
		return nil, fmt.Errorf("load grant: %w", err)
	}
	if !grants.Fresh(times.AccessExpiresAt, time.Now()) {
		if err := a.refresher.Refresh(ctx, did, grantID); errors.Is(err, grants.ErrDead) {
			return nil, fmt.Errorf("%w: %w", ierr.AccountExpired, err)
		} else if err != nil {
			return nil, fmt.Errorf("%w: %w", ierr.PDSUnreachable, err)
		}
	}
	sess, err := a.app.ResumeSession(ctx, syntax.DID(did), grantID)
	if err != nil {
		return nil, fmt.Errorf("resume grant: %w", err)
	}
	a.saveNonceOnly(sess)
	client := sess.APIClient()
	client.Auth = &grantAuth{a: a, did: did, grantID: grantID, sess: sess}
	return client, nil
}

// saveNonceOnly makes sess save a new PDS nonce as a nonce only: indigo's callback saves
// the whole session through the store, which inserts a grant it does not find, so a
// grant deleted (logout, sweep) while a request was under way would come back.
func (a *Access) saveNonceOnly(sess *oauth.ClientSession) {
	sess.PersistSessionCallback = func(ctx context.Context, data *oauth.ClientSessionData) {
		if err := a.store.SaveHostNonce(ctx, *data); err != nil && !errors.Is(err, oauthstore.ErrNotFound) {
			a.logger.WarnContext(ctx, "save the PDS's DPoP nonce", "grant_id", data.SessionID, "error", err.Error())
		}
	}
}

// grantAuth signs PDS requests with a grant's access token and DPoP key, as indigo's
// ClientSession.DoWithAuth does, with one difference: an access token the PDS calls
// expired is refreshed through the refresher, never by indigo's own
// RefreshTokens, which knows nothing of other requests and processes and would spend the
// single-use refresh token beside them.
type grantAuth struct {
	a            *Access
	did, grantID string

	mu   sync.Mutex
	sess *oauth.ClientSession
}

func (g *grantAuth) session() *oauth.ClientSession {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sess
}

// DoWithAuth sends req with the grant's credentials; it implements atclient.AuthMethod.
func (g *grantAuth) DoWithAuth(c *http.Client, req *http.Request, _ syntax.NSID) (*http.Response, error) {
	ctx := req.Context()
	refreshed := false
	for attempt := 0; ; attempt++ {
		sess := g.session()
		accessToken, nonce := sess.GetHostAccessData()
		proof, err := sess.NewHostDPoP(req.Method, proofURL(req.URL))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "DPoP "+accessToken)
		req.Header.Set("DPoP", proof)
		res, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		challenge := res.Header.Get("WWW-Authenticate")
		if res.StatusCode != http.StatusUnauthorized || challenge == "" || attempt == 2 {
			return res, nil
		}
		newNonce := res.Header.Get("DPoP-Nonce")
		switch {
		case strings.Contains(challenge, `error="use_dpop_nonce"`) && newNonce != "" && newNonce != nonce:
			// Saved as a nonce only (oauthstore.SaveSession): never this copy's tokens.
			sess.UpdateHostDPoPNonce(ctx, newNonce)
		case strings.Contains(challenge, `error="invalid_token"`) && !refreshed:
			refreshed = true
			if err := g.a.refresher.RefreshRejected(ctx, g.did, g.grantID, accessToken); errors.Is(err, grants.ErrDead) {
				res.Body.Close()
				return nil, fmt.Errorf("%w: %w", ierr.AccountExpired, err)
			} else if err != nil {
				res.Body.Close()
				return nil, fmt.Errorf("refresh grant: %w", err)
			}
			fresh, err := g.a.app.ResumeSession(ctx, syntax.DID(g.did), g.grantID)
			if err != nil {
				res.Body.Close()
				return nil, fmt.Errorf("reload grant: %w", err)
			}
			g.a.saveNonceOnly(fresh)
			g.mu.Lock()
			g.sess = fresh
			g.mu.Unlock()
		default:
			return res, nil
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return res, nil // a streamed body is spent: the caller sees the 401
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		retry := req.Clone(ctx)
		if req.GetBody != nil {
			if retry.Body, err = req.GetBody(); err != nil {
				return nil, fmt.Errorf("resend request body: %w", err)
			}
		}
		req = retry
	}
}

// proofURL is the URL a DPoP proof names: the request's without query or fragment.
func proofURL(u *url.URL) string {
	bare := *u
	bare.RawQuery, bare.ForceQuery, bare.Fragment, bare.RawFragment = "", false, "", ""
	return bare.String()
}

// PutRecord writes a record to the caller's repository. A write the grant does not cover
// returns an error wrapping ierr.ScopeMissing that names the missing scope.
func (a *Access) PutRecord(ctx context.Context, caller *rpc.Caller, collection, rkey string, record map[string]any) (uri, cid string, err error) {
	client, err := a.ForCaller(ctx, caller)
	if err != nil {
		return "", "", err
	}
	body := map[string]any{"repo": caller.DID, "collection": collection, "rkey": rkey, "record": record}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	if err := client.Post(ctx, "com.atproto.repo.putRecord", body, &out); err != nil {
		return "", "", pdsError(err)
	}
	return out.URI, out.CID, nil
}

// pdsError turns a PDS refusal into the module's errors. The PDS's own words are kept in
// the chain for the logs; the client sees the sentinel's message.
func pdsError(err error) error {
	var apiErr *atclient.APIError
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode == 403 && apiErr.Name == "ScopeMissingError" {
			return ierr.ScopeMissing.Withf("%s (%s)", ierr.ScopeMissing.Error(), apiErr.Message)
		}
		return fmt.Errorf("%w: %s: %s", ierr.PDSRefused, apiErr.Name, apiErr.Message)
	}
	if errors.Is(err, ierr.AccountExpired) {
		return err
	}
	return fmt.Errorf("%w: %w", ierr.PDSUnreachable, err)
}
