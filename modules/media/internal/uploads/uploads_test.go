package uploads_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/modules/media/internal/uploads"
	"github.com/plyrfm/plyr/workflows/upload"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const alice, bob = "did:plc:alice", "did:plc:bob"

// newUploads is the feature on a transaction of its own, rolled back when the test ends,
// with its queries for the test to record uploads as Receive does.
func newUploads(t *testing.T, limits uploads.Limits) (*uploads.Uploads, *db.Queries) {
	t.Helper()
	q := db.New(testenv.NewTx(t))
	return uploads.New(q, nil, nil, nil, logging.Discard(), limits), q
}

// record inserts a processing upload of owner, as an accepted upload is recorded.
func record(t *testing.T, q *db.Queries, owner string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	_, err := q.CreateUpload(context.Background(), db.CreateUploadParams{
		ID: id, TrackID: uuid.New(), FileID: uuid.New(), OwnerDid: owner, Title: "Song",
		Filename: "song.mp3", SizeBytes: 10, StagingKey: uploads.StagingKey(id),
	})
	require.NoError(t, err)
	return id
}

func TestUploads_GetIsTheOwners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, q := newUploads(t, uploads.Limits{})
	id := record(t, q, alice)

	got, err := u.Get(ctx, id, alice)
	require.NoError(t, err)
	require.Equal(t, id, got.ID)
	require.Equal(t, uploads.Processing, got.Status)

	_, err = u.Get(ctx, id, bob)
	require.ErrorIs(t, err, uploads.ErrUploadNotFound, "another account's upload is not found")
	_, err = u.Get(ctx, uuid.New(), alice)
	require.ErrorIs(t, err, uploads.ErrUploadNotFound)
}

func TestUploads_FinishKeepsTheFirstEnding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, q := newUploads(t, uploads.Limits{})
	id := record(t, q, alice)

	require.NoError(t, u.Finish(ctx, id, string(upload.StatusRejected), "the file is empty"))
	require.NoError(t, u.Finish(ctx, id, string(upload.StatusFailed), upload.FailedMessage), "a retried step")

	got, err := u.Get(ctx, id, alice)
	require.NoError(t, err)
	require.Equal(t, string(upload.StatusRejected), got.Status)
	require.Equal(t, "the file is empty", got.Error)
}

func TestUploads_Reserve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, _ := newUploads(t, uploads.Limits{MaxConcurrent: 1, MaxPerAccount: 1})

	first, err := u.Reserve(ctx, alice)
	require.NoError(t, err)
	require.NotEqual(t, first.UploadID, first.TrackID)
	require.Equal(t, uploads.StagingPrefix+first.UploadID.String(), first.StagingKey())

	_, err = u.Reserve(ctx, alice)
	require.ErrorIs(t, err, uploads.ErrTooManyUploads, "alice is at her cap")

	// The one server slot is alice's: bob waits for it, and gives up.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = u.Reserve(canceled, bob)
	require.ErrorIs(t, err, context.Canceled)

	// Giving up held nothing: once alice's upload ends, bob gets both his slots.
	first.Release()
	second, err := u.Reserve(ctx, bob)
	require.NoError(t, err)
	second.Release()
}
