package identity_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newModule(t *testing.T) (*identity.Module, *pgxpool.Pool) {
	t.Helper()
	pool := testenv.NewDatabase(t)
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)
	m, err := identity.New(identity.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys, HTTPClient: http.DefaultClient,
		Config: identity.Config{PublicURL: "http://127.0.0.1:9", SessionTTL: time.Hour},
	})
	require.NoError(t, err)
	return m, pool
}

// The module signs people in, so it needs a keyring to seal their grants; operator
// commands, which have none, use NewOperator.
func TestNew_RequiresKeys(t *testing.T) {
	_, err := identity.New(identity.Deps{
		DB: testenv.NewDatabase(t), Logger: logging.Discard(), Metrics: metrics.New(), HTTPClient: http.DefaultClient,
		Config: identity.Config{PublicURL: "http://127.0.0.1:9"},
	})
	require.ErrorContains(t, err, "keyring")
}

// The operator entry records accounts, mints tokens the module accepts and sets feature
// flags, with the database alone.
func TestOperator(t *testing.T) {
	ctx := context.Background()
	m, pool := newModule(t)
	op := identity.NewOperator(pool, logging.Discard())

	acct, err := op.EnsureAccount(ctx, "did:plc:alice", "Alice.Test")
	require.NoError(t, err)
	require.Equal(t, "alice.test", acct.Handle)
	token, err := op.IssueDeveloperToken(ctx, acct.DID, "cli", time.Hour)
	require.NoError(t, err)
	caller, err := m.Authenticate(ctx, token.Value)
	require.NoError(t, err)
	require.Equal(t, token.ID, caller.SessionID)
	require.Equal(t, rpc.DeveloperToken, caller.Kind)
	_, err = m.PDS(ctx, &caller)
	require.ErrorIs(t, err, identity.ErrNoPDSAccess, "an operator token holds no grant")

	flags, err := op.SetFeatureFlag(ctx, acct.DID, "beta", true)
	require.NoError(t, err)
	require.Equal(t, []string{"beta"}, flags)
	flags, err = op.FeatureFlags(ctx, acct.DID)
	require.NoError(t, err)
	require.Equal(t, []string{"beta"}, flags)
	_, err = op.SetFeatureFlag(ctx, "did:plc:nobody", "beta", true)
	require.ErrorIs(t, err, identity.ErrNotFound)
}

func TestDeveloperToken_AuthenticatesItsAccount(t *testing.T) {
	ctx := context.Background()
	m, _ := newModule(t)
	_, err := m.EnsureAccount(ctx, "did:plc:alice", "alice.test")
	require.NoError(t, err)
	token, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "cli", time.Hour)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(token.Value, "plyr_"))
	require.True(t, strings.HasPrefix(token.Value, token.Prefix))

	caller, err := m.Authenticate(ctx, token.Value)
	require.NoError(t, err)
	require.Equal(t, "did:plc:alice", caller.DID)
	require.Equal(t, "alice.test", caller.Handle)
	require.Equal(t, token.ID, caller.SessionID)
	require.Equal(t, rpc.DeveloperToken, caller.Kind)
	require.False(t, caller.Browser())

	other, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "second", time.Hour)
	require.NoError(t, err)
	require.NotEqual(t, token.Value, other.Value)
}

func TestAuthenticate_Refuses(t *testing.T) {
	ctx := context.Background()
	m, _ := newModule(t)
	_, err := m.EnsureAccount(ctx, "did:plc:alice", "alice.test")
	require.NoError(t, err)
	expired, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "short", time.Millisecond)
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	valid, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "ok", time.Hour)
	require.NoError(t, err)

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "hello"},
		{"right shape, unknown", "plyr_" + strings.Repeat("A", 43)},
		{"a valid token altered", valid.Value[:len(valid.Value)-1] + "x"},
		{"expired", expired.Value},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Authenticate(ctx, tt.token)
			require.ErrorIs(t, err, rpc.ErrInvalidCredentials)
		})
	}
}

func TestDeveloperToken_OnlyItsHashIsStored(t *testing.T) {
	ctx := context.Background()
	m, pool := newModule(t)
	_, err := m.EnsureAccount(ctx, "did:plc:alice", "alice.test")
	require.NoError(t, err)
	token, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "cli", time.Hour)
	require.NoError(t, err)

	var row string
	var hash []byte
	err = pool.QueryRow(ctx, "SELECT s::text, token_hash FROM identity.sessions s").Scan(&row, &hash)
	require.NoError(t, err)
	want := sha256.Sum256([]byte(token.Value))
	require.Equal(t, want[:], hash)
	require.NotContains(t, row, token.Value[len(token.Prefix):], "the secret part of the token is stored")
}

func TestDeveloperToken_LifetimeIsClamped(t *testing.T) {
	ctx := context.Background()
	m, _ := newModule(t)
	_, err := m.EnsureAccount(ctx, "did:plc:alice", "alice.test")
	require.NoError(t, err)
	token, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "forever", 100*365*24*time.Hour)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(identity.MaxDeveloperTokenTTL), token.ExpiresAt, time.Minute)
	_, err = m.IssueDeveloperToken(ctx, "did:plc:alice", "never", 0)
	require.ErrorIs(t, err, identity.ErrInvalidInput)
	_, err = m.IssueDeveloperToken(ctx, "did:plc:nobody", "orphan", time.Hour)
	require.Error(t, err, "a token needs an existing account")
}

func TestEnsureAccount(t *testing.T) {
	ctx := context.Background()
	m, _ := newModule(t)
	acct, err := m.EnsureAccount(ctx, "did:plc:alice", "Alice.Test")
	require.NoError(t, err)
	require.Equal(t, "alice.test", acct.Handle, "handles are normalised to lower case")

	acct, err = m.EnsureAccount(ctx, "did:plc:alice", "alice.example.com")
	require.NoError(t, err)
	require.Equal(t, "alice.example.com", acct.Handle, "a changed handle is taken")

	for _, bad := range [][2]string{{"alice", "alice.test"}, {"did:plc:alice", "not a handle"}, {"did:plc:alice", ""}} {
		_, err := m.EnsureAccount(ctx, bad[0], bad[1])
		require.ErrorIs(t, err, identity.ErrInvalidInput, "%v", bad)
	}
}

func TestHandles(t *testing.T) {
	ctx := context.Background()
	m, _ := newModule(t)
	for _, a := range [][2]string{{"did:plc:alice", "alice.test"}, {"did:plc:bob", "bob.test"}} {
		_, err := m.EnsureAccount(ctx, a[0], a[1])
		require.NoError(t, err)
	}
	got, err := m.Handles(ctx, []string{"did:plc:alice", "did:plc:bob", "did:plc:unknown"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"did:plc:alice": "alice.test", "did:plc:bob": "bob.test"}, got)
	got, err = m.Handles(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}
