package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/workflows/upload"
)

// Form limits of POST /upload, apart from the file itself.
const (
	// formOverhead is what a form may add to the file: boundaries, part headers, the title.
	formOverhead = 64 << 10
	// maxTitleRunes bounds a track title.
	maxTitleRunes = 256
	// maxFilenameRunes bounds the uploaded file's name (most file systems stop at 255).
	maxFilenameRunes = 255
	// maxFieldBytes bounds any field other than the file.
	maxFieldBytes = 4 << 10
	// slotWait is how long an upload waits for a free slot before getting 503.
	slotWait = 5 * time.Second
)

// uploadAccepted is the body of a 202 answer to POST /upload.
type uploadAccepted struct {
	TrackID  string `json:"trackId"`
	UploadID string `json:"uploadId"`
}

// badForm is a case of ErrInvalidUpload. Its arguments reach the client.
func badForm(format string, args ...any) error { return ErrInvalidUpload.Withf(format, args...) }

// handleUpload accepts a multipart form with a title and one audio file, streams the file
// to staging storage, and starts the upload workflow. Content is not judged here: the
// workflow validates it, and WatchUpload reports the verdict.
func (m *Module) handleUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller := rpc.CallerFrom(ctx)
	maxBody := m.limits.MaxUploadBytes + formOverhead
	if r.ContentLength > maxBody {
		// Refused before reading a byte of the body.
		m.writeUploadError(w, r, m.tooLarge())
		return
	}

	// The account's own cap comes first, so that its extra uploads never wait in line for
	// the global slots that other accounts need.
	if !m.accountUploads.take(caller.DID, m.limits.MaxUploadsPerAccount) {
		m.writeUploadError(w, r, ErrTooManyUploads.Withf(
			"you already have %d uploads in progress; send this one when one of them is done", m.limits.MaxUploadsPerAccount))
		return
	}
	defer m.accountUploads.release(caller.DID)

	select {
	case m.uploadSlots <- struct{}{}:
		defer func() { <-m.uploadSlots }()
	case <-time.After(slotWait):
		m.writeUploadError(w, r, ErrUploadsBusy)
		return
	case <-ctx.Done():
		return
	}

	ids, err := newUploadIDs()
	if err != nil {
		m.writeUploadError(w, r, err)
		return
	}
	ctx = logging.With(ctx, slog.String("upload_id", ids.upload.String()), slog.String("track_id", ids.track.String()))
	body := m.newPacedBody(w, r.Body)
	defer body.stop()
	r.Body = http.MaxBytesReader(w, body, maxBody)

	form, err := m.readUploadForm(ctx, r, ids.stagingKey())
	if err != nil {
		if body.cutOff() {
			err = fmt.Errorf("%w: %w", m.tooSlow(), err)
		}
		m.writeUploadError(w, r.WithContext(ctx), err)
		return
	}

	in := upload.Input{
		UploadID: ids.upload, TrackID: ids.track, FileID: ids.file,
		ArtistDID: caller.DID, Title: form.title, StagingKey: ids.stagingKey(), AcceptedAt: time.Now().UTC(),
	}
	if err := m.accept(ctx, ids, in, form); err != nil {
		m.discardStaged(ctx, ids.stagingKey())
		m.writeUploadError(w, r.WithContext(ctx), fmt.Errorf("%w: %w", ErrNotAccepted, err))
		return
	}
	m.logger.InfoContext(ctx, "upload accepted", "did", caller.DID, "size_bytes", form.size)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(uploadAccepted{TrackID: in.TrackID.String(), UploadID: in.UploadID.String()})
}

// accept records the upload and starts its workflow. If the workflow cannot start, the
// upload is recorded as failed.
func (m *Module) accept(ctx context.Context, ids uploadIDs, in upload.Input, form uploadForm) error {
	err := m.q.CreateUpload(ctx, db.CreateUploadParams{
		ID: ids.upload, TrackID: ids.track, FileID: ids.file,
		OwnerDid: in.ArtistDID, Title: in.Title, Filename: form.filename, SizeBytes: form.size, StagingKey: in.StagingKey,
	})
	if err != nil {
		return fmt.Errorf("record upload: %w", err)
	}
	if err := m.workflows.Start(ctx, in); err != nil {
		_ = m.FinishUpload(context.WithoutCancel(ctx), in.UploadID, string(upload.StatusFailed), upload.FailedMessage)
		return fmt.Errorf("start upload workflow: %w", err)
	}
	return nil
}

type uploadForm struct {
	title    string
	filename string
	size     int64
}

