package app_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/media"
)

// restartWorkers stops the stack's workers, as a process that dies would, and runs a
// fresh process's workers on the same infrastructure.
func (s *stack) restartWorkers(t *testing.T) {
	t.Helper()
	s.stopWorkers()
	fresh, err := app.New(s.cfg, s.infra, logging.Discard(), metrics.New())
	require.NoError(t, err)
	t.Cleanup(fresh.Close)
	stop := s.runWorkers(t, fresh)
	t.Cleanup(stop)
}

// TestTranscode_WorkerKilledMidway: the worker making a lossless upload's MP3 dies in the
// middle of the encode; another picks the transcode up and the upload ends ready, with one
// original and one MP3 stored and no temp file left behind.
func TestTranscode_WorkerKilledMidway(t *testing.T) {
	s := newStack(t, 256<<20)
	s.setFlag(t, aliceDID, media.FlagLossless)
	flac := audiotest.Make(t, "flac", 12*60) // about 10 s of encoding on this machine
	code, accepted := s.postUpload(t, s.token, "Long", "long.flac", flac)
	require.Equal(t, http.StatusAccepted, code)

	ctx, cancel := context.WithTimeout(rpctest.WithToken(context.Background(), s.token), 3*time.Minute)
	defer cancel()
	stream, err := s.media.WatchUpload(ctx, &mediav1.WatchUploadRequest{UploadId: accepted["uploadId"]})
	require.NoError(t, err)
	killed := false
	var last *mediav1.WatchUploadResponse
	for stream.Receive() {
		last = stream.Msg()
		if !killed && last.Phase == mediav1.UploadPhase_UPLOAD_PHASE_TRANSCODING && last.ProgressPercent >= 50 {
			killed = true
			s.restartWorkers(t) // the stream goes on: it watches the workflow, not a worker
		}
	}
	require.NoError(t, stream.Err())
	require.True(t, killed, "the worker was stopped mid-transcode")
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)

	keys, err := s.store.List(context.Background(), "audio/")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"audio/" + last.OriginalFileId + ".flac", "audio/" + last.FileId + ".mp3"}, keys)
	var files int
	require.NoError(t, s.infra.DB.QueryRow(context.Background(), `SELECT count(*) FROM media.files`).Scan(&files))
	require.Equal(t, 2, files)
	_, mp3 := s.get(t, s.url+"/audio/"+last.FileId, "")
	requireDecodes(t, mp3)
	left, err := os.ReadDir(s.cfg.Media.TempDir)
	require.NoError(t, err)
	require.Empty(t, left, "no temp file left behind")
}

// TestPDSMigration_WorkerKilledMidway: the worker copying a track to the PDS dies while
// the PDS has not answered; another finishes the migration, leaving one record per track,
// each naming its blob.
func TestPDSMigration_WorkerKilledMidway(t *testing.T) {
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	tap := &blobTap{}
	s := newStackWith(t, stackOptions{maxUpload: 16 << 20, pds: net, tap: tap.wrap,
		records: config.Records{WriteAttempts: 3, WriteTimeout: 3 * time.Second}})
	acct, token := s.signIn(t, net, "survivor")
	ctx := rpctest.WithToken(context.Background(), token)
	var tracks []string
	for i := range 2 {
		code, accepted := s.postUpload(t, token, "Track", "song.mp3", audiotest.Make(t, "mp3", 1+float64(i)/10))
		require.Equal(t, http.StatusAccepted, code)
		tr := s.awaitRecord(t, token, accepted["trackId"], catalogv1.RecordState_RECORD_STATE_SYNCED)
		tracks = append(tracks, tr.Id)
	}
	s.setFlag(t, acct.DID, media.FlagPDSAudio)

	tap.misbehave(0, 1) // the first upload hangs: the worker dies while it waits
	started, err := s.media.StartPdsMigration(ctx, &mediav1.StartPdsMigrationRequest{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return tap.uploads.Load() >= 1 }, 30*time.Second, 20*time.Millisecond)
	s.restartWorkers(t)

	final := lastOf(watchMigration(t, s, ctx, started.MigrationId))
	require.Equal(t, mediav1.MigrationStatus_MIGRATION_STATUS_DONE, final.Status)
	require.Equal(t, int32(2), final.Migrated)
	recs := pdsRecords(t, net, acct.DID, trackCollection)
	require.Len(t, recs, 2, "one record per track")
	for _, id := range tracks {
		tr := s.awaitRecord(t, token, id, catalogv1.RecordState_RECORD_STATE_SYNCED)
		require.Contains(t, recs[tr.Record.Uri], "audioBlob")
	}
	require.Equal(t, int32(2), tap.stored.Load(), "each track's blob stored once")
}
