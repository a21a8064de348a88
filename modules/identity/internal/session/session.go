// Package session is the identity module's credentials: it resolves a token to its caller
// (Authenticate), and keeps a browser session's accounts, which it can hold several of,
// switch between and sign out of. Ending a session (logout, a lapsed or refused grant, a
// revoked developer token) forgets the grants it held and revokes them at their
// authorization servers; the housekeeping sweep does the same for what expired unnoticed.
//
// Session tokens are TokenPrefix + 256 random bits; only their SHA-256 is stored, with a
// short prefix to tell developer tokens apart.
package session

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/account"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
)

// Resumer loads a stored grant as an OAuth session, to revoke it (indigo's
// oauth.ClientApp).
type Resumer interface {
	ResumeSession(ctx context.Context, did syntax.DID, sessionID string) (*oauth.ClientSession, error)
}

// Store keeps sessions.
type Store struct {
	pool      *pgxpool.Pool
	q         *db.Queries
	logger    *slog.Logger
	ttl       time.Duration
	admins    map[string]bool
	refresher *grants.Refresher
	grants    Resumer
	accounts  *account.Accounts
}

// Deps are what a Store needs.
type Deps struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// TTL bounds a browser session (a grant may end it sooner).
	TTL time.Duration
	// Admins are the DIDs whose callers are administrators.
	Admins []string
	// Refresher refreshes a session's grant when its access token has expired.
	Refresher *grants.Refresher
	// Grants resumes grants to revoke them.
	Grants   Resumer
	Accounts *account.Accounts
}

// New returns a Store.
func New(d Deps) *Store {
	admins := make(map[string]bool, len(d.Admins))
	for _, did := range d.Admins {
		admins[did] = true
	}
	return &Store{
		pool: d.Pool, q: db.New(d.Pool), logger: d.Logger, ttl: d.TTL, admins: admins,
		refresher: d.Refresher, grants: d.Grants, accounts: d.Accounts,
	}
}

// Authenticate resolves a token to its caller; it implements rpc.Authenticator. A session
// whose current grant has lapsed or been revoked ends here.
func (s *Store) Authenticate(ctx context.Context, token string) (rpc.Caller, error) {
	// Anything that cannot be one of our tokens is refused without a query.
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+43 {
		return rpc.Caller{}, rpc.ErrInvalidCredentials
	}
	hash := sha256.Sum256([]byte(token))
	row, err := s.q.GetSessionByTokenHash(ctx, hash[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return rpc.Caller{}, rpc.ErrInvalidCredentials
	}
	if err != nil {
		return rpc.Caller{}, fmt.Errorf("look up session: %w", err)
	}
	if row.GrantID != nil {
		now := time.Now()
		if row.GrantExpiresAt == nil || !now.Before(*row.GrantExpiresAt) {
			s.End(ctx, row.ID, "grant expired")
			return rpc.Caller{}, rpc.ErrInvalidCredentials
		}
		if !grants.Fresh(row.AccessExpiresAt, now) {
			if err := s.refresher.Refresh(ctx, row.Did, *row.GrantID); errors.Is(err, grants.ErrDead) {
				s.End(ctx, row.ID, "grant refused at refresh")
				return rpc.Caller{}, rpc.ErrInvalidCredentials
			} else if err != nil {
				// The authorization server is unreachable: the grant is not known to be
				// dead, so the session goes on and the refresh is tried again next time.
				s.logger.WarnContext(ctx, "token refresh failed; keeping the session", "did", row.Did, "error", err.Error())
			}
		}
	}
	return rpc.Caller{
		DID: row.Did, Handle: row.Handle, SessionID: row.ID, Kind: rpc.CredentialKind(row.Kind), Admin: s.admins[row.Did],
	}, nil
}

// End deletes a session and revokes the grants it held.
func (s *Store) End(ctx context.Context, sessionID uuid.UUID, why string) {
	held, err := s.q.DeleteSession(ctx, sessionID)
	if err != nil {
		s.logger.ErrorContext(ctx, "end session", "session_id", sessionID.String(), "error", err.Error())
		return
	}
	s.logger.InfoContext(ctx, "session ended", "session_id", sessionID.String(), "reason", why)
	for _, g := range held {
		if g != nil {
			s.DropGrant(ctx, *g)
		}
	}
}

// DropGrant forgets a grant at once and revokes it at its authorization server in the
// background, briefly: the user is gone either way, and a slow PDS must not hold them.
func (s *Store) DropGrant(ctx context.Context, grantID string) {
	revoke, _, err := s.forgetGrant(ctx, grantID)
	if err != nil {
		s.logger.ErrorContext(ctx, "drop grant", "grant_id", grantID, "error", err.Error())
	}
	if revoke == nil {
		return
	}
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
		defer cancel()
		_ = revoke(rctx) // forgetGrant's revoke logs its own failure
	}()
}
