// Package grants refreshes OAuth grants: it spends a grant's single-use refresh token at
// the authorization server and stores what comes back, once per grant at a time across
// every plyr process, without holding a database connection while the server answers.
//
// # Design
//
// Refresh tokens are single use: two refreshes of one grant at once would spend the same
// token twice and kill the grant. So:
//
//   - within a process, concurrent callers for a grant share one refresh (singleflight);
//   - across processes, a refresh lease on the grant's row (owner, until) says who may spend
//     the token. Taking and freeing it are single statements; between them no connection is
//     held (a transaction-scoped advisory lock held one connection per refresh for as long
//     as the server took, and four slow refreshes emptied a pool of four);
//   - the refresh runs detached from the request that needed it, with its own deadline: a
//     browser that gives up must not lose the rotated refresh token the server already
//     issued;
//   - a grant is dead only when the server says invalid_grant (RFC 6749 §5.2); any other
//     answer, or none, leaves it alive to be tried again.
package grants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"

	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/dpop"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
)

// Margin refreshes an access token this long before it expires.
const Margin = 30 * time.Second

// ErrDead marks a grant the authorization server refused (invalid_grant), or one that no
// longer exists: the sessions holding it are over.
var ErrDead = errors.New("the grant was refused")

// Outcomes counts refreshes by outcome ("ok", "rejected", "error").
type Outcomes interface {
	Count(outcome string)
}

// Refresher refreshes grants.
type Refresher struct {
	store  *oauthstore.Store
	q      *db.Queries
	http   *http.Client
	config *oauth.ClientConfig
	logger *slog.Logger
	counts Outcomes
	// owner names this process's leases.
	owner   uuid.UUID
	flights singleflight.Group

	// Timeout bounds one refresh, the authorization server's answer included.
	Timeout time.Duration
	// Lease is how long a refresh lease lasts if its holder dies; longer than Timeout.
	Lease time.Duration
	// Poll is how often a refresh waiting for another process's lease looks again.
	Poll time.Duration
}

// New returns a refresher that talks to authorization servers through client.
func New(store *oauthstore.Store, q *db.Queries, client *http.Client, config *oauth.ClientConfig, logger *slog.Logger, counts Outcomes) *Refresher {
	return &Refresher{
		store: store, q: q, http: client, config: config, logger: logger, counts: counts,
		owner: uuid.New(), Timeout: 20 * time.Second, Lease: 45 * time.Second, Poll: 100 * time.Millisecond,
	}
}

// Fresh reports whether an access token expiring at expires needs no refresh yet.
func Fresh(expires *time.Time, now time.Time) bool {
	return expires == nil || now.Before(expires.Add(-Margin))
}

// Refresh makes sure the grant's access token is fresh: it returns nil once it is (by
// this call's refresh or another's), ErrDead when the grant is refused, and another error
// when the authorization server could not be reached. The refresh itself runs detached
// from ctx; ctx only bounds how long this caller waits for it.
func (r *Refresher) Refresh(ctx context.Context, did, grantID string) error {
	return r.wait(ctx, grantID, func(rctx context.Context) error { return r.refresh(rctx, did, grantID, "") })
}

// RefreshRejected refreshes the grant because a PDS refused its access token (401
// invalid_token) although the token had not expired by its own account (revoked early,
// clocks apart). It refreshes unless the stored token is no longer the rejected one (a
// refresh happened meanwhile), with the same lease and detachment as Refresh.
func (r *Refresher) RefreshRejected(ctx context.Context, did, grantID, rejected string) error {
	key := grantID + "\x00" + rejected
	return r.wait(ctx, key, func(rctx context.Context) error { return r.refresh(rctx, did, grantID, rejected) })
}

