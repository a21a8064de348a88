// Package media holds the workflow steps that handle audio: inspecting an upload (size,
// content sniffing, ffprobe field checks, a full decode to find damage), moving a
// validated file to its permanent key, recording how an upload ended, and discarding what
// an abandoned upload left behind.
//
// Storage keys: an upload is staged at the key the media module chose
// (staging/<upload-id>); a validated file lives at AudioKey(file-id, extension), which the
// workflow can derive from its input and the inspection before it stores anything, so a
// compensation finds the object even when StoreFile never returned. IDs are UUIDs, so no
// key is ever a "directory" of another.
//
// Queues: InspectUpload runs ffmpeg and runs on InspectTaskQueue (plyr-media), whose
// workers bound its concurrency by their cores; the other steps are light and run on
// TaskQueue (plyr). Register puts each step on its queue's worker.
package media

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

const (
	// TaskQueue is where StoreFile, FinishUpload and DiscardUpload run.
	TaskQueue = taskqueue.Main
	// InspectTaskQueue is where InspectUpload runs.
	InspectTaskQueue = taskqueue.Media
)

// Activity names, as registered and as the workflow schedules them.
const (
	InspectUploadName = "InspectUpload"
	StoreFileName     = "StoreFile"
	FinishUploadName  = "FinishUpload"
	DiscardUploadName = "DiscardUpload"
	ApplyGateName     = "ApplyGate"
	SetTakenDownName  = "SetFilesTakenDown"
)

// Storage is the object storage these steps use.
type Storage interface {
	Head(ctx context.Context, key string) (storage.ObjectInfo, error)
	Download(ctx context.Context, key string, w io.Writer) (int64, error)
	Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Copy(ctx context.Context, src, dst, contentType string) error
	Delete(ctx context.Context, key string) error
}

// Records is what the media module offers these steps.
type Records interface {
	// RecordFile stores a validated file's row; again for the same id changes nothing.
	RecordFile(ctx context.Context, f File) error
	// DeleteFile removes a file's row; a missing one is fine.
	DeleteFile(ctx context.Context, fileID uuid.UUID) error
	// FinishUpload records how an upload ended; only the first ending counts.
	FinishUpload(ctx context.Context, uploadID uuid.UUID, status, message string) error
	// ApplyGate makes a file gated or open and moves its bytes to the bucket that goes
	// with that; a missing file is fine.
	ApplyGate(ctx context.Context, fileID uuid.UUID, gated bool) error
	// File returns a stored file.
	File(ctx context.Context, fileID uuid.UUID) (File, error)
	// SetFilesTakenDown closes files to anyone but their owner, or opens them; missing
	// files are fine.
	SetFilesTakenDown(ctx context.Context, fileIDs []uuid.UUID, down bool) error
}

// File is a validated audio object.
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
	SourceFileID uuid.UUID `json:",omitzero"`
	// Gated and Private are the file's gate and where its bytes are (read only: the gate
	// workflow sets them).
	Gated   bool `json:",omitempty"`
	Private bool `json:",omitempty"`
}

// Activities are the media steps.
type Activities struct {
	Storage Storage
	// PrivateStorage is the private bucket, where gated files' bytes are.
	PrivateStorage Storage
	Records        Records
	// PDS reaches accounts' PDSes (UploadBlob).
	PDS PDS
	// Migrations keeps the PDS migrations' bookkeeping.
	Migrations Migrations
	// Exports builds artists' exports.
	Exports Exports
	Limits  Limits
	// TempDir receives the files being inspected (named TempFilePrefix…); they are removed
	// when the step ends, and SweepTempFiles removes those a killed worker left.
	TempDir string

	// inspecting counts the inspections running in this process; a decode takes a
	// second core only while at least half of them are idle.
	inspecting atomic.Int32
}

// Register adds each step to the worker of the queue it runs on; workers maps a task
// queue to its worker and must hold TaskQueue and InspectTaskQueue.
func (a *Activities) Register(workers map[string]worker.ActivityRegistry) {
	light, heavy := mustWorker(workers, TaskQueue), mustWorker(workers, InspectTaskQueue)
	heavy.RegisterActivityWithOptions(a.InspectUpload, activity.RegisterOptions{Name: InspectUploadName})
	heavy.RegisterActivityWithOptions(a.TranscodeToMP3, activity.RegisterOptions{Name: TranscodeName})
	light.RegisterActivityWithOptions(a.StoreFile, activity.RegisterOptions{Name: StoreFileName})
	light.RegisterActivityWithOptions(a.FinishUpload, activity.RegisterOptions{Name: FinishUploadName})
	light.RegisterActivityWithOptions(a.DiscardUpload, activity.RegisterOptions{Name: DiscardUploadName})
	light.RegisterActivityWithOptions(a.ApplyGate, activity.RegisterOptions{Name: ApplyGateName})
	light.RegisterActivityWithOptions(a.SetFilesTakenDown, activity.RegisterOptions{Name: SetTakenDownName})
	light.RegisterActivityWithOptions(a.UploadBlob, activity.RegisterOptions{Name: UploadBlobName})
	light.RegisterActivityWithOptions(a.MigrationPending, activity.RegisterOptions{Name: MigrationPendingName})
	light.RegisterActivityWithOptions(a.SettleMigrationItem, activity.RegisterOptions{Name: SettleMigrationItemName})
	light.RegisterActivityWithOptions(a.FinishMigration, activity.RegisterOptions{Name: FinishMigrationName})
	light.RegisterActivityWithOptions(a.BuildExport, activity.RegisterOptions{Name: BuildExportName})
	light.RegisterActivityWithOptions(a.FinishExport, activity.RegisterOptions{Name: FinishExportName})
}

