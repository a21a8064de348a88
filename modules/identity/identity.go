// Package identity is plyr's identity module: accounts (an ATProto identity known to plyr),
// and the sessions and developer tokens that authenticate them.
//
// Its surface for the rest of plyr is this package: New, the Module's methods, and the
// rpc.Authenticator it implements. Everything else lives in internal/.
//
// Tokens: a session token is "plyr_" followed by 256 random bits in base64url. Only its
// SHA-256 is stored (a fast hash is right for a secret with that much entropy) with a
// short prefix to tell tokens apart in listings; the token itself is shown once.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// Deps are what the module needs.
type Deps struct {
	DB     *pgxpool.Pool
	Logger *slog.Logger
}

// Module is the identity module.
type Module struct {
	q      *db.Queries
	logger *slog.Logger
}

// New builds the module.
func New(d Deps) *Module {
	return &Module{q: db.New(d.DB), logger: d.Logger}
}

// Mount registers the module's HTTP routes. Sign-in (OAuth) and the IdentityService come
// with ATProto sign-in; for now identity has no routes of its own.
func (m *Module) Mount(*http.ServeMux) {}

// ErrInvalidInput marks a request the module refuses for what it says.
var ErrInvalidInput = errors.New("invalid input")

// tokenPrefix starts every token, so leaked ones are recognisable to secret scanners.
const tokenPrefix = "plyr_"

// Account is an identity known to plyr.
type Account struct {
	DID    string
	Handle string
}

// EnsureAccount creates the account, or refreshes its handle.
func (m *Module) EnsureAccount(ctx context.Context, did, handle string) (Account, error) {
	parsedDID, err := syntax.ParseDID(did)
	if err != nil {
		return Account{}, fmt.Errorf("%w: %q is not a DID: %w", ErrInvalidInput, did, err)
	}
	parsedHandle, err := syntax.ParseHandle(handle)
	if err != nil {
		return Account{}, fmt.Errorf("%w: %q is not a handle: %w", ErrInvalidInput, handle, err)
	}
	row, err := m.q.UpsertAccount(ctx, db.UpsertAccountParams{Did: parsedDID.String(), Handle: parsedHandle.Normalize().String()})
	if err != nil {
		return Account{}, fmt.Errorf("upsert account %s: %w", did, err)
	}
	return Account{DID: row.Did, Handle: row.Handle}, nil
}

// Token is a newly issued credential. Value is shown once and never stored.
type Token struct {
	ID        string
	Value     string
	Prefix    string
	ExpiresAt time.Time
}

// MaxDeveloperTokenTTL bounds a developer token's life.
const MaxDeveloperTokenTTL = 365 * 24 * time.Hour

// IssueDeveloperToken creates a bearer token for an existing account. name labels it in
// listings; ttl is clamped to MaxDeveloperTokenTTL.
func (m *Module) IssueDeveloperToken(ctx context.Context, did, name string, ttl time.Duration) (Token, error) {
	if ttl <= 0 {
		return Token{}, fmt.Errorf("%w: token lifetime must be positive", ErrInvalidInput)
	}
	ttl = min(ttl, MaxDeveloperTokenTTL)
	value, err := newTokenValue()
	if err != nil {
		return Token{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Token{}, fmt.Errorf("session id: %w", err)
	}
	hash := sha256.Sum256([]byte(value))
	row, err := m.q.CreateSession(ctx, db.CreateSessionParams{
		ID: id, TokenHash: hash[:], TokenPrefix: value[:len(tokenPrefix)+8], Did: did,
		Kind: "developer", Name: name, ExpiresAt: time.Now().Add(ttl),
	})
	if err != nil {
		return Token{}, fmt.Errorf("create developer token for %s: %w", did, err)
	}
	return Token{ID: row.ID.String(), Value: value, Prefix: row.TokenPrefix, ExpiresAt: row.ExpiresAt}, nil
}

// Authenticate resolves a token to its caller; it implements rpc.Authenticator.
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
	return rpc.Caller{DID: row.Did, Handle: row.Handle}, nil
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

func newTokenValue() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
