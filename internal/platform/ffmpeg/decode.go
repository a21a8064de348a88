package ffmpeg

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// Decode decodes the first audio stream of the file at path, read as format, in full, and
// stops at the first damaged frame (-xerror). onProgress, when set, receives the decoded
// length as it grows. A damaged file is a Decoded with Failure set, not an error; the
// error is for a run that could not finish: ffmpeg missing, or ctx ended (the error then
// wraps context.Cause(ctx), and Decoded still says how far decoding got).
func Decode(ctx context.Context, path, format string, onProgress func(time.Duration)) (Decoded, error) {
	args := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-xerror"}, input(path, format)...)
	// framecrc writes one line per decoded frame, with its timestamp and duration; the
	// checksum is adler32, cheap next to decoding.
	args = append(args, "-map", "0:a:0", "-f", "framecrc", "-")
	cmd := command(ctx, "ffmpeg", args...)
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	var frames frameReader
	err := run(cmd, func(r io.Reader) { frames.read(r, onProgress) })
	out := Decoded{Length: frames.end}
	switch {
	case ctx.Err() != nil:
		return out, fmt.Errorf("ffmpeg decode: %w", context.Cause(ctx))
	case err != nil && !exited(err):
		return out, fmt.Errorf("ffmpeg decode: %w", err)
	case err != nil:
		out.Failure = decoderMessage(stderr.String())
		if out.Failure == "" {
			out.Failure = "ffmpeg " + err.Error()
		}
	case strings.TrimSpace(stderr.String()) != "":
		// -v error output without a failed exit is still damage ffmpeg worked around.
		out.Failure = decoderMessage(stderr.String())
	}
	return out, nil
}

// frameReader follows framecrc output: "#tb 0: 1/44100" gives the time base, then each
// frame is "stream, dts, pts, duration, size, checksum".
type frameReader struct {
	num, den int64 // time base
	end      time.Duration
}

func (f *frameReader) read(r io.Reader, onProgress func(time.Duration)) {
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
		if end := f.duration(pts + dur); end > f.end {
			f.end = end
			if onProgress != nil {
				onProgress(end)
			}
		}
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
