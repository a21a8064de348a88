package ffmpeg

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFrameReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  time.Duration
	}{
		{"frames", "#tb 0: 1/44100\n0, 0, 0, 1152, 4608, 0x1\n0, 1152, 1152, 1152, 4608, 0x2\n", 2304 * time.Second / 44100},
		{"ends count, not starts", "#tb 0: 1/44100\n0, 0, 0, 47, 188, 0x1\n0, 131375, 131375, 925, 3700, 0x2\n", 3 * time.Second},
		{"six hours at 384 kHz", "#tb 0: 1/384000\n0, 8294399000, 8294399000, 1000, 4000, 0x1\n", 6 * time.Hour},
		{"nothing decoded", "#tb 0: 1/48000\n", 0},
		{"garbage lines", "#tb 0: 1/1000\nnot a frame\n0, x, y, z\n0, 0, 500, 500, 1, 0x1\n", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f frameReader
			var end time.Duration
			f.read(strings.NewReader(tt.input), func(_, e time.Duration) { end = max(end, e) })
			require.Equal(t, tt.want, end)
		})
	}
}

func TestDecoderMessage(t *testing.T) {
	require.Equal(t, "invalid residual", decoderMessage("[flac @ 0x55aa] invalid residual\n[flac @ 0x55aa] decode_frame() failed\n"))
	require.Equal(t, "plain", decoderMessage("\nplain\nmore"))
}

func TestLimitedBuffer_KeepsOnlyTheStart(t *testing.T) {
	b := &limitedBuffer{max: 5}
	n, err := b.Write([]byte("abcdefgh"))
	require.NoError(t, err)
	require.Equal(t, 8, n, "it reports everything written, so the writer is not stopped")
	_, _ = b.Write([]byte("more"))
	require.Equal(t, "abcde", b.String())
}

// Every run opens exactly the file it is given, as the given format, and no protocol
// but file.
func TestInput(t *testing.T) {
	require.Equal(t, []string{"-protocol_whitelist", "file", "-f", "mp3", "-i", "file:/tmp/plyr-inspect-1"},
		input("/tmp/plyr-inspect-1", "mp3"))
}
