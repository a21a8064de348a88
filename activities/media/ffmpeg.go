package media

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// probeFile runs ffprobe and parses its JSON report. A non-zero exit means ffprobe could
// not open the file as media at all.
func probeFile(ctx context.Context, path string) (probe, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-print_format", "json",
		"-show_format", "-show_streams", "--", path)
	var stdout bytes.Buffer
	stderr := &limitedBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && ctx.Err() == nil {
			return probe{}, reject("the file could not be read as audio; it may be damaged or cut short")
		}
		return probe{}, fmt.Errorf("run ffprobe: %w", err)
	}
	var p probe
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		return probe{}, fmt.Errorf("parse ffprobe output: %w", err)
	}
	return p, nil
}

// decodeFile decodes the first audio stream in full and returns the decoded length and
// whatever ffmpeg wrote to stderr at -v error (empty for a clean file). -xerror stops at
// the first damaged frame. onProgress receives the decoded length as it grows.
func decodeFile(ctx context.Context, path string, timeout time.Duration, onProgress func(time.Duration)) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-xerror",
		"-i", path, "-map", "0:a:0", "-f", "null", "-progress", "pipe:1", "-nostats", "-")
	stderr := &limitedBuffer{max: 4096}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, "", fmt.Errorf("ffmpeg stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, "", fmt.Errorf("start ffmpeg: %w", err)
	}
	// -progress writes key=value blocks; out_time_us is the decoded length so far.
	var decoded time.Duration
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		key, value, ok := strings.Cut(scanner.Text(), "=")
		if !ok || key != "out_time_us" {
			continue
		}
		if us, err := strconv.ParseInt(value, 10, 64); err == nil && us >= 0 {
			decoded = time.Duration(us) * time.Microsecond
			if onProgress != nil {
				onProgress(decoded)
			}
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if ctx.Err() != nil {
		return 0, "", fmt.Errorf("ffmpeg decode: %w", ctx.Err())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return 0, "", fmt.Errorf("ffmpeg decode: %w", err)
	}
	msg := stderr.String()
	if err != nil && strings.TrimSpace(msg) == "" {
		msg = "ffmpeg " + err.Error()
	}
	return decoded, msg, nil
}

// limitedBuffer keeps the first max bytes written to it and drops the rest, so a file that
// makes ffmpeg print an error per frame cannot fill memory.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
