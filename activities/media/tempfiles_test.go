package media

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSweepTempFiles(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	age := func(path string) {
		t.Helper()
		require.NoError(t, os.Chtimes(path, old, old))
	}

	// A killed worker's file: its lock died with the process (here: with its descriptor).
	leftover, err := createTempFile(dir)
	require.NoError(t, err)
	require.NoError(t, leftover.Close())
	age(leftover.Name())

	// A running inspection's file: open and locked, however old.
	inUse, err := createTempFile(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = inUse.Close() })
	age(inUse.Name())

	// Just created and not yet locked: too young to judge.
	fresh := filepath.Join(dir, TempFilePrefix+"fresh")
	require.NoError(t, os.WriteFile(fresh, []byte("x"), 0o600))

	// Not ours.
	other := filepath.Join(dir, "someone-else")
	require.NoError(t, os.WriteFile(other, []byte("x"), 0o600))
	age(other)

	removed, err := SweepTempFiles(dir, time.Minute)
	require.NoError(t, err)
	require.Equal(t, 1, removed)
	require.NoFileExists(t, leftover.Name())
	require.FileExists(t, inUse.Name())
	require.FileExists(t, fresh)
	require.FileExists(t, other)

	// Once its inspection ends, the old file is fair game.
	require.NoError(t, inUse.Close())
	removed, err = SweepTempFiles(dir, time.Minute)
	require.NoError(t, err)
	require.Equal(t, 1, removed)
	require.NoFileExists(t, inUse.Name())
}

func TestSweepTempFiles_MissingDir(t *testing.T) {
	_, err := SweepTempFiles(filepath.Join(t.TempDir(), "nope"), time.Minute)
	require.Error(t, err)
}
