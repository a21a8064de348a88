package media

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/plyrfm/plyr/internal/platform/ffmpeg"
)

// Format is an audio container plyr accepts.
type Format struct {
	// Name is ffprobe's format_name, which also pins ffmpeg's demuxer (-f).
	Name string
	// SniffedAs are the MIME types content sniffing may report for it.
	SniffedAs []string
	// Extension names stored files; Aliases are other extensions a file of the format may
	// be uploaded with, kept when it was (an .aif stays .aif).
	Extension string
	Aliases   []string
	// ContentType is what /audio serves it as; PlayType adds the codec where browsers'
	// canPlayType needs it to answer (ALAC in an MP4 container).
	ContentType string
	PlayType    string
	// Codecs are the audio codecs accepted inside it.
	Codecs []string
	// Lossless formats are kept as uploaded and transcoded to MP3 for streaming.
	Lossless bool
}

// Formats are the accepted containers: MP3, and the lossless FLAC, WAV, AIFF and ALAC in
// MP4 (.m4a; AAC in the same container is lossy and not accepted).
var Formats = []Format{
	{Name: "mp3", SniffedAs: []string{"audio/mpeg"}, Extension: "mp3", ContentType: "audio/mpeg", Codecs: []string{"mp3"}},
	{Name: "flac", SniffedAs: []string{"audio/flac"}, Extension: "flac", ContentType: "audio/flac", Codecs: []string{"flac"}, Lossless: true},
	{Name: "wav", SniffedAs: []string{"audio/wav"}, Extension: "wav", ContentType: "audio/wav", Lossless: true,
		Codecs: []string{"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le"}},
	{Name: "aiff", SniffedAs: []string{"audio/aiff"}, Extension: "aiff", Aliases: []string{"aif"}, ContentType: "audio/aiff", Lossless: true,
		Codecs: []string{"pcm_s8", "pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_f32be", "pcm_f64be"}},
	// iTunes and ffmpeg write the M4A brand (audio/x-m4a); other tools write plain MP4
	// brands, which sniff as MP4 audio or video: the probe then requires one ALAC stream.
	{Name: "mov,mp4,m4a,3gp,3g2,mj2", SniffedAs: []string{"audio/x-m4a", "audio/mp4", "video/mp4"}, Extension: "m4a",
		ContentType: "audio/mp4", PlayType: `audio/mp4; codecs="alac"`, Codecs: []string{"alac"}, Lossless: true},
}

// formatByName finds an accepted format by its ffprobe name.
func formatByName(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// acceptedNames is the list users see when a file is refused.
const acceptedNames = "MP3, FLAC, WAV, AIFF or ALAC (.m4a)"

// SniffFormat is the accepted format the head of a file (its first few KiB) sniffs as, or
// nil. The upload form uses it to refuse a lossless file early; the inspection decides.
func SniffFormat(head []byte) *Format {
	return formatBySniff(mimetype.Detect(head).Is)
}

// StoredExtension is the extension a file of format f uploaded as filename is stored
// under: the one it was uploaded with when that is one of f's, else f's own.
func (f Format) StoredExtension(filename string) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(filename), "."))
	if slices.Contains(f.Aliases, ext) {
		return ext
	}
	return f.Extension
}

// Limits bound what an upload may be.
type Limits struct {
	MaxBytes    int64
	MaxDuration time.Duration
	// BlobTimeout bounds one try of a blob upload to a PDS, plus a second per 512 KiB of
	// the file: a PDS that hangs is given up and tried again. Zero means DefaultBlobTimeout.
	BlobTimeout time.Duration
	// MinDecodeSpeed is the slowest acceptable decode, in times real time: a file that
	// decodes slower is refused as damaged or made to be slow. Zero means
	// DefaultMinDecodeSpeed.
	MinDecodeSpeed float64
	// DecodeGrace is added to every decode allowance, for process start-up and a loaded
	// machine. Zero means DefaultDecodeGrace.
	DecodeGrace time.Duration
}

// DefaultBlobTimeout is Limits.BlobTimeout's default.
const DefaultBlobTimeout = 2 * time.Minute

// blobAllowance is how long one try of a blob upload of size bytes may take.
func (l Limits) blobAllowance(size int64) time.Duration {
	base := l.BlobTimeout
	if base <= 0 {
		base = DefaultBlobTimeout
	}
	return base + time.Duration(size/(512<<10))*time.Second
}

// Decode allowance defaults. ffmpeg decodes MP3 a few hundred and lossless audio a
// thousand times faster than real time on one core, so these stop only a decode that is
// stuck or crafted to crawl, even on a busy machine: 6 hours of audio get 36.5 minutes.
const (
	DefaultMinDecodeSpeed = 10
	DefaultDecodeGrace    = 30 * time.Second
)

