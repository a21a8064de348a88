// Package images is the media module's images feature: artwork an account uploads (POST
// /images), judged by its content, its thumbnails, its objects in storage and its row, and
// what serving and deleting one needs. It owns the SQL on media.images; the module's
// handlers only adapt HTTP to it.
//
// Design notes.
//
// An image is held in memory whole (at most MaxBytes, 20 MiB by default): it is hashed,
// decoded and re-encoded, and every decoder wants all of it. The body is read under a
// per-account cap and a global cap on images in progress (each may decode up to about
// 160 MB, MaxPixels as RGBA), so memory is bounded by the slots, not by the clients.
//
// Objects are content-addressed: images/<sha256-hex>/original.<ext>, 512.webp and 96.webp.
// The same bytes from the same account are the same image (the row is found by its hash
// before any decoding); the same bytes from two accounts are two rows sharing the objects,
// which go with the last row (Delete). The row is written before the objects, so that a
// Delete of another row with the same bytes that looks for sharers afterwards finds it and
// leaves the objects. One race is left: a Delete that looked just before the row was
// written removes objects the new row then lacks. It needs two accounts to upload and
// delete the same bytes within milliseconds; closing it would mean holding a lock across
// storage I/O.
//
// No database connection is held across storage I/O or decoding: each query is one
// statement of its own.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/modules/media/internal/slots"
)

// Default limits.
const (
	DefaultMaxBytes      = 20 << 20
	DefaultMaxConcurrent = 2
	DefaultMaxPerAccount = 2
	DefaultURLTTL        = time.Hour
)

// FormOverhead is what a form may add to the image: boundaries, part headers, small fields.
const FormOverhead = 64 << 10

// maxFieldBytes bounds any form field other than the file.
const maxFieldBytes = 4 << 10

// slotWait is how long an image waits for a free slot before getting ErrImagesBusy.
const slotWait = 5 * time.Second

// Storage is where images are kept and signed for clients.
type Storage interface {
	Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error)
	Delete(ctx context.Context, key string) error
	PresignGet(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error)
}

// Limits bound images. Zero fields take the defaults.
type Limits struct {
	// MaxBytes bounds one image file.
	MaxBytes int64
	// MaxConcurrent bounds the images received and processed at once, all accounts together.
	MaxConcurrent int
	// MaxPerAccount bounds one account's images in progress at once.
	MaxPerAccount int
	// URLTTL is how long a presigned URL for an image's object stays valid.
	URLTTL time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if l.MaxPerAccount <= 0 {
		l.MaxPerAccount = DefaultMaxPerAccount
	}
	if l.URLTTL <= 0 {
		l.URLTTL = DefaultURLTTL
	}
	return l
}

// Images is the feature.
type Images struct {
	q       *db.Queries
	storage Storage
	logger  *slog.Logger
	limits  Limits
	// slots bounds the images in progress; each holds its bytes and, while decoding, its
	// pixels.
	slots    chan struct{}
	accounts *slots.PerAccount
}

// New returns the feature.
func New(q *db.Queries, storage Storage, logger *slog.Logger, limits Limits) *Images {
	limits = limits.withDefaults()
	return &Images{
		q: q, storage: storage, logger: logger, limits: limits,
		slots:    make(chan struct{}, limits.MaxConcurrent),
		accounts: &slots.PerAccount{},
	}
}

// Image is a stored image.
type Image struct {
	ID          uuid.UUID
	OwnerDID    string
	SHA256      []byte
	ContentType string
	Width       int
	Height      int
	SizeBytes   int64
}

// Key is the storage key of one of the image's variants; "" for a variant that does not
// exist.
func (i Image) Key(variant string) string {
	base := "images/" + hex.EncodeToString(i.SHA256) + "/"
	switch variant {
	case Original:
		f, _ := formatOf(i.ContentType)
		return base + "original." + f.Ext
	case Large, Thumb:
		return base + variant
	}
	return ""
}

// contentTypeOf is the Content-Type a variant is served with.
func (i Image) contentTypeOf(variant string) string {
	if variant == Original {
		return i.ContentType
	}
	return webpFormat.ContentType
}

