package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/modules/identity/internal/account"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/devtoken"
	"github.com/plyrfm/plyr/modules/identity/internal/prefs"
)

// Operator is what operator commands (plyr admin) do to identity's store: record
// accounts, mint operator tokens and set feature flags. It needs the database only: no
// keyring, no sign-in, no outbound network.
type Operator struct {
	pool     *pgxpool.Pool
	logger   *slog.Logger
	accounts *account.Accounts
	prefs    *prefs.Service
}

// NewOperator returns the operator entry to identity's store on pool.
func NewOperator(pool *pgxpool.Pool, logger *slog.Logger) *Operator {
	return &Operator{pool: pool, logger: logger, accounts: account.New(db.New(pool)), prefs: prefs.New(pool)}
}

// EnsureAccount creates the account, or refreshes its handle (operators and tests;
// sign-in records accounts itself).
func (o *Operator) EnsureAccount(ctx context.Context, did, handle string) (Account, error) {
	return o.accounts.Ensure(ctx, did, handle)
}

// IssueDeveloperToken creates an operator token for an existing account: a bearer token
// with no PDS grant, for scripts and tests (plyr admin token). ttl is clamped to
// MaxDeveloperTokenTTL.
func (o *Operator) IssueDeveloperToken(ctx context.Context, did, name string, ttl time.Duration) (Token, error) {
	token, err := devtoken.IssueOperator(ctx, o.pool, did, name, ttl)
	if err == nil {
		o.logger.InfoContext(ctx, "operator token issued", "did", did, "token_prefix", token.Prefix)
	}
	return token, err
}

// SetFeatureFlag turns flag on or off for did and returns did's flags.
func (o *Operator) SetFeatureFlag(ctx context.Context, did, flag string, enabled bool) ([]string, error) {
	return o.prefs.SetFeatureFlag(ctx, did, flag, enabled)
}

// FeatureFlags lists did's enabled flags.
func (o *Operator) FeatureFlags(ctx context.Context, did string) ([]string, error) {
	return o.prefs.FeatureFlags(ctx, did)
}
