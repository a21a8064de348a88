package files_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/modules/media/internal/files"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// presigner signs URLs that say what they were signed for, and remembers what it was
// asked to delete.
type presigner struct{ deleted *[]string }

func (presigner) PresignGet(_ context.Context, key string, ttl time.Duration, contentType string) (string, error) {
	return "https://storage.test/" + key + "?ttl=" + ttl.String() + "&type=" + contentType, nil
}

func (p presigner) Delete(_ context.Context, key string) error {
	if p.deleted != nil {
		*p.deleted = append(*p.deleted, key)
	}
	return nil
}

// newFiles is the feature on a transaction of its own, rolled back when the test ends.
func newFiles(t *testing.T) *files.Files {
	t.Helper()
	return files.New(db.New(testenv.NewTx(t)), presigner{}, 10*time.Minute)
}

func TestFiles_RecordGetDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFiles(t)
	id := uuid.New()
	stored := files.File{
		ID: id, OwnerDID: "did:plc:alice", StorageKey: "audio/" + id.String() + ".mp3", ContentType: "audio/mpeg",
		Format: "mp3", Codec: "mp3", SizeBytes: 1234, DurationMs: 9000, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}
	require.NoError(t, f.Record(ctx, stored))
	changed := stored
	changed.SizeBytes = 1
	require.NoError(t, f.Record(ctx, changed), "a retried step records the same id again")

	got, err := f.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, stored, got, "the first record stands")

	url, err := f.URL(ctx, got)
	require.NoError(t, err)
	require.Equal(t, "https://storage.test/"+stored.StorageKey+"?ttl=10m0s&type=audio/mpeg", url)
	require.Equal(t, 10*time.Minute, f.URLTTL())

	require.NoError(t, f.Delete(ctx, id))
	_, err = f.Get(ctx, id)
	require.ErrorIs(t, err, files.ErrFileNotFound)
	require.NoError(t, f.Delete(ctx, id), "a missing row is fine")
}

// Remove deletes the bytes, then the row; again, or for a file that never was, is fine.
func TestFiles_Remove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var deleted []string
	f := files.New(db.New(testenv.NewTx(t)), presigner{deleted: &deleted}, time.Minute)
	id := uuid.New()
	require.NoError(t, f.Record(ctx, files.File{
		ID: id, OwnerDID: "did:plc:a", StorageKey: "audio/" + id.String() + ".mp3", ContentType: "audio/mpeg",
		Format: "mp3", Codec: "mp3", SizeBytes: 10, DurationMs: 1000, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}))
	require.NoError(t, f.Remove(ctx, id))
	require.Equal(t, []string{"audio/" + id.String() + ".mp3"}, deleted)
	_, err := f.Get(ctx, id)
	require.ErrorIs(t, err, files.ErrFileNotFound)
	require.NoError(t, f.Remove(ctx, id))
	require.NoError(t, f.Remove(ctx, uuid.New()))
	require.Len(t, deleted, 1)
}
