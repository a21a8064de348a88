package identity_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSearchAccounts: a typeahead finds accounts by the start of their handle (shorter
// handles first), by a misremembered handle, or by display name, without asking anything
// outside plyr; unverified handles are never offered.
func TestSearchAccounts(t *testing.T) {
	ctx := context.Background()
	m, pool := newModule(t)
	for did, handle := range map[string]string{
		"did:plc:alice":   "alice.test",
		"did:plc:alicia":  "alicia.bsky.social",
		"did:plc:bob":     "bob.test",
		"did:plc:hidden":  "handle.invalid",
		"did:plc:charlie": "charlie.example",
	} {
		_, err := m.EnsureAccount(ctx, did, handle)
		require.NoError(t, err)
	}
	_, err := pool.Exec(ctx, "UPDATE identity.accounts SET display_name = 'Midnight Orchestra' WHERE did = 'did:plc:charlie'")
	require.NoError(t, err)

	handles := func(q string) []string {
		t.Helper()
		found, err := m.SearchAccounts(ctx, q, 10)
		require.NoError(t, err)
		out := []string{}
		for _, f := range found {
			out = append(out, f.Handle)
		}
		return out
	}
	require.Equal(t, []string{"alice.test", "alicia.bsky.social"}, handles("ali"), "a prefix, the closest handle first")
	require.Equal(t, []string{"alice.test", "alicia.bsky.social"}, handles("@Ali"), "an @ and capitals are ignored")
	require.Equal(t, []string{"bob.test"}, handles("b"))
	require.Contains(t, handles("alise"), "alice.test", "a misremembered handle")
	require.Equal(t, []string{"charlie.example"}, handles("orchestra"), "a display name")
	require.Empty(t, handles("handle"), "an unverified handle is never offered")
	require.Empty(t, handles("%"), "LIKE's wildcards are only characters")
}
