package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
)

// PDS returns an API client acting on the caller's PDS with the grant the caller's
// session holds for them, refreshed first when its access token has expired.
func (m *Module) PDS(ctx context.Context, caller *rpc.Caller) (*atclient.APIClient, error) {
	if m.oauth == nil {
		return nil, ErrSignInOff
	}
	link, err := m.q.GetLink(ctx, db.GetLinkParams{SessionID: caller.SessionID, Did: caller.DID})
	if err != nil || link.GrantID == nil {
		return nil, ErrNoPDSAccess
	}
	return m.pdsClient(ctx, caller.DID, *link.GrantID)
}

// PDSForDID returns an API client acting on an account's PDS for work that no browser
// session is part of (workflows): it uses the account's most recently refreshed grant
// that has not lapsed. ErrNoPDSAccess means plyr holds no live grant for the account (it
// has to sign in again).
func (m *Module) PDSForDID(ctx context.Context, did string) (*atclient.APIClient, error) {
	if m.oauth == nil {
		return nil, ErrSignInOff
	}
	grantID, err := m.q.LatestLiveGrant(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoPDSAccess
	}
	if err != nil {
		return nil, fmt.Errorf("find a grant of %s: %w", did, err)
	}
	return m.pdsClient(ctx, did, grantID)
}

// pdsClient returns an API client for one grant. Every PDS client plyr hands out comes
// from here, so every refresh goes through the refresher (its per-grant lease).
func (m *Module) pdsClient(ctx context.Context, did, grantID string) (*atclient.APIClient, error) {
	times, err := m.q.GetGrantTimes(ctx, grantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoPDSAccess
	}
	if err != nil {
		return nil, fmt.Errorf("load grant: %w", err)
	}
	if !grants.Fresh(times.AccessExpiresAt, time.Now()) {
		if err := m.refresher.Refresh(ctx, did, grantID); errors.Is(err, grants.ErrDead) {
			return nil, fmt.Errorf("%w: %w", ErrAccountExpired, err)
		} else if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPDSUnreachable, err)
		}
	}
	sess, err := m.oauth.ResumeSession(ctx, syntax.DID(did), grantID)
	if err != nil {
		return nil, fmt.Errorf("resume grant: %w", err)
	}
	client := sess.APIClient()
	client.Auth = &grantAuth{m: m, did: did, grantID: grantID, sess: sess}
	return client, nil
}

// grantAuth signs PDS requests with a grant's access token and DPoP key, as indigo's
// ClientSession.DoWithAuth does, with one difference: an access token the PDS calls
// expired is refreshed through the module's refresher, never by indigo's own
// RefreshTokens, which knows nothing of other requests and processes and would spend the
// single-use refresh token beside them.
type grantAuth struct {
	m            *Module
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
			if err := g.m.refresher.Refresh(ctx, g.did, g.grantID); err != nil {
				res.Body.Close()
				return nil, fmt.Errorf("refresh grant: %w", err)
			}
			fresh, err := g.m.oauth.ResumeSession(ctx, syntax.DID(g.did), g.grantID)
			if err != nil {
				res.Body.Close()
				return nil, fmt.Errorf("reload grant: %w", err)
			}
			g.mu.Lock()
			g.sess = fresh
			g.mu.Unlock()
		default:
			return res, nil
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
// returns an error wrapping ErrScopeMissing that names the missing scope.
func (m *Module) PutRecord(ctx context.Context, caller *rpc.Caller, collection, rkey string, record map[string]any) (uri, cid string, err error) {
	client, err := m.PDS(ctx, caller)
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

// ErrPDSRefused marks a PDS refusing a request for what it says.
var ErrPDSRefused = rpc.NewError(connect.CodeFailedPrecondition, "the PDS refused the request")

// pdsError turns a PDS refusal into the module's errors. The PDS's own words are kept in
// the chain for the logs; the client sees the sentinel's message.
func pdsError(err error) error {
	var apiErr *atclient.APIError
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode == 403 && apiErr.Name == "ScopeMissingError" {
			return ErrScopeMissing.Withf("%s (%s)", ErrScopeMissing.Error(), apiErr.Message)
		}
		return fmt.Errorf("%w: %s: %s", ErrPDSRefused, apiErr.Name, apiErr.Message)
	}
	return fmt.Errorf("%w: %w", ErrPDSUnreachable, err)
}
