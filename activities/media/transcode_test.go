package media_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/platform/mp3info"
)

func (f *fixture) transcode(t *testing.T, in media.TranscodeInput) media.Transcoded {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.TranscodeToMP3, in)
	require.NoError(t, err)
	var out media.Transcoded
	require.NoError(t, v.Get(&out))
	return out
}

func flacInput(source uuid.UUID, key string) media.TranscodeInput {
	return media.TranscodeInput{SourceFileID: source, SourceKey: key, OwnerDID: "did:plc:alice", Format: "flac"}
}

func TestTranscodeToMP3_MakesTheMP3AndItsWaveform(t *testing.T) {
	f := newFixture(t, defaultLimits)
	source := uuid.New()
	f.stage(t, "audio/original.flac", audiotest.Make(t, "flac", 12))
	out := f.transcode(t, flacInput(source, "audio/original.flac"))
	require.Empty(t, out.Rejected)
	require.Equal(t, media.TranscodedFileID(source), out.FileID)
	require.Equal(t, media.AudioKey(out.FileID, "mp3"), out.StorageKey)
	require.InDelta(t, 12_000, out.DurationMs, 100)
	require.Len(t, out.Peaks, media.WaveformPeaks)

	var mp3 bytes.Buffer
	_, err := f.store.Download(context.Background(), out.StorageKey, &mp3)
	require.NoError(t, err)
	require.Equal(t, int64(mp3.Len()), out.SizeBytes)
	info, err := mp3info.Read(bytes.NewReader(mp3.Bytes()))
	require.NoError(t, err)
	require.InDelta(t, 12.0, info.Duration.Seconds(), 0.1)
	require.Equal(t, 44100, info.SampleRate)

	row := f.records.files[out.FileID]
	require.Equal(t, source, row.SourceFileID)
	require.Equal(t, "audio/mpeg", row.ContentType)
	require.Len(t, row.SHA256, 32)

	// Again (a retry after a worker died): the same key and row, no second object.
	again := f.transcode(t, flacInput(source, "audio/original.flac"))
	require.Equal(t, out.FileID, again.FileID)
	keys, err := f.store.List(context.Background(), "audio/")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"audio/original.flac", out.StorageKey}, keys)
}

func TestTranscodeToMP3_RefusesDamage(t *testing.T) {
	f := newFixture(t, defaultLimits)
	flac := audiotest.Make(t, "flac", 12)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		// The probe reads the whole length from STREAMINFO; the decode stops at the cut.
		{"cut in half", audiotest.Truncate(flac, 0.5), "the audio is damaged or cut short"},
		{"its head only", flac[:8192], "the audio is damaged or cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source := uuid.New()
			f.stage(t, "audio/"+source.String()+".flac", tt.data)
			out := f.transcode(t, flacInput(source, "audio/"+source.String()+".flac"))
			require.Contains(t, out.Rejected, tt.want)
			require.Equal(t, uuid.Nil, out.FileID)
			_, stored := f.records.files[media.TranscodedFileID(source)]
			require.False(t, stored, "no row for an MP3 of a damaged original")
		})
	}
}

// Sources MP3 cannot hold (96 kHz, six channels) are brought down to what it can.
func TestTranscodeToMP3_BringsDownWhatMP3CannotHold(t *testing.T) {
	f := newFixture(t, defaultLimits)
	hires := audiotest.MakeWith(t, "flac", 3, "-ar", "96000", "-ac", "6", "-c:a", "flac")
	f.stage(t, "audio/hires.flac", hires)
	out := f.transcode(t, flacInput(uuid.New(), "audio/hires.flac"))
	require.Empty(t, out.Rejected)
	var mp3 bytes.Buffer
	_, err := f.store.Download(context.Background(), out.StorageKey, &mp3)
	require.NoError(t, err)
	info, err := mp3info.Read(bytes.NewReader(mp3.Bytes()))
	require.NoError(t, err)
	require.Equal(t, 48000, info.SampleRate)
	require.Equal(t, 2, info.Channels)
	require.InDelta(t, 3.0, info.Duration.Seconds(), 0.1)
}

// The upload compares the MP3's exact length with the original's declared one: a header
// that claims more than the audio holds is refused.
func TestCheckTranscode(t *testing.T) {
	require.Empty(t, media.CheckTranscode(12_000, 12_040))
	require.Empty(t, media.CheckTranscode(12_000, 11_950))
	require.Equal(t, "the audio is damaged or cut short: it plays for 0:12 but its header says 0:20", media.CheckTranscode(20_000, 12_000))
}
