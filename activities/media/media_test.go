package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// memRecords keeps the media module's rows in memory: these tests are about the steps.
type memRecords struct {
	mu      sync.Mutex
	files   map[uuid.UUID]media.File
	endings map[uuid.UUID][2]string
	gated   []uuid.UUID
}

func newMemRecords() *memRecords {
	return &memRecords{files: map[uuid.UUID]media.File{}, endings: map[uuid.UUID][2]string{}}
}

func (m *memRecords) RecordFile(_ context.Context, f media.File) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[f.ID]; !ok {
		m.files[f.ID] = f
	}
	return nil
}

func (m *memRecords) DeleteFile(_ context.Context, id uuid.UUID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, id)
	return nil
}

func (m *memRecords) File(_ context.Context, id uuid.UUID) (media.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[id]
	if !ok {
		return media.File{}, errors.New("no such file")
	}
	return f, nil
}

func (m *memRecords) SetFilesTakenDown(context.Context, []uuid.UUID, bool) error { return nil }

func (m *memRecords) ApplyGate(_ context.Context, id uuid.UUID, gated bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gated = append(m.gated, id)
	return nil
}

func (m *memRecords) FinishUpload(_ context.Context, id uuid.UUID, status, message string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.endings[id]; !ok {
		m.endings[id] = [2]string{status, message}
	}
	return nil
}

type fixture struct {
	store   *storage.Client
	records *memRecords
	acts    *media.Activities
	env     *testsuite.TestActivityEnvironment
}

func newFixture(t *testing.T, limits media.Limits) *fixture {
	t.Helper()
	f := &fixture{store: testenv.NewStorage(t), records: newMemRecords()}
	f.acts = &media.Activities{Storage: f.store, Records: f.records, Limits: limits, TempDir: t.TempDir()}
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.acts.Register(map[string]worker.ActivityRegistry{media.TaskQueue: f.env, media.InspectTaskQueue: f.env})
	return f
}

func (f *fixture) stage(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := f.store.Upload(context.Background(), key, bytes.NewReader(data), int64(len(data))+1)
	require.NoError(t, err)
}

func (f *fixture) inspect(t *testing.T, key string) media.Inspection {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.InspectUpload, media.InspectInput{StagingKey: key, AllowLossless: true})
	require.NoError(t, err)
	var out media.Inspection
	require.NoError(t, v.Get(&out))
	return out
}

var defaultLimits = media.Limits{MaxBytes: 50 << 20, MaxDuration: time.Hour}

func TestInspectUpload_AcceptsAudio(t *testing.T) {
	f := newFixture(t, defaultLimits)
	tests := []struct {
		format, name, contentType, playType, codec string
		lossless                                   bool
	}{
		{"mp3", "mp3", "audio/mpeg", "", "mp3", false},
		{"flac", "flac", "audio/flac", "", "flac", true},
		{"wav", "wav", "audio/wav", "", "pcm_s16le", true},
		{"aiff", "aiff", "audio/aiff", "", "pcm_s16be", true},
		{"m4a", "mov,mp4,m4a,3gp,3g2,mj2", "audio/mp4", `audio/mp4; codecs="alac"`, "alac", true},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			data := audiotest.Make(t, tt.format, 3)
			f.stage(t, "staging/"+tt.format, data)
			got := f.inspect(t, "staging/"+tt.format)
			require.Empty(t, got.Rejected)
			// An MP3's waveform comes from its inspection (a peak per 10 ms of 3 s); a
			// lossless original's from its transcode.
			if tt.lossless {
				require.Empty(t, got.Peaks)
			} else {
				require.Len(t, got.Peaks, 300)
				got.Peaks = nil
			}
			sum := sha256.Sum256(data)
			require.Equal(t, media.Inspection{
				Format: tt.name, Codec: tt.codec, ContentType: tt.contentType, PlayType: tt.playType, Extension: tt.format,
				SizeBytes: int64(len(data)), DurationMs: 3000, SampleRate: 44100, Channels: 2,
				SHA256: hex.EncodeToString(sum[:]), Lossless: tt.lossless,
			}, got)
		})
	}
}

// A lossless file from an account without the flag is refused by the inspection too,
// whatever the upload form let through.
func TestInspectUpload_RefusesLosslessWithoutTheFlag(t *testing.T) {
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/flac", audiotest.Make(t, "flac", 1))
	v, err := f.env.ExecuteActivity(f.acts.InspectUpload, media.InspectInput{StagingKey: "staging/flac"})
	require.NoError(t, err)
	var out media.Inspection
	require.NoError(t, v.Get(&out))
	require.Contains(t, out.Rejected, "lossless uploads (FLAC, WAV, AIFF, ALAC) are not turned on")
}

