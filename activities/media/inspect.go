package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"go.temporal.io/sdk/activity"

	"github.com/plyrfm/plyr/internal/platform/ffmpeg"
)

// InspectInput names the staged upload to inspect.
type InspectInput struct {
	StagingKey string
	// Filename is the name the file was uploaded with: a lossless original keeps its
	// extension when it is one of its format's (.aif).
	Filename string `json:",omitempty"`
	// AllowLossless: the uploader may upload lossless files (the lossless-uploads flag).
	AllowLossless bool `json:",omitempty"`
}

// Inspection is InspectUpload's verdict. A refused upload has only Rejected set: the
// reason, written for the uploader. Refusing a file is a normal outcome of inspecting it,
// so it is a result, not an error (errors are for failures worth retrying).
type Inspection struct {
	Rejected string

	Format      string
	Codec       string
	ContentType string
	// PlayType is ContentType with the codec, where canPlayType needs it (ALAC).
	PlayType   string `json:",omitempty"`
	Extension  string
	SizeBytes  int64
	DurationMs int32
	SampleRate int32
	Channels   int32
	SHA256     string
	// Lossless: the file is an original to keep and transcode to MP3. Its decode is the
	// transcode's (which stops at damage and checks the length), not the inspection's.
	Lossless bool `json:",omitempty"`
	// Peaks is the waveform of an MP3 (a lossless original's comes with its MP3).
	Peaks []byte `json:",omitempty"`
}

// Steps of InspectUpload, as InspectProgress names them.
const (
	StepDownload = "download"
	StepDecode   = "decode"
)

// InspectProgress is InspectUpload's heartbeat detail: which part it is in and how far.
// The upload workflow's package re-exports it as part of its progress contract.
type InspectProgress struct {
	Step     string // StepDownload or StepDecode
	Fraction float64
}

// probeTimeout bounds ffprobe, which reads headers only.
const probeTimeout = 30 * time.Second

// Causes that stop a decode early.
var (
	errDecodeTooSlow = errors.New("decode allowance used up")
	errProbeRefused  = errors.New("the probe refused the file")
)

// InspectUpload validates a staged upload by its content: size cap, content sniffing,
// ffprobe field checks, and a full decode whose length must match the header's. ffprobe
// and the decode run at the same time (the decode is most of the work, the probe mostly
// process start-up); the decode is stopped if the probe refuses the file, and if it takes
// longer than Limits allow for the length the probe found, which refuses the file too.
// It heartbeats every few seconds, whatever ffmpeg is doing, so a worker that dies is
// noticed by the heartbeat timeout while a slow file is judged by its decode allowance.
func (a *Activities) InspectUpload(ctx context.Context, in InspectInput) (Inspection, error) {
	a.inspecting.Add(1)
	defer a.inspecting.Add(-1)
	report := newProgressReporter(ctx)
	defer report.stop()
	result, err := a.inspect(ctx, in, report)
	var rejection *Rejection
	if errors.As(err, &rejection) {
		activity.GetLogger(ctx).Info("upload refused", "staging_key", in.StagingKey, "reason", rejection.Reason)
		return Inspection{Rejected: rejection.Reason}, nil
	}
	return result, err
}

