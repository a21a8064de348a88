package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/gen2brain/webp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	xwebp "golang.org/x/image/webp"

	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media"
)

const publicURL = "https://plyr.example"

func newImageFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureOptions{
		limits:    media.Limits{MaxUploadBytes: 1 << 20, MaxConcurrentUploads: 2, AudioURLTTL: 10 * time.Minute, ImageURLTTL: 20 * time.Minute},
		publicURL: publicURL + "/",
	})
}

// picture encodes a w×h image with some detail in format (jpeg, png, gif, webp).
func picture(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x * y) & 0xff), 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "webp":
		err = webp.Encode(&buf, img, webp.Options{Quality: 90})
	default:
		t.Fatalf("no format %s", format)
	}
	require.NoError(t, err)
	return buf.Bytes()
}

// pngBomb is a PNG of a few dozen bytes whose header declares w×h RGBA pixels.
func pngBomb(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

type imageAnswer struct {
	ImageID     string `json:"imageId"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumbUrl"`
	OriginalURL string `json:"originalUrl"`
	Code        string `json:"code"`
	Message     string `json:"message"`
}

// postImage sends data as the file part of a form named filename (or, with filename "",
// as the body with contentType).
func (f *fixture) postImage(t *testing.T, token, filename string, data []byte, contentType string) (*http.Response, imageAnswer) {
	t.Helper()
	body := bytes.NewBuffer(nil)
	if filename != "" {
		w := multipart.NewWriter(body)
		fw, err := w.CreateFormFile("file", filename)
		require.NoError(t, err)
		_, _ = fw.Write(data)
		require.NoError(t, w.Close())
		contentType = w.FormDataContentType()
	} else {
		body.Write(data)
	}
	req, err := http.NewRequest(http.MethodPost, f.url+"/images", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out imageAnswer
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res, out
}

func (f *fixture) object(t *testing.T, key string) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := f.store.Download(context.Background(), key, &buf)
	require.NoError(t, err, key)
	return buf.Bytes()
}

func (f *fixture) imageRows(t *testing.T) (n int) {
	t.Helper()
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM media.images").Scan(&n))
	return n
}

func imagesPrefix(data []byte) string {
	sum := sha256.Sum256(data)
	return "images/" + hex.EncodeToString(sum[:]) + "/"
}

// webpSize decodes a stored WebP and returns its dimensions.
func webpSize(t *testing.T, data []byte) (int, int) {
	t.Helper()
	img, err := xwebp.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestImages_AcceptsEachFormat(t *testing.T) {
	f := newImageFixture(t)
	tests := []struct {
		name, filename string
		data           []byte
		ext            string
		large, thumb   [2]int // the thumbnails' sizes
	}{
		{"jpeg", "cover.jpg", picture(t, "jpeg", 1200, 900), "jpg", [2]int{512, 384}, [2]int{96, 72}},
		{"png", "cover.png", picture(t, "png", 300, 1000), "png", [2]int{154, 512}, [2]int{29, 96}},
		{"gif", "cover.gif", picture(t, "gif", 600, 600), "gif", [2]int{512, 512}, [2]int{96, 96}},
		{"webp", "cover.webp", picture(t, "webp", 800, 400), "webp", [2]int{512, 256}, [2]int{96, 48}},
		// Smaller than both thumbnails: re-encoded, never enlarged. ffmpeg's JPEG, 64×64.
		{"small jpeg", "small.jpg", audiotest.JPEG(t), "jpg", [2]int{64, 64}, [2]int{64, 64}},
		// Between the two: the 512 keeps its size, the 96 shrinks.
		{"medium png named .jpg", "medium.jpg", picture(t, "png", 200, 100), "png", [2]int{200, 100}, [2]int{96, 48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := f.postImage(t, "alice-token", tt.filename, tt.data, "")
			require.Equal(t, http.StatusCreated, res.StatusCode, out.Message)
			id := uuid.MustParse(out.ImageID)
			base := publicURL + "/images/" + id.String() + "/"
			require.Equal(t, base+"512.webp", out.URL)
			require.Equal(t, base+"96.webp", out.ThumbURL)
			require.Equal(t, base+"original", out.OriginalURL)

			prefix := imagesPrefix(tt.data)
			require.Equal(t, tt.data, f.object(t, prefix+"original."+tt.ext))
			w, h := webpSize(t, f.object(t, prefix+"512.webp"))
			require.Equal(t, tt.large, [2]int{w, h})
			w, h = webpSize(t, f.object(t, prefix+"96.webp"))
			require.Equal(t, tt.thumb, [2]int{w, h})
		})
	}
}

func TestImages_RawBody(t *testing.T) {
	f := newImageFixture(t)
	data := picture(t, "png", 120, 80)
	// The declared type only says the body is an image; the bytes say which.
	res, out := f.postImage(t, "alice-token", "", data, "image/jpeg")
	require.Equal(t, http.StatusCreated, res.StatusCode, out.Message)
	info, err := f.module.Image(context.Background(), uuid.MustParse(out.ImageID))
	require.NoError(t, err)
	require.Equal(t, "image/png", info.ContentType)
	require.Equal(t, [2]int{120, 80}, [2]int{info.Width, info.Height})
}

func TestImages_RefusedRequestsLeaveNothing(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	tests := []struct {
		name        string
		token       string
		filename    string // "" sends data as the body
		data        []byte
		contentType string
		wantCode    int
		wantMsg     string
	}{
		{"no session", "", "cover.png", picture(t, "png", 10, 10), "", 401, "authentication required"},
		{"html named cover.jpg", "alice-token", "cover.jpg", html, "", 415, "not a JPEG, PNG, WebP or GIF image"},
		{"html sent as image/jpeg", "alice-token", "", html, "image/jpeg", 415, "its content is checked, not its name"},
		{"png bomb", "alice-token", "bomb.png", pngBomb(100000, 100000), "", 400, "100000×100000 pixels"},
		{"too many pixels", "alice-token", "wide.png", pngBomb(7000, 7000), "", 400, "40 megapixels"},
		{"damaged png", "alice-token", "broken.png", picture(t, "png", 50, 50)[:100], "", 400, "damaged"},
		{"not a form", "alice-token", "", []byte(`{"file": "x"}`), "application/json", 400, "multipart/form-data"},
		{"empty body", "alice-token", "", nil, "image/png", 400, "the body is empty"},
		{"twenty MiB and one byte", "alice-token", "huge.png", append(pngBomb(10, 10), make([]byte, 20<<20+1-len(pngBomb(10, 10)))...), "", 413, "larger than the 20 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newImageFixture(t)
			start := time.Now()
			res, out := f.postImage(t, tt.token, tt.filename, tt.data, tt.contentType)
			require.Equal(t, tt.wantCode, res.StatusCode, out.Message)
			require.Contains(t, out.Message, tt.wantMsg)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Empty(t, f.stagedKeys(t))
			require.Zero(t, f.imageRows(t))
		})
	}
}

func TestImages_SizeLimits(t *testing.T) {
	t.Run("declared length over the cap: refused before the body is read", func(t *testing.T) {
		f := newImageFixture(t)
		body := &countingReader{r: bytes.NewReader(make([]byte, 40<<20))}
		req, _ := http.NewRequest(http.MethodPost, f.url+"/images", body)
		req.ContentLength = 40 << 20
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Authorization", "Bearer alice-token")
		res, err := f.http.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		require.Less(t, body.read(), int64(8<<20), "read the body of a request refused for its length")
	})
	t.Run("streamed without a length: stops near the cap", func(t *testing.T) {
		f := newImageFixture(t)
		body := &countingReader{r: io.MultiReader(bytes.NewReader(pngBomb(10, 10)), bytes.NewReader(make([]byte, 60<<20)))}
		req, _ := http.NewRequest(http.MethodPost, f.url+"/images", body)
		req.ContentLength = -1
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Authorization", "Bearer alice-token")
		res, err := f.http.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		require.Less(t, body.read(), int64(20<<20+16<<20), "read far past the cap")
		require.Zero(t, f.imageRows(t))
	})
}

func TestImages_SameBytesSameImage(t *testing.T) {
	ctx := context.Background()
	f := newImageFixture(t)
	data := picture(t, "png", 100, 100)
	_, first := f.postImage(t, "alice-token", "a.png", data, "")
	res, again := f.postImage(t, "alice-token", "renamed.png", data, "")
	require.Equal(t, http.StatusCreated, res.StatusCode)
	require.Equal(t, first.ImageID, again.ImageID)
	require.Equal(t, 1, f.imageRows(t))

	// Another account's upload of the same bytes is its own image sharing the objects,
	// which go with the last of the two.
	_, bobs := f.postImage(t, "bob-token", "a.png", data, "")
	require.NotEqual(t, first.ImageID, bobs.ImageID)
	require.Equal(t, 2, f.imageRows(t))
	require.NoError(t, f.module.DeleteImage(ctx, uuid.MustParse(first.ImageID)))
	require.Len(t, f.stagedKeys(t), 3)
	info, err := f.module.Image(ctx, uuid.MustParse(bobs.ImageID))
	require.NoError(t, err)
	require.Equal(t, bob, info.OwnerDID)
	require.NoError(t, f.module.DeleteImage(ctx, uuid.MustParse(bobs.ImageID)))
	require.Empty(t, f.stagedKeys(t))
	require.Zero(t, f.imageRows(t))
}

func TestImages_Serve(t *testing.T) {
	f := newImageFixture(t)
	data := picture(t, "jpeg", 700, 700)
	_, out := f.postImage(t, "alice-token", "cover.jpg", data, "")
	id := out.ImageID
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, tt := range []struct{ variant, contentType string }{
		{"original", "image/jpeg"}, {"512.webp", "image/webp"}, {"96.webp", "image/webp"},
	} {
		t.Run(tt.variant, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req, _ := http.NewRequest(method, f.url+"/images/"+id+"/"+tt.variant, nil)
				res, err := noRedirect.Do(req)
				require.NoError(t, err)
				res.Body.Close()
				require.Equal(t, http.StatusFound, res.StatusCode, method)
				require.Equal(t, "public, max-age=600", res.Header.Get("Cache-Control"))
				require.Contains(t, res.Header.Get("Location"), "X-Amz-Expires=1200")
			}
			res, err := http.Get(f.url + "/images/" + id + "/" + tt.variant) // follows the redirect
			require.NoError(t, err)
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, tt.contentType, res.Header.Get("Content-Type"))
			if tt.variant == "original" {
				require.Equal(t, data, got)
			}
		})
	}
	for _, path := range []string{
		uuid.NewString() + "/512.webp", "not-an-id/512.webp", id + "/1024.webp", id + "/original.jpg", id + "/",
	} {
		t.Run("unknown "+path, func(t *testing.T) {
			res, err := noRedirect.Get(f.url + "/images/" + path)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusNotFound, res.StatusCode)
		})
	}
}