// An .aif keeps its extension; a name that says nothing of the format gets the format's.
func TestInspectUpload_KeepsTheOriginalsExtension(t *testing.T) {
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/aif", audiotest.Make(t, "aiff", 1))
	for name, want := range map[string]string{"take.aif": "aif", "TAKE.AIF": "aif", "take.aiff": "aiff", "take.wav": "aiff", "": "aiff"} {
		v, err := f.env.ExecuteActivity(f.acts.InspectUpload, media.InspectInput{StagingKey: "staging/aif", Filename: name, AllowLossless: true})
		require.NoError(t, err)
		var out media.Inspection
		require.NoError(t, v.Get(&out))
		require.Equal(t, want, out.Extension, name)
	}
}

func TestInspectUpload_RefusesWhatIsNotGoodAudio(t *testing.T) {
	flac := audiotest.Make(t, "flac", 20)
	mp3 := audiotest.Make(t, "mp3", 20)
	tests := []struct {
		name       string
		data       []byte
		wantReason string
	}{
		{"zero bytes", nil, "the file is empty"},
		{"text named .mp3", []byte("these are the lyrics, not the song\n"), "not an audio file plyr accepts (its content is text/plain"},
		{"random bytes", audiotest.Random(200_000), "not an audio file plyr accepts (its content is application/octet-stream"},
		{"random bytes behind an ID3 tag", audiotest.RandomAfterID3(200_000), "not an audio file plyr accepts"},
		{"a picture", audiotest.JPEG(t), "its content is image/jpeg"},
		{"truncated MP3", audiotest.Truncate(mp3, 0.4), "the audio is damaged or cut short"},
		{"FLAC header only", flac[:8192], "could not be read as audio; it may be damaged or cut short"},
		{"over the size cap", audiotest.Random(2 << 20), "the file is 2 MiB; the limit is 1 MiB"},
	}
	f := newFixture(t, media.Limits{MaxBytes: 1 << 20, MaxDuration: time.Hour})
	big := newFixture(t, defaultLimits)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := big
			if tt.name == "over the size cap" {
				fx = f
			}
			fx.stage(t, "staging/x", tt.data)
			got := fx.inspect(t, "staging/x")
			require.Contains(t, got.Rejected, tt.wantReason)
			require.Zero(t, got.DurationMs)
		})
	}
}

// Long files are decoded in two parts once the probe has found their length; the verdict
// and the length are a single decode's.
func TestInspectUpload_AcceptsLongAudio(t *testing.T) {
	f := newFixture(t, defaultLimits)
	for _, format := range []string{"mp3", "wav"} {
		t.Run(format, func(t *testing.T) {
			f.stage(t, "staging/long-"+format, audiotest.Make(t, format, 150))
			got := f.inspect(t, "staging/long-"+format)
			require.Empty(t, got.Rejected)
			require.Equal(t, int32(150_000), got.DurationMs)
		})
	}
	t.Run("mp3 cut short", func(t *testing.T) {
		f.stage(t, "staging/long-cut", audiotest.Truncate(audiotest.Make(t, "mp3", 150), 0.9))
		require.Contains(t, f.inspect(t, "staging/long-cut").Rejected, "the audio is damaged or cut short")
	})
}

// A truncated file's rejection says where decoding stopped (about halfway), not 0:00.
func TestInspectUpload_SaysWhereDecodingFailed(t *testing.T) {
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/cut", audiotest.Truncate(audiotest.Make(t, "mp3", 20), 0.5))
	require.Regexp(t, `^the audio is damaged or cut short: (decoding failed at|it plays for) 0:(0[5-9]|1[01]) `,
		f.inspect(t, "staging/cut").Rejected)
}

// A decode that outlasts its allowance is a verdict on the file (rejected, not retried).
func TestInspectUpload_RefusesADecodeThatTakesTooLong(t *testing.T) {
	f := newFixture(t, media.Limits{MaxBytes: 50 << 20, MaxDuration: time.Hour, MinDecodeSpeed: 1e9, DecodeGrace: time.Nanosecond})
	f.stage(t, "staging/slow", audiotest.Make(t, "mp3", 3))
	got := f.inspect(t, "staging/slow")
	require.Contains(t, got.Rejected, "the audio took too long to decode")
	require.Zero(t, got.DurationMs)
}

// Inspections leave no temp file behind, accepted or refused.
func TestInspectUpload_RemovesItsTempFile(t *testing.T) {
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/ok", audiotest.Make(t, "mp3", 1))
	f.stage(t, "staging/bad", audiotest.Random(10_000))
	require.Empty(t, f.inspect(t, "staging/ok").Rejected)
	require.NotEmpty(t, f.inspect(t, "staging/bad").Rejected)
	left, err := os.ReadDir(f.acts.TempDir)
	require.NoError(t, err)
	require.Empty(t, left)
}

