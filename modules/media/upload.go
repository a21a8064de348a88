package media

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"time"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/uploads"
)

// uploadAccepted is the body of the answer to POST /upload: 202 for a new upload, 200 for
// the same bytes sent again (Duplicate), which names the upload and track they already
// made.
type uploadAccepted struct {
	TrackID   string `json:"trackId"`
	UploadID  string `json:"uploadId"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// handleUpload accepts a multipart form with a title and one audio file (internal/uploads
// streams the file to staging storage and starts the upload workflow). This handler is
// the HTTP side: the declared and actual size of the body, its pace, the multipart
// decoding, and the answer. Content is not judged here: the workflow validates it, and
// WatchUpload reports the verdict.
func (m *Module) handleUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller := rpc.CallerFrom(ctx)
	if r.ContentLength > m.uploads.MaxBody() {
		// Refused before reading a byte of the body.
		m.writeUploadError(w, r, m.uploads.TooLarge())
		return
	}
	res, err := m.uploads.Reserve(ctx, caller.DID)
	if err != nil {
		if ctx.Err() != nil {
			return // the client went away while waiting for a slot
		}
		m.writeUploadError(w, r, err)
		return
	}
	defer res.Release()

	ctx = logging.With(ctx, slog.String("upload_id", res.UploadID.String()), slog.String("track_id", res.TrackID.String()))
	r = r.WithContext(ctx)
	body := m.newPacedBody(w, r.Body)
	defer body.stop()
	r.Body = http.MaxBytesReader(w, body, m.uploads.MaxBody())

	var accepted uploads.Accepted
	form, err := multipartForm(r)
	if err == nil {
		accepted, err = res.Receive(ctx, form)
	}
	if err != nil {
		if body.cutOff() {
			err = fmt.Errorf("%w: %w", m.tooSlow(), err)
		}
		m.writeUploadError(w, r, err)
		return
	}
	status := http.StatusAccepted
	if accepted.Duplicate {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(uploadAccepted{
		TrackID: accepted.Input.TrackID.String(), UploadID: accepted.Input.UploadID.String(), Duplicate: accepted.Duplicate,
	})
}

// multipartForm decodes the request as a multipart/form-data stream.
func multipartForm(r *http.Request) (*multipart.Reader, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, uploads.BadForm("send a multipart/form-data body with the fields title and file")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", uploads.BadForm("malformed multipart body"), err)
	}
	return mr, nil
}

// pacedBody cuts off an upload body that pauses too long or averages too slow a rate:
// a client that trickles bytes would otherwise hold an upload slot (and two part buffers)
// for as long as it likes.
//
// Both rules are one read deadline on the connection, moved before each read: no later
// than UploadIdleTimeout from now, and no later than the moment the bytes received so far
// stop meeting UploadMinBytesPerSecond averaged since the start (after UploadRateGrace).
// Time plyr spends writing a part to storage between reads is not idle time, but it does
// count in the average; at the default minimum a part upload would have to stall for
// minutes to matter.
type pacedBody struct {
	r       io.ReadCloser
	rc      *http.ResponseController
	limits  Limits
	start   time.Time
	n       int64
	expired bool
	off     bool // the connection cannot take deadlines (a test recorder): no pacing
}

func (m *Module) newPacedBody(w http.ResponseWriter, r io.ReadCloser) *pacedBody {
	return &pacedBody{r: r, rc: http.NewResponseController(w), limits: m.limits, start: time.Now()}
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if !b.off {
		now := time.Now()
		deadline := now.Add(b.limits.UploadIdleTimeout)
		if rate := b.limits.UploadMinBytesPerSecond; rate > 0 {
			enough := time.Duration(float64(b.n) / float64(rate) * float64(time.Second))
			if due := b.start.Add(max(b.limits.UploadRateGrace, enough)); due.Before(deadline) {
				deadline = due
			}
		}
		if err := b.rc.SetReadDeadline(deadline); errors.Is(err, http.ErrNotSupported) {
			b.off = true
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.expired = true
	}
	return n, err
}

func (b *pacedBody) Close() error { return b.r.Close() }

// cutOff reports whether the body was cut off for being too slow.
func (b *pacedBody) cutOff() bool { return b.expired }

// stop lifts the deadline once the body has been read, so that it cannot cut the response.
func (b *pacedBody) stop() {
	if !b.off {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}

func (m *Module) tooSlow() error {
	if m.limits.UploadMinBytesPerSecond <= 0 {
		return ErrUploadTooSlow.Withf("the upload was too slow: never pause for %s or more", m.limits.UploadIdleTimeout)
	}
	return ErrUploadTooSlow.Withf("the upload was too slow: send at least %d KiB/s, and never pause for %s or more",
		max(m.limits.UploadMinBytesPerSecond>>10, 1), m.limits.UploadIdleTimeout)
}

// writeUploadError answers POST /upload with err mapped by rpc.ConnectError, with the
// HTTP status that says most: 413 and 408 for bodies refused midway (the connection is
// closed rather than the rest of the body drained), and Retry-After where waiting helps.
func (m *Module) writeUploadError(w http.ResponseWriter, r *http.Request, err error) {
	ce := rpc.ConnectError(r.Context(), m.logger, err)
	switch {
	case errors.Is(err, ErrUploadTooLarge):
		w.Header().Set("Connection", "close")
		rpc.WriteErrorStatus(w, http.StatusRequestEntityTooLarge, ce)
	case errors.Is(err, ErrUploadTooSlow):
		w.Header().Set("Connection", "close")
		rpc.WriteErrorStatus(w, http.StatusRequestTimeout, ce)
	case errors.Is(err, ErrLosslessNotAllowed):
		// Refused at the file's first bytes: the rest of the body is not read.
		w.Header().Set("Connection", "close")
		rpc.WriteError(w, ce)
	case errors.Is(err, ErrTooManyUploads), errors.Is(err, ErrUploadsBusy):
		w.Header().Set("Retry-After", "10")
		rpc.WriteError(w, ce)
	default:
		rpc.WriteError(w, ce)
	}
}
