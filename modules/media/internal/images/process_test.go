package images

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/gen2brain/webp"
	"github.com/stretchr/testify/require"
	xwebp "golang.org/x/image/webp"
)

// picture is a w×h image with some detail, so that encoders have something to keep.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	return img
}

func encoded(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := picture(w, h)
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "webp":
		err = webp.Encode(&buf, img, webp.Options{Quality: 90})
	}
	require.NoError(t, err)
	return buf.Bytes()
}

// pngChunk is one PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngBomb is a valid-looking PNG of a few dozen bytes whose header declares w×h RGBA
// pixels: decoding it would allocate 4·w·h bytes before finding the data short.
func pngBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no filter, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

func longest(t *testing.T, data []byte) int {
	t.Helper()
	cfg, err := xwebp.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	return max(cfg.Width, cfg.Height)
}

func TestProcess_Formats(t *testing.T) {
	tests := []struct {
		format      string
		w, h        int
		contentType string
		large, th   int // the thumbnails' longest sides
	}{
		{"jpeg", 800, 600, "image/jpeg", 512, 96},
		{"png", 300, 700, "image/png", 512, 96},
		{"gif", 200, 100, "image/gif", 200, 96},
		{"webp", 640, 640, "image/webp", 512, 96},
		{"png", 40, 30, "image/png", 40, 40}, // never enlarged
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			p, err := Process(encoded(t, tt.format, tt.w, tt.h))
			require.NoError(t, err)
			require.Equal(t, tt.contentType, p.Format.ContentType)
			require.Equal(t, [2]int{tt.w, tt.h}, [2]int{p.Width, p.Height})
			require.Equal(t, tt.large, longest(t, p.Large))
			require.Equal(t, tt.th, longest(t, p.Thumb))
		})
	}
}

func TestProcess_Refusals(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"html", []byte("<!doctype html><html><script>alert(1)</script></html>"), ErrUnsupportedImage, "not a JPEG, PNG, WebP or GIF"},
		{"empty", nil, ErrUnsupportedImage, "not a JPEG"},
		{"png bomb", pngBomb(100000, 100000), ErrInvalidImage, "100000×100000 pixels"},
		{"too many pixels", pngBomb(8000, 8000), ErrInvalidImage, "40 megapixels"},
		{"side too long", pngBomb(12001, 10), ErrInvalidImage, "at most 12000 on a side"},
		{"gif bomb", []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;"), ErrInvalidImage, "65535×65535"},
		{"truncated jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16}, ErrInvalidImage, "damaged"},
		{"empty png", pngBomb(16, 16), ErrInvalidImage, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(tt.data)
			require.ErrorIs(t, err, tt.want)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

// The bomb is refused from its header: no allocation proportional to what it declares.
func TestProcess_BombAllocatesNothing(t *testing.T) {
	bomb := pngBomb(100000, 100000)
	allocs := testing.AllocsPerRun(5, func() { _, _ = Process(bomb) })
	require.Less(t, allocs, 100.0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Process(bomb)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrInvalidImage)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))
}

func TestProcess_AnimatedWebPIsRefused(t *testing.T) {
	// An extended WebP header (VP8X) with the animation flag; what follows does not matter.
	data := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x0f\x00\x00\x0f\x00\x00")
	_, err := Process(data)
	require.ErrorIs(t, err, ErrInvalidImage)
	require.ErrorContains(t, err, "animated WebP")
}

func TestProcess_KeepsTransparency(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 300))
	for y := range 300 {
		for x := range 600 {
			if x < 300 {
				img.Set(x, y, color.NRGBA{200, 30, 30, 255})
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	p, err := Process(buf.Bytes())
	require.NoError(t, err)
	thumb, err := xwebp.Decode(bytes.NewReader(p.Large))
	require.NoError(t, err)
	_, _, _, a := thumb.At(500, 100).RGBA()
	require.Zero(t, a, "the transparent half stays transparent")
	_, _, _, a = thumb.At(50, 100).RGBA()
	require.Equal(t, uint32(0xffff), a)
}

// A 3000×3000 photo, the usual cover from a camera or a designer.
func BenchmarkProcess(b *testing.B) {
	var buf bytes.Buffer
	require.NoError(b, jpeg.Encode(&buf, picture(3000, 3000), &jpeg.Options{Quality: 90}))
	for b.Loop() {
		_, err := Process(buf.Bytes())
		require.NoError(b, err)
	}
}

func TestSniff_IgnoresWhatFollows(t *testing.T) {
	for _, b := range [][]byte{[]byte("GIF8"), []byte("RIFF1234WEBX"), []byte("\xff\xd8"), []byte("%PDF-1.7")} {
		_, ok := Sniff(b)
		require.False(t, ok, "%q", b)
	}
}
