package app_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/mp3info"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/modules/media"
)

// setFlag turns a feature flag on for an account, as an admin does.
func (s *stack) setFlag(tb testing.TB, did, flag string) {
	tb.Helper()
	_, err := identity.NewOperator(s.infra.DB, logging.Discard()).SetFeatureFlag(context.Background(), did, flag, true)
	require.NoError(tb, err)
}

// lossless is a lossless upload case: a file made with ffmpeg and what plyr should keep.
type lossless struct {
	name, filename, format string
	contentType            string // of the original, as /audio serves it and the track says
}

var losslessCases = []lossless{
	{"AIFF uploaded as .aif", "take.aif", "aiff", "audio/aiff"},
	{"FLAC", "take.flac", "flac", "audio/flac"},
	{"WAV", "take.wav", "wav", "audio/wav"},
	{"ALAC in M4A", "take.m4a", "m4a", `audio/mp4; codecs="alac"`},
}

func TestLosslessUploads(t *testing.T) {
	s := newStack(t, 64<<20)
	const seconds = 12.5

	t.Run("without the flag a lossless file is refused at once", func(t *testing.T) {
		code, body := s.postUpload(t, s.token, "No flag", "take.flac", audiotest.Make(t, "flac", 2))
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, body["message"], "lossless uploads (FLAC, WAV, AIFF, ALAC) are not turned on")
	})

	s.setFlag(t, aliceDID, media.FlagLossless)
	for _, tt := range losslessCases {
		t.Run(tt.name, func(t *testing.T) {
			original := audiotest.Make(t, tt.format, seconds)
			code, accepted := s.postUpload(t, s.token, tt.name, tt.filename, original)
			require.Equal(t, http.StatusAccepted, code, accepted)
			msgs := s.watch(t, accepted["uploadId"])
			last := msgs[len(msgs)-1]
			require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
			require.NotEmpty(t, last.OriginalFileId)
			require.NotEqual(t, last.OriginalFileId, last.FileId)
			require.Equal(t, int32(seconds*1000), last.DurationMs)

			// The original comes back byte for byte, as its own type.
			res, body := s.get(t, s.url+"/audio/"+last.OriginalFileId, "")
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, original, body, "the original is kept byte for byte")
			require.Equal(t, strings.Split(tt.contentType, ";")[0], res.Header.Get("Content-Type"))

			// The MP3 decodes cleanly and lasts as long as the original, to 100 ms.
			res, mp3 := s.get(t, s.url+"/audio/"+last.FileId, "")
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))
			info, err := mp3info.Read(bytes.NewReader(mp3))
			require.NoError(t, err)
			require.InDelta(t, seconds, info.Duration.Seconds(), 0.1)
			requireDecodes(t, mp3)

			// The track offers both, the waveform, and says which is which.
			got, err := s.catalog.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: accepted["trackId"]})
			require.NoError(t, err)
			tr := got.Track
			require.Equal(t, last.FileId, tr.FileId)
			require.Equal(t, "mp3", tr.FileType)
			require.Equal(t, "audio/mpeg", tr.ContentType)
			require.NotNil(t, tr.Original)
			require.Equal(t, last.OriginalFileId, tr.Original.FileId)
			require.Equal(t, strings.TrimPrefix(filepath.Ext(tt.filename), "."), tr.Original.FileType)
			require.Equal(t, tt.contentType, tr.Original.ContentType)
			require.Equal(t, int64(len(original)), tr.Original.SizeBytes)
			requireWaveform(t, tr.Waveform)

			// The original is stored under its real extension (.aif stays .aif).
			keys, err := s.store.List(context.Background(), "audio/"+last.OriginalFileId)
			require.NoError(t, err)
			require.Equal(t, []string{"audio/" + last.OriginalFileId + filepath.Ext(tt.filename)}, keys)
		})
	}

	t.Run("the transcode phase is reported with its progress", func(t *testing.T) {
		code, accepted := s.postUpload(t, s.token, "Longer", "longer.flac", audiotest.Make(t, "flac", 150))
		require.Equal(t, http.StatusAccepted, code)
		msgs := s.watch(t, accepted["uploadId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, msgs[len(msgs)-1].Status)
		var during []int32
		for _, m := range msgs {
			if m.Phase == mediav1.UploadPhase_UPLOAD_PHASE_TRANSCODING {
				during = append(during, m.ProgressPercent)
			}
		}
		// How far the encode has got when a look happens depends on the machine's load: the
		// phase is reported, within its share of the progress bar.
		require.NotEmpty(t, during, "the transcode phase is reported: %v", msgs)
		for _, p := range during {
			require.True(t, p >= 40 && p <= 90, "transcode progress within 40–90 %%: %v", during)
		}
	})

	t.Run("an MP3 has its waveform too, and no original", func(t *testing.T) {
		code, accepted := s.postUpload(t, s.token, "MP3", "take.mp3", audiotest.Make(t, "mp3", seconds))
		require.Equal(t, http.StatusAccepted, code)
		last := lastMessage(t, s, accepted["uploadId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
		require.Empty(t, last.OriginalFileId)
		got, err := s.catalog.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: accepted["trackId"]})
		require.NoError(t, err)
		require.Nil(t, got.Track.Original)
		requireWaveform(t, got.Track.Waveform)

		// Lists leave waveforms out.
		list, err := s.catalog.ListTracks(context.Background(), &catalogv1.ListTracksRequest{})
		require.NoError(t, err)
		for _, tr := range list.Tracks {
			require.Empty(t, tr.Waveform)
		}
	})

	t.Run("AAC in an .m4a is refused with a reason", func(t *testing.T) {
		aac := audiotest.MakeWith(t, "m4a", 2, "-c:a", "aac")
		code, accepted := s.postUpload(t, s.token, "AAC", "take.m4a", aac)
		require.Equal(t, http.StatusAccepted, code)
		last := lastMessage(t, s, accepted["uploadId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, last.Status)
		require.Contains(t, last.Error, "plyr accepts ALAC (lossless) in .m4a, not AAC")
	})

	t.Run("a FLAC cut short is refused at its transcode and leaves nothing", func(t *testing.T) {
		before, err := s.store.List(context.Background(), "audio/")
		require.NoError(t, err)
		cut := audiotest.Truncate(audiotest.Make(t, "flac", seconds), 0.6)
		code, accepted := s.postUpload(t, s.token, "Cut", "cut.flac", cut)
		require.Equal(t, http.StatusAccepted, code)
		last := lastMessage(t, s, accepted["uploadId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, last.Status)
		require.Contains(t, last.Error, "damaged or cut short")
		after, err := s.store.List(context.Background(), "audio/")
		require.NoError(t, err)
		require.Equal(t, before, after, "neither the original nor an MP3 of it is kept")
	})

	t.Run("the same bytes uploaded twice give one track", func(t *testing.T) {
		flac := audiotest.Make(t, "flac", 3)
		code, first := s.postUpload(t, s.token, "Once", "once.flac", flac)
		require.Equal(t, http.StatusAccepted, code)
		code, again := s.postUpload(t, s.token, "Once again", "again.flac", flac)
		require.Equal(t, http.StatusOK, code, "a duplicate is not a new upload")
		require.Equal(t, first["trackId"], again["trackId"])
		require.Equal(t, first["uploadId"], again["uploadId"])
		require.Equal(t, "true", again["duplicate"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, lastMessage(t, s, first["uploadId"]).Status)

		// A double click: two uploads of new bytes at once make one track.
		mp3 := audiotest.Make(t, "mp3", 2)
		var wg sync.WaitGroup
		answers := make([]map[string]string, 2)
		codes := make([]int, 2)
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], answers[i] = s.postUpload(t, s.token, "Twice", "twice.mp3", mp3)
			}()
		}
		wg.Wait()
		require.ElementsMatch(t, []int{http.StatusAccepted, http.StatusOK}, codes)
		require.Equal(t, answers[0]["trackId"], answers[1]["trackId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, lastMessage(t, s, answers[0]["uploadId"]).Status)
	})
}

func lastMessage(t *testing.T, s *stack, uploadID string) *mediav1.WatchUploadResponse {
	t.Helper()
	msgs := s.watch(t, uploadID)
	return msgs[len(msgs)-1]
}

// requireWaveform checks a track's waveform: 1,000 peaks, not all alike (the test audio
// is a sine and noise), the loudest at 255.
func requireWaveform(t *testing.T, peaks []byte) {
	t.Helper()
	require.Len(t, peaks, 1000)
	require.Equal(t, byte(255), slicesMax(peaks))
	require.Greater(t, slicesMax(peaks)-slicesMin(peaks), byte(10), "a waveform with some shape")
}

func slicesMax(b []byte) byte {
	m := b[0]
	for _, v := range b {
		m = max(m, v)
	}
	return m
}

func slicesMin(b []byte) byte {
	m := b[0]
	for _, v := range b {
		m = min(m, v)
	}
	return m
}

// requireDecodes decodes mp3 in full with ffmpeg, which must find no damage.
func requireDecodes(t *testing.T, mp3 []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "check.mp3")
	require.NoError(t, os.WriteFile(path, mp3, 0o600))
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path, "-f", "null", "-").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Empty(t, strings.TrimSpace(string(out)), "ffmpeg found nothing wrong")
}
