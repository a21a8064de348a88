package uploads

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/workflows/upload"
)

// Form limits of an upload, apart from the file itself.
const (
	// FormOverhead is what a form may add to the file: boundaries, part headers, the title.
	FormOverhead = 64 << 10
	// maxTitleBytes bounds a track title: the fm.plyr.track lexicon allows 256 bytes of
	// UTF-8 (256 plain letters, fewer accented or non-Latin ones).
	maxTitleBytes = 256
	// maxFilenameRunes bounds the uploaded file's name (most file systems stop at 255).
	maxFilenameRunes = 255
	// maxFieldBytes bounds any field other than the file.
	maxFieldBytes = 4 << 10
)

// MaxBody is the largest request body an upload may send: the file and its form.
func (u *Uploads) MaxBody() int64 { return u.limits.MaxBytes + FormOverhead }

// TooLarge is the error for a body over MaxBody.
func (u *Uploads) TooLarge() error {
	return ErrUploadTooLarge.Withf("the file is larger than the %d MiB limit", u.limits.MaxBytes>>20)
}

// Reservation is an upload that holds its slots and ids, ready to receive its form.
type Reservation struct {
	u   *Uploads
	did string
	// UploadID, TrackID and FileID are the upload's ids, chosen when it was reserved.
	UploadID, TrackID, FileID uuid.UUID
}

// Reserve takes one of did's upload slots and one of the server's, and chooses the
// upload's ids. The account's own cap comes first, so that its extra uploads never wait
// in line for the global slots that other accounts need: ErrTooManyUploads at once when
// did has MaxPerAccount in progress, ErrUploadsBusy when no global slot frees up soon.
// The caller must Release a reservation it got.
func (u *Uploads) Reserve(ctx context.Context, did string) (*Reservation, error) {
	if !u.accounts.Take(did, u.limits.MaxPerAccount) {
		return nil, ErrTooManyUploads.Withf(
			"you already have %d uploads in progress; send this one when one of them is done", u.limits.MaxPerAccount)
	}
	select {
	case u.slots <- struct{}{}:
	case <-time.After(slotWait):
		u.accounts.Release(did)
		return nil, ErrUploadsBusy
	case <-ctx.Done():
		u.accounts.Release(did)
		return nil, fmt.Errorf("wait for an upload slot: %w", ctx.Err())
	}
	r := &Reservation{u: u, did: did}
	for _, id := range []*uuid.UUID{&r.UploadID, &r.TrackID, &r.FileID} {
		v, err := uuid.NewV7()
		if err != nil {
			r.Release()
			return nil, fmt.Errorf("new id: %w", err)
		}
		*id = v
	}
	return r, nil
}

// Release gives the reservation's slots back.
func (r *Reservation) Release() {
	<-r.u.slots
	r.u.accounts.Release(r.did)
}

// StagingKey is where the upload's body waits for validation.
func (r *Reservation) StagingKey() string { return StagingKey(r.UploadID) }

// Accepted is an upload whose workflow has started.
type Accepted struct {
	Input upload.Input
	// SizeBytes is the size of the staged file.
	SizeBytes int64
	// Duplicate means the account already had an upload of the same bytes, processing or
	// ready: Input names that upload and its track, and nothing new was started.
	Duplicate bool
}