func TestModule_ImageAndDeleteImage(t *testing.T) {
	ctx := context.Background()
	f := newImageFixture(t)
	data := picture(t, "gif", 300, 200)
	_, out := f.postImage(t, "alice-token", "cover.gif", data, "")
	id := uuid.MustParse(out.ImageID)

	info, err := f.module.Image(ctx, id)
	require.NoError(t, err)
	require.Equal(t, media.ImageInfo{
		ID: id, OwnerDID: alice, ContentType: "image/gif", Width: 300, Height: 200,
		URL:         publicURL + "/images/" + id.String() + "/512.webp",
		ThumbURL:    publicURL + "/images/" + id.String() + "/96.webp",
		OriginalURL: publicURL + "/images/" + id.String() + "/original",
	}, info)

	_, err = f.module.Image(ctx, uuid.New())
	require.ErrorIs(t, err, media.ErrImageNotFound)

	require.Len(t, f.stagedKeys(t), 3)
	require.NoError(t, f.module.DeleteImage(ctx, id))
	require.Empty(t, f.stagedKeys(t))
	require.Zero(t, f.imageRows(t))
	_, err = f.module.Image(ctx, id)
	require.ErrorIs(t, err, media.ErrImageNotFound)
	// Again, and for an id that never was: nothing to do.
	require.NoError(t, f.module.DeleteImage(ctx, id))
	require.NoError(t, f.module.DeleteImage(ctx, uuid.New()))
	_, err = f.store.Head(ctx, imagesPrefix(data)+"96.webp")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func TestImages_PerAccountCap(t *testing.T) {
	f := newFixtureWith(t, fixtureOptions{
		limits: media.Limits{MaxUploadBytes: 1 << 20, MaxConcurrentUploads: 2, MaxConcurrentImages: 4, MaxImagesPerAccount: 2},
	})
	// Alice sends three images whose bodies never finish. Two take her two slots and wait
	// for their bytes; whichever reached the server last, in whatever order that was, is
	// refused at once. The refused one is the only answer to come. (Each declares a body
	// of 512 KiB, more than the 256 KiB an http.Server reads to discard an unread body
	// before it answers; with less, the refusal would wait for the body.)
	type answer struct {
		status     int
		message    string
		retryAfter string
	}
	answers := make(chan answer, 3)
	for range 3 {
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(http.MethodPost, f.url+"/images", pr)
		req.ContentLength = 512 << 10
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Authorization", "Bearer alice-token")
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, err := f.http.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			var out imageAnswer
			_ = json.NewDecoder(res.Body).Decode(&out)
			answers <- answer{res.StatusCode, out.Message, res.Header.Get("Retry-After")}
		}()
		t.Cleanup(func() {
			_ = pw.Close()
			<-done
		})
		_, _ = pw.Write([]byte("\x89PNG"))
	}
	select {
	case got := <-answers:
		require.Equal(t, answer{http.StatusTooManyRequests,
			"you already have 2 images in progress; send this one when one of them is done", "10"}, got)
	case <-time.After(30 * time.Second): // generous: CI runs many packages at once
		t.Fatal("none of the three images was refused")
	}

	// Bob still gets one of the free global slots.
	res, _ := f.postImage(t, "bob-token", "c.png", picture(t, "png", 10, 10), "")
	require.Equal(t, http.StatusCreated, res.StatusCode)
}
