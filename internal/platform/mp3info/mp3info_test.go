package mp3info_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/platform/mp3info"
)

// sine returns ffmpeg arguments for a 3.3 s sine at rate Hz, encoded by LAME with args.
func sine(rate string, args ...string) []string {
	in := []string{"-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=" + rate + ":duration=3.3"}
	return append(in, args...)
}

// encode runs ffmpeg with args and an output file, and returns the file's path.
func encode(t *testing.T, args []string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.mp3")
	if msg, err := exec.Command("ffmpeg", append(args, out)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, msg)
	}
	return out
}

// onlyReader hides bytes.Reader's Seek, so Read has to read an ID3v2 tag through.
type onlyReader struct{ io.Reader }

func TestRead(t *testing.T) {
	lame := []string{"-c:a", "libmp3lame"}
	tests := []struct {
		name     string
		args     []string
		rate     int
		channels int
		samples  int64
	}{
		{"320k CBR", sine("44100", append(lame, "-b:a", "320k", "-ac", "2")...), 44100, 2, 145530},
		{"VBR V2", sine("44100", append(lame, "-q:a", "2", "-ac", "2")...), 44100, 2, 145530},
		{"mono", sine("44100", append(lame, "-b:a", "128k", "-ac", "1")...), 44100, 1, 145530},
		{"48 kHz", sine("48000", append(lame, "-b:a", "192k", "-ac", "2")...), 48000, 2, 158400},
		{"22.05 kHz MPEG-2", sine("22050", append(lame, "-b:a", "64k", "-ac", "2")...), 22050, 2, 72765},
		{"8 kHz MPEG-2.5", sine("8000", append(lame, "-b:a", "32k", "-ac", "1")...), 8000, 1, 26400},
		{"ID3v2.3 tag", sine("44100", append(lame, "-b:a", "192k", "-metadata", "title=x", "-id3v2_version", "3")...), 44100, 1, 145530},
		{"ID3v2 tag larger than the 64 KiB scan", sine("44100", append(lame, "-b:a", "192k",
			"-metadata", "comment="+strings.Repeat("long comment ", 8000))...), 44100, 1, 145530},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := encode(t, tt.args)
			file, err := os.ReadFile(path)
			require.NoError(t, err)

			info, err := mp3info.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tt.rate, info.SampleRate)
			require.Equal(t, tt.channels, info.Channels)
			require.Equal(t, tt.samples, info.Samples)
			require.Equal(t, 3300*time.Millisecond, info.Duration)
			require.Positive(t, info.Delay)
			require.Positive(t, info.Padding)
			require.Positive(t, info.Bytes)
			require.LessOrEqual(t, info.Bytes, int64(len(file)))

			for _, r := range []io.Reader{bytes.NewReader(file), onlyReader{bytes.NewReader(file)}} {
				got, err := mp3info.Read(r)
				require.NoError(t, err)
				require.Equal(t, info, got)
			}
		})
	}
}

func TestRead_Audiotest(t *testing.T) {
	info, err := mp3info.Read(bytes.NewReader(audiotest.Make(t, "mp3", 3.3)))
	require.NoError(t, err)
	require.Equal(t, int64(145530), info.Samples)
	require.Equal(t, 3300*time.Millisecond, info.Duration)
	require.Equal(t, 2, info.Channels)
}

// ffmpeg cannot seek back in a pipe to fill in the tag, so it writes none.
func TestRead_PipeHasNoTag(t *testing.T) {
	out, err := exec.Command("ffmpeg", sine("44100", "-c:a", "libmp3lame", "-q:a", "2", "-f", "mp3", "pipe:1")...).Output()
	require.NoError(t, err)
	_, err = mp3info.Read(bytes.NewReader(out))
	require.ErrorIs(t, err, mp3info.ErrNoTag)
}

func TestRead_OtherLayer(t *testing.T) {
	path := encode(t, sine("44100", "-c:a", "mp2", "-f", "mp2"))
	_, err := mp3info.ReadFile(path)
	require.ErrorContains(t, err, "layer II, not layer III")
}

// A tag whose delay and padding exceed its length is refused, not turned into a negative
// duration.
func TestRead_DelayBeyondLength(t *testing.T) {
	frame := make([]byte, 417)
	copy(frame, []byte{0xFF, 0xFB, 0x90, 0x00}) // MPEG-1 Layer III, 128 kb/s, 44.1 kHz, stereo
	tag := frame[4+32:]
	copy(tag, "Info\x00\x00\x00\x01\x00\x00\x00\x01LAME3.100") // one frame
	copy(tag[12+21:], []byte{0xFF, 0xFF, 0xFF})                // delay and padding 4095 each
	_, err := mp3info.Read(bytes.NewReader(frame))
	require.ErrorContains(t, err, "exceed")

	copy(tag[12+21:], []byte{0x24, 0x00, 0x00}) // delay 576, padding 0
	info, err := mp3info.Read(bytes.NewReader(frame))
	require.NoError(t, err)
	require.Equal(t, int64(1152-576), info.Samples)
}

// Nothing panics: not random bytes, not a real file cut anywhere in its first frame, not
// one with random bytes changed.
func TestRead_Garbage(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
	}{
		{"empty", nil},
		{"short", []byte{0xFF, 0xFB}},
		{"ID3 header only", []byte("ID3\x04\x00\x00\x00\x00\x00\x00")},
		{"ID3 size beyond the file", []byte("ID3\x04\x00\x00\x00\x01\x00\x00")},
		{"ID3 size not syncsafe", []byte("ID3\x04\x00\x00\xFF\xFF\xFF\xFF")},
		{"random", audiotest.Random(4096)},
		{"random after ID3", audiotest.RandomAfterID3(4096)},
		{"a picture", audiotest.JPEG(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mp3info.Read(bytes.NewReader(tt.input))
			require.Error(t, err)
		})
	}

	file, err := os.ReadFile(encode(t, sine("44100", "-c:a", "libmp3lame", "-q:a", "2", "-id3v2_version", "0")))
	require.NoError(t, err)
	require.NotEqual(t, "ID3", string(file[:3]))
	t.Run("truncated", func(t *testing.T) {
		// Header, mono MPEG-1 side info, tag id and flags, frames, bytes, TOC, quality,
		// LAME tag up to the delay.
		const end = 4 + 17 + 8 + 4 + 4 + 100 + 4 + 24
		for n := range end {
			_, err := mp3info.Read(bytes.NewReader(file[:n]))
			require.Error(t, err, "cut at %d", n)
		}
		_, err := mp3info.Read(bytes.NewReader(file[:end]))
		require.NoError(t, err)
	})
	t.Run("fuzz", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 5000 {
			b := bytes.Clone(file[:rng.IntN(1000)])
			for range rng.IntN(8) {
				if len(b) > 0 {
					b[rng.IntN(len(b))] = byte(rng.Uint32())
				}
			}
			_, _ = mp3info.Read(bytes.NewReader(b))
			_, _ = mp3info.Read(bytes.NewReader(audiotest.Random(rng.IntN(2000))))
		}
	})
}