func (a *Activities) inspect(ctx context.Context, in InspectInput, report *progressReporter) (Inspection, error) {
	info, err := a.Storage.Head(ctx, in.StagingKey)
	if err != nil {
		return Inspection{}, err
	}
	switch {
	case info.Size == 0:
		return Inspection{}, reject("the file is empty")
	case info.Size > a.Limits.MaxBytes:
		return Inspection{}, reject("the file is %d MiB; the limit is %d MiB", info.Size>>20, a.Limits.MaxBytes>>20)
	}

	f, err := createTempFile(a.TempDir)
	if err != nil {
		return Inspection{}, err
	}
	// The file stays open (and locked) until the inspection ends; ffmpeg reads it by path.
	defer f.Close()
	defer os.Remove(f.Name())

	hash := sha256.New()
	counter := &countingWriter{onWrite: func(n int64) { report.set(StepDownload, float64(n)/float64(info.Size)) }}
	size, err := a.Storage.Download(ctx, in.StagingKey, io.MultiWriter(f, hash, counter))
	if err != nil {
		return Inspection{}, err
	}

	mtype, err := mimetype.DetectFile(f.Name())
	if err != nil {
		return Inspection{}, fmt.Errorf("sniff content: %w", err)
	}
	format := formatBySniff(mtype.Is)
	if format == nil {
		return Inspection{}, reject("this is not an audio file plyr accepts (its content is %s); upload %s",
			mtype.String(), acceptedNames)
	}
	if format.Lossless && !in.AllowLossless {
		return Inspection{}, reject("lossless uploads (FLAC, WAV, AIFF, ALAC) are not turned on for your account; upload an MP3")
	}

	result := Inspection{
		Format:      format.Name,
		ContentType: format.ContentType,
		PlayType:    format.PlayType,
		Extension:   format.StoredExtension(in.Filename),
		SizeBytes:   size,
		SHA256:      hex.EncodeToString(hash.Sum(nil)),
		Lossless:    format.Lossless,
	}
	var facts audioFacts
	if format.Lossless {
		if facts, err = a.probe(ctx, f.Name(), *format); err != nil {
			return Inspection{}, err
		}
		result.DurationMs = int32(facts.declared.Milliseconds())
	} else {
		var decoded ffmpeg.Decoded
		if facts, decoded, err = a.probeAndDecode(ctx, f.Name(), *format, report); err != nil {
			return Inspection{}, err
		}
		if rejection := checkDecode(facts.declared, decoded); rejection != nil {
			return Inspection{}, rejection
		}
		result.DurationMs = int32(decoded.Length.Milliseconds())
		if result.Peaks, err = ffmpeg.Peaks(ctx, f.Name(), format.Name, WaveformPeaks); err != nil {
			return Inspection{}, err
		}
	}
	result.Codec, result.SampleRate, result.Channels = facts.codec, int32(facts.sampleRate), int32(facts.channels)
	return result, nil
}

// probe runs ffprobe alone and applies its field checks: a lossless original's decode is
// its transcode's.
func (a *Activities) probe(ctx context.Context, path string, format Format) (audioFacts, error) {
	probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	p, err := ffmpeg.ProbeFile(probeCtx, path, format.Name)
	if errors.Is(err, ffmpeg.ErrUnreadable) {
		return audioFacts{}, reject("the file could not be read as audio; it may be damaged or cut short")
	}
	if err != nil {
		return audioFacts{}, err
	}
	facts, rejection := checkProbe(p, format, a.Limits)
	if rejection != nil {
		return audioFacts{}, rejection
	}
	return facts, nil
}

