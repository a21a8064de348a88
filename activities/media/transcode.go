package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

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

// TranscodeInput names a lossless original to make an MP3 of.
type TranscodeInput struct {
	SourceFileID uuid.UUID
	// SourceKey is where the original's bytes are: the staged upload, which the upload
	// inspects and stores while this transcode runs.
	SourceKey string
	OwnerDID  string
	// Format is the original's format (ffprobe's name), as its first bytes sniffed.
	Format string
}

// Transcoded is TranscodeToMP3's result. A source that turned out damaged has only
// Rejected set, as an Inspection does.
type Transcoded struct {
	Rejected string

	FileID     uuid.UUID
	StorageKey string
	SizeBytes  int64
	// DurationMs is the MP3's exact length (from its LAME tag), which the upload checks
	// against the original's.
	DurationMs int32
	Peaks      []byte
}

// TranscodedFileID is the id of the MP3 made from source: derived, not drawn, so that a
// retried or replayed transcode writes the same object and row.
func TranscodedFileID(source uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(source, []byte("mp3"))
}

// TranscodeToMP3 makes the MP3 of a lossless original: it downloads the original and
// encodes it with ffmpeg (which decodes every frame and stops at damage), stores the MP3 at
// AudioKey(TranscodedFileID(source), "mp3") and records its row. Beside the encode, on the
// other core, a probe finds the original's length (for progress and the decode allowance)
// and a second decode draws the waveform: the encode, single-threaded, sets the pace. A
// retry redoes the whole of it and writes the same key and row, so a worker killed midway
// leaves nothing behind but its temp files, which are swept.
func (a *Activities) TranscodeToMP3(ctx context.Context, in TranscodeInput) (Transcoded, error) {
	report := newProgressReporter(ctx)
	defer report.stop()
	format, ok := formatByName(in.Format)
	if !ok {
		return Transcoded{}, temporal.NewNonRetryableApplicationError("no such format: "+in.Format, "bad_input", nil)
	}

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

	encodeCtx, stopEncode := context.WithCancelCause(ctx)
	defer stopEncode(nil)
	start := time.Now()
	var declared atomic.Int64 // the original's length, once the probe has found it
	side, sideCtx := errgroup.WithContext(ctx)
	var peaks []byte
	side.Go(func() error {
		var err error
		peaks, err = ffmpeg.Peaks(sideCtx, src.Name(), format.Name, WaveformPeaks)
		return err
	})
	side.Go(func() error {
		// A probe that fails is the inspection's to report; the encode goes on.
		facts, err := a.probe(sideCtx, src.Name(), format)
		if err != nil {
			return nil
		}
		declared.Store(int64(facts.declared))
		allowance := a.Limits.decodeAllowance(facts.declared)
		timer := time.AfterFunc(allowance-time.Since(start), func() { stopEncode(errDecodeTooSlow) })
		context.AfterFunc(encodeCtx, func() { timer.Stop() })
		return nil
	})
	report.set(StepTranscode, 0)
	out, err := ffmpeg.Transcode(encodeCtx, src.Name(), format.Name, dst.Name(), ffmpeg.TranscodeOptions{
		OnProgress: func(d time.Duration) { report.set(StepTranscode, fraction(d, time.Duration(declared.Load()))) },
	})
	sideErr := side.Wait()
	if errors.Is(err, errDecodeTooSlow) && ctx.Err() == nil {
		return Transcoded{Rejected: fmt.Sprintf("the audio took too long to decode (more than %s for %s of audio); it may be damaged or made to be slow",
			a.Limits.decodeAllowance(time.Duration(declared.Load())).Round(time.Second), clock(time.Duration(declared.Load())))}, nil
	}
	if err != nil {
		return Transcoded{}, err
	}
	if out.Failure != "" {
		return Transcoded{Rejected: fmt.Sprintf("the audio is damaged or cut short (%s)", out.Failure)}, nil
	}
	if sideErr != nil {
		return Transcoded{}, sideErr
	}
	mp3, err := mp3info.ReadFile(dst.Name())
	if err != nil {
		return Transcoded{}, fmt.Errorf("read the MP3's header: %w", err)
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
		FileID: id, StorageKey: key, SizeBytes: size, DurationMs: int32(mp3.Duration.Milliseconds()), Peaks: peaks,
	}, nil
}

// CheckTranscode compares the MP3's exact length with the original's declared one: MP3
// frames move the end by a few milliseconds, a cut-short source (a WAV whose header claims
// more than it holds) by seconds. It returns the reason to refuse the upload, or "".
func CheckTranscode(declaredMs, mp3Ms int32) string {
	declared, got := time.Duration(declaredMs)*time.Millisecond, time.Duration(mp3Ms)*time.Millisecond
	if drift := got - declared; drift > maxDurationDrift || -drift > maxDurationDrift {
		return fmt.Sprintf("the audio is damaged or cut short: it plays for %s but its header says %s", clock(got), clock(declared))
	}
	return ""
}
