package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/ffmpeg"
)

var testLimits = Limits{MaxBytes: 100 << 20, MaxDuration: time.Hour}

func audioProbe(format, codec string, seconds string) ffmpeg.Probe {
	var p ffmpeg.Probe
	p.Format.FormatName = format
	p.Format.Duration = seconds
	p.Streams = []ffmpeg.Stream{{CodecType: "audio", CodecName: codec, SampleRate: "44100", Channels: 2}}
	return p
}

func formatNamed(name string) Format {
	for _, f := range Formats {
		if f.Name == name {
			return f
		}
	}
	panic(name)
}

func TestCheckProbe(t *testing.T) {
	withCover := audioProbe("mp3", "mp3", "180.0")
	withCover.Streams = append(withCover.Streams, ffmpeg.Stream{CodecType: "video", CodecName: "mjpeg"})
	withCover.Streams[1].Disposition.AttachedPic = 1
	withVideo := audioProbe("mp3", "mp3", "180.0")
	withVideo.Streams = append(withVideo.Streams, ffmpeg.Stream{CodecType: "video", CodecName: "h264"})
	twoAudio := audioProbe("flac", "flac", "10")
	twoAudio.Streams = append(twoAudio.Streams, twoAudio.Streams[0])
	noAudio := audioProbe("mp3", "mp3", "10")
	noAudio.Streams = nil
	mono96k := audioProbe("wav", "pcm_s24le", "10")
	mono96k.Streams[0].SampleRate, mono96k.Streams[0].Channels = "96000", 1
	badRate := audioProbe("wav", "pcm_s16le", "10")
	badRate.Streams[0].SampleRate = "4000"
	manyChannels := audioProbe("wav", "pcm_s16le", "10")
	manyChannels.Streams[0].Channels = 12

	tests := []struct {
		name       string
		probe      ffmpeg.Probe
		sniffed    string
		wantReason string // empty: accepted
		wantDur    time.Duration
	}{
		{"mp3", audioProbe("mp3", "mp3", "180.035918"), "mp3", "", 180035918 * time.Microsecond},
		{"flac", audioProbe("flac", "flac", "7.5"), "flac", "", 7500 * time.Millisecond},
		{"wav 24-bit mono 96k", mono96k, "wav", "", 10 * time.Second},
		{"aiff", audioProbe("aiff", "pcm_s16be", "3"), "aiff", "", 3 * time.Second},
		{"mp3 with cover art", withCover, "mp3", "", 180 * time.Second},
		{"sniffed flac reads as mp3", audioProbe("mp3", "mp3", "10"), "flac", "looks like flac but does not read as one", 0},
		{"video stream", withVideo, "mp3", "holds video as well as audio", 0},
		{"two audio streams", twoAudio, "flac", "exactly one audio stream, not 2", 0},
		{"no audio stream", noAudio, "mp3", "exactly one audio stream, not 0", 0},
		{"wrong codec in wav", audioProbe("wav", "adpcm_ms", "10"), "wav", `wav audio encoded as "adpcm_ms" is not supported`, 0},
		{"sample rate too low", badRate, "wav", "sample rate", 0},
		{"too many channels", manyChannels, "wav", "12 audio channels", 0},
		{"no duration", audioProbe("mp3", "mp3", ""), "mp3", "no playable length", 0},
		{"zero duration", audioProbe("mp3", "mp3", "0.000000"), "mp3", "no playable length", 0},
		{"too long", audioProbe("flac", "flac", "3601"), "flac", "the audio is 1:00:01 long; the limit is 1:00:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, rejection := checkProbe(tt.probe, formatNamed(tt.sniffed), testLimits)
			if tt.wantReason == "" {
				require.Nil(t, rejection)
				require.Equal(t, tt.wantDur, facts.declared)
				require.Equal(t, tt.sniffed, facts.format.Name)
				return
			}
			require.NotNil(t, rejection)
			require.Contains(t, rejection.Reason, tt.wantReason)
		})
	}
}

func TestCheckDecode(t *testing.T) {
	tests := []struct {
		name       string
		declared   time.Duration
		decoded    time.Duration
		failure    string
		wantReason string
	}{
		{"exact", 180 * time.Second, 180 * time.Second, "", ""},
		{"mp3 delay and padding", 180035918 * time.Microsecond, 180 * time.Second, "", ""},
		{"short track within floor", 2 * time.Second, 1600 * time.Millisecond, "", ""},
		{"truncated to half", 180 * time.Second, 90 * time.Second, "", "damaged or cut short: it plays for 1:30 but its header says 3:00"},
		{"decoder error", 180 * time.Second, 61 * time.Second, "invalid residual", "damaged or cut short: decoding failed at 1:01 of 3:00 (invalid residual)"},
		{"nothing decoded", 10 * time.Second, 0, "", "no audio samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rejection := checkDecode(tt.declared, ffmpeg.Decoded{Length: tt.decoded, Failure: tt.failure})
			if tt.wantReason == "" {
				require.Nil(t, rejection)
				return
			}
			require.NotNil(t, rejection)
			require.Contains(t, rejection.Reason, tt.wantReason)
		})
	}
}

func TestClock(t *testing.T) {
	require.Equal(t, "0:07", clock(7400*time.Millisecond))
	require.Equal(t, "3:00", clock(180*time.Second))
	require.Equal(t, "1:02:03", clock(time.Hour+2*time.Minute+3*time.Second))
}

func TestLimits_DecodeAllowance(t *testing.T) {
	require.Equal(t, DefaultDecodeGrace+36*time.Minute, Limits{}.decodeAllowance(6*time.Hour))
	require.Equal(t, time.Second+time.Minute, Limits{MinDecodeSpeed: 60, DecodeGrace: time.Second}.decodeAllowance(time.Hour))
}
