package ffmpeg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Decoded is how a full decode went.
type Decoded struct {
	// Length is the audio decoded, up to the end of the last whole frame: the full length
	// of a clean file, or where decoding stopped.
	Length time.Duration
	// Failure is ffmpeg's first complaint (without its "[codec @ 0x…]" prefix) when it
	// found damage and stopped; empty for a clean decode.
	Failure string
}

// DecodeOptions tune Decode.
type DecodeOptions struct {
	// OnProgress, when set, receives the length decoded so far as it grows.
	OnProgress func(time.Duration)
	// Length, when set, may deliver the file's declared length once it is known (from a
	// probe running alongside). For long enough audio Decode then starts a second ffmpeg
	// on the second half of what is left, and stops the first once it has decoded a
	// second past where the second began: every frame is still decoded, on two cores.
	Length <-chan time.Duration
}

// Tuning of the two-part decode.
const (
	// minHelpedLength is the shortest remaining audio worth a second ffmpeg (whose
	// start-up costs a few tens of milliseconds).
	minHelpedLength = 60 * time.Second
	// overlap is how far the first part decodes past where the second began: the second
	// part's decoder starts cold after its seek, so the first one checks that stretch.
	overlap = time.Second
)

// Causes that stop a part early.
var (
	errCovered   = errors.New("the other part decoded the rest")
	errRedundant = errors.New("the first part finished on its own")
)

// Decode decodes the first audio stream of the file at path, read as format, in full, and
// stops at the first damaged frame (-xerror). A damaged file is a Decoded with Failure
// set, not an error; the error is for a run that could not finish: ffmpeg missing, or
// ctx ended (the error then wraps context.Cause(ctx), and Decoded still says how far
// decoding got).
func Decode(ctx context.Context, path, format string, opts DecodeOptions) (Decoded, error) {
	d := &decode{onProgress: opts.OnProgress}
	firstCtx, stopFirst := context.WithCancelCause(ctx)
	defer stopFirst(nil)
	d.stopFirst = stopFirst
	firstDone := make(chan partResult, 1)
	go func() { firstDone <- d.run(firstCtx, path, format, 0, d.firstFrame) }()

	var second chan partResult
	var stopSecond context.CancelCauseFunc = func(error) {}
	defer func() { stopSecond(nil) }()
	lengths := opts.Length
	var first partResult
wait:
	for {
		select {
		case declared, ok := <-lengths:
			lengths = nil
			if ok {
				second, stopSecond = d.startSecond(ctx, path, format, declared)
			}
		case first = <-firstDone:
			break wait
		}
	}

	covered := errors.Is(context.Cause(firstCtx), errCovered) && !exited(first.err)
	switch {
	case ctx.Err() != nil:
		if second != nil {
			<-second
		}
		return Decoded{Length: d.length()}, fmt.Errorf("ffmpeg decode: %w", context.Cause(ctx))
	case !covered:
		// The first part decoded the whole file (or stopped at damage): it alone counts.
		if second != nil {
			stopSecond(errRedundant)
			<-second
		}
		return first.result(d.firstLength())
	}
	res := <-second
	if ctx.Err() != nil {
		return Decoded{Length: d.length()}, fmt.Errorf("ffmpeg decode: %w", context.Cause(ctx))
	}
	return res.result(d.length())
}

// decode coordinates the parts of one Decode. Timestamps are the stream's own (-copyts),
// so both parts share one timeline; lengths are measured from the first frame.
type decode struct {
	onProgress func(time.Duration)
	stopFirst  context.CancelCauseFunc

	mu                      sync.Mutex
	started                 bool
	origin                  time.Duration // start of the first part's first frame
	firstEnd                time.Duration
	secondBegun             bool
	secondStart, secondEnd  time.Duration
	secondTrusted, reported bool
	lastReport              time.Duration
}

// startSecond starts the second part on the second half of what the first has left, when
// that is long enough to be worth it.
func (d *decode) startSecond(ctx context.Context, path, format string, declared time.Duration) (chan partResult, context.CancelCauseFunc) {
	d.mu.Lock()
	done := d.firstEnd - d.origin
	d.mu.Unlock()
	left := declared - done
	if left < minHelpedLength {
		return nil, func(error) {}
	}
	seek := done + left/2
	secondCtx, stop := context.WithCancelCause(ctx)
	ch := make(chan partResult, 1)
	go func() { ch <- d.run(secondCtx, path, format, seek, d.secondFrame) }()
	return ch, stop
}

func (d *decode) firstFrame(start, end time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		d.started, d.origin = true, start
	}
	d.firstEnd = max(d.firstEnd, end)
	d.checkCoveredLocked()
	d.reportLocked()
}

func (d *decode) secondFrame(start, end time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.secondBegun {
		d.secondBegun, d.secondStart = true, start
	}
	d.secondEnd = max(d.secondEnd, end)
	// Past its first second the second part's decoder is warm: what it finds from here on
	// is the file's, not its seek's.
	if d.secondEnd >= d.secondStart+overlap {
		d.secondTrusted = true
	}
	d.checkCoveredLocked()
	d.reportLocked()
}