// Receive reads the upload's form (a title and one file, in whatever order they come),
// streaming the file to staging storage, records the upload and starts its workflow.
// Content is not judged here: the workflow validates it. On any error nothing stays
// staged; an upload whose workflow cannot start is recorded as failed.
func (r *Reservation) Receive(ctx context.Context, form *multipart.Reader) (Accepted, error) {
	u := r.u
	f, err := u.readForm(ctx, form, r.did, r.StagingKey())
	if err != nil {
		return Accepted{}, err
	}
	pds, err := u.flags.PDSAudio(ctx, r.did)
	if err != nil {
		u.discardStaged(ctx, r.StagingKey())
		return Accepted{}, fmt.Errorf("%w: read the account's settings: %w", ErrNotAccepted, err)
	}
	in := upload.Input{
		UploadID: r.UploadID, TrackID: r.TrackID, FileID: r.FileID,
		ArtistDID: r.did, Title: f.title, StagingKey: r.StagingKey(), AcceptedAt: time.Now().UTC(),
		Filename: f.filename, AllowLossless: f.lossless != "", LosslessFormat: f.lossless, PDSAudio: pds,
	}
	same, err := u.accept(ctx, in, f)
	if err != nil {
		u.discardStaged(ctx, in.StagingKey)
		return Accepted{}, fmt.Errorf("%w: %w", ErrNotAccepted, err)
	}
	if same != nil {
		u.discardStaged(ctx, in.StagingKey)
		u.logger.InfoContext(ctx, "upload is a duplicate", "did", r.did, "same_as", same.ID.String())
		in.UploadID, in.TrackID, in.FileID = same.ID, same.TrackID, same.FileID
		return Accepted{Input: in, SizeBytes: f.size, Duplicate: true}, nil
	}
	u.logger.InfoContext(ctx, "upload accepted", "did", r.did, "size_bytes", f.size)
	return Accepted{Input: in, SizeBytes: f.size}, nil
}

// accept records the upload and starts its workflow. If the account already has an upload
// of the same bytes (processing or ready), nothing is recorded or started and that upload
// is returned. If the workflow cannot start, the upload is recorded as failed.
func (u *Uploads) accept(ctx context.Context, in upload.Input, f form) (*db.CreateUploadRow, error) {
	params := db.CreateUploadParams{
		ID: in.UploadID, TrackID: in.TrackID, FileID: in.FileID,
		OwnerDid: in.ArtistDID, Title: in.Title, Filename: f.filename, SizeBytes: f.size, StagingKey: in.StagingKey,
		Sha256: f.sha256,
	}
	var row db.CreateUploadRow
	var err error
	// An upload of the same bytes committed while this statement ran is skipped by the
	// insert but not seen by the statement's own snapshot: the next try sees it.
	for range 3 {
		if row, err = u.q.CreateUpload(ctx, params); !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record upload: %w", err)
	}
	if row.ID != in.UploadID {
		return &row, nil
	}
	if err := u.workflows.Start(ctx, in); err != nil {
		_ = u.Finish(context.WithoutCancel(ctx), in.UploadID, string(upload.StatusFailed), upload.FailedMessage)
		return nil, fmt.Errorf("start upload workflow: %w", err)
	}
	return nil, nil
}

type form struct {
	title    string
	filename string
	size     int64
	// sha256 is the hash of the file's bytes.
	sha256 []byte
	// lossless is the format of a lossless file the account may upload ("" otherwise).
	lossless string
}

// readForm reads the form's parts in whatever order they come, streaming the file to
// stagingKey. On any error nothing stays staged.
func (u *Uploads) readForm(ctx context.Context, mr *multipart.Reader, did, stagingKey string) (f form, err error) {
	staged := false
	defer func() {
		if err != nil && staged {
			u.discardStaged(ctx, stagingKey)
		}
	}()
	var titleSeen bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, u.BodyError(err)
		}
		switch part.FormName() {
		case "file":
			if staged {
				return f, BadForm("send one file per upload")
			}
			if f.filename, err = cleanText("the file name", part.FileName(), maxFilenameRunes, 0); err != nil {
				return f, err
			}
			body, lossless, err := u.checkLossless(ctx, did, part)
			if err != nil {
				return f, err
			}
			f.lossless = lossless
			hash := sha256.New()
			staged = true
			f.size, err = u.storage.Upload(ctx, stagingKey, io.TeeReader(body, hash), u.limits.MaxBytes)
			f.sha256 = hash.Sum(nil)
			if err != nil && ctx.Err() != nil {
				// The client went away mid-body: its doing, not ours.
				return f, fmt.Errorf("%w: %w", rpc.ErrCanceled, err)
			}
			if err != nil {
				return f, u.BodyError(err)
			}
		case "title":
			value, err := readField(part)
			if err != nil {
				return f, u.BodyError(err)
			}
			if f.title, err = cleanText("the title", value, maxTitleBytes, maxTitleBytes); err != nil {
				return f, err
			}
			titleSeen = true
		default:
			if _, err := readField(part); err != nil {
				return f, u.BodyError(err)
			}
		}
		_ = part.Close()
	}
	switch {
	case !staged:
		return f, BadForm("the field file is required")
	case !titleSeen || f.title == "":
		return f, BadForm("the field title is required")
	}
	return f, nil
}

