package ffmpeg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Probe is the part of ffprobe's report (-show_format -show_streams) plyr reads.
type Probe struct {
	Format  ProbeFormat `json:"format"`
	Streams []Stream    `json:"streams"`
}

// ProbeFormat describes the container.
type ProbeFormat struct {
	// FormatName is the demuxer's name, e.g. "mp3" or "flac".
	FormatName string `json:"format_name"`
	// Duration is the length the header declares, in seconds, as ffprobe prints it.
	Duration string `json:"duration"`
}

// Stream describes one stream of the file.
type Stream struct {
	CodecType   string      `json:"codec_type"`
	CodecName   string      `json:"codec_name"`
	SampleRate  string      `json:"sample_rate"`
	Channels    int         `json:"channels"`
	Disposition Disposition `json:"disposition"`
}

// Disposition holds a stream's flags.
type Disposition struct {
	// AttachedPic is 1 for embedded cover art.
	AttachedPic int `json:"attached_pic"`
}

// ErrUnreadable is returned by ProbeFile when ffprobe cannot open the file as the format it
// was given: the file is damaged, cut short, or not what its content looked like.
var ErrUnreadable = errors.New("ffprobe could not read the file")

// ProbeFile runs ffprobe on the file at path, read as format (an ffmpeg demuxer name such
// as "mp3"), and parses its report. ffprobe's own refusal is ErrUnreadable; any other
// error is a failure to run it.
func ProbeFile(ctx context.Context, path, format string) (Probe, error) {
	args := append([]string{"-v", "error", "-print_format", "json", "-show_format", "-show_streams"},
		input(path, format)...)
	cmd := command(ctx, "ffprobe", args...)
	var stdout bytes.Buffer
	stderr := &limitedBuffer{max: stderrLimit}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := run(cmd, nil); err != nil {
		if exited(err) && ctx.Err() == nil {
			return Probe{}, fmt.Errorf("%w: %s", ErrUnreadable, firstLine(stderr.String()))
		}
		if ctx.Err() != nil {
			return Probe{}, fmt.Errorf("run ffprobe: %w", context.Cause(ctx))
		}
		return Probe{}, fmt.Errorf("run ffprobe: %w", err)
	}
	var p Probe
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		return Probe{}, fmt.Errorf("parse ffprobe output: %w", err)
	}
	return p, nil
}