// checkCoveredLocked stops the first part once it has decoded past the stretch where the
// second part began.
func (d *decode) checkCoveredLocked() {
	if d.secondTrusted && d.started && d.firstEnd >= d.secondStart+overlap {
		d.stopFirst(errCovered)
	}
}

func (d *decode) reportLocked() {
	if d.onProgress == nil {
		return
	}
	done := d.firstEnd - d.origin
	if d.secondBegun {
		done += d.secondEnd - d.secondStart
	}
	if done > d.lastReport {
		d.lastReport = done
		d.onProgress(done)
	}
}

// firstLength is how far the first part decoded.
func (d *decode) firstLength() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.firstEnd - d.origin
}

// length is how far decoding got once the second part took over: its end, or the first
// part's when the second never began.
func (d *decode) length() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.secondBegun && d.firstEnd >= d.secondStart {
		return d.secondEnd - d.origin
	}
	return d.firstEnd - d.origin
}

// partResult is how one ffmpeg run ended.
type partResult struct {
	err    error
	stderr string
}

// result turns the run's ending into Decoded, given how far it got.
func (p partResult) result(length time.Duration) (Decoded, error) {
	out := Decoded{Length: length}
	switch {
	case p.err != nil && !exited(p.err):
		return out, fmt.Errorf("ffmpeg decode: %w", p.err)
	case p.err != nil:
		out.Failure = decoderMessage(p.stderr)
		if out.Failure == "" {
			out.Failure = "ffmpeg " + p.err.Error()
		}
	case strings.TrimSpace(p.stderr) != "":
		// -v error output without a failed exit is still damage ffmpeg worked around.
		out.Failure = decoderMessage(p.stderr)
	}
	return out, nil
}

// run decodes from seek (from the start when zero) to the end, passing each decoded
// frame's start and end to onFrame.
func (d *decode) run(ctx context.Context, path, format string, seek time.Duration, onFrame func(start, end time.Duration)) partResult {
	args := []string{"-nostdin", "-hide_banner", "-v", "error", "-xerror", "-copyts"}
	if seek > 0 {
		args = append(args, "-ss", strconv.FormatFloat(seek.Seconds(), 'f', 6, 64))
	}
	args = append(args, input(path, format)...)
	// framecrc writes one line per decoded frame, with its timestamp and duration; the
	// checksum is adler32, cheap next to decoding. -flush_packets 0 writes the lines in
	// 32 KiB blocks rather than one write per frame (8,000 wake-ups of this process for a
	// 5 MB MP3, which cost more than the decode's last third); the block still in the
	// buffer when ffmpeg stops at damage is written as it exits.
	args = append(args, "-map", "0:a:0", "-flush_packets", "0", "-f", "framecrc", "-")
	cmd := command(ctx, "ffmpeg", args...)
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	var frames frameReader
	err := run(cmd, func(r io.Reader) { frames.read(r, onFrame) })
	return partResult{err: err, stderr: stderr.String()}
}

// frameReader follows framecrc output: "#tb 0: 1/44100" gives the time base, then each
// frame is "stream, dts, pts, duration, size, checksum".
type frameReader struct {
	num, den int64 // time base
}

func (f *frameReader) read(r io.Reader, onFrame func(start, end time.Duration)) {
	f.num, f.den = 1, 1
	s := bufio.NewScanner(r)
	for s.Scan() {
		line := s.Text()
		if tb, ok := strings.CutPrefix(line, "#tb 0: "); ok {
			f.timeBase(tb)
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) < 4 {
			continue
		}
		pts, err1 := strconv.ParseInt(strings.TrimSpace(fields[2]), 10, 64)
		dur, err2 := strconv.ParseInt(strings.TrimSpace(fields[3]), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		onFrame(f.duration(pts), f.duration(pts+dur))
	}
}

func (f *frameReader) timeBase(tb string) {
	n, d, ok := strings.Cut(strings.TrimSpace(tb), "/")
	num, err1 := strconv.ParseInt(n, 10, 64)
	den, err2 := strconv.ParseInt(d, 10, 64)
	if ok && err1 == nil && err2 == nil && num > 0 && den > 0 {
		f.num, f.den = num, den
	}
}

// duration converts ticks of the time base to a duration, whole seconds first so that
// hours at 384 kHz do not overflow.
func (f *frameReader) duration(ticks int64) time.Duration {
	whole, rest := ticks/f.den, ticks%f.den
	return time.Duration(whole*f.num)*time.Second + time.Duration(rest*f.num*int64(time.Second)/f.den)
}

// decoderMessage is the first line of ffmpeg's complaint without its "[codec @ 0x…] "
// prefix, which means nothing to an uploader.
func decoderMessage(stderr string) string {
	line := firstLine(strings.TrimSpace(stderr))
	if strings.HasPrefix(line, "[") {
		if _, rest, ok := strings.Cut(line, "] "); ok {
			line = rest
		}
	}
	return line
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 200 {
		line = line[:200]
	}
	return line
}
