package ffmpeg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MP3Bitrate is the bitrate of the MP3 made from a lossless original: constant, so that
// a seek to any second lands exactly where a timed comment or a ?t= link means (browsers
// seek VBR files by an approximate table), and as high as MP3 goes, since the source is
// lossless.
const MP3Bitrate = "320k"

// TranscodeOptions tune Transcode.
type TranscodeOptions struct {
	// OnProgress, when set, receives the length encoded so far, about twice a second.
	OnProgress func(time.Duration)
}

// Transcoded is how a transcode went.
type Transcoded struct {
	// Failure is ffmpeg's first complaint when it found damage in the source and stopped
	// (-xerror), or anything it wrote to stderr: a clean source makes it say nothing.
	// Empty for a clean transcode.
	Failure string
}

// Transcode encodes the first audio stream of the file at src, read as format, to a
// constant-bitrate MP3 (MP3Bitrate) at dst, a file: an MP3 written to a pipe has no
// Xing/LAME header, so no exact length and no gapless playback. A source MP3 cannot hold
// (above 48 kHz, more than two channels) is brought down by ffmpeg to the nearest it can.
// The decode stops at the first damaged frame, as Decode's does; a damaged source is a
// Transcoded with Failure set, not an error.
func Transcode(ctx context.Context, src, format, dst string, opts TranscodeOptions) (Transcoded, error) {
	args := []string{"-nostdin", "-hide_banner", "-v", "error", "-xerror", "-y"}
	args = append(args, input(src, format)...)
	args = append(args, "-map", "0:a:0", "-map_metadata", "-1", "-c:a", "libmp3lame", "-b:a", MP3Bitrate,
		"-f", "mp3", "file:"+dst, "-progress", "pipe:1", "-stats_period", "0.5")
	cmd := command(ctx, "ffmpeg", args...)
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	err := run(cmd, func(r io.Reader) { readProgress(r, opts.OnProgress) })
	if ctx.Err() != nil {
		return Transcoded{}, fmt.Errorf("transcode: %w", context.Cause(ctx))
	}
	if err != nil && !exited(err) {
		return Transcoded{}, fmt.Errorf("run ffmpeg: %w", err)
	}
	if complaint := decoderMessage(stderr.String()); complaint != "" || err != nil {
		if complaint == "" {
			complaint = err.Error()
		}
		return Transcoded{Failure: complaint}, nil
	}
	return Transcoded{}, nil
}

// Peaks decodes the first audio stream of the file at path, read as format, and returns
// its waveform: n peaks from 0 to 255, each the loudest moment of its n-th of the audio,
// scaled so that the loudest peak of the whole track is 255.
func Peaks(ctx context.Context, path, format string, n int) ([]byte, error) {
	args := []string{"-nostdin", "-hide_banner", "-v", "error"}
	args = append(args, input(path, format)...)
	args = append(args, peakOutput("pipe:1")...)
	// At a lower priority: a waveform is drawn beside an encode, which sets the pace.
	cmd := command(ctx, "nice", append([]string{"-n", "10", "ffmpeg"}, args...)...)
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stderr = stderr
	peaks := newPeakCollector()
	err := run(cmd, peaks.read)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("waveform: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("waveform: %w: %s", err, firstLine(stderr.String()))
	}
	if peaks.err != nil {
		return nil, fmt.Errorf("read the waveform: %w", peaks.err)
	}
	return peaks.reduce(n), nil
}

// peakRate is the sample rate the waveform is measured at: mono, 8 kHz, plenty for a
// picture 1,000 columns wide and cheap to resample to.
const peakRate = 8000

// peakWindow is how many samples at peakRate make one collected peak (10 ms).
const peakWindow = peakRate / 100

// peakOutput is the ffmpeg output that writes the audio, mono at peakRate as signed
// 16-bit little-endian samples, to target.
func peakOutput(target string) []string {
	return []string{"-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(peakRate), "-c:a", "pcm_s16le", "-f", "s16le", target}
}

// peakCollector keeps the loudest sample of every 10 ms of audio: 360,000 of them (720 KB)
// for an hour, whatever the source's rate.
type peakCollector struct {
	windows []uint16
	current uint16
	filled  int
	err     error
}

func newPeakCollector() *peakCollector { return &peakCollector{windows: make([]uint16, 0, 60*100)} }

func (p *peakCollector) read(r io.Reader) {
	buf := make([]byte, 64<<10)
	var odd []byte // a sample split between two reads
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		if len(odd) == 1 && n > 0 {
			p.add(int16(uint16(odd[0]) | uint16(chunk[0])<<8))
			chunk, odd = chunk[1:], nil
		}
		for len(chunk) >= 2 {
			p.add(int16(uint16(chunk[0]) | uint16(chunk[1])<<8))
			chunk = chunk[2:]
		}
		if len(chunk) == 1 {
			odd = []byte{chunk[0]}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.err = err
			}
			break
		}
	}
	if p.filled > 0 {
		p.windows = append(p.windows, p.current)
	}
}

func (p *peakCollector) add(v int16) {
	abs := uint16(v)
	if v < 0 {
		abs = uint16(-int32(v))
	}
	p.current = max(p.current, abs)
	if p.filled++; p.filled == peakWindow {
		p.windows = append(p.windows, p.current)
		p.current, p.filled = 0, 0
	}
}

// reduce spreads the collected windows over n peaks (the loudest window of each), scaled
// to 0–255 by the loudest of all. Audio shorter than n windows gives fewer peaks; silence
// gives zeros.
func (p *peakCollector) reduce(n int) []byte {
	w := p.windows
	if len(w) == 0 || n <= 0 {
		return []byte{}
	}
	n = min(n, len(w))
	buckets := make([]uint16, n)
	var loudest uint16
	for i := range n {
		from, to := i*len(w)/n, (i+1)*len(w)/n
		for _, v := range w[from:to] {
			buckets[i] = max(buckets[i], v)
		}
		loudest = max(loudest, buckets[i])
	}
	out := make([]byte, n)
	if loudest == 0 {
		return out
	}
	for i, v := range buckets {
		out[i] = byte((uint32(v)*255 + uint32(loudest)/2) / uint32(loudest))
	}
	return out
}

// readProgress follows ffmpeg's -progress output ("key=value" lines, a block ending in
// "progress=continue" or "progress=end") and passes out_time_us on.
func readProgress(r io.Reader, onProgress func(time.Duration)) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		key, value, ok := strings.Cut(s.Text(), "=")
		if !ok || key != "out_time_us" || onProgress == nil {
			continue
		}
		if us, err := strconv.ParseInt(value, 10, 64); err == nil && us >= 0 {
			onProgress(time.Duration(us) * time.Microsecond)
		}
	}
}
