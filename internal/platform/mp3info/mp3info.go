// Package mp3info reads an MP3's exact decoded length from its first frame: the Xing/Info
// tag counts the audio frames and the LAME tag behind it gives the encoder delay and
// padding, so Frames×samplesPerFrame − Delay − Padding is the length to the sample.
//
// # Design notes
//
// ffprobe reports the length with the delay and padding included (180.036 s for a 180 s
// track), a frame scan counts the tag frame too, and a file written to a pipe has no tag
// at all (ffmpeg cannot seek back to fill it in), so for such a file Read returns ErrNoTag
// rather than a guess.
//
// Read looks at most 64 KiB past an ID3v2 tag and trusts the first valid Layer III frame
// header it finds there, as LAME's own reader (GetVbrTag) and ffmpeg's do. Like them it
// finds the tag right after the side information whatever the header's CRC bit says, and
// it reads the delay and padding only behind an encoder string it knows (LAME, or Lavf and
// Lavc for ffmpeg's muxer), since the bytes behind a bare Xing tag are not a LAME tag.
// Every slice access is checked against what was read, so any input gives an error rather
// than a panic.
package mp3info

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Info is what an MP3's first frame header and its Xing/Info + LAME tag say.
type Info struct {
	SampleRate     int           // Hz
	Channels       int           // 1 or 2
	Frames         int64         // audio frames counted by the Xing/Info tag (not counting the tag frame itself)
	Delay, Padding int           // encoder delay and padding in samples, from the LAME tag (0 when absent)
	Samples        int64         // Frames*samplesPerFrame - Delay - Padding: the exact decoded length
	Duration       time.Duration // Samples / SampleRate
	Bytes          int64         // from the Xing tag when present
}

// ErrNoTag means the file has no Xing/Info tag (or one without a frame count), so its
// exact length is unknown.
var ErrNoTag = errors.New("no xing/info tag with a frame count: exact length unknown")

var errTruncated = errors.New("mp3 frame header or tag cut short")

// maxScan bounds how far past the ID3v2 tag Read looks for the first frame.
const maxScan = 64 << 10

// Read reads the start of r (at most 64 KiB plus a leading ID3v2 tag, which it skips by
// its declared size without reading it into memory) and returns the Info.
func Read(r io.Reader) (Info, error) {
	head, err := io.ReadAll(io.LimitReader(r, 10))
	if err != nil {
		return Info{}, fmt.Errorf("read mp3 start: %w", err)
	}
	if len(head) == 10 && string(head[:3]) == "ID3" {
		if head[6]|head[7]|head[8]|head[9] >= 0x80 {
			return Info{}, errors.New("id3v2 tag size is not syncsafe")
		}
		size := int64(head[6])<<21 | int64(head[7])<<14 | int64(head[8])<<7 | int64(head[9])
		if head[5]&0x10 != 0 {
			size += 10 // a footer repeats the header after the tag
		}
		if err := skip(r, size); err != nil {
			return Info{}, fmt.Errorf("skip id3v2 tag: %w", err)
		}
		head = nil
	}
	b, err := io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(head), r), maxScan))
	if err != nil {
		return Info{}, fmt.Errorf("read mp3 start: %w", err)
	}
	return parse(b)
}

// ReadFile opens path and calls Read.
func ReadFile(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	info, err := Read(f)
	if err != nil {
		return Info{}, fmt.Errorf("read mp3 info %s: %w", path, err)
	}
	return info, nil
}

// skip discards n bytes of r: by seeking when r can (a file, so a tag full of cover art is
// never read), otherwise through a small pooled buffer.
func skip(r io.Reader, n int64) error {
	// A pipe is an *os.File too but cannot seek: it falls through to the copy.
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(n, io.SeekCurrent); err == nil {
			return nil
		}
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// parse reads the first frame in b and its tag.
func parse(b []byte) (Info, error) {
	i := frameAt(b)
	if i < 0 {
		return Info{}, errors.New("no mpeg audio frame header found")
	}
	h := b[i:]
	version, layer := h[1]>>3&3, h[1]>>1&3 // version 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5; layer 1 = III
	if layer != 1 {
		return Info{}, fmt.Errorf("mpeg audio layer %s, not layer III", [4]string{"", "III", "II", "I"}[layer])
	}
	rate := [3]int{44100, 48000, 32000}[h[2]>>2&3] >> [4]int{2, 0, 1, 0}[version] // MPEG-2 halves, MPEG-2.5 quarters
	info := Info{SampleRate: rate, Channels: 2}
	mono := h[3]>>6 == 3
	if mono {
		info.Channels = 1
	}
	var samplesPerFrame, sideInfo int
	switch {
	case version == 3 && mono:
		samplesPerFrame, sideInfo = 1152, 17
	case version == 3:
		samplesPerFrame, sideInfo = 1152, 32
	case mono:
		samplesPerFrame, sideInfo = 576, 9
	default:
		samplesPerFrame, sideInfo = 576, 17
	}

	if len(h) < 4+sideInfo+8 {
		return Info{}, errTruncated
	}
	t := h[4+sideInfo:]
	id, flags := string(t[:4]), binary.BigEndian.Uint32(t[4:8])
	if id != "Xing" && id != "Info" {
		return Info{}, ErrNoTag
	}
	t = t[8:]
	var field [4][]byte // frames, bytes, TOC, quality: present in this order when their flag bit is set
	for bit, size := range [4]int{4, 4, 100, 4} {
		if flags&(1<<bit) == 0 {
			continue
		}
		if len(t) < size {
			return Info{}, errTruncated
		}
		field[bit], t = t[:size], t[size:]
	}
	if field[0] == nil {
		return Info{}, ErrNoTag
	}
	info.Frames = int64(binary.BigEndian.Uint32(field[0]))
	if field[1] != nil {
		info.Bytes = int64(binary.BigEndian.Uint32(field[1]))
	}
	// The LAME tag: a 9-byte encoder string, then at offset 21 three bytes holding the
	// delay and padding, 12 bits each. The tag frame always has room for it, so fewer
	// bytes mean a cut file, not a tag without one.
	if len(t) < 24 {
		return Info{}, errTruncated
	}
	if enc := string(t[:4]); enc == "LAME" || enc == "Lavf" || enc == "Lavc" {
		v := int(t[21])<<16 | int(t[22])<<8 | int(t[23])
		info.Delay, info.Padding = v>>12, v&0xfff
	}

	info.Samples = info.Frames*int64(samplesPerFrame) - int64(info.Delay+info.Padding)
	if info.Samples < 0 {
		return Info{}, fmt.Errorf("lame tag delay %d and padding %d exceed %d frames", info.Delay, info.Padding, info.Frames)
	}
	// Whole seconds and the rest apart: Samples×time.Second alone would overflow past ~58 h.
	perSecond := int64(rate)
	info.Duration = time.Duration(info.Samples/perSecond)*time.Second +
		time.Duration(info.Samples%perSecond)*time.Second/time.Duration(perSecond)
	return info, nil
}

// frameAt returns the offset of the first MPEG audio frame header in b (sync, and no
// reserved version, layer, bitrate or sample rate), or -1.
func frameAt(b []byte) int {
	for i := 0; i+4 <= len(b); i++ {
		if b[i] == 0xFF && b[i+1]&0xE0 == 0xE0 && b[i+1]>>3&3 != 1 && b[i+1]>>1&3 != 0 &&
			b[i+2]>>4 != 15 && b[i+2]>>2&3 != 3 {
			return i
		}
	}
	return -1
}