// sniffBytes is how much of a file content sniffing reads.
const sniffBytes = 3 << 10

// checkLossless reads the head of the file to tell a lossless one, which only accounts
// with the lossless-uploads flag may send: the others are refused before anything is
// stored. It returns the file's whole body (the head included) and the format of a
// lossless file ("" for any other), whose MP3 the upload makes while it inspects the file.
// The upload's inspection judges the content again, in full.
func (u *Uploads) checkLossless(ctx context.Context, did string, part io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(part, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", u.BodyError(err)
	}
	format := mediaact.SniffFormat(head)
	if format == nil || !format.Lossless {
		return br, "", nil
	}
	allowed, err := u.flags.LosslessAllowed(ctx, did)
	if err != nil {
		return nil, "", fmt.Errorf("read the account's flags: %w", err)
	}
	if !allowed {
		return nil, "", ErrLosslessNotAllowed
	}
	return br, format.Name, nil
}

// cleanText checks and normalises a short text the client names (what is its name in
// messages): valid UTF-8, trimmed, in Unicode NFC (so that the same title typed on two
// systems is stored the same way and counted the same), at most maxRunes characters and
// maxBytes bytes (0: no byte bound), and free of control characters.
//
// Tabs and line breaks are control characters too and are refused, not replaced: a title
// or file name is one line wherever it is shown (lists, records on the PDS, logs), and
// quietly changing what the artist typed would be worse than saying what to fix. Leading
// and trailing ones are trimmed first, so a title pasted with a final newline passes. The
// Unicode line and paragraph separators (U+2028, U+2029) are refused for the same reason.
// Other invisible format characters (zero-width joiners in emoji, bidirectional marks in
// right-to-left titles) are legitimate and kept.
func cleanText(what, value string, maxRunes, maxBytes int) (string, error) {
	if !utf8.ValidString(value) {
		return "", BadForm("%s is not valid UTF-8", what)
	}
	value = norm.NFC.String(strings.TrimSpace(value))
	for _, r := range value {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", BadForm("%s contains a control character (%U); use one line of plain text", what, r)
		}
	}
	if utf8.RuneCountInString(value) > maxRunes {
		return "", BadForm("%s is longer than %d characters", what, maxRunes)
	}
	if maxBytes > 0 && len(value) > maxBytes {
		return "", BadForm("%s is longer than %d bytes of UTF-8 (%d plain letters, fewer accented or non-Latin ones)", what, maxBytes, maxBytes)
	}
	return value, nil
}

// readField reads a small form field.
func readField(part io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxFieldBytes {
		return "", BadForm("a form field other than file is longer than %d bytes", maxFieldBytes)
	}
	return string(b), nil
}

// BodyError classifies an error met while reading an upload's body. What the reader said
// stays in the logs: it may name addresses or internals.
func (u *Uploads) BodyError(err error) error {
	var maxBytes *http.MaxBytesError
	var safe *rpc.Error
	var badHeader textproto.ProtocolError
	switch {
	case errors.As(err, &safe):
		return err
	case errors.Is(err, storage.ErrTooLarge), errors.As(err, &maxBytes):
		return u.TooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &badHeader), strings.Contains(err.Error(), "multipart"):
		return fmt.Errorf("%w: %w", BadForm("the body ended early or is not valid multipart"), err)
	default:
		return err
	}
}

func (u *Uploads) discardStaged(ctx context.Context, key string) {
	if err := u.storage.Delete(context.WithoutCancel(ctx), key); err != nil {
		u.logger.ErrorContext(ctx, "discard staged upload", slog.String("key", key), slog.String("error", err.Error()))
	}
}