// MaxBody is the largest request body POST /images may send: the image and its form.
func (im *Images) MaxBody() int64 { return im.limits.MaxBytes + FormOverhead }

// TooLarge is the error for an image over the limit.
func (im *Images) TooLarge() error {
	return ErrImageTooLarge.Withf("the image is larger than the %d MiB limit", im.limits.MaxBytes>>20)
}

// URLTTL is how long the URLs of URL stay valid.
func (im *Images) URLTTL() time.Duration { return im.limits.URLTTL }

// Reserve takes one of did's image slots and one of the server's: ErrTooManyImages at once
// when did has MaxPerAccount in progress, ErrImagesBusy when no global slot frees up soon.
// The caller must call release when it got no error.
func (im *Images) Reserve(ctx context.Context, did string) (release func(), err error) {
	if !im.accounts.Take(did, im.limits.MaxPerAccount) {
		return nil, ErrTooManyImages.Withf(
			"you already have %d images in progress; send this one when one of them is done", im.limits.MaxPerAccount)
	}
	select {
	case im.slots <- struct{}{}:
	case <-time.After(slotWait):
		im.accounts.Release(did)
		return nil, ErrImagesBusy
	case <-ctx.Done():
		im.accounts.Release(did)
		return nil, fmt.Errorf("wait for an image slot: %w", ctx.Err())
	}
	return func() {
		<-im.slots
		im.accounts.Release(did)
	}, nil
}

// Read reads an image sent as the whole body: at most MaxBytes, reading one byte past.
func (im *Images) Read(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, im.limits.MaxBytes+1))
	if err != nil {
		return nil, im.BodyError(err)
	}
	if int64(len(b)) > im.limits.MaxBytes {
		return nil, im.TooLarge()
	}
	if len(b) == 0 {
		return nil, Bad("the body is empty; send an image")
	}
	return b, nil
}

// ReadForm reads a multipart form with one part named file, the image; other small fields
// are ignored.
func (im *Images) ReadForm(mr *multipart.Reader) ([]byte, error) {
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, im.BodyError(err)
		}
		switch part.FormName() {
		case "file":
			if data != nil {
				return nil, Bad("send one file per image")
			}
			if data, err = im.Read(part); err != nil {
				return nil, err
			}
		default:
			n, err := io.Copy(io.Discard, io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, im.BodyError(err)
			}
			if n > maxFieldBytes {
				return nil, Bad("a form field other than file is longer than %d bytes", maxFieldBytes)
			}
		}
		_ = part.Close()
	}
	if data == nil {
		return nil, Bad("the field file is required")
	}
	return data, nil
}

// BodyError classifies an error met while reading an image's body. What the reader said
// stays in the logs.
func (im *Images) BodyError(err error) error {
	var maxBytes *http.MaxBytesError
	var safe *rpc.Error
	var badHeader textproto.ProtocolError
	switch {
	case errors.As(err, &safe):
		return err
	case errors.As(err, &maxBytes):
		return im.TooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &badHeader), strings.Contains(err.Error(), "multipart"):
		return fmt.Errorf("%w: %w", Bad("the body ended early or is not valid multipart"), err)
	default:
		return err
	}
}