func mustWorker(workers map[string]worker.ActivityRegistry, queue string) worker.ActivityRegistry {
	w, ok := workers[queue]
	if !ok {
		panic(fmt.Sprintf("media activities: no worker for task queue %q", queue))
	}
	return w
}

// AudioKey is the permanent key of a validated file.
func AudioKey(fileID uuid.UUID, extension string) string {
	return "audio/" + fileID.String() + "." + extension
}

// StoreInput moves a validated upload to its permanent key.
type StoreInput struct {
	StagingKey string
	FileID     uuid.UUID
	OwnerDID   string
	Inspection Inspection
	// KeepStaging leaves the staged copy for a transcode still reading it; the upload
	// deletes it afterwards.
	KeepStaging bool `json:",omitempty"`
}

// StoreFile copies the staged upload to its permanent key, AudioKey(FileID, extension),
// records the file, and deletes the staged copy. Each part checks before it acts, so a
// retry after any of them finishes the job. It heartbeats while it works: a copy of a
// large file takes seconds.
func (a *Activities) StoreFile(ctx context.Context, in StoreInput) (string, error) {
	defer keepAlive(ctx)()
	insp := in.Inspection
	key := AudioKey(in.FileID, insp.Extension)
	if _, err := a.Storage.Head(ctx, key); errors.Is(err, storage.ErrNotFound) {
		if err := a.Storage.Copy(ctx, in.StagingKey, key, insp.ContentType); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	sum, err := hex.DecodeString(insp.SHA256)
	if err != nil {
		return "", fmt.Errorf("inspection checksum: %w", err)
	}
	err = a.Records.RecordFile(ctx, File{
		ID: in.FileID, OwnerDID: in.OwnerDID, StorageKey: key, ContentType: insp.ContentType,
		Format: insp.Format, Codec: insp.Codec, SizeBytes: insp.SizeBytes, DurationMs: insp.DurationMs,
		SampleRate: insp.SampleRate, Channels: insp.Channels, SHA256: sum,
	})
	if err != nil {
		return "", err
	}
	if in.KeepStaging {
		return key, nil
	}
	if err := a.Storage.Delete(ctx, in.StagingKey); err != nil {
		return "", err
	}
	return key, nil
}

// FinishInput records how an upload ended.
type FinishInput struct {
	UploadID uuid.UUID
	Status   string // ready, rejected or failed
	Message  string
}

// FinishUpload records the upload's ending, which WatchUpload reports once the workflow's
// history is gone.
func (a *Activities) FinishUpload(ctx context.Context, in FinishInput) error {
	return a.Records.FinishUpload(ctx, in.UploadID, in.Status, in.Message)
}

// DiscardInput names what an abandoned upload may have left.
type DiscardInput struct {
	StagingKey string
	FileID     uuid.UUID
	// StoredKey is the permanent key, once the upload got as far as choosing it.
	StoredKey string
	// TranscodedFileID and TranscodedKey are the MP3 of a lossless original, once the
	// upload got as far as transcoding.
	TranscodedFileID uuid.UUID `json:",omitzero"`
	TranscodedKey    string    `json:",omitempty"`
}

// DiscardUpload removes everything an abandoned upload left: the file row first (so
// /audio stops serving it), then the stored and staged objects. Missing pieces are fine.
func (a *Activities) DiscardUpload(ctx context.Context, in DiscardInput) error {
	for _, id := range []uuid.UUID{in.TranscodedFileID, in.FileID} {
		if id == uuid.Nil {
			continue
		}
		if err := a.Records.DeleteFile(ctx, id); err != nil {
			return err
		}
	}
	for _, key := range []string{in.TranscodedKey, in.StoredKey, in.StagingKey} {
		if key == "" {
			continue
		}
		if err := a.Storage.Delete(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// GateInput names a track's files and its gate.
type GateInput struct {
	FileIDs []uuid.UUID
	Gated   bool
}

// TakedownInput names a track's files and whether it is taken down.
type TakedownInput struct {
	FileIDs []uuid.UUID
	Down    bool
}

// SetFilesTakenDown closes a taken-down track's files to anyone but their owner, or opens
// them again.
func (a *Activities) SetFilesTakenDown(ctx context.Context, in TakedownInput) error {
	return a.Records.SetFilesTakenDown(ctx, in.FileIDs, in.Down)
}

// ApplyGate makes the files gated (their owner and supporters only) or open, and moves
// their bytes to the private bucket or back. It heartbeats: a large file's copy takes
// seconds.
func (a *Activities) ApplyGate(ctx context.Context, in GateInput) error {
	defer keepAlive(ctx)()
	for _, id := range in.FileIDs {
		if err := a.Records.ApplyGate(ctx, id, in.Gated); err != nil {
			return err
		}
	}
	return nil
}