// decodeAllowance is how long the decode of declared audio may take.
func (l Limits) decodeAllowance(declared time.Duration) time.Duration {
	speed, grace := l.MinDecodeSpeed, l.DecodeGrace
	if speed <= 0 {
		speed = DefaultMinDecodeSpeed
	}
	if grace <= 0 {
		grace = DefaultDecodeGrace
	}
	return grace + time.Duration(float64(declared)/speed)
}

// Rejection is an upload refused for what it is, not for a failure of plyr's: retrying
// cannot help. Reason is written for the uploader.
type Rejection struct{ Reason string }

func (r *Rejection) Error() string { return r.Reason }

func reject(format string, args ...any) *Rejection {
	return &Rejection{Reason: fmt.Sprintf(format, args...)}
}

// audioFacts is what checkProbe learns from a file that passes.
type audioFacts struct {
	format     Format
	codec      string
	declared   time.Duration
	sampleRate int
	channels   int
}

// formatBySniff finds the accepted format for a sniffed MIME type check, or nil.
func formatBySniff(is func(mime string) bool) *Format {
	for i := range Formats {
		if slices.ContainsFunc(Formats[i].SniffedAs, is) {
			return &Formats[i]
		}
	}
	return nil
}

// checkProbe applies the field checks to ffprobe's report on a file whose content sniffed
// as sniffed. ffprobe exits 0 for many non-audio files, so the fields decide, not the exit
// code.
func checkProbe(p ffmpeg.Probe, sniffed Format, limits Limits) (audioFacts, *Rejection) {
	if p.Format.FormatName != sniffed.Name {
		return audioFacts{}, reject("the file looks like %s but does not read as one; it may be damaged", sniffed.Extension)
	}
	var audio []ffmpeg.Stream
	for _, s := range p.Streams {
		switch {
		case s.CodecType == "audio":
			audio = append(audio, s)
		case s.CodecType == "video" && s.Disposition.AttachedPic == 1:
			// Embedded cover art is fine.
		default:
			return audioFacts{}, reject("the file holds %s as well as audio; upload an audio-only file", s.CodecType)
		}
	}
	if len(audio) != 1 {
		return audioFacts{}, reject("the file must hold exactly one audio stream, not %d", len(audio))
	}
	s := audio[0]
	if !slices.Contains(sniffed.Codecs, s.CodecName) {
		if sniffed.Extension == "m4a" {
			return audioFacts{}, reject("this .m4a holds %q audio; plyr accepts ALAC (lossless) in .m4a, not AAC: upload the lossless file or an MP3", s.CodecName)
		}
		return audioFacts{}, reject("%s audio encoded as %q is not supported", sniffed.Extension, s.CodecName)
	}
	rate, _ := strconv.Atoi(s.SampleRate)
	if rate < 8000 || rate > 384000 {
		return audioFacts{}, reject("a sample rate of %q Hz is not supported (8 kHz to 384 kHz)", s.SampleRate)
	}
	if s.Channels < 1 || s.Channels > 8 {
		return audioFacts{}, reject("%d audio channels are not supported (1 to 8)", s.Channels)
	}
	seconds, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil || seconds <= 0 || math.IsInf(seconds, 0) || math.IsNaN(seconds) {
		return audioFacts{}, reject("the file has no playable length; it may be damaged")
	}
	declared := time.Duration(seconds * float64(time.Second))
	if declared > limits.MaxDuration {
		return audioFacts{}, reject("the audio is %s long; the limit is %s", clock(declared), clock(limits.MaxDuration))
	}
	return audioFacts{format: sniffed, codec: s.CodecName, declared: declared, sampleRate: rate, channels: s.Channels}, nil
}

// checkDecode compares a full decode with what the header declared. ffmpeg reports damage
// on stderr (and stops at the first one with -xerror); a file cut short decodes cleanly to
// less than its header says, which only the lengths reveal.
func checkDecode(declared time.Duration, d ffmpeg.Decoded) *Rejection {
	if d.Failure != "" {
		return reject("the audio is damaged or cut short: decoding failed at %s of %s (%s)",
			clock(d.Length), clock(declared), d.Failure)
	}
	if d.Length <= 0 {
		return reject("the file holds no audio samples")
	}
	// MP3 headers count the encoder's delay and padding (tens of ms), hence the floor.
	tolerance := max(declared/100, 500*time.Millisecond)
	if diff := declared - d.Length; diff > tolerance || -diff > tolerance {
		return reject("the audio is damaged or cut short: it plays for %s but its header says %s",
			clock(d.Length), clock(declared))
	}
	return nil
}

// clock formats a duration as h:mm:ss or m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
