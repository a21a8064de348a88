package ports

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	addr, err := Resolve("127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(addr)
	require.NotEqual(t, "0", port)
	require.True(t, Available(addr))

	kept, err := Resolve("127.0.0.1:8233")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8233", kept)

	_, err = Resolve("no-port")
	require.Error(t, err)
}

func TestAvailable_FalseWhileBound(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	require.False(t, Available(l.Addr().String()))
}

func TestFree_BelowTheEphemeralRange(t *testing.T) {
	for range 20 {
		p, err := Free("127.0.0.1")
		require.NoError(t, err)
		require.Less(t, p, ephemeralLow(), "ports drawn from the ephemeral range race outgoing connections")
		require.GreaterOrEqual(t, p, 20000)
	}
}
