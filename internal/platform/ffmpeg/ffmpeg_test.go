package ffmpeg_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/platform/ffmpeg"
)

// orphanHelperEnv makes the test binary a helper process that starts a decode of the FIFO
// it names (which nobody writes, so ffmpeg waits forever) and waits to be killed.
const orphanHelperEnv = "PLYR_FFMPEG_TEST_HELPER_FIFO"

func TestMain(m *testing.M) {
	if fifo := os.Getenv(orphanHelperEnv); fifo != "" {
		_, err := ffmpeg.Decode(context.Background(), fifo, "wav", ffmpeg.DecodeOptions{})
		// Only reached if ffmpeg ended on its own, which the test reports as a failure.
		println("helper: decode returned:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func TestProbeFile(t *testing.T) {
	path := writeTemp(t, "upload", audiotest.Make(t, "mp3", 3))

	p, err := ffmpeg.ProbeFile(context.Background(), path, "mp3")
	require.NoError(t, err)
	require.Equal(t, "mp3", p.Format.FormatName)
	require.True(t, strings.HasPrefix(p.Format.Duration, "3.0"), p.Format.Duration)
	require.Len(t, p.Streams, 1)
	require.Equal(t, ffmpeg.Stream{CodecType: "audio", CodecName: "mp3", SampleRate: "44100", Channels: 2}, p.Streams[0])
}

// The demuxer is the sniffed format's, not whatever ffprobe would guess: a FLAC file read
// as MP3 or WAV is never opened as FLAC (WAV refuses it; MP3 finds no valid frame).
func TestProbeFile_PinsTheFormat(t *testing.T) {
	path := writeTemp(t, "upload", audiotest.Make(t, "flac", 2))

	_, err := ffmpeg.ProbeFile(context.Background(), path, "wav")
	require.ErrorIs(t, err, ffmpeg.ErrUnreadable)

	p, err := ffmpeg.ProbeFile(context.Background(), path, "mp3")
	require.NoError(t, err)
	require.Equal(t, "mp3", p.Format.FormatName)
	for _, s := range p.Streams {
		require.NotEqual(t, "flac", s.CodecName)
		require.Equal(t, "0", s.SampleRate, "no MP3 frame was found")
	}
}

func TestDecode_CleanFile(t *testing.T) {
	tests := []string{"mp3", "flac", "wav", "aiff"}
	for _, format := range tests {
		t.Run(format, func(t *testing.T) {
			path := writeTemp(t, "upload", audiotest.Make(t, format, 3))
			var seen []time.Duration
			got, err := ffmpeg.Decode(context.Background(), path, format, ffmpeg.DecodeOptions{
				OnProgress: func(d time.Duration) { seen = append(seen, d) },
			})
			require.NoError(t, err)
			require.Equal(t, ffmpeg.Decoded{Length: 3 * time.Second}, got)
			require.NotEmpty(t, seen)
			require.Equal(t, got.Length, seen[len(seen)-1])
			for i := 1; i < len(seen); i++ {
				require.Greater(t, seen[i], seen[i-1], "progress only grows")
			}
		})
	}
}

// A file cut in half decodes about half of its length before ffmpeg finds the damage;
// the reported length is where it stopped, not the last timed progress report (which, for
// a decode this fast, was at 0:00).
func TestDecode_TruncatedFileSaysWhereItStopped(t *testing.T) {
	flac := audiotest.Make(t, "flac", 20)
	path := writeTemp(t, "upload", audiotest.Truncate(flac, 0.5))

	got, err := ffmpeg.Decode(context.Background(), path, "flac", ffmpeg.DecodeOptions{})
	require.NoError(t, err, "damage is a result, not a failure to run")
	require.NotEmpty(t, got.Failure)
	require.NotContains(t, got.Failure, "@ 0x", "the codec prefix is dropped")
	require.Greater(t, got.Length, 5*time.Second)
	require.Less(t, got.Length, 11*time.Second)
}

// Told the declared length, Decode splits a long file between two ffmpeg runs; what it
// finds is what a single run finds: the full length of a clean file, where a file cut
// short ends, and damage in either half.
func TestDecode_InTwoPartsFindsWhatOnePartFinds(t *testing.T) {
	const seconds = 150
	flac := audiotest.Make(t, "flac", seconds)
	damaged := append([]byte(nil), flac...)
	copy(damaged[len(damaged)*3/4:], audiotest.Random(4096)) // in the second half
	tests := []struct {
		name       string
		data       []byte
		wantFailed bool
		minLength  time.Duration
		maxLength  time.Duration
	}{
		{"clean", flac, false, seconds * time.Second, seconds * time.Second},
		{"cut short", audiotest.Truncate(flac, 0.8), true, 100 * time.Second, 125 * time.Second},
		{"damaged in the second half", damaged, true, 100 * time.Second, 125 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "upload", tt.data)
			single, err := ffmpeg.Decode(context.Background(), path, "flac", ffmpeg.DecodeOptions{})
			require.NoError(t, err)

			lengths := make(chan time.Duration, 1)
			lengths <- seconds * time.Second
			var progress time.Duration
			split, err := ffmpeg.Decode(context.Background(), path, "flac", ffmpeg.DecodeOptions{
				Length:     lengths,
				OnProgress: func(d time.Duration) { progress = d },
			})
			require.NoError(t, err)

			for _, got := range []ffmpeg.Decoded{single, split} {
				require.Equal(t, tt.wantFailed, got.Failure != "", got.Failure)
				require.GreaterOrEqual(t, got.Length, tt.minLength)
				require.LessOrEqual(t, got.Length, tt.maxLength)
			}
			require.InDelta(t, single.Length.Seconds(), split.Length.Seconds(), 0.2)
			require.Positive(t, progress)
		})
	}
}

// A decode whose context ends is stopped, and says why and how far it got.
func TestDecode_StopsWithItsContext(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "never-written")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	cause := errors.New("decode allowance used up")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 200*time.Millisecond, cause)
	defer cancel()

	got, err := ffmpeg.Decode(ctx, fifo, "wav", ffmpeg.DecodeOptions{})
	require.ErrorIs(t, err, cause)
	require.Zero(t, got.Length)
}

// When the worker dies by SIGKILL, its ffmpeg dies too instead of running on as an orphan.
func TestDecode_FfmpegDiesWithItsParent(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "never-written")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), orphanHelperEnv+"="+fifo)
	require.NoError(t, helper.Start())
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })

	var pid int
	require.Eventually(t, func() bool {
		pid = processWithArg(t, "file:"+fifo)
		return pid != 0
	}, 20*time.Second, 20*time.Millisecond, "the helper never started ffmpeg")
	t.Cleanup(func() {
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // only when the test failed
		}
	})

	require.NoError(t, helper.Process.Signal(syscall.SIGKILL))
	_ = helper.Wait()
	require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 20*time.Millisecond,
		"ffmpeg (pid %d) outlived its killed parent", pid)
}

// processWithArg finds a running process with arg on its command line, or returns 0.
func processWithArg(t *testing.T, arg string) int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range strings.Split(string(cmdline), "\x00") {
			if a == arg && alive(pid) {
				return pid
			}
		}
	}
	return 0
}

// alive reports whether pid runs; a zombie waiting for a reaper does not count.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}
