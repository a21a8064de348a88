// Package files is the media module's files feature: the rows of validated audio files
// in storage (recorded and removed by the upload workflow's steps) and what playing one
// needs (its row, and a presigned storage URL for its bytes). It owns the SQL on
// media.files.
package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/db"
)

// ErrFileNotFound is what clients see for any file id plyr does not serve. The module
// re-exports it.
var ErrFileNotFound = rpc.NewError(connect.CodeNotFound, "no audio with this id")

// Storage is what the feature needs of object storage: presigned reads of a file's bytes,
// and deleting them.
type Storage interface {
	PresignGet(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error)
	Delete(ctx context.Context, key string) error
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
}

// Files is the feature.
type Files struct {
	q       *db.Queries
	storage Storage
	// urlTTL is how long a presigned URL stays valid.
	urlTTL time.Duration
}

// New returns the feature; its presigned URLs are valid for urlTTL.
func New(q *db.Queries, storage Storage, urlTTL time.Duration) *Files {
	return &Files{q: q, storage: storage, urlTTL: urlTTL}
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
	if err := f.storage.Delete(ctx, file.StorageKey); err != nil {
		return fmt.Errorf("delete %s: %w", file.StorageKey, err)
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
	return File{
		ID: row.ID, OwnerDID: row.OwnerDid, StorageKey: row.StorageKey, ContentType: row.ContentType,
		Format: row.Format, Codec: row.Codec, SizeBytes: row.SizeBytes, DurationMs: row.DurationMs,
		SampleRate: row.SampleRate, Channels: row.Channels, SHA256: row.Sha256,
		SourceFileID: derefID(row.SourceFileID),
	}, nil
}

// Exists reports whether a file with this id is stored (false when that cannot be told).
func (f *Files) Exists(ctx context.Context, id uuid.UUID) bool {
	_, err := f.q.GetFile(ctx, id)
	return err == nil
}

// URL returns a storage URL that serves file's bytes (ranges included) for URLTTL.
func (f *Files) URL(ctx context.Context, file File) (string, error) {
	url, err := f.storage.PresignGet(ctx, file.StorageKey, f.urlTTL, file.ContentType)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", file.StorageKey, err)
	}
	return url, nil
}

// URLTTL is how long the URLs of URL stay valid.
func (f *Files) URLTTL() time.Duration { return f.urlTTL }

func derefID(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
