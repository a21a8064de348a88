// Package audiotest makes audio files for tests with ffmpeg (a sine and pink noise, so
// they compress like music rather than like silence), and the damaged and fake files
// upload validation must refuse. Nothing binary is committed: fixtures are made at test
// time. A missing ffmpeg fails the test; it is a required tool, not an optional one.
package audiotest

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Codec arguments per container.
var codecArgs = map[string][]string{
	"mp3":  {"-c:a", "libmp3lame", "-b:a", "192k"},
	"flac": {"-c:a", "flac"},
	"wav":  {"-c:a", "pcm_s16le"},
	"aiff": {"-c:a", "pcm_s16be"},
	"m4a":  {"-c:a", "alac"},
}

// Make returns seconds of stereo 44.1 kHz audio in format (mp3, flac, wav, aiff, or m4a,
// which is ALAC).
func Make(t testing.TB, format string, seconds float64) []byte {
	t.Helper()
	args, ok := codecArgs[format]
	if !ok {
		t.Fatalf("audiotest: unknown format %q", format)
	}
	return MakeWith(t, format, seconds, args...)
}

// MakeWith returns seconds of stereo 44.1 kHz audio in a file with extension ext,
// encoded with ffmpeg's codecArgs (for example "-c:a", "aac").
func MakeWith(t testing.TB, ext string, seconds float64, codecArgs ...string) []byte {
	t.Helper()
	args := codecArgs
	out := filepath.Join(t.TempDir(), "audio."+ext)
	dur := strconv.FormatFloat(seconds, 'f', -1, 64)
	cmdArgs := []string{"-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=" + dur,
		"-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.2:sample_rate=44100:seed=7:duration=" + dur,
		"-filter_complex", "[0][1]amix=inputs=2:normalize=0", "-ac", "2"}
	cmdArgs = append(append(cmdArgs, args...), out)
	run(t, "ffmpeg", cmdArgs...)
	return read(t, out)
}

// JPEG returns a small picture, a file that is plainly not audio.
func JPEG(t testing.TB) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "picture.jpg")
	run(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", out)
	return read(t, out)
}

// Truncate returns the first fraction of b, as an upload cut short would be.
func Truncate(b []byte, fraction float64) []byte {
	return b[:int(float64(len(b))*fraction)]
}

// Random returns n random bytes.
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// RandomAfterID3 returns random bytes behind a valid-looking ID3 tag header, which fools
// naive MP3 frame scanners.
func RandomAfterID3(n int) []byte {
	header := []byte{'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0}
	return append(header, Random(n)...)
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("audiotest: %s is required (make deps installs it): %v", name, err)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("audiotest: %s: %v\n%s", name, err, out)
	}
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(fmt.Errorf("audiotest: %w", err))
	}
	return b
}
