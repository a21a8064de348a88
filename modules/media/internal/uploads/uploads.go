// Package uploads is the media module's uploads feature: accepting an upload (its ids,
// the per-account and global slots, the form streamed to staging storage, the row and the
// workflow start), how an upload ended, and which staged bodies are still needed. It owns
// the SQL on media.uploads; the module's handler only adapts HTTP to it (the request's
// size and pace, the multipart decoding, the answer).
package uploads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/modules/media/internal/slots"
	"github.com/plyrfm/plyr/workflows/upload"
)

// slotWait is how long an upload waits for a free slot before getting ErrUploadsBusy.
const slotWait = 5 * time.Second

// Storage is where upload bodies are staged.
type Storage interface {
	Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error)
	Delete(ctx context.Context, key string) error
}

// Starter starts the upload workflow of an accepted upload.
type Starter interface {
	Start(ctx context.Context, in upload.Input) error
}

// Flags tells which accounts may upload lossless files (the lossless-uploads flag).
type Flags interface {
	LosslessAllowed(ctx context.Context, did string) (bool, error)
	// PDSAudio says whether did's audio is copied to its PDS.
	PDSAudio(ctx context.Context, did string) (bool, error)
}

// Limits bound uploads.
type Limits struct {
	// MaxBytes bounds the file of one upload.
	MaxBytes int64
	// MaxConcurrent bounds the upload bodies streamed at once, all accounts together.
	MaxConcurrent int
	// MaxPerAccount bounds one account's upload bodies streamed at once.
	MaxPerAccount int
}

// Uploads is the feature.
type Uploads struct {
	q         *db.Queries
	storage   Storage
	workflows Starter
	flags     Flags
	logger    *slog.Logger
	limits    Limits
	// slots bounds the upload bodies streamed at once; each holds two part buffers.
	slots chan struct{}
	// accounts counts the upload bodies each account is streaming.
	accounts *slots.PerAccount
}

// New returns the feature. workflows and flags may be nil for a feature that never accepts
// an upload (housekeeping uses the rest).
func New(q *db.Queries, storage Storage, workflows Starter, flags Flags, logger *slog.Logger, limits Limits) *Uploads {
	return &Uploads{
		q: q, storage: storage, workflows: workflows, flags: flags, logger: logger, limits: limits,
		slots:    make(chan struct{}, max(1, limits.MaxConcurrent)),
		accounts: &slots.PerAccount{},
	}
}

// Upload is an upload as its uploader may see it.
type Upload struct {
	ID      uuid.UUID
	TrackID uuid.UUID
	FileID  uuid.UUID
	// Status is "processing" until the upload ends, then an upload.Status.
	Status string
	// Error is what the uploader is told of a rejection or failure.
	Error string
}

// Processing is the status of an upload that has not ended.
const Processing = "processing"

// Get returns the upload id of owner; ErrUploadNotFound when it does not exist or is
// another account's.
func (u *Uploads) Get(ctx context.Context, id uuid.UUID, owner string) (Upload, error) {
	row, err := u.q.GetUpload(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.OwnerDid != owner) {
		return Upload{}, ErrUploadNotFound
	}
	if err != nil {
		return Upload{}, fmt.Errorf("get upload %s: %w", id, err)
	}
	return Upload{ID: row.ID, TrackID: row.TrackID, FileID: row.FileID, Status: row.Status, Error: row.Error}, nil
}

// ForgetBytes frees the hash of the upload that brought fileID, whose track is gone: the
// same bytes may then be uploaded again.
func (u *Uploads) ForgetBytes(ctx context.Context, fileID uuid.UUID) error {
	if err := u.q.ForgetUploadBytes(ctx, fileID); err != nil {
		return fmt.Errorf("forget the bytes of upload of %s: %w", fileID, err)
	}
	return nil
}

// Finish records how an upload ended; only the first ending counts.
func (u *Uploads) Finish(ctx context.Context, id uuid.UUID, status, message string) error {
	if _, err := u.q.FinishUpload(ctx, db.FinishUploadParams{ID: id, Status: status, Error: message}); err != nil {
		return fmt.Errorf("finish upload %s: %w", id, err)
	}
	return nil
}
