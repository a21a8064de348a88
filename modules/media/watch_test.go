package media_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows/upload"
)

// The streams of one upload share one look at its workflow, and there is a bound on how
// many there may be.
func TestWatchUpload_StreamsShareOneLookAndAreBounded(t *testing.T) {
	f := newFixtureWatching(t, 10<<20, time.Hour) // one look, then none within the test
	in := f.accept(t)
	f.workflows.script[in.TrackID] = []media.UploadState{{Running: true, Phase: upload.PhaseValidating}}
	ctx, cancel := context.WithCancel(rpctest.WithToken(context.Background(), "alice-token"))
	defer cancel()

	const allowed = 8
	for i := range allowed {
		stream, err := f.watch.WatchUpload(ctx, &mediav1.WatchUploadRequest{UploadId: in.UploadID.String()})
		require.NoError(t, err)
		require.True(t, stream.Receive(), "stream %d: %v", i, stream.Err())
		require.Equal(t, mediav1.UploadPhase_UPLOAD_PHASE_VALIDATING, stream.Msg().Phase)
		defer stream.Close()
	}
	f.workflows.mu.Lock()
	looks := f.workflows.looks
	f.workflows.mu.Unlock()
	require.Equal(t, 1, looks, "eight streams, one look at the workflow")

	_, err := f.watchAll(t, "alice-token", in.UploadID.String())
	require.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "one stream too many")
}

// A look at the workflow that fails for a moment (Temporal slow or restarting) does not
// end the streams: they wait for the next look.
func TestWatchUpload_TransientErrorsDoNotEndTheStream(t *testing.T) {
	f := newFixture(t, 10<<20)
	in := f.accept(t)
	f.workflows.flaky = 3
	f.workflows.script[in.TrackID] = []media.UploadState{
		{Running: true, Phase: upload.PhaseValidating},
		{Output: upload.Output{Status: upload.StatusReady, FileID: in.FileID, DurationMs: 1000}},
	}
	msgs, err := f.watchAll(t, "alice-token", in.UploadID.String())
	require.NoError(t, err)
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, msgs[len(msgs)-1].Status)
}