// Store keeps data as one of did's images and returns it: the image did already has with
// these bytes, or a new one once judged (Process), recorded and stored with its
// thumbnails. On an error no row of a new image stays; objects already written stay for
// whichever row shares them (they are content-addressed).
func (im *Images) Store(ctx context.Context, did string, data []byte) (Image, error) {
	if _, ok := Sniff(data); !ok {
		return Image{}, ErrUnsupportedImage // not worth a query
	}
	sum := sha256.Sum256(data)
	row, err := im.q.GetImageByHash(ctx, db.GetImageByHashParams{OwnerDid: did, Sha256: sum[:]})
	switch {
	case err == nil:
		return imageOf(row), nil
	case !errors.Is(err, pgx.ErrNoRows):
		return Image{}, fmt.Errorf("find image by hash: %w", err)
	}

	p, err := Process(data)
	if err != nil {
		return Image{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Image{}, fmt.Errorf("new id: %w", err)
	}
	img := Image{
		ID: id, OwnerDID: did, SHA256: sum[:], ContentType: p.Format.ContentType,
		Width: p.Width, Height: p.Height, SizeBytes: int64(len(data)),
	}
	got, err := im.q.CreateImage(ctx, db.CreateImageParams{
		ID: img.ID, OwnerDid: did, Sha256: img.SHA256, ContentType: img.ContentType,
		Width: int32(img.Width), Height: int32(img.Height), SizeBytes: img.SizeBytes,
	})
	if err != nil {
		return Image{}, fmt.Errorf("record image: %w", err)
	}
	// A twin upload of the same bytes won the row: answer with its id, still writing the
	// objects (the same bytes), so that neither answer depends on the other's finishing.
	created := got == img.ID
	img.ID = got
	bodies := map[string][]byte{Original: data, Large: p.Large, Thumb: p.Thumb}
	for _, variant := range Variants {
		body := bodies[variant]
		if _, err := im.storage.Upload(ctx, img.Key(variant), bytes.NewReader(body), int64(len(body))); err != nil {
			if created {
				if _, derr := im.q.DeleteImage(context.WithoutCancel(ctx), img.ID); derr != nil {
					im.logger.ErrorContext(ctx, "forget unstored image", slog.String("image_id", img.ID.String()), slog.String("error", derr.Error()))
				}
			}
			if ctx.Err() != nil {
				return Image{}, fmt.Errorf("%w: store %s: %w", rpc.ErrCanceled, variant, err)
			}
			return Image{}, fmt.Errorf("store %s of image %s: %w", variant, img.ID, err)
		}
	}
	im.logger.InfoContext(ctx, "image stored", slog.String("image_id", img.ID.String()), slog.String("did", did),
		slog.String("content_type", img.ContentType), slog.Int("width", img.Width), slog.Int("height", img.Height),
		slog.Int64("size_bytes", img.SizeBytes))
	return img, nil
}

// Get returns an image; ErrImageNotFound when there is none with this id.
func (im *Images) Get(ctx context.Context, id uuid.UUID) (Image, error) {
	row, err := im.q.GetImage(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Image{}, ErrImageNotFound
	}
	if err != nil {
		return Image{}, fmt.Errorf("get image %s: %w", id, err)
	}
	return imageOf(row), nil
}

// URL returns a storage URL that serves one variant of img for URLTTL; ErrImageNotFound
// for a variant that does not exist.
func (im *Images) URL(ctx context.Context, img Image, variant string) (string, error) {
	key := img.Key(variant)
	if key == "" {
		return "", ErrImageNotFound
	}
	url, err := im.storage.PresignGet(ctx, key, im.limits.URLTTL, img.contentTypeOf(variant))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return url, nil
}

// Delete removes an image: its objects, unless another row shares its bytes, then its row.
// A missing image is fine. The objects go first so that a Delete that failed midway is
// finished by trying again (the row, still there, says which objects to remove).
func (im *Images) Delete(ctx context.Context, id uuid.UUID) error {
	img, err := im.Get(ctx, id)
	if errors.Is(err, ErrImageNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	shared, err := im.q.ImageBytesShared(ctx, db.ImageBytesSharedParams{Sha256: img.SHA256, ID: img.ID})
	if err != nil {
		return fmt.Errorf("check sharers of image %s: %w", id, err)
	}
	if !shared {
		for _, variant := range Variants {
			if err := im.storage.Delete(ctx, img.Key(variant)); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("delete %s of image %s: %w", variant, id, err)
			}
		}
	}
	if _, err := im.q.DeleteImage(ctx, id); err != nil {
		return fmt.Errorf("delete image %s: %w", id, err)
	}
	return nil
}

func imageOf(row db.MediaImage) Image {
	return Image{
		ID: row.ID, OwnerDID: row.OwnerDid, SHA256: row.Sha256, ContentType: row.ContentType,
		Width: int(row.Width), Height: int(row.Height), SizeBytes: row.SizeBytes,
	}
}
