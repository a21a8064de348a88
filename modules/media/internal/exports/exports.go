// Package exports is the media module's exports feature: an artist's zip of all their
// tracks (the original where one is kept), built by the export workflow straight into the
// private bucket and downloadable by its owner alone through a short-lived URL until it
// expires. It owns the SQL on media.exports.
//
// The zip is written as it is read: each file is streamed from storage into the zip, and
// the zip into a multipart upload, so memory holds two upload parts whatever the size. Audio
// does not compress, so files are stored, not deflated: the zip costs no CPU.
package exports

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/db"
)

// Errors of the feature, with the Connect code and message a client sees.
var (
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "export not found")
	ErrNoTracks = rpc.NewError(connect.CodeFailedPrecondition, "you have no tracks to export")
	ErrNotReady = rpc.NewError(connect.CodeFailedPrecondition, "this export is not ready")
	ErrExpired  = rpc.NewError(connect.CodeNotFound, "this export has expired; start another")
)

// Statuses of an export.
const (
	StatusRunning = "running"
	StatusReady   = "ready"
	StatusFailed  = "failed"
)

// Keep is how long a ready export can be downloaded.
const Keep = 24 * time.Hour

// Key is where an export's zip is stored (in the private bucket).
func Key(id uuid.UUID) string { return "exports/" + id.String() + ".zip" }

// Export is an export at one moment.
type Export struct {
	ID               uuid.UUID
	DID              string
	Status           string
	Total, Processed int
	SizeBytes        int64
	Error            string
	CreatedAt        time.Time
	ExpiresAt        *time.Time
}

// Store is the feature's rows.
type Store struct{ q *db.Queries }

// New returns the feature over q.
func New(q *db.Queries) *Store { return &Store{q: q} }

// Create records an export of did's total tracks; when one is being built already, that
// one is returned instead (created is false).
func (s *Store) Create(ctx context.Context, did string, total int) (e Export, created bool, err error) {
	if total == 0 {
		return Export{}, false, ErrNoTracks
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Export{}, false, fmt.Errorf("new id: %w", err)
	}
	var row db.CreateExportRow
	// An export started at the same moment is skipped by the insert but not seen by the
	// statement's snapshot: the next try sees it.
	for range 3 {
		if row, err = s.q.CreateExport(ctx, db.CreateExportParams{ID: id, Did: did, Total: int32(total)}); !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return Export{}, false, fmt.Errorf("record export: %w", err)
	}
	return exportOf(db.MediaExport(row)), row.ID == id, nil
}

// Get returns an export.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Export, error) {
	row, err := s.q.GetExport(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Export{}, ErrNotFound
	}
	if err != nil {
		return Export{}, fmt.Errorf("get export %s: %w", id, err)
	}
	return exportOf(row), nil
}

// List returns did's exports that still mean something (being built, ready and not
// expired, failed within the day), newest first, at most 10.
func (s *Store) List(ctx context.Context, did string) ([]Export, error) {
	rows, err := s.q.ListExports(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("list exports of %s: %w", did, err)
	}
	out := make([]Export, 0, len(rows))
	for _, r := range rows {
		out = append(out, exportOf(r))
	}
	return out, nil
}

// Finish ends an export: ready with its size, or failed with what went wrong.
func (s *Store) Finish(ctx context.Context, id uuid.UUID, size int64, failure string) error {
	status := StatusReady
	if failure != "" {
		status = StatusFailed
	}
	err := s.q.FinishExport(ctx, db.FinishExportParams{
		ID: id, Status: status, SizeBytes: size, Error: failure,
		Keep: pgtype.Interval{Microseconds: Keep.Microseconds(), Valid: true},
	})
	if err != nil {
		return fmt.Errorf("finish export %s: %w", id, err)
	}
	return nil
}

