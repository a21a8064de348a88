package links

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/modules/sharing/internal/db"
)

// A code that is taken is drawn again; one that keeps colliding gives up with an error
// rather than overwrite another link.
func TestCreate_CollisionsAreDrawnAgain(t *testing.T) {
	l := New(db.New(testenv.NewDatabase(t)), 0)
	ctx := context.Background()
	track := uuid.New()

	fixed := func(b []byte) (int, error) { copy(b, []byte{1, 2, 3, 4, 5, 6}); return len(b), nil }
	l.random = fixed
	first, err := l.Create(ctx, "did:plc:alice", track)
	require.NoError(t, err)
	require.True(t, ValidCode(first))

	_, err = l.Create(ctx, "did:plc:alice", track)
	require.ErrorIs(t, err, ErrNoCode, "every draw collides")

	draws := 0
	l.random = func(b []byte) (int, error) {
		draws++
		if draws < 3 {
			return fixed(b)
		}
		copy(b, []byte{6, 5, 4, 3, 2, 1})
		return len(b), nil
	}
	second, err := l.Create(ctx, "did:plc:alice", track)
	require.NoError(t, err)
	require.NotEqual(t, first, second)
	require.Equal(t, 3, draws)
}

func TestCreate_PerHourCap(t *testing.T) {
	l := New(db.New(testenv.NewDatabase(t)), 3)
	ctx := context.Background()
	for range 3 {
		_, err := l.Create(ctx, "did:plc:alice", uuid.New())
		require.NoError(t, err)
	}
	_, err := l.Create(ctx, "did:plc:alice", uuid.New())
	require.ErrorIs(t, err, ErrTooMany)
	_, err = l.Create(ctx, "did:plc:bob", uuid.New())
	require.NoError(t, err, "the cap is per account")
}