// wait runs refresh once per key at a time, detached from ctx with its own deadline, and
// waits for it as long as ctx allows.
func (r *Refresher) wait(ctx context.Context, key string, refresh func(context.Context) error) error {
	results := r.flights.DoChan(key, func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Timeout)
		defer cancel()
		return nil, refresh(rctx)
	})
	select {
	case res := <-results:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refresh spends the grant's refresh token under its lease. rejected, when set, is an
// access token a PDS refused: the refresh happens unless the stored token has changed,
// whatever its expiry says.
func (r *Refresher) refresh(ctx context.Context, did, grantID, rejected string) error {
	fresh, err := r.lease(ctx, grantID, rejected != "")
	if err != nil || fresh {
		return err
	}
	saved := false
	defer func() {
		if !saved {
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = r.q.ReleaseRefreshLease(release, db.ReleaseRefreshLeaseParams{ID: grantID, Owner: &r.owner})
		}
	}()

	data, err := r.store.GetSession(ctx, syntax.DID(did), grantID)
	if errors.Is(err, oauthstore.ErrNotFound) {
		return fmt.Errorf("%w: grant %s is gone", ErrDead, grantID)
	}
	if err != nil {
		return err
	}
	if rejected != "" && data.AccessToken != rejected {
		return nil // refreshed since the PDS refused it
	}
	refreshed, err := r.requestTokens(ctx, *data)
	if err != nil {
		return err
	}
	if err := r.store.SaveRefreshed(ctx, refreshed, r.owner); err != nil {
		// The server has rotated the refresh token; if it cannot be stored the grant is
		// lost with it. Say so loudly: this is the one failure that signs a user out.
		r.logger.ErrorContext(ctx, "store refreshed tokens", "grant_id", grantID, "did", did, "error", err.Error())
		return err
	}
	saved = true
	return nil
}

// lease takes the grant's refresh lease, waiting while another process holds it. fresh
// reports that the access token was refreshed meanwhile (no lease is then held); with
// force, the token's expiry does not count as fresh (a PDS refused it), and the caller
// compares tokens once it holds the lease.
func (r *Refresher) lease(ctx context.Context, grantID string, force bool) (fresh bool, err error) {
	for {
		expires, err := r.q.AcquireRefreshLease(ctx, db.AcquireRefreshLeaseParams{
			ID: grantID, Owner: &r.owner, LeaseSeconds: r.Lease.Seconds(),
		})
		if err == nil {
			if !force && Fresh(expires, time.Now()) {
				_ = r.q.ReleaseRefreshLease(ctx, db.ReleaseRefreshLeaseParams{ID: grantID, Owner: &r.owner})
				return true, nil
			}
			return false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("refresh lease of grant %s: %w", grantID, err)
		}
		// Held by another process, or the grant is gone.
		times, err := r.q.GetGrantTimes(ctx, grantID)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("%w: grant %s is gone", ErrDead, grantID)
		}
		if err != nil {
			return false, fmt.Errorf("load grant %s: %w", grantID, err)
		}
		if !force && Fresh(times.AccessExpiresAt, time.Now()) {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the refresh lease of grant %s: %w", grantID, ctx.Err())
		case <-time.After(r.Poll):
		}
	}
}

// requestTokens spends data's refresh token at its authorization server and returns data
// with the new tokens and nonce.
func (r *Refresher) requestTokens(ctx context.Context, data oauth.ClientSessionData) (oauth.ClientSessionData, error) {
	key, err := atcrypto.ParsePrivateMultibase(data.DPoPPrivateKeyMultibase)
	if err != nil {
		return data, fmt.Errorf("grant %s: dpop key: %w", data.SessionID, err)
	}
	form := url.Values{
		"client_id":     {r.config.ClientID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {data.RefreshToken},
	}
	if r.config.IsConfidential() {
		assertion, err := r.config.NewClientAssertion(data.AuthServerURL)
		if err != nil {
			return data, fmt.Errorf("client assertion: %w", err)
		}
		form.Set("client_assertion_type", oauth.ClientAssertionJWTBearer)
		form.Set("client_assertion", assertion)
	}
	answer, err := dpop.Post(ctx, r.http, data.AuthServerTokenEndpoint, []byte(form.Encode()), key, data.DPoPAuthServerNonce)
	if err != nil {
		r.counts.Count("error")
		return data, fmt.Errorf("refresh grant %s: %w", data.SessionID, err)
	}
	data.DPoPAuthServerNonce = answer.Nonce
	if !answer.OK() {
		if answer.Error == "invalid_grant" {
			r.counts.Count("rejected")
			return data, fmt.Errorf("%w: %s", ErrDead, answer.Description)
		}
		r.counts.Count("error")
		return data, fmt.Errorf("refresh grant %s: HTTP %d %s", data.SessionID, answer.Status, answer.Error)
	}
	var tokens oauth.TokenResponse
	if err := json.Unmarshal(answer.Body, &tokens); err != nil || tokens.AccessToken == "" || tokens.RefreshToken == "" {
		r.counts.Count("error")
		return data, fmt.Errorf("refresh grant %s: the token answer holds no tokens", data.SessionID)
	}
	if tokens.Subject != "" && tokens.Subject != data.AccountDID.String() {
		r.counts.Count("error")
		return data, fmt.Errorf("refresh grant %s: the token answer is for another account", data.SessionID)
	}
	r.counts.Count("ok")
	data.AccessToken, data.RefreshToken = tokens.AccessToken, tokens.RefreshToken
	if tokens.Scope != "" {
		data.Scopes = strings.Fields(tokens.Scope)
	}
	return data, nil
}
