package files_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/storage"
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

func (presigner) PresignDownload(_ context.Context, key string, ttl time.Duration, contentType, filename string) (string, error) {
	return "https://storage.test/" + key + "?ttl=" + ttl.String() + "&type=" + contentType + "&name=" + filename, nil
}

func (presigner) OpenFrom(context.Context, string, int64) (io.ReadCloser, int64, error) {
	return nil, 0, storage.ErrNotFound
}

func (presigner) CopyFrom(context.Context, string, string, string) error { return nil }

func (presigner) Bucket() string { return "test" }

func (presigner) Head(context.Context, string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, nil
}

func (presigner) Open(context.Context, string) (io.ReadCloser, int64, error) {
	return nil, 0, storage.ErrNotFound
}

// newFiles is the feature on a transaction of its own, rolled back when the test ends.
func newFiles(t *testing.T) *files.Files {
	t.Helper()
	return files.New(db.New(testenv.NewTx(t)), presigner{}, presigner{}, 10*time.Minute)
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
	require.Equal(t, 10*time.Minute, f.URLTTL(got))

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
	f := files.New(db.New(testenv.NewTx(t)), presigner{deleted: &deleted}, presigner{deleted: &deleted}, time.Minute)
	id := uuid.New()
	require.NoError(t, f.Record(ctx, files.File{
		ID: id, OwnerDID: "did:plc:a", StorageKey: "audio/" + id.String() + ".mp3", ContentType: "audio/mpeg",
		Format: "mp3", Codec: "mp3", SizeBytes: 10, DurationMs: 1000, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}))
	require.NoError(t, f.Remove(ctx, id))
	key := "audio/" + id.String() + ".mp3"
	require.Equal(t, []string{key, key}, deleted, "from both buckets: a move may have been cut off")
	_, err := f.Get(ctx, id)
	require.ErrorIs(t, err, files.ErrFileNotFound)
	require.NoError(t, f.Remove(ctx, id))
	require.NoError(t, f.Remove(ctx, uuid.New()))
	require.Len(t, deleted, 2)
}

// ApplyGate moves a file's bytes to the private bucket and back, and a gated file's URLs
// are the private bucket's, valid a third as long.
func TestFiles_ApplyGateMovesTheBytes(t *testing.T) {
	ctx := context.Background()
	public, private := testenv.NewStorage(t), testenv.NewStorage(t)
	f := files.New(db.New(testenv.NewTx(t)), public, private, 15*time.Minute)
	id := uuid.New()
	key := "audio/" + id.String() + ".mp3"
	_, err := public.Upload(ctx, key, strings.NewReader("mp3 bytes"), 100)
	require.NoError(t, err)
	require.NoError(t, f.Record(ctx, files.File{
		ID: id, OwnerDID: "did:plc:a", StorageKey: key, ContentType: "audio/mpeg",
		Format: "mp3", Codec: "mp3", SizeBytes: 9, DurationMs: 1000, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}))
	keysIn := func(c *storage.Client) []string {
		keys, err := c.List(ctx, "audio/")
		require.NoError(t, err)
		return keys
	}

	for range 2 { // again changes nothing
		require.NoError(t, f.ApplyGate(ctx, id, true))
		got, err := f.Get(ctx, id)
		require.NoError(t, err)
		require.True(t, got.Gated && got.Private)
		require.Empty(t, keysIn(public))
		require.Equal(t, []string{key}, keysIn(private))
		require.Equal(t, 5*time.Minute, f.URLTTL(got))
		url, err := f.URL(ctx, got)
		require.NoError(t, err)
		require.Contains(t, url, "/"+private.Bucket()+"/")
	}

	require.NoError(t, f.ApplyGate(ctx, id, false))
	got, err := f.Get(ctx, id)
	require.NoError(t, err)
	require.False(t, got.Gated || got.Private)
	require.Equal(t, []string{key}, keysIn(public))
	require.Empty(t, keysIn(private))
	var body strings.Builder
	_, err = public.Download(ctx, key, &body)
	require.NoError(t, err)
	require.Equal(t, "mp3 bytes", body.String())

	require.NoError(t, f.ApplyGate(ctx, uuid.New(), true), "a missing file is fine")
}
