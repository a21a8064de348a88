package app_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/sealed"
)

// testKeys is a keyring for the identity module, which needs one to seal grants.
func testKeys(tb testing.TB) *sealed.Keyring {
	tb.Helper()
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(tb, err)
	return keys
}