// Expired are exports whose time is up (their zips are deleted, then their rows).
func (s *Store) Expired(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	ids, err := s.q.ExpiredExports(ctx, db.ExpiredExportsParams{Now: &now, PageLimit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("expired exports: %w", err)
	}
	return ids, nil
}

// Delete forgets an export (its zip gone first).
func (s *Store) Delete(ctx context.Context, id uuid.UUID) error {
	if err := s.q.DeleteExport(ctx, id); err != nil {
		return fmt.Errorf("delete export %s: %w", id, err)
	}
	return nil
}

func exportOf(r db.MediaExport) Export {
	return Export{
		ID: r.ID, DID: r.Did, Status: r.Status, Total: int(r.Total), Processed: int(r.Processed),
		SizeBytes: r.SizeBytes, Error: r.Error, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}
}

// Item is a file to put in an export, under a name made from its track's title.
type Item struct {
	FileID uuid.UUID
	Title  string
}

// Opener opens a stored file: its bytes and its extension (mp3, flac…).
type Opener func(ctx context.Context, fileID uuid.UUID) (body io.ReadCloser, ext string, modified time.Time, err error)

// Uploader stores the zip as it is written (the private bucket's streamed upload).
type Uploader func(ctx context.Context, key string, r io.Reader) (int64, error)

// Build writes the zip of items to Key(id) and records progress as each file goes in
// (progress may be nil). A file that is gone (its track deleted meanwhile) is left out. A
// retry builds the zip again from the start, over the same key.
func (s *Store) Build(ctx context.Context, id uuid.UUID, items []Item, open Opener, upload Uploader, progress func(done int)) (int64, error) {
	pr, pw := io.Pipe()
	uploaded := make(chan error, 1)
	var size int64
	go func() {
		n, err := upload(ctx, Key(id), pr)
		size = n
		_ = pr.CloseWithError(err) // a failed upload stops the writer
		uploaded <- err
	}()
	err := s.writeZip(ctx, id, pw, items, open, progress)
	_ = pw.CloseWithError(err)
	if uerr := <-uploaded; err == nil {
		err = uerr
	}
	return size, err
}

func (s *Store) writeZip(ctx context.Context, id uuid.UUID, w io.Writer, items []Item, open Opener, progress func(int)) error {
	zw := zip.NewWriter(w)
	names := map[string]int{}
	for i, it := range items {
		body, ext, modified, err := open(ctx, it.FileID)
		if errors.Is(err, ErrFileGone) {
			continue
		}
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: uniqueName(names, FileName(it.Title), ext), Method: zip.Store, Modified: modified}
		f, err := zw.CreateHeader(hdr)
		if err == nil {
			_, err = io.Copy(f, body)
		}
		body.Close()
		if err != nil {
			return fmt.Errorf("add %s to the zip: %w", it.FileID, err)
		}
		if err := s.q.ExportProgress(ctx, db.ExportProgressParams{ID: id, Processed: int32(i + 1)}); err != nil {
			return err
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return zw.Close()
}

// ErrFileGone is what an Opener returns for a file that no longer exists.
var ErrFileGone = errors.New("file gone")

// maxNameBytes bounds a file name in the zip (before its number and extension).
const maxNameBytes = 180

// FileName makes a track's title a file name that every system accepts: no path
// separators, reserved characters or control characters, no leading dots, at most
// maxNameBytes; "track" when nothing is left.
func FileName(title string) string {
	var b strings.Builder
	for _, r := range title {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`/\\:*?"<>|`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name := strings.Trim(strings.TrimSpace(b.String()), ".")
	for len(name) > maxNameBytes {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return "track"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// uniqueName is name.ext, or "name (n).ext" for the n-th track of the same name.
func uniqueName(seen map[string]int, name, ext string) string {
	key := strings.ToLower(name + "." + ext)
	seen[key]++
	if n := seen[key]; n > 1 {
		return name + " (" + strconv.Itoa(n) + ")." + ext
	}
	return name + "." + ext
}
