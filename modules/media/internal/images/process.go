package images

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"github.com/gen2brain/webp"
	"golang.org/x/image/draw"
	xwebp "golang.org/x/image/webp"
)

// Bounds on an image's dimensions, checked from its header before anything is decoded: a
// decoder allocates what the header declares (a 100000×100000 PNG of a few hundred bytes
// asks for 40 GB), so the header is the last moment a decompression bomb is cheap to refuse.
// 40 megapixels is more than any cover needs (3000×3000 is 9) and decodes in at most
// about 160 MB.
const (
	MaxPixels = 40_000_000
	MaxSide   = 12_000
)

// Variants of a stored image, as /images/{id}/{variant} names them.
const (
	// Original is the bytes as uploaded.
	Original = "original"
	// Large is a WebP at most 512 px on its longest side (covers on pages).
	Large = "512.webp"
	// Thumb is a WebP at most 96 px on its longest side (lists, notifications).
	Thumb = "96.webp"
)

// Variants are every variant of an image, in the order they are stored.
var Variants = []string{Original, Large, Thumb}

// Thumbnail sizes (the longest side) and their WebP quality: q80 is where artwork stops
// showing blocks at these sizes and costs a few KB (../shared/reference/media.md §5).
const (
	largeSide   = 512
	thumbSide   = 96
	webpQuality = 80
)

// Format is an accepted image format.
type Format struct {
	ContentType string
	// Ext is the original's file extension in storage.
	Ext string
}

var (
	jpegFormat = Format{"image/jpeg", "jpg"}
	pngFormat  = Format{"image/png", "png"}
	gifFormat  = Format{"image/gif", "gif"}
	webpFormat = Format{"image/webp", "webp"}
)

// formatOf returns the format of a stored content type.
func formatOf(contentType string) (Format, bool) {
	for _, f := range []Format{jpegFormat, pngFormat, gifFormat, webpFormat} {
		if f.ContentType == contentType {
			return f, true
		}
	}
	return Format{}, false
}

// Sniff tells an image's format from its first bytes (its magic number). The file's name
// and declared type are never asked: they are the client's to choose, the bytes are what
// decoders and browsers will read.
func Sniff(b []byte) (Format, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return jpegFormat, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return pngFormat, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return gifFormat, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return webpFormat, true
	}
	return Format{}, false
}

// Processed is an accepted image and its thumbnails, ready to store.
type Processed struct {
	Format        Format
	Width, Height int
	// Large and Thumb are the WebP thumbnails' bytes.
	Large, Thumb []byte
}

// Process judges an image and makes its thumbnails: the format by content, the dimensions
// from the header (MaxSide, MaxPixels) before decoding, then the decoded picture scaled
// down (never up) to 512 and 96 px on its longest side and encoded as WebP. A GIF is its
// first frame; an animated WebP is refused (its first frame cannot be decoded alone by
// golang.org/x/image/webp, and decoding every frame would multiply the memory).
//
// Scaling uses Catmull-Rom, whose kernel widens with the ratio, so a 3000 px cover shrunk
// to 96 px averages every source pixel rather than sampling one in thirty (the aliasing of
// bilinear or nearest-neighbour shrinking). The 96 px thumbnail is made from the 512 px
// one: the same quality at a thirtieth of the work.
func Process(data []byte) (Processed, error) {
	f, ok := Sniff(data)
	if !ok {
		return Processed{}, ErrUnsupportedImage
	}
	if f == webpFormat && animatedWebP(data) {
		return Processed{}, Bad("animated WebP images are not supported; send a still image")
	}
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return Processed{}, fmt.Errorf("%w: %w", Bad("the %s image is damaged or cannot be read", f.Ext), err)
	}
	if err := checkDimensions(cfg.Width, cfg.Height); err != nil {
		return Processed{}, err
	}
	img, err := decode(f, data)
	if err != nil {
		return Processed{}, fmt.Errorf("%w: %w", Bad("the %s image is damaged or cannot be read", f.Ext), err)
	}
	p := Processed{Format: f, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	if err := checkDimensions(p.Width, p.Height); err != nil {
		return Processed{}, err // a GIF frame larger than its header said
	}
	large := scaleDown(img, largeSide)
	if p.Large, err = encodeWebP(large); err != nil {
		return Processed{}, err
	}
	if p.Thumb, err = encodeWebP(scaleDown(large, thumbSide)); err != nil {
		return Processed{}, err
	}
	return p, nil
}

// checkDimensions refuses an image too large to decode safely, or empty.
func checkDimensions(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return Bad("the image has no pixels")
	case w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels:
		return Bad("the image is %d×%d pixels; at most %d on a side and %d megapixels in all are accepted",
			w, h, MaxSide, MaxPixels/1_000_000)
	}
	return nil
}

func decodeConfig(f Format, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case jpegFormat:
		return jpeg.DecodeConfig(r)
	case pngFormat:
		return png.DecodeConfig(r)
	case gifFormat:
		return gif.DecodeConfig(r)
	default:
		return xwebp.DecodeConfig(r)
	}
}

// decode decodes with the format's own decoder, never image.Decode: the format was decided
// by Sniff, and image.Decode would sniff again among whatever formats are registered.
func decode(f Format, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch f {
	case jpegFormat:
		return jpeg.Decode(r)
	case pngFormat:
		return png.Decode(r)
	case gifFormat:
		return gif.Decode(r) // the first frame only
	default:
		return xwebp.Decode(r)
	}
}

// animatedWebP reports whether an extended WebP (a VP8X chunk first) has its animation flag.
func animatedWebP(data []byte) bool {
	return len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0
}

// scaleDown returns img scaled so that its longest side is at most side, keeping its
// aspect ratio; an image already small enough is returned as it is.
func scaleDown(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, (h*side+w/2)/w)
	} else {
		w, h = max(1, (w*side+h/2)/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

func encodeWebP(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := webp.Encode(&buf, img, webp.Options{Quality: webpQuality}); err != nil {
		return nil, fmt.Errorf("encode webp: %w", err)
	}
	return buf.Bytes(), nil
}
