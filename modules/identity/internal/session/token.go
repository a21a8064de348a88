package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// TokenPrefix starts every token, so leaked ones are recognisable to secret scanners.
const TokenPrefix = "plyr_"

// PrefixLen is how much of a token is stored in clear, to tell tokens apart in listings.
const PrefixLen = len(TokenPrefix) + 8

// Token is a newly issued credential. Value is shown once and never stored.
type Token struct {
	ID        uuid.UUID
	Value     string
	Prefix    string
	ExpiresAt time.Time
}

// Create stores a session of kind acting as did, holding did through grantID (nil for
// operator tokens), and returns its token.
func Create(ctx context.Context, q *db.Queries, did string, kind rpc.CredentialKind, name string, expires time.Time, grantID *string) (Token, error) {
	value, err := NewSecret()
	if err != nil {
		return Token{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Token{}, err
	}
	hash := sha256.Sum256([]byte(value))
	row, err := q.CreateSession(ctx, db.CreateSessionParams{
		ID: id, TokenHash: hash[:], TokenPrefix: value[:PrefixLen], Did: did,
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

// NewSecret returns a new token value: TokenPrefix and 256 random bits.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// InTx runs f in a transaction on pool.
func InTx(ctx context.Context, pool *pgxpool.Pool, f func(*db.Queries) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit
	if err := f(db.New(tx)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// GrantExpiry is when a grant lapses.
func GrantExpiry(ctx context.Context, q *db.Queries, grantID string) (time.Time, error) {
	times, err := q.GetGrantTimes(ctx, grantID)
	if err != nil {
		return time.Time{}, fmt.Errorf("load grant %s: %w", grantID, err)
	}
	return times.ExpiresAt, nil
}

// Earliest returns the earlier of a and b.
func Earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