// readUploadForm reads the form's parts in whatever order they come, streaming the file to
// stagingKey. On any error nothing stays staged.
func (m *Module) readUploadForm(ctx context.Context, r *http.Request, stagingKey string) (form uploadForm, err error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return form, badForm("send a multipart/form-data body with the fields title and file")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return form, fmt.Errorf("%w: %w", badForm("malformed multipart body"), err)
	}
	staged := false
	defer func() {
		if err != nil && staged {
			m.discardStaged(ctx, stagingKey)
		}
	}()
	var titleSeen bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return form, m.bodyError(err)
		}
		switch part.FormName() {
		case "file":
			if staged {
				return form, badForm("send one file per upload")
			}
			if form.filename, err = cleanText("the file name", part.FileName(), maxFilenameRunes); err != nil {
				return form, err
			}
			staged = true
			form.size, err = m.storage.Upload(ctx, stagingKey, part, m.limits.MaxUploadBytes)
			if err != nil && ctx.Err() != nil {
				// The client went away mid-body: its doing, not ours.
				return form, fmt.Errorf("%w: %w", rpc.ErrCanceled, err)
			}
			if err != nil {
				return form, m.bodyError(err)
			}
		case "title":
			value, err := readField(part)
			if err != nil {
				return form, m.bodyError(err)
			}
			if form.title, err = cleanText("the title", value, maxTitleRunes); err != nil {
				return form, err
			}
			titleSeen = true
		default:
			if _, err := readField(part); err != nil {
				return form, m.bodyError(err)
			}
		}
		_ = part.Close()
	}
	switch {
	case !staged:
		return form, badForm("the field file is required")
	case !titleSeen || form.title == "":
		return form, badForm("the field title is required")
	}
	return form, nil
}

// cleanText checks and normalises a short text the client names (what is its name in
// messages): valid UTF-8, trimmed, in Unicode NFC (so that the same title typed on two
// systems is stored the same way and counted the same), at most maxRunes characters, and
// free of control characters.
//
// Tabs and line breaks are control characters too and are refused, not replaced: a title
// or file name is one line wherever it is shown (lists, records on the PDS, logs), and
// quietly changing what the artist typed would be worse than saying what to fix. Leading
// and trailing ones are trimmed first, so a title pasted with a final newline passes. The
// Unicode line and paragraph separators (U+2028, U+2029) are refused for the same reason.
// Other invisible format characters (zero-width joiners in emoji, bidirectional marks in
// right-to-left titles) are legitimate and kept.
func cleanText(what, value string, maxRunes int) (string, error) {
	if !utf8.ValidString(value) {
		return "", badForm("%s is not valid UTF-8", what)
	}
	value = norm.NFC.String(strings.TrimSpace(value))
	for _, r := range value {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", badForm("%s contains a control character (%U); use one line of plain text", what, r)
		}
	}
	if utf8.RuneCountInString(value) > maxRunes {
		return "", badForm("%s is longer than %d characters", what, maxRunes)
	}
	return value, nil
}

// accountSlots counts the uploads each account has in progress.
type accountSlots struct {
	mu   sync.Mutex
	held map[string]int
}

// take counts an upload for did, unless did already has limit in progress.
func (a *accountSlots) take(did string, limit int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held[did] >= limit {
		return false
	}
	a.held[did]++
	return true
}

// release ends an upload counted by take.
func (a *accountSlots) release(did string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held[did]--; a.held[did] <= 0 {
		delete(a.held, did) // the map holds only accounts uploading now
	}
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

// readField reads a small form field.
func readField(part io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxFieldBytes {
		return "", badForm("a form field other than file is longer than %d bytes", maxFieldBytes)
	}
	return string(b), nil
}

// bodyError classifies an error met while reading the body. What the reader said stays
// in the logs: it may name addresses or internals.
func (m *Module) bodyError(err error) error {
	var maxBytes *http.MaxBytesError
	var safe *rpc.Error
	var badHeader textproto.ProtocolError
	switch {
	case errors.As(err, &safe):
		return err
	case errors.Is(err, storage.ErrTooLarge), errors.As(err, &maxBytes):
		return m.tooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &badHeader), strings.Contains(err.Error(), "multipart"):
		return fmt.Errorf("%w: %w", badForm("the body ended early or is not valid multipart"), err)
	default:
		return err
	}
}

func (m *Module) tooSlow() error {
	if m.limits.UploadMinBytesPerSecond <= 0 {
		return ErrUploadTooSlow.Withf("the upload was too slow: never pause for %s or more", m.limits.UploadIdleTimeout)
	}
	return ErrUploadTooSlow.Withf("the upload was too slow: send at least %d KiB/s, and never pause for %s or more",
		max(m.limits.UploadMinBytesPerSecond>>10, 1), m.limits.UploadIdleTimeout)
}

func (m *Module) tooLarge() error {
	return ErrUploadTooLarge.Withf("the file is larger than the %d MiB limit", m.limits.MaxUploadBytes>>20)
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
	case errors.Is(err, ErrTooManyUploads), errors.Is(err, ErrUploadsBusy):
		w.Header().Set("Retry-After", "10")
		rpc.WriteError(w, ce)
	default:
		rpc.WriteError(w, ce)
	}
}

func (m *Module) discardStaged(ctx context.Context, key string) {
	if err := m.storage.Delete(context.WithoutCancel(ctx), key); err != nil {
		m.logger.ErrorContext(ctx, "discard staged upload", "key", key, "error", err.Error())
	}
}

type uploadIDs struct{ upload, track, file uuid.UUID }

func newUploadIDs() (uploadIDs, error) {
	var ids uploadIDs
	for _, id := range []*uuid.UUID{&ids.upload, &ids.track, &ids.file} {
		v, err := uuid.NewV7()
		if err != nil {
			return ids, fmt.Errorf("new id: %w", err)
		}
		*id = v
	}
	return ids, nil
}

// stagingKey is where the upload's body waits for validation.
func (ids uploadIDs) stagingKey() string { return "staging/" + ids.upload.String() }