// stalledStorage holds every download until released, so that nothing but the step's own
// keep-alive can make it heartbeat.
type stalledStorage struct {
	*storage.Client
	release chan struct{}
}

func (s stalledStorage) Download(ctx context.Context, key string, w io.Writer) (int64, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(30 * time.Second):
		return 0, errors.New("no heartbeat came while the download was held")
	}
	return s.Client.Download(ctx, key, w)
}

// InspectUpload heartbeats while it runs even when its work makes no visible progress,
// so the heartbeat timeout (which notices a dead worker within seconds) never fires on a
// live one.
func TestInspectUpload_HeartbeatsWhileItWorks(t *testing.T) {
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/hb", audiotest.Make(t, "mp3", 2))
	stalled := stalledStorage{Client: f.store, release: make(chan struct{})}
	f.acts.Storage = stalled
	var mu sync.Mutex
	var beats []media.InspectProgress
	f.env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var p media.InspectProgress
		_ = details.Get(&p)
		mu.Lock()
		defer mu.Unlock()
		if len(beats) == 0 {
			close(stalled.release) // the first beat came while the download was held
		}
		beats = append(beats, p)
	})
	got := f.inspect(t, "staging/hb")
	require.Empty(t, got.Rejected)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, beats)
	require.Equal(t, media.InspectProgress{}, beats[0], "the first beat is the keep-alive, before any step began")
}

func TestInspectUpload_RefusesAudioOverTheDurationLimit(t *testing.T) {
	f := newFixture(t, media.Limits{MaxBytes: 50 << 20, MaxDuration: 2 * time.Second})
	f.stage(t, "staging/long", audiotest.Make(t, "flac", 3))
	require.Equal(t, "the audio is 0:03 long; the limit is 0:02", f.inspect(t, "staging/long").Rejected)
}

func TestStoreFile_IsIdempotent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, defaultLimits)
	data := audiotest.Make(t, "mp3", 2)
	f.stage(t, "staging/u1", data)
	insp := f.inspect(t, "staging/u1")
	f1 := uuid.New()
	in := media.StoreInput{StagingKey: "staging/u1", FileID: f1, OwnerDID: "did:plc:alice", Inspection: insp}

	for attempt := range 2 { // the second run is a retry after the staged copy is gone
		v, err := f.env.ExecuteActivity(f.acts.StoreFile, in)
		require.NoError(t, err, "attempt %d", attempt+1)
		var key string
		require.NoError(t, v.Get(&key))
		require.Equal(t, "audio/"+f1.String()+".mp3", key)
	}
	var got bytes.Buffer
	_, err := f.store.Download(ctx, "audio/"+f1.String()+".mp3", &got)
	require.NoError(t, err)
	require.Equal(t, data, got.Bytes())
	_, err = f.store.Head(ctx, "staging/u1")
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.Equal(t, "audio/mpeg", f.records.files[f1].ContentType)
	require.Equal(t, int32(2000), f.records.files[f1].DurationMs)
}

func TestDiscardUpload_RemovesEverythingAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, defaultLimits)
	f.stage(t, "staging/u2", []byte("staged"))
	f2 := uuid.New()
	f.stage(t, media.AudioKey(f2, "mp3"), []byte("stored"))
	require.NoError(t, f.records.RecordFile(ctx, media.File{ID: f2}))

	in := media.DiscardInput{StagingKey: "staging/u2", FileID: f2, StoredKey: media.AudioKey(f2, "mp3")}
	for range 2 {
		_, err := f.env.ExecuteActivity(f.acts.DiscardUpload, in)
		require.NoError(t, err)
	}
	keys, err := f.store.List(ctx, "")
	require.NoError(t, err)
	require.Empty(t, keys)
	require.Empty(t, f.records.files)
}

// BenchmarkInspectUpload measures InspectUpload on a 5 MB MP3 (3:38 at 192 kb/s), the
// part of upload-to-playable that ffmpeg dominates.
func BenchmarkInspectUpload(b *testing.B) {
	store := testenv.NewStorage(b)
	acts := &media.Activities{Storage: store, Records: newMemRecords(), Limits: defaultLimits, TempDir: b.TempDir()}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	acts.Register(map[string]worker.ActivityRegistry{media.TaskQueue: env, media.InspectTaskQueue: env})
	mp3 := audiotest.Make(b, "mp3", 218.5)
	_, err := store.Upload(context.Background(), "staging/bench", bytes.NewReader(mp3), int64(len(mp3))+1)
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		v, err := env.ExecuteActivity(acts.InspectUpload, media.InspectInput{StagingKey: "staging/bench"})
		require.NoError(b, err)
		var out media.Inspection
		require.NoError(b, v.Get(&out))
		require.Empty(b, out.Rejected)
	}
}
