// Package devtoken is the identity module's developer tokens: bearer tokens for scripts
// and API clients, each a session of its own.
//
// A developer token made by signing in holds its account through its own grant. The
// sign-in that makes it comes back to the browser that asked (signin), which gets a
// one-time claim code, not the token: the token is shown once, to the browser session
// that claims it. An operator token (plyr admin token, IssueOperator) holds its account
// without a grant and needs the database only.
package devtoken

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// ClaimTTL is how long a new developer token waits to be claimed.
const ClaimTTL = 10 * time.Minute

// MaxTTL bounds a developer token's life.
const MaxTTL = 365 * 24 * time.Hour

// DeveloperToken describes a developer token.
type DeveloperToken struct {
	Prefix    string
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Ender ends a session and revokes its grants (session.Store).
type Ender interface {
	End(ctx context.Context, sessionID uuid.UUID, why string)
}

// Tokens mints, claims, lists and revokes developer tokens.
type Tokens struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	logger   *slog.Logger
	sessions Ender
}

// New returns Tokens; sessions ends the revoked ones.
func New(pool *pgxpool.Pool, logger *slog.Logger, sessions Ender) *Tokens {
	return &Tokens{pool: pool, q: db.New(pool), logger: logger, sessions: sessions}
}

// IssueOperator creates an operator token for an existing account: a bearer token with
// no PDS grant, for scripts and tests (plyr admin token). ttl is clamped to MaxTTL.
func IssueOperator(ctx context.Context, pool *pgxpool.Pool, did, name string, ttl time.Duration) (session.Token, error) {
	if ttl <= 0 {
		return session.Token{}, ierr.InvalidInput.Withf("token lifetime must be positive")
	}
	var token session.Token
	err := session.InTx(ctx, pool, func(q *db.Queries) error {
		var err error
		token, err = session.Create(ctx, q, did, rpc.DeveloperToken, name, time.Now().Add(min(ttl, MaxTTL)), nil)
		return err
	})
	return token, err
}

// CheckRequest validates what a browser asks of a new developer token: a name of at most
// 64 bytes and a life of 1 to 365 days (0 means 90). It returns the life.
func CheckRequest(name string, ttlDays int32) (time.Duration, error) {
	switch {
	case ttlDays == 0:
		ttlDays = 90
	case ttlDays < 0 || ttlDays > 365:
		return 0, ierr.InvalidInput.Withf("ttl_days must be between 1 and 365")
	}
	if len(name) > 64 {
		return 0, ierr.InvalidInput.Withf("the name is longer than 64 characters")
	}
	return time.Duration(ttlDays) * 24 * time.Hour, nil
}

// Mint makes the developer token a sign-in was for, holding did through its own grant,
// and a one-time code for the browser session to claim it. The token's life is cut to
// the grant's.
func (t *Tokens) Mint(ctx context.Context, browserSession uuid.UUID, did, grantID, name string, ttl time.Duration) (string, error) {
	code, err := session.NewSecret()
	if err != nil {
		return "", err
	}
	err = session.InTx(ctx, t.pool, func(q *db.Queries) error {
		expires, err := session.GrantExpiry(ctx, q, grantID)
		if err != nil {
			return err
		}
		token, err := session.Create(ctx, q, did, rpc.DeveloperToken, name, session.Earliest(expires, time.Now().Add(ttl)), &grantID)
		if err != nil {
			return err
		}
		// Nobody holds the token just made: it is replaced when the code is claimed, and
		// an unclaimed one (no prefix) is never listed.
		placeholder := sha256.Sum256([]byte(token.Value + "unclaimed"))
		if _, err := q.SetSessionToken(ctx, db.SetSessionTokenParams{ID: token.ID, TokenHash: placeholder[:], TokenPrefix: ""}); err != nil {
			return err
		}
		hash := sha256.Sum256([]byte(code))
		return q.CreateTokenClaim(ctx, db.CreateTokenClaimParams{
			CodeHash: hash[:], SessionID: browserSession, TokenSessionID: token.ID, ExpiresAt: time.Now().Add(ClaimTTL),
		})
	})
	return code, err
}

// Claim spends a claim code and returns the new token, once.
func (t *Tokens) Claim(ctx context.Context, caller *rpc.Caller, code string) (string, DeveloperToken, error) {
	if !caller.Browser() {
		return "", DeveloperToken{}, ierr.BrowserOnly
	}
	hash := sha256.Sum256([]byte(code))
	value, err := session.NewSecret()
	if err != nil {
		return "", DeveloperToken{}, err
	}
	tokenHash := sha256.Sum256([]byte(value))
	prefix := value[:session.PrefixLen]
	// Spending the code and setting the token are one transaction: if the second fails,
	// the code still works, instead of being spent on a token nobody can ever see.
	err = session.InTx(ctx, t.pool, func(q *db.Queries) error {
		id, err := q.TakeTokenClaim(ctx, db.TakeTokenClaimParams{CodeHash: hash[:], SessionID: caller.SessionID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ierr.NotFound.Withf("this developer token code is unknown, used or expired")
		}
		if err != nil {
			return fmt.Errorf("claim developer token: %w", err)
		}
		n, err := q.SetSessionToken(ctx, db.SetSessionTokenParams{ID: id, TokenHash: tokenHash[:], TokenPrefix: prefix})
		if err != nil {
			return fmt.Errorf("claim developer token: %w", err)
		}
		if n == 0 {
			return ierr.NotFound.Withf("this developer token was revoked before it was claimed")
		}
		return nil
	})
	if err != nil {
		return "", DeveloperToken{}, err
	}
	for _, d := range t.tokensOf(ctx, caller.DID) {
		if d.Prefix == prefix {
			return value, d, nil
		}
	}
	return value, DeveloperToken{Prefix: prefix}, nil
}

// tokensOf lists an account's developer tokens, logging (not returning) a failure.
func (t *Tokens) tokensOf(ctx context.Context, did string) []DeveloperToken {
	tokens, err := t.List(ctx, did)
	if err != nil {
		t.logger.ErrorContext(ctx, "list developer tokens", "error", err.Error())
	}
	return tokens
}

// List lists an account's live developer tokens, newest first.
func (t *Tokens) List(ctx context.Context, did string) ([]DeveloperToken, error) {
	rows, err := t.q.ListDeveloperTokens(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("list developer tokens: %w", err)
	}
	out := make([]DeveloperToken, 0, len(rows))
	for _, r := range rows {
		out = append(out, DeveloperToken{Prefix: r.TokenPrefix, Name: r.Name, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt})
	}
	return out, nil
}

// Revoke ends the caller's developer token whose prefix starts with prefix.
func (t *Tokens) Revoke(ctx context.Context, caller *rpc.Caller, prefix string) error {
	if len(prefix) < len(session.TokenPrefix)+4 {
		return ierr.InvalidInput.Withf("give at least the first %d characters of the token", len(session.TokenPrefix)+4)
	}
	ids, err := t.q.FindDeveloperTokens(ctx, db.FindDeveloperTokensParams{Did: caller.DID, Prefix: prefix})
	if err != nil {
		return fmt.Errorf("find developer token: %w", err)
	}
	switch len(ids) {
	case 0:
		return ierr.NotFound.Withf("no developer token starts with %s", prefix)
	case 1:
		t.sessions.End(ctx, ids[0], "developer token revoked")
		return nil
	default:
		return ierr.InvalidInput.Withf("%d developer tokens start with %s; give more of it", len(ids), prefix)
	}
}
