package identity_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Claiming a developer token spends its code and sets the token in one transaction: a
// failure in between leaves the code usable, not spent on a token nobody can see.
func TestClaimDeveloperToken_IsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, pool := newModule(t)
	_, err := m.EnsureAccount(ctx, "did:plc:alice", "alice.test")
	require.NoError(t, err)
	browser, err := m.NewBrowserSessionForTest(ctx, "did:plc:alice")
	require.NoError(t, err)
	pending, err := m.IssueDeveloperToken(ctx, "did:plc:alice", "cli", time.Hour)
	require.NoError(t, err)
	code := "claim-code-1"
	hash := sha256.Sum256([]byte(code))
	_, err = pool.Exec(ctx, `INSERT INTO identity.token_claims (code_hash, session_id, token_session_id, expires_at)
		VALUES ($1, $2, $3, now() + interval '10 minutes')`, hash[:], browser.ID, pending.ID)
	require.NoError(t, err)
	caller := &rpc.Caller{DID: "did:plc:alice", SessionID: browser.ID, Kind: rpc.BrowserSession}

	// Setting the token fails once (a trigger stands in for a crash or a lost connection).
	_, err = pool.Exec(ctx, `
		CREATE FUNCTION fail_token() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$;
		CREATE TRIGGER fail_token BEFORE UPDATE OF token_hash ON identity.sessions FOR EACH ROW EXECUTE FUNCTION fail_token();`)
	require.NoError(t, err)
	_, err = m.ClaimDeveloperTokenForTest(ctx, caller, code)
	require.Error(t, err)

	_, err = pool.Exec(ctx, `DROP TRIGGER fail_token ON identity.sessions`)
	require.NoError(t, err)
	value, err := m.ClaimDeveloperTokenForTest(ctx, caller, code)
	require.NoError(t, err, "the code survived the failed claim")
	got, err := m.Authenticate(ctx, value)
	require.NoError(t, err)
	require.Equal(t, pending.ID, got.SessionID)

	_, err = m.ClaimDeveloperTokenForTest(ctx, caller, code)
	require.Error(t, err, "and works once")
}
