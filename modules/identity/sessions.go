package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
)

// tokenPrefix starts every token, so leaked ones are recognisable to secret scanners.
const tokenPrefix = "plyr_"

// Account is an identity known to plyr.
type Account struct {
	DID       string
	Handle    string
	AvatarURL string
}

// Token is a newly issued credential. Value is shown once and never stored.
type Token struct {
	ID        uuid.UUID
	Value     string
	Prefix    string
	ExpiresAt time.Time
}

// MaxDeveloperTokenTTL bounds a developer token's life.
const MaxDeveloperTokenTTL = 365 * 24 * time.Hour

// EnsureAccount creates the account, or refreshes its handle (operators and tests; sign-in
// records accounts itself).
func (m *Module) EnsureAccount(ctx context.Context, did, handle string) (Account, error) {
	parsedDID, err := syntax.ParseDID(did)
	if err != nil {
		return Account{}, ErrInvalidInput.Withf("%q is not a DID", did)
	}
	parsedHandle, err := syntax.ParseHandle(handle)
	if err != nil {
		return Account{}, ErrInvalidInput.Withf("%q is not a handle", handle)
	}
	row, err := m.q.UpsertAccount(ctx, db.UpsertAccountParams{Did: parsedDID.String(), Handle: parsedHandle.Normalize().String()})
	if err != nil {
		return Account{}, fmt.Errorf("upsert account %s: %w", did, err)
	}
	return Account{DID: row.Did, Handle: row.Handle, AvatarURL: row.AvatarUrl}, nil
}

// IssueDeveloperToken creates an operator token for an existing account: a bearer token
// with no PDS grant, for scripts and tests (plyr admin token). ttl is clamped to
// MaxDeveloperTokenTTL.
func (m *Module) IssueDeveloperToken(ctx context.Context, did, name string, ttl time.Duration) (Token, error) {
	if ttl <= 0 {
		return Token{}, ErrInvalidInput.Withf("token lifetime must be positive")
	}
	var token Token
	err := m.inTx(ctx, func(q *db.Queries) error {
		var err error
		token, err = createSession(ctx, q, did, rpc.DeveloperToken, name, time.Now().Add(min(ttl, MaxDeveloperTokenTTL)), nil)
		return err
	})
	return token, err
}

// createSession stores a session acting as did, holding did through grantID (nil for
// operator tokens), and returns its token.
func createSession(ctx context.Context, q *db.Queries, did string, kind rpc.CredentialKind, name string, expires time.Time, grantID *string) (Token, error) {
	value, err := newSecret()
	if err != nil {
		return Token{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Token{}, err
	}
	hash := sha256.Sum256([]byte(value))
	row, err := q.CreateSession(ctx, db.CreateSessionParams{
		ID: id, TokenHash: hash[:], TokenPrefix: value[:len(tokenPrefix)+8], Did: did,
		Kind: string(kind), Name: name, ExpiresAt: expires,
	})
	if err != nil {
		return Token{}, fmt.Errorf("create session for %s: %w", did, err)
	}
	if err := q.LinkAccount(ctx, db.LinkAccountParams{SessionID: id, Did: did, GrantID: grantID}); err != nil {
		return Token{}, fmt.Errorf("link %s to its session: %w", did, err)
	}
	return Token{ID: id, Value: value, Prefix: row.TokenPrefix, ExpiresAt: row.ExpiresAt}, nil
}

// Authenticate resolves a token to its caller; it implements rpc.Authenticator. A session
// whose current grant has lapsed or been revoked ends here.
func (m *Module) Authenticate(ctx context.Context, token string) (rpc.Caller, error) {
	// Anything that cannot be one of our tokens is refused without a query.
	if !strings.HasPrefix(token, tokenPrefix) || len(token) != len(tokenPrefix)+43 {
		return rpc.Caller{}, rpc.ErrInvalidCredentials
	}
	hash := sha256.Sum256([]byte(token))
	row, err := m.q.GetSessionByTokenHash(ctx, hash[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return rpc.Caller{}, rpc.ErrInvalidCredentials
	}
	if err != nil {
		return rpc.Caller{}, fmt.Errorf("look up session: %w", err)
	}
	if row.GrantID != nil && m.oauth != nil {
		now := time.Now()
		if row.GrantExpiresAt == nil || !now.Before(*row.GrantExpiresAt) {
			m.endSession(ctx, row.ID, "grant expired")
			return rpc.Caller{}, rpc.ErrInvalidCredentials
		}
		if !grants.Fresh(row.AccessExpiresAt, now) {
			if err := m.refresher.Refresh(ctx, row.Did, *row.GrantID); errors.Is(err, grants.ErrDead) {
				m.endSession(ctx, row.ID, "grant refused at refresh")
				return rpc.Caller{}, rpc.ErrInvalidCredentials
			} else if err != nil {
				// The authorization server is unreachable: the grant is not known to be
				// dead, so the session goes on and the refresh is tried again next time.
				m.logger.WarnContext(ctx, "token refresh failed; keeping the session", "did", row.Did, "error", err.Error())
			}
		}
	}
	return rpc.Caller{
		DID: row.Did, Handle: row.Handle, SessionID: row.ID, Kind: rpc.CredentialKind(row.Kind), Admin: m.admins[row.Did],
	}, nil
}

// endSession deletes a session and revokes the grants it held.
func (m *Module) endSession(ctx context.Context, sessionID uuid.UUID, why string) {
	grants, err := m.q.DeleteSession(ctx, sessionID)
	if err != nil {
		m.logger.ErrorContext(ctx, "end session", "session_id", sessionID.String(), "error", err.Error())
		return
	}
	m.logger.InfoContext(ctx, "session ended", "session_id", sessionID.String(), "reason", why)
	for _, g := range grants {
		if g != nil {
			m.dropGrant(ctx, *g)
		}
	}
}

// dropGrant forgets a grant at once and revokes it at its authorization server in the
// background, briefly: the user is gone either way, and a slow PDS must not hold them.
func (m *Module) dropGrant(ctx context.Context, grantID string) {
	var sess interface{ RevokeSession(context.Context) error }
	if did, err := m.q.GetGrantDID(ctx, grantID); err == nil && m.oauth != nil {
		if s, err := m.oauth.ResumeSession(ctx, syntax.DID(did), grantID); err == nil {
			sess = s
		}
	}
	if err := m.q.DeleteGrant(ctx, grantID); err != nil {
		m.logger.ErrorContext(ctx, "delete grant", "grant_id", grantID, "error", err.Error())
	}
	if sess == nil {
		return
	}
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := sess.RevokeSession(rctx); err != nil {
			m.logger.Warn("revoke grant", "grant_id", grantID, "error", err.Error())
		}
	}()
}

// Handles returns the handle of each known DID among dids; unknown ones are absent.
func (m *Module) Handles(ctx context.Context, dids []string) (map[string]string, error) {
	if len(dids) == 0 {
		return map[string]string{}, nil
	}
	rows, err := m.q.ListHandles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("list handles: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Did] = r.Handle
	}
	return out, nil
}

// inTx runs f in a transaction.
func (m *Module) inTx(ctx context.Context, f func(*db.Queries) error) error {
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit
	if err := f(m.q.WithTx(tx)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
