package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/ffmpeg"
	"github.com/plyrfm/plyr/internal/platform/mp3info"
)

// TranscodeName is the registered name of TranscodeToMP3.
const TranscodeName = "TranscodeToMP3"

// StepTranscode is the part of TranscodeToMP3 after its download, as InspectProgress
// names it.
const StepTranscode = "transcode"

// WaveformPeaks is how many peaks a track's waveform has.
const WaveformPeaks = 1000

// maxDurationDrift is how far the MP3's exact length may be from the original's declared
// one: MP3 frames and resampling move the end by a few milliseconds, a cut-short source
// by seconds.
const maxDurationDrift = 100 * time.Millisecond

// TranscodeInput names a stored lossless original to make an MP3 of.
type TranscodeInput struct {
	SourceFileID uuid.UUID
	SourceKey    string
	OwnerDID     string
	// Format is the original's ffprobe format name; SampleRate and Channels its probe's.
	Format     string
	SampleRate int32
	Channels   int32
	// DeclaredMs is the original's length, from its header.
	DeclaredMs int32
}

// Transcoded is TranscodeToMP3's result. A source that turned out damaged has only
// Rejected set, as an Inspection does.
type Transcoded struct {
	Rejected string

	FileID     uuid.UUID
	StorageKey string
	SizeBytes  int64
	DurationMs int32
	Peaks      []byte
}

// TranscodedFileID is the id of the MP3 made from source: derived, not drawn, so that a
// retried or replayed transcode writes the same object and row.
func TranscodedFileID(source uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(source, []byte("mp3"))
}

// TranscodeToMP3 makes the MP3 of a lossless original: it downloads the original, encodes
// it with ffmpeg (which decodes every frame and stops at damage), checks the MP3's exact
// length (from its LAME header) against the original's, stores the MP3 at
// AudioKey(TranscodedFileID(source), "mp3") and records its row. The waveform comes from
// the same decode. A retry redoes the whole of it and writes the same key and row, so a
// worker killed midway leaves nothing behind but its temp files, which are swept.
func (a *Activities) TranscodeToMP3(ctx context.Context, in TranscodeInput) (Transcoded, error) {
	report := newProgressReporter(ctx)
	defer report.stop()

	src, err := createTempFile(a.TempDir)
	if err != nil {
		return Transcoded{}, err
	}
	defer os.Remove(src.Name())
	defer src.Close()
	info, err := a.Storage.Head(ctx, in.SourceKey)
	if err != nil {
		return Transcoded{}, err
	}
	counter := &countingWriter{onWrite: func(n int64) { report.set(StepDownload, float64(n)/float64(max(info.Size, 1))) }}
	if _, err := a.Storage.Download(ctx, in.SourceKey, io.MultiWriter(src, counter)); err != nil {
		return Transcoded{}, err
	}

	dst, err := createTempFile(a.TempDir)
	if err != nil {
		return Transcoded{}, err
	}
	defer os.Remove(dst.Name())
	defer dst.Close()
	declared := time.Duration(in.DeclaredMs) * time.Millisecond
	report.set(StepTranscode, 0)
	// The transcode is the original's decode, held to the same allowance as an MP3's in
	// its inspection: a file made to crawl is refused, not retried.
	allowance := a.Limits.decodeAllowance(declared)
	encodeCtx, cancel := context.WithTimeoutCause(ctx, allowance, errDecodeTooSlow)
	defer cancel()
	out, err := ffmpeg.Transcode(encodeCtx, src.Name(), in.Format, dst.Name(), ffmpeg.TranscodeOptions{
		SampleRate: int(in.SampleRate), Channels: int(in.Channels), Peaks: WaveformPeaks,
		OnProgress: func(d time.Duration) { report.set(StepTranscode, fraction(d, declared)) },
	})
	if errors.Is(err, errDecodeTooSlow) && ctx.Err() == nil {
		return Transcoded{Rejected: fmt.Sprintf("the audio took too long to decode (more than %s for %s of audio); it may be damaged or made to be slow",
			allowance.Round(time.Second), clock(declared))}, nil
	}
	if err != nil {
		return Transcoded{}, err
	}
	if out.Failure != "" {
		return Transcoded{Rejected: fmt.Sprintf("the audio is damaged or cut short (%s)", out.Failure)}, nil
	}
	mp3, err := mp3info.ReadFile(dst.Name())
	if err != nil {
		return Transcoded{}, fmt.Errorf("read the MP3's header: %w", err)
	}
	if drift := mp3.Duration - declared; drift > maxDurationDrift || -drift > maxDurationDrift {
		return Transcoded{Rejected: fmt.Sprintf("the audio is damaged or cut short: it plays for %s but its header says %s",
			clock(mp3.Duration), clock(declared))}, nil
	}
	report.set(StepTranscode, 1)

	id := TranscodedFileID(in.SourceFileID)
	key := AudioKey(id, "mp3")
	if _, err := dst.Seek(0, io.SeekStart); err != nil {
		return Transcoded{}, fmt.Errorf("rewind the MP3: %w", err)
	}
	hash := sha256.New()
	size, err := a.Storage.Upload(ctx, key, io.TeeReader(dst, hash), a.Limits.MaxBytes)
	if err != nil {
		return Transcoded{}, fmt.Errorf("store the MP3: %w", err)
	}
	err = a.Records.RecordFile(ctx, File{
		ID: id, OwnerDID: in.OwnerDID, StorageKey: key, ContentType: "audio/mpeg", Format: "mp3", Codec: "mp3",
		SizeBytes: size, DurationMs: int32(mp3.Duration.Milliseconds()), SampleRate: int32(mp3.SampleRate),
		Channels: int32(mp3.Channels), SHA256: hash.Sum(nil), SourceFileID: in.SourceFileID,
	})
	if err != nil {
		return Transcoded{}, err
	}
	return Transcoded{
		FileID: id, StorageKey: key, SizeBytes: size, DurationMs: int32(mp3.Duration.Milliseconds()), Peaks: out.Peaks,
	}, nil
}
