package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// onlyReader hides any Seek/Len methods, like a request body.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestUpload(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small: one put", 1000},
		{"exactly one part", storage.PartSize},
		{"multipart with a short last part", 2*storage.PartSize + 12345},
		{"multipart of whole parts", 3 * storage.PartSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := randomBytes(t, tt.size)
			key := fmt.Sprintf("t/%d", tt.size)
			n, err := store.Upload(ctx, key, onlyReader{bytes.NewReader(data)}, int64(tt.size)+1)
			require.NoError(t, err)
			require.Equal(t, int64(tt.size), n)

			var got bytes.Buffer
			_, err = store.Download(ctx, key, &got)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got.Bytes()), "stored bytes differ")
		})
	}
}

func TestUpload_TooLargeLeavesNothing(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	tests := []struct {
		name    string
		size    int
		maxSize int64
	}{
		{"single put", 2000, 1000},
		{"one past the limit", 1001, 1000},
		{"multipart", 3*storage.PartSize + 1, 2 * storage.PartSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingReader{r: bytes.NewReader(randomBytes(t, tt.size))}
			_, err := store.Upload(ctx, "big/"+tt.name, onlyReader{src}, tt.maxSize)
			require.ErrorIs(t, err, storage.ErrTooLarge)
			require.LessOrEqual(t, src.n, tt.maxSize+storage.PartSize, "read far past the limit")
			_, err = store.Head(ctx, "big/"+tt.name)
			require.ErrorIs(t, err, storage.ErrNotFound)
		})
	}
	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	require.Empty(t, keys)
}

func TestUpload_ReadErrorAbandonsTheUpload(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	body := io.MultiReader(bytes.NewReader(randomBytes(t, storage.PartSize+100)), errReader{})
	_, err := store.Upload(ctx, "broken", onlyReader{body}, 1<<30)
	require.ErrorContains(t, err, "client went away")
	_, err = store.Head(ctx, "broken")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func TestCopyDeleteHead(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	_, err := store.Upload(ctx, "staging/a", strings.NewReader("audio"), 100)
	require.NoError(t, err)
	require.NoError(t, store.Copy(ctx, "staging/a", "audio/a.mp3", "audio/mpeg"))
	info, err := store.Head(ctx, "audio/a.mp3")
	require.NoError(t, err)
	require.Equal(t, int64(5), info.Size)
	require.Equal(t, "audio/mpeg", info.ContentType)

	require.NoError(t, store.Delete(ctx, "audio/a.mp3"))
	require.NoError(t, store.Delete(ctx, "audio/a.mp3"), "deleting twice is fine")
	_, err = store.Head(ctx, "audio/a.mp3")
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.ErrorIs(t, store.Copy(ctx, "staging/missing", "x", "audio/mpeg"), storage.ErrNotFound)
}

func TestPresignGet_RangeAndExpiry(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	data := randomBytes(t, 100_000)
	_, err := store.Upload(ctx, "audio/p.flac", bytes.NewReader(data), 1<<20)
	require.NoError(t, err)

	url, err := store.PresignGet(ctx, "audio/p.flac", time.Minute, "audio/flac")
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusPartialContent, res.StatusCode)
	require.Equal(t, "audio/flac", res.Header.Get("Content-Type"))
	require.Equal(t, "bytes 1000-1999/100000", res.Header.Get("Content-Range"))
	require.Equal(t, data[1000:2000], body)

	// A tampered signature is refused: the URL is the only credential.
	res, err = http.Get(strings.Replace(url, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("client went away") }
