// Package files is the media module's files feature: the rows of validated audio files
// in storage (recorded and removed by the upload workflow's steps) and what playing one
// needs (its row, and a presigned storage URL for its bytes). It owns the SQL on
// media.files.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media/internal/db"
)

// ErrFileNotFound is what clients see for any file id plyr does not serve. The module
// re-exports it.
var ErrFileNotFound = rpc.NewError(connect.CodeNotFound, "no audio with this id")

// Storage is what the feature needs of a bucket: presigned reads of a file's bytes, their
// size as stored, deleting them, and copying them in from the other bucket.
type Storage interface {
	Head(ctx context.Context, key string) (storage.ObjectInfo, error)
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	OpenFrom(ctx context.Context, key string, offset int64) (io.ReadCloser, int64, error)
	PresignGet(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error)
	PresignDownload(ctx context.Context, key string, ttl time.Duration, contentType, filename string) (string, error)
	Delete(ctx context.Context, key string) error
	CopyFrom(ctx context.Context, fromBucket, key, contentType string) error
	Bucket() string
}

// File is a validated audio file in storage. Its fields are those of the upload
// workflow's activities/media.File, so that the module converts one into the other; the
// feature itself depends on no activity package.
type File struct {
	ID          uuid.UUID
	OwnerDID    string
	StorageKey  string
	ContentType string
	Format      string
	Codec       string
	SizeBytes   int64
	DurationMs  int32
	SampleRate  int32
	Channels    int32
	SHA256      []byte
	// SourceFileID is the lossless original an MP3 was made from (zero for an upload).
	SourceFileID uuid.UUID
	// Gated: only the owner and their supporters may read it. Private: its bytes are in
	// the private bucket. They differ only while a change of gate moves the bytes.
	Gated, Private bool
	// TakenDown: a moderation decision closed the file to anyone but its owner.
	TakenDown bool
}

// Files is the feature.
type Files struct {
	q *db.Queries
	// public and private are the buckets: every file starts public, and a gated one's
	// bytes move to private (ApplyGate).
	public, private Storage
	// urlTTL is how long a presigned URL stays valid (a gated file's, a third of it).
	urlTTL time.Duration
}

// New returns the feature; its presigned URLs are valid for urlTTL.
func New(q *db.Queries, public, private Storage, urlTTL time.Duration) *Files {
	return &Files{q: q, public: public, private: private, urlTTL: urlTTL}
}

// bucket is the bucket a file's bytes are in when private says so, and the other one.
func (f *Files) bucket(private bool) (in, other Storage) {
	if private {
		return f.private, f.public
	}
	return f.public, f.private
}

// Record stores a validated file's row; again for the same id changes nothing.
func (f *Files) Record(ctx context.Context, file File) error {
	params := db.CreateFileParams{
		ID: file.ID, OwnerDid: file.OwnerDID, StorageKey: file.StorageKey, ContentType: file.ContentType,
		Format: file.Format, Codec: file.Codec, SizeBytes: file.SizeBytes, DurationMs: file.DurationMs,
		SampleRate: file.SampleRate, Channels: file.Channels, Sha256: file.SHA256,
	}
	if file.SourceFileID != uuid.Nil {
		params.SourceFileID = &file.SourceFileID
	}
	err := f.q.CreateFile(ctx, params)
	if err != nil {
		return fmt.Errorf("record file %s: %w", file.ID, err)
	}
	return nil
}

// Delete removes a file's row; a missing one is fine.
func (f *Files) Delete(ctx context.Context, id uuid.UUID) error {
	if _, err := f.q.DeleteFile(ctx, id); err != nil {
		return fmt.Errorf("delete file %s: %w", id, err)
	}
	return nil
}

// Remove deletes a file's bytes from storage, then its row: a track deleted for good. A
// missing file is fine, and trying again finishes a removal that failed midway (the row
// goes last, so the key is not forgotten while the object may remain).
func (f *Files) Remove(ctx context.Context, id uuid.UUID) error {
	file, err := f.Get(ctx, id)
	if errors.Is(err, ErrFileNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Both buckets: a move between them may have been cut off midway.
	for _, b := range []Storage{f.public, f.private} {
		if err := b.Delete(ctx, file.StorageKey); err != nil {
			return fmt.Errorf("delete %s: %w", file.StorageKey, err)
		}
	}
	return f.Delete(ctx, id)
}

// Get returns a file; ErrFileNotFound when there is none with this id.
func (f *Files) Get(ctx context.Context, id uuid.UUID) (File, error) {
	row, err := f.q.GetFile(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return File{}, ErrFileNotFound
	}
	if err != nil {
		return File{}, fmt.Errorf("get file %s: %w", id, err)
	}
	return fileOf(row), nil
}

func fileOf(row db.File) File {
	return File{
		ID: row.ID, OwnerDID: row.OwnerDid, StorageKey: row.StorageKey, ContentType: row.ContentType,
		Format: row.Format, Codec: row.Codec, SizeBytes: row.SizeBytes, DurationMs: row.DurationMs,
		SampleRate: row.SampleRate, Channels: row.Channels, SHA256: row.Sha256,
		SourceFileID: derefID(row.SourceFileID), Gated: row.Gated, Private: row.Private, TakenDown: row.TakenDown,
	}
}

// SetTakenDown closes files to anyone but their owner (a takedown) or opens them again;
// missing files are fine.
func (f *Files) SetTakenDown(ctx context.Context, ids []uuid.UUID, down bool) error {
	if err := f.q.SetFilesTakenDown(ctx, db.SetFilesTakenDownParams{Ids: ids, TakenDown: down}); err != nil {
		return fmt.Errorf("set files taken down: %w", err)
	}
	return nil
}

// ApplyGate makes a file gated (its owner and their supporters only) or open, and moves
// its bytes to the bucket that goes with that: the private bucket for a gated file. The
// gate holds at once (/audio checks it); the bytes follow with a server-side copy, then
// the row says where they are, then the old copy goes. Each part checks before it acts,
// so a retry after a cut finishes the move, and a gate changed again meanwhile is left to
// the next pass. A missing file is fine.
func (f *Files) ApplyGate(ctx context.Context, id uuid.UUID, gated bool) error {
	row, err := f.q.SetFileGate(ctx, db.SetFileGateParams{ID: id, Gated: gated})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gate file %s: %w", id, err)
	}
	file := fileOf(row)
	dst, src := f.bucket(gated)
	if file.Private != gated {
		if err := dst.CopyFrom(ctx, src.Bucket(), file.StorageKey, file.ContentType); err != nil {
			return fmt.Errorf("move %s: %w", file.StorageKey, err)
		}
		moved, err := f.q.SetFilePrivate(ctx, db.SetFilePrivateParams{ID: id, Private: gated})
		if err != nil {
			return fmt.Errorf("record the move of %s: %w", id, err)
		}
		if moved == 0 {
			return nil // gated the other way meanwhile: the copy just made is the next pass's
		}
	}
	if err := src.Delete(ctx, file.StorageKey); err != nil {
		return fmt.Errorf("delete the old copy of %s: %w", file.StorageKey, err)
	}
	return nil
}

