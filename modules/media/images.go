package media

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/images"
)

// imageCreated is the body of a 201 answer to POST /images.
type imageCreated struct {
	ImageID     string `json:"imageId"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumbUrl"`
	OriginalURL string `json:"originalUrl"`
}

// handleImageUpload accepts one image, as the file part of a multipart form or as the
// whole body with an image/* Content-Type (internal/images judges it, makes its thumbnails
// and stores it). This handler is the HTTP side: the declared and actual size of the
// body, its pace (as uploads'), the decoding of the form, and the answer. The same bytes
// sent again by the same account answer 201 with the same image.
func (m *Module) handleImageUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller := rpc.CallerFrom(ctx)
	if r.ContentLength > m.images.MaxBody() {
		// Refused before reading a byte of the body.
		m.writeImageError(w, r, m.images.TooLarge())
		return
	}
	release, err := m.images.Reserve(ctx, caller.DID)
	if err != nil {
		if ctx.Err() != nil {
			return // the client went away while waiting for a slot
		}
		m.writeImageError(w, r, err)
		return
	}
	defer release()

	body := m.newPacedBody(w, r.Body)
	defer body.stop()
	r.Body = http.MaxBytesReader(w, body, m.images.MaxBody())
	data, err := m.readImage(r)
	if err != nil {
		if body.cutOff() {
			err = fmt.Errorf("%w: %w", m.tooSlow(), err)
		}
		m.writeImageError(w, r, err)
		return
	}
	body.stop() // the body is read: processing time is not the client's pace

	img, err := m.images.Store(ctx, caller.DID, data)
	if err != nil {
		m.writeImageError(w, r, err)
		return
	}
	info := m.imageInfo(img)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", info.URL)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(imageCreated{ImageID: info.ID.String(), URL: info.URL, ThumbURL: info.ThumbURL, OriginalURL: info.OriginalURL})
}

// readImage reads the image of a POST /images: the file part of a multipart form, or the
// body itself when its declared type is an image (the declared type only picks how to
// read; the bytes decide the format).
func (m *Module) readImage(r *http.Request) ([]byte, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", images.Bad("malformed multipart body"), err)
		}
		return m.images.ReadForm(mr)
	case strings.HasPrefix(mediaType, "image/"):
		return m.images.Read(r.Body)
	default:
		return nil, images.Bad("send a multipart/form-data body with the field file, or the image itself with an image/* Content-Type")
	}
}

// writeImageError answers POST /images with err mapped by rpc.ConnectError, with the HTTP
// status that says most: 415 for a file that is not an accepted image, 413 and 408 for
// bodies refused midway (the connection is closed rather than the rest drained), and
// Retry-After where waiting helps.
func (m *Module) writeImageError(w http.ResponseWriter, r *http.Request, err error) {
	ce := rpc.ConnectError(r.Context(), m.logger, err)
	switch {
	case errors.Is(err, ErrUnsupportedImage):
		rpc.WriteErrorStatus(w, http.StatusUnsupportedMediaType, ce)
	case errors.Is(err, ErrImageTooLarge):
		w.Header().Set("Connection", "close")
		rpc.WriteErrorStatus(w, http.StatusRequestEntityTooLarge, ce)
	case errors.Is(err, ErrUploadTooSlow):
		w.Header().Set("Connection", "close")
		rpc.WriteErrorStatus(w, http.StatusRequestTimeout, ce)
	case errors.Is(err, ErrTooManyImages), errors.Is(err, ErrImagesBusy):
		w.Header().Set("Retry-After", "10")
		rpc.WriteError(w, ce)
	default:
		rpc.WriteError(w, ce)
	}
}

// handleImage serves GET and HEAD /images/{imageId}/{variant}: 302 to a presigned storage
// URL for the variant (HEAD gets the same redirect), 404 for an unknown image or variant.
func (m *Module) handleImage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := uuid.Parse(r.PathValue("imageId"))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, ErrImageNotFound)
		return
	}
	img, err := m.images.Get(ctx, id)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	url, err := m.images.URL(logging.With(ctx, slog.String("image_id", id.String())), img, r.PathValue("variant"))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	// Images are public and never change under their id: any cache may keep the redirect
	// while the URL it points to is still valid.
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(m.images.URLTTL().Seconds()/2)))
	http.Redirect(w, r, url, http.StatusFound)
}

// imageInfo is img as the door shows it, with absolute URLs under PublicURL.
func (m *Module) imageInfo(img images.Image) ImageInfo {
	base := m.publicURL + "/images/" + img.ID.String() + "/"
	return ImageInfo{
		ID: img.ID, OwnerDID: img.OwnerDID, ContentType: img.ContentType, Width: img.Width, Height: img.Height,
		URL: base + images.Large, ThumbURL: base + images.Thumb, OriginalURL: base + images.Original,
	}
}
