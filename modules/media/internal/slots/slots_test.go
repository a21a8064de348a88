package slots

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPerAccount(t *testing.T) {
	var p PerAccount
	require.True(t, p.Take("a", 2))
	require.True(t, p.Take("a", 2))
	require.False(t, p.Take("a", 2), "a holds its limit")
	require.True(t, p.Take("b", 2), "b is counted apart")
	p.Release("a")
	require.True(t, p.Take("a", 2))
	p.Release("a")
	p.Release("a")
	p.Release("b")
	require.Empty(t, p.held, "accounts with nothing in progress are forgotten")
}