// Open returns a reader of a file's bytes, from the bucket they are in, and the file.
// ErrFileNotFound when there is no such file.
func (f *Files) Open(ctx context.Context, id uuid.UUID) (io.ReadCloser, File, error) {
	file, err := f.Get(ctx, id)
	if err != nil {
		return nil, File{}, err
	}
	in, _ := f.bucket(file.Private)
	body, _, err := in.Open(ctx, file.StorageKey)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, File{}, ErrFileNotFound
	}
	if err != nil {
		return nil, File{}, fmt.Errorf("open %s: %w", file.StorageKey, err)
	}
	return body, file, nil
}

// OpenFrom returns a reader of file's bytes from offset on, from the bucket they are in,
// and how many there are.
func (f *Files) OpenFrom(ctx context.Context, file File, offset int64) (io.ReadCloser, int64, error) {
	in, _ := f.bucket(file.Private)
	body, n, err := in.OpenFrom(ctx, file.StorageKey, offset)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, ErrFileNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", file.StorageKey, err)
	}
	return body, n, nil
}

// DownloadURL returns a storage URL that serves file's bytes as an attachment named
// filename, for URLTTL(file).
func (f *Files) DownloadURL(ctx context.Context, file File, filename string) (string, error) {
	in, _ := f.bucket(file.Private)
	url, err := in.PresignDownload(ctx, file.StorageKey, f.URLTTL(file), file.ContentType, filename)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", file.StorageKey, err)
	}
	return url, nil
}

// maxSizesAtOnce bounds the storage HEADs of one Sizes call.
const maxSizesAtOnce = 10

// Sizes returns the stored size of each of owner's files among ids, read from storage
// (at most maxSizesAtOnce reads at once). Files that are not owner's, or that storage does
// not have, are left out.
func (f *Files) Sizes(ctx context.Context, owner string, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	rows, err := f.q.OwnedFiles(ctx, db.OwnedFilesParams{Ids: ids, Owner: owner})
	if err != nil {
		return nil, fmt.Errorf("files of %s: %w", owner, err)
	}
	var mu sync.Mutex
	sizes := make(map[uuid.UUID]int64, len(rows))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxSizesAtOnce)
	for _, row := range rows {
		file := fileOf(row)
		g.Go(func() error {
			in, _ := f.bucket(file.Private)
			info, err := in.Head(gctx, file.StorageKey)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("size of %s: %w", file.StorageKey, err)
			}
			mu.Lock()
			sizes[file.ID] = info.Size
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return sizes, nil
}

// Exists reports whether a file with this id is stored (false when that cannot be told).
func (f *Files) Exists(ctx context.Context, id uuid.UUID) bool {
	_, err := f.q.GetFile(ctx, id)
	return err == nil
}

// URLFor returns a storage URL that serves the file's bytes for ttl.
func (f *Files) URLFor(ctx context.Context, id uuid.UUID, ttl time.Duration) (string, error) {
	file, err := f.Get(ctx, id)
	if err != nil {
		return "", err
	}
	in, _ := f.bucket(file.Private)
	url, err := in.PresignGet(ctx, file.StorageKey, ttl, file.ContentType)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", file.StorageKey, err)
	}
	return url, nil
}

// URL returns a storage URL that serves file's bytes (ranges included) for URLTTL(file).
func (f *Files) URL(ctx context.Context, file File) (string, error) {
	in, _ := f.bucket(file.Private)
	url, err := in.PresignGet(ctx, file.StorageKey, f.URLTTL(file), file.ContentType)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", file.StorageKey, err)
	}
	return url, nil
}

// URLTTL is how long the URLs URL gives for file stay valid: a third as long for a gated
// file, whose URL is handed to one listener who was just checked.
func (f *Files) URLTTL(file File) time.Duration {
	if file.Gated {
		return f.urlTTL / 3
	}
	return f.urlTTL
}

func derefID(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
