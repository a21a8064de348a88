package app_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/plyrfm/plyr/internal/audiotest"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows/upload"
)

var updateHistories = flag.Bool("update-histories", false,
	"write the histories of this run's upload workflows to workflows/testdata for the replay test")

// TestEndToEnd drives plyr only through its HTTP and Connect surface, on real PostgreSQL,
// Temporal, S3 and ffmpeg.
func TestEndToEnd(t *testing.T) {
	const capBytes = 4 << 20
	s := newStack(t, capBytes)
	var histories = map[string]string{} // file name → workflow id

	t.Run("an MP3 goes from upload to Range playback", func(t *testing.T) {
		original := audiotest.Make(t, "mp3", 8)
		code, accepted := s.postUpload(t, s.token, "Sine and noise", "take1.mp3", original)
		require.Equal(t, http.StatusAccepted, code, accepted)
		trackID, uploadID := accepted["trackId"], accepted["uploadId"]

		msgs := s.watch(t, uploadID)
		last := msgs[len(msgs)-1]
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
		require.Equal(t, trackID, last.TrackId)
		require.Equal(t, int32(8000), last.DurationMs)
		for i := 1; i < len(msgs); i++ {
			require.GreaterOrEqual(t, msgs[i].ProgressPercent, msgs[i-1].ProgressPercent, "progress went backwards")
		}
		fileID := last.FileId
		histories["upload_ready.json"] = upload.WorkflowID(uuid.MustParse(trackID))

		// The track is in the public feed with every field the web client shows.
		res, err := s.catalog.ListTracks(context.Background(), &catalogv1.ListTracksRequest{})
		require.NoError(t, err)
		require.Len(t, res.Tracks, 1)
		tr := res.Tracks[0]
		require.Equal(t, trackID, tr.Id)
		require.Equal(t, "Sine and noise", tr.Title)
		require.Equal(t, fileID, tr.FileId)
		require.Equal(t, int32(8000), tr.DurationMs)
		require.Equal(t, "alice.test", tr.ArtistHandle)
		require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_READY, tr.Status)

		// Ranges come back byte for byte.
		audioURL := s.url + "/audio/" + fileID
		n := len(original)
		ranges := []struct {
			header     string
			start, end int // inclusive
		}{
			{"bytes=0-1023", 0, 1023},
			{fmt.Sprintf("bytes=%d-%d", n/2, n/2+65535), n / 2, n/2 + 65535},
			{"bytes=-777", n - 777, n - 1},
			{fmt.Sprintf("bytes=%d-", n-5000), n - 5000, n - 1},
		}
		for _, r := range ranges {
			res, body := s.get(t, audioURL, r.header)
			require.Equal(t, http.StatusPartialContent, res.StatusCode, r.header)
			require.Equal(t, fmt.Sprintf("bytes %d-%d/%d", r.start, r.end, n), res.Header.Get("Content-Range"))
			require.Equal(t, "bytes", res.Header.Get("Accept-Ranges"))
			require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))
			require.Equal(t, original[r.start:r.end+1], body, r.header)
		}
		res2, whole := s.get(t, audioURL, "")
		require.Equal(t, http.StatusOK, res2.StatusCode)
		require.Equal(t, original, whole)

		// Operators find the workflow by track in Temporal.
		desc, err := s.temporal.DescribeWorkflowExecution(context.Background(), upload.WorkflowID(uuid.MustParse(trackID)), "")
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.WorkflowExecutionInfo.Status)
		require.Contains(t, fmt.Sprint(desc.WorkflowExecutionInfo.SearchAttributes), trackID)
	})

	flac := audiotest.Make(t, "flac", 12)
	s.setFlag(t, aliceDID, media.FlagLossless)
	t.Run("bad input gets a clear error and leaves nothing", func(t *testing.T) {
		rejected := []struct {
			name, filename string
			data           []byte
			reason         string
		}{
			{"zero bytes", "empty.mp3", nil, "the file is empty"},
			{"text renamed .mp3", "lyrics.mp3", []byte("la la la\nla la la\n"), "not an audio file plyr accepts"},
			{"truncated FLAC", "cut.flac", audiotest.Truncate(flac, 0.5), "the audio is damaged or cut short"},
			{"random bytes", "noise.wav", audiotest.Random(300_000), "not an audio file plyr accepts"},
		}
		for _, tt := range rejected {
			t.Run(tt.name, func(t *testing.T) {
				code, accepted := s.postUpload(t, s.token, tt.name, tt.filename, tt.data)
				require.Equal(t, http.StatusAccepted, code)
				msgs := s.watch(t, accepted["uploadId"])
				last := msgs[len(msgs)-1]
				require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, last.Status)
				require.Contains(t, last.Error, tt.reason)
				require.Empty(t, last.FileId)
				if tt.name == "truncated FLAC" {
					histories["upload_rejected.json"] = upload.WorkflowID(uuid.MustParse(accepted["trackId"]))
				}

				// No track, not even for its artist.
				_, err := s.catalog.GetTrack(rpctest.WithToken(context.Background(), s.token),
					&catalogv1.GetTrackRequest{Id: accepted["trackId"]})
				require.Error(t, err)
			})
		}

		refused := []struct {
			name, token string
			data        []byte
			wantCode    int
			wantMessage string
		}{
			{"a file over the cap", s.token, audiotest.Random(capBytes + 1), http.StatusRequestEntityTooLarge, "larger than the 4 MiB limit"},
			{"no token", "", flac, http.StatusUnauthorized, "authentication required"},
			{"a wrong token", "plyr_" + strings.Repeat("x", 43), flac, http.StatusUnauthorized, "authentication required"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				code, body := s.postUpload(t, tt.token, tt.name, "song.flac", tt.data)
				require.Equal(t, tt.wantCode, code)
				require.Contains(t, body["message"], tt.wantMessage)
			})
		}

		// Only the good track exists, for the public and for its artist.
		for _, token := range []string{"", s.token} {
			res, err := s.catalog.ListTracks(rpctest.WithToken(context.Background(), token),
				&catalogv1.ListTracksRequest{ArtistDid: aliceDID})
			require.NoError(t, err)
			require.Len(t, res.Tracks, 1)
		}
		keys, err := s.store.List(context.Background(), "")
		require.NoError(t, err)
		require.Len(t, keys, 1, "only the good file is stored: %v", keys)
		require.True(t, strings.HasPrefix(keys[0], "audio/") && strings.HasSuffix(keys[0], ".mp3"), keys[0])
	})

	t.Run("health, readiness and metrics", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			res, body := s.get(t, s.url+path, "")
			require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		}
		_, body := s.get(t, s.url+"/metrics", "")
		text := string(body)
		require.Contains(t, text, `plyr_workflow_starts_total{result="started",workflow="upload"} 5`)
		require.Contains(t, text, `plyr_workflow_outcomes_total{outcome="completed",workflow="upload"} 5`)
		require.Contains(t, text, `plyr_rpc_duration_seconds_count{code="ok",procedure="/plyr.catalog.v1.CatalogService/ListTracks"}`)
		require.Contains(t, text, `plyr_http_request_duration_seconds_count{code="413",method="POST",route="POST /upload"} 1`)
	})

	t.Run("no token reaches the logs", func(t *testing.T) {
		logs := s.logs.String()
		require.Contains(t, logs, `"msg":"upload accepted"`)
		require.Contains(t, logs, `"request_id":`)
		require.Contains(t, logs, `"track_id":`)
		require.NotContains(t, logs, s.token[len("plyr_"):])
	})

	if *updateHistories {
		for file, workflowID := range histories {
			writeHistory(t, s, workflowID, filepath.Join("..", "..", "..", "..", "workflows", "testdata", file))
		}
	}
}

func writeHistory(t *testing.T, s *stack, workflowID, path string) {
	t.Helper()
	ctx := context.Background()
	var hist historypb.History
	iter := s.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&hist)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("wrote %s (%d events)", path, len(hist.Events))
}