// probeAndDecode runs ffprobe and the full decode of path side by side. Once the probe
// has found the declared length, the decode of a long file is split over two ffmpeg runs
// (see ffmpeg.DecodeOptions.Length). The decode's allowance depends on that length too,
// so its deadline is set once the probe is done, counted from the decode's start; a
// decode that already finished is held to the same allowance.
func (a *Activities) probeAndDecode(ctx context.Context, path string, format Format, report *progressReporter) (audioFacts, ffmpeg.Decoded, error) {
	decodeCtx, stopDecode := context.WithCancelCause(ctx)
	defer stopDecode(nil)
	type decodeResult struct {
		decoded ffmpeg.Decoded
		err     error
		took    time.Duration
	}
	done := make(chan decodeResult, 1)
	lengths := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		d, err := ffmpeg.Decode(decodeCtx, path, format.Name, ffmpeg.DecodeOptions{OnProgress: report.decodedSoFar, Length: lengths})
		done <- decodeResult{d, err, time.Since(start)}
	}()
	// Every way out waits for the decode, so ffmpeg never outlives the temp file.
	giveUp := func(err error) (audioFacts, ffmpeg.Decoded, error) {
		stopDecode(errProbeRefused)
		<-done
		return audioFacts{}, ffmpeg.Decoded{}, err
	}

	facts, err := a.probe(ctx, path, format)
	if err != nil {
		return giveUp(err)
	}
	report.setDeclared(facts.declared)
	if a.spareCores() {
		lengths <- facts.declared // a long file's decode takes a second core from here
	}

	allowance := a.Limits.decodeAllowance(facts.declared)
	timer := time.AfterFunc(allowance-time.Since(start), func() { stopDecode(errDecodeTooSlow) })
	defer timer.Stop()
	res := <-done
	if errors.Is(res.err, errDecodeTooSlow) || (res.err == nil && res.took > allowance) {
		return audioFacts{}, ffmpeg.Decoded{}, reject(
			"the audio took too long to decode (more than %s for %s of audio; it had reached %s); it may be damaged or made to be slow",
			allowance.Round(time.Second), clock(facts.declared), clock(res.decoded.Length))
	}
	if res.err != nil {
		return audioFacts{}, ffmpeg.Decoded{}, res.err
	}
	return facts, res.decoded, nil
}

// spareCores reports whether this process's inspections leave at least half the cores
// idle, so a second ffmpeg per decode shortens it rather than slowing the others down.
func (a *Activities) spareCores() bool {
	return int(a.inspecting.Load())*2 <= runtime.NumCPU()
}

// heartbeatEvery is how often a running step heartbeats even when its progress stands
// still; it must stay well under the steps' heartbeat timeout (see workflows/upload).
const heartbeatEvery = 2 * time.Second

// progressReporter heartbeats InspectProgress: at once when a step begins or ends, at
// most twice a second while it moves, and every heartbeatEvery regardless. The SDK
// batches heartbeats further before they reach the server.
type progressReporter struct {
	ctx  context.Context
	quit chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	current  InspectProgress
	declared time.Duration // the decode's total, once the probe found it
	decoded  time.Duration
	lastSent time.Time
}

func newProgressReporter(ctx context.Context) *progressReporter {
	r := &progressReporter{ctx: ctx, quit: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-r.quit:
				return
			case <-t.C:
				r.mu.Lock()
				r.sendLocked()
				r.mu.Unlock()
			}
		}
	}()
	return r
}

// set records the current step's progress.
func (r *progressReporter) set(step string, fraction float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fraction = min(max(fraction, 0), 1)
	changedStep := step != r.current.Step
	r.current = InspectProgress{Step: step, Fraction: fraction}
	if changedStep || fraction == 1 || time.Since(r.lastSent) >= 500*time.Millisecond {
		r.sendLocked()
	}
}

// decodedSoFar receives the decode's progress, which becomes a fraction once the probe
// has found the declared length.
func (r *progressReporter) decodedSoFar(d time.Duration) {
	r.mu.Lock()
	r.decoded = d
	declared := r.declared
	r.mu.Unlock()
	r.set(StepDecode, fraction(d, declared))
}

func (r *progressReporter) setDeclared(d time.Duration) {
	r.mu.Lock()
	r.declared = d
	decoded := r.decoded
	r.mu.Unlock()
	r.set(StepDecode, fraction(decoded, d))
}

func (r *progressReporter) sendLocked() {
	r.lastSent = time.Now()
	activity.RecordHeartbeat(r.ctx, r.current)
}

func (r *progressReporter) stop() {
	close(r.quit)
	r.wg.Wait()
}

func fraction(done, total time.Duration) float64 {
	if total <= 0 {
		return 0
	}
	return float64(done) / float64(total)
}

// keepAlive heartbeats every heartbeatEvery until the returned function is called, for
// steps whose single call (a storage copy) may outlast the heartbeat timeout.
func keepAlive(ctx context.Context) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

type countingWriter struct {
	n       int64
	onWrite func(total int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.onWrite(c.n)
	return len(p), nil
}
