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
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

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

// formError is a problem with the request's form, answered with its status and message.
type formError struct {
	status int
	code   connect.Code
	msg    string
}

func (e *formError) Error() string { return e.msg }

func badForm(format string, args ...any) *formError {
	return &formError{http.StatusBadRequest, connect.CodeInvalidArgument, fmt.Sprintf(format, args...)}
}

// handleUpload accepts a multipart form with a title and one audio file, streams the file
// to staging storage, and starts the upload workflow. Content is not judged here: the
// workflow validates it, and WatchUpload reports the verdict.
func (m *Module) handleUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller := rpc.CallerFrom(ctx)
	maxBody := m.limits.MaxUploadBytes + formOverhead
	if r.ContentLength > maxBody {
		// Refused before reading a byte of the body.
		m.writeFormError(w, m.tooLarge())
		return
	}

	select {
	case m.uploadSlots <- struct{}{}:
		defer func() { <-m.uploadSlots }()
	case <-time.After(slotWait):
		w.Header().Set("Retry-After", "10")
		rpc.WriteError(w, connect.NewError(connect.CodeUnavailable, errors.New("too many uploads in progress; try again shortly")))
		return
	case <-ctx.Done():
		return
	}

	ids, err := newUploadIDs()
	if err != nil {
		rpc.WriteError(w, rpc.Internal(ctx, m.logger, err))
		return
	}
	ctx = logging.With(ctx, slog.String("upload_id", ids.upload.String()), slog.String("track_id", ids.track.String()))
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)

	form, err := m.readUploadForm(ctx, r, ids.stagingKey())
	if err != nil {
		var fe *formError
		if errors.As(err, &fe) {
			m.writeFormError(w, fe)
			return
		}
		rpc.WriteError(w, rpc.Internal(ctx, m.logger, err))
		return
	}

	in := upload.Input{
		UploadID: ids.upload.String(), TrackID: ids.track.String(), FileID: ids.file.String(),
		ArtistDID: caller.DID, Title: form.title, StagingKey: ids.stagingKey(), AcceptedAt: time.Now().UTC(),
	}
	if err := m.accept(ctx, ids, in, form); err != nil {
		m.discardStaged(ctx, ids.stagingKey())
		rpc.WriteError(w, connect.NewError(connect.CodeUnavailable, errors.New("could not start processing the upload; try again")))
		m.logger.ErrorContext(ctx, "accept upload", "error", err.Error())
		return
	}
	m.logger.InfoContext(ctx, "upload accepted", "did", caller.DID, "size_bytes", form.size)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(uploadAccepted{TrackID: in.TrackID, UploadID: in.UploadID})
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
		return form, badForm("malformed multipart body: %v", err)
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
			form.filename = part.FileName()
			staged = true
			form.size, err = m.storage.Upload(ctx, stagingKey, part, m.limits.MaxUploadBytes)
			if err != nil && ctx.Err() != nil {
				// The client went away mid-body: its doing, not ours.
				return form, badForm("the upload was interrupted")
			}
			if err != nil {
				return form, m.bodyError(err)
			}
		case "title":
			value, err := readField(part)
			if err != nil {
				return form, m.bodyError(err)
			}
			form.title, titleSeen = strings.TrimSpace(value), true
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
	case !utf8.ValidString(form.title):
		return form, badForm("the title is not valid UTF-8")
	case utf8.RuneCountInString(form.title) > maxTitleRunes:
		return form, badForm("the title is longer than %d characters", maxTitleRunes)
	}
	return form, nil
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

// bodyError classifies an error met while reading the body.
func (m *Module) bodyError(err error) error {
	var maxBytes *http.MaxBytesError
	var fe *formError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.Is(err, storage.ErrTooLarge), errors.As(err, &maxBytes):
		return m.tooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "multipart"):
		return badForm("the body ended early or is not valid multipart: %v", err)
	default:
		return err
	}
}

func (m *Module) tooLarge() *formError {
	return &formError{http.StatusRequestEntityTooLarge, connect.CodeResourceExhausted,
		fmt.Sprintf("the file is larger than the %d MiB limit", m.limits.MaxUploadBytes>>20)}
}

func (m *Module) writeFormError(w http.ResponseWriter, fe *formError) {
	if fe.status == http.StatusRequestEntityTooLarge {
		// Do not drain the rest of a body we refused: close the connection instead.
		w.Header().Set("Connection", "close")
	}
	rpc.WriteErrorStatus(w, fe.status, connect.NewError(fe.code, errors.New(fe.msg)))
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
