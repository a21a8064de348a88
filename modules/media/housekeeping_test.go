package media_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/modules/media"
)

func TestStagingInUse(t *testing.T) {
	ctx := context.Background()
	pool := testenv.NewDatabase(t)
	m := media.New(media.Deps{DB: pool, Logger: logging.Discard(), Metrics: metrics.New()})

	// An upload row as POST /upload records it, accepted at acceptedAt.
	insert := func(status string, acceptedAt time.Time) string {
		id := uuid.New()
		key := media.StagingPrefix + id.String()
		_, err := pool.Exec(ctx, `INSERT INTO media.uploads
			(id, track_id, file_id, owner_did, title, size_bytes, staging_key, status, created_at)
			VALUES ($1, $2, $3, 'did:plc:alice', 'Song', 10, $4, $5, $6)`,
			id, uuid.New(), uuid.New(), key, status, acceptedAt)
		require.NoError(t, err)
		return key
	}
	now := time.Now()
	since := now.Add(-7 * 24 * time.Hour)
	processing := insert("processing", now.Add(-30*time.Hour))
	abandoned := insert("processing", now.Add(-8*24*time.Hour))
	ready := insert("ready", now.Add(-30*time.Hour))
	failed := insert("failed", now.Add(-time.Minute))
	neverAccepted := media.StagingPrefix + uuid.NewString()

	inUse, err := m.StagingInUse(ctx, []string{processing, abandoned, ready, failed, neverAccepted, "staging/not-an-id", "audio/x"}, since)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{processing: true}, inUse,
		"only an upload still processing, and accepted within the window, needs its staged body")

	none, err := m.StagingInUse(ctx, nil, since)
	require.NoError(t, err)
	require.Empty(t, none)
}
