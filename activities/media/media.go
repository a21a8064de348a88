// Package media holds the workflow steps that handle audio: inspecting an upload (size,
// content sniffing, ffprobe field checks, a full decode to find damage), moving a
// validated file to its permanent key, recording how an upload ended, and discarding what
// an abandoned upload left behind.
//
// Storage keys: an upload is staged at the key the media module chose
// (staging/<upload-id>); a validated file lives at audio/<file-id>.<ext>. IDs are UUIDs,
// so no key is ever a "directory" of another.
package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"go.temporal.io/sdk/activity"

	"github.com/plyrfm/plyr/internal/platform/storage"
)

// Storage is the object storage these steps use.
type Storage interface {
	Head(ctx context.Context, key string) (storage.ObjectInfo, error)
	Download(ctx context.Context, key string, w io.Writer) (int64, error)
	Copy(ctx context.Context, src, dst, contentType string) error
	Delete(ctx context.Context, key string) error
}

// Records is what the media module offers these steps.
type Records interface {
	// RecordFile stores a validated file's row; again for the same id changes nothing.
	RecordFile(ctx context.Context, f File) error
	// DeleteFile removes a file's row; a missing one is fine.
	DeleteFile(ctx context.Context, fileID string) error
	// FinishUpload records how an upload ended; only the first ending counts.
	FinishUpload(ctx context.Context, uploadID, status, message string) error
}

// File is a validated audio object.
type File struct {
	ID          string
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
}

// Activities are the media steps.
type Activities struct {
	Storage Storage
	Records Records
	Limits  Limits
	// TempDir receives the files being inspected; they are removed when the step ends.
	TempDir string
}

// AudioKey is the permanent key of a validated file.
func AudioKey(fileID, extension string) string { return "audio/" + fileID + "." + extension }

// InspectInput names the staged upload to inspect.
type InspectInput struct {
	StagingKey string
}

// Inspection is InspectUpload's verdict. A refused upload has only Rejected set: the
// reason, written for the uploader. Refusing a file is a normal outcome of inspecting it,
// so it is a result, not an error (errors are for failures worth retrying).
type Inspection struct {
	Rejected string

	Format      string
	Codec       string
	ContentType string
	Extension   string
	SizeBytes   int64
	DurationMs  int32
	SampleRate  int32
	Channels    int32
	SHA256      string
}

// InspectProgress is InspectUpload's heartbeat detail: which part it is in and how far.
type InspectProgress struct {
	Step     string // "download" or "decode"
	Fraction float64
}

// InspectUpload validates a staged upload by its content: size cap, content sniffing,
// ffprobe field checks, and a full decode whose length must match the header's.
func (a *Activities) InspectUpload(ctx context.Context, in InspectInput) (Inspection, error) {
	result, err := a.inspect(ctx, in)
	var rejection *Rejection
	if errors.As(err, &rejection) {
		activity.GetLogger(ctx).Info("upload refused", "staging_key", in.StagingKey, "reason", rejection.Reason)
		return Inspection{Rejected: rejection.Reason}, nil
	}
	return result, err
}

func (a *Activities) inspect(ctx context.Context, in InspectInput) (Inspection, error) {
	info, err := a.Storage.Head(ctx, in.StagingKey)
	if err != nil {
		return Inspection{}, err
	}
	switch {
	case info.Size == 0:
		return Inspection{}, reject("the file is empty")
	case info.Size > a.Limits.MaxBytes:
		return Inspection{}, reject("the file is %d MiB; the limit is %d MiB", info.Size>>20, a.Limits.MaxBytes>>20)
	}

	f, err := os.CreateTemp(a.TempDir, "plyr-inspect-*")
	if err != nil {
		return Inspection{}, fmt.Errorf("create temp file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()

	beat := newHeartbeat(ctx)
	hash := sha256.New()
	counter := &countingWriter{onWrite: func(n int64) {
		beat.send(InspectProgress{Step: "download", Fraction: float64(n) / float64(info.Size)})
	}}
	size, err := a.Storage.Download(ctx, in.StagingKey, io.MultiWriter(f, hash, counter))
	if err != nil {
		return Inspection{}, err
	}
	if err := f.Close(); err != nil {
		return Inspection{}, fmt.Errorf("write temp file: %w", err)
	}

	mtype, err := mimetype.DetectFile(f.Name())
	if err != nil {
		return Inspection{}, fmt.Errorf("sniff content: %w", err)
	}
	format := formatBySniff(mtype.Is)
	if format == nil {
		return Inspection{}, reject("this is not an audio file plyr accepts (its content is %s); upload %s",
			mtype.String(), acceptedNames)
	}

	p, err := probeFile(ctx, f.Name())
	if err != nil {
		return Inspection{}, err
	}
	facts, rejection := checkProbe(p, *format, a.Limits)
	if rejection != nil {
		return Inspection{}, rejection
	}

	// ffmpeg decodes lossless audio several hundred times faster than real time; the
	// allowance is generous so that only a stuck process is stopped.
	timeout := facts.declared/10 + 2*time.Minute
	decoded, stderr, err := decodeFile(ctx, f.Name(), timeout, func(d time.Duration) {
		beat.send(InspectProgress{Step: "decode", Fraction: min(1, float64(d)/float64(facts.declared))})
	})
	if err != nil {
		return Inspection{}, err
	}
	if rejection := checkDecode(facts.declared, decoded, stderr); rejection != nil {
		return Inspection{}, rejection
	}

	return Inspection{
		Format:      facts.format.Name,
		Codec:       facts.codec,
		ContentType: facts.format.ContentType,
		Extension:   facts.format.Extension,
		SizeBytes:   size,
		DurationMs:  int32(decoded.Milliseconds()),
		SampleRate:  int32(facts.sampleRate),
		Channels:    int32(facts.channels),
		SHA256:      hex.EncodeToString(hash.Sum(nil)),
	}, nil
}

// StoreInput moves a validated upload to its permanent key.
type StoreInput struct {
	StagingKey string
	FileID     string
	OwnerDID   string
	Inspection Inspection
}

// StoreFile copies the staged upload to its permanent key, records the file, and deletes
// the staged copy. Each part checks before it acts, so a retry after any of them finishes
// the job.
func (a *Activities) StoreFile(ctx context.Context, in StoreInput) (string, error) {
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
	if err := a.Storage.Delete(ctx, in.StagingKey); err != nil {
		return "", err
	}
	return key, nil
}

// FinishInput records how an upload ended.
type FinishInput struct {
	UploadID string
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
	FileID     string
	// StoredKey is the permanent key, when the upload got that far.
	StoredKey string
}

// DiscardUpload removes everything an abandoned upload left: the file row first (so
// /audio stops serving it), then the stored and staged objects. Missing pieces are fine.
func (a *Activities) DiscardUpload(ctx context.Context, in DiscardInput) error {
	if err := a.Records.DeleteFile(ctx, in.FileID); err != nil {
		return err
	}
	if in.StoredKey != "" {
		if err := a.Storage.Delete(ctx, in.StoredKey); err != nil {
			return err
		}
	}
	return a.Storage.Delete(ctx, in.StagingKey)
}

// heartbeat reports progress at most twice a second: enough for a progress bar, and the
// SDK would throttle more frequent calls anyway.
type heartbeat struct {
	ctx  context.Context
	last atomic.Int64
}

func newHeartbeat(ctx context.Context) *heartbeat { return &heartbeat{ctx: ctx} }

func (h *heartbeat) send(p InspectProgress) {
	now := time.Now().UnixNano()
	if last := h.last.Load(); now-last < int64(500*time.Millisecond) && p.Fraction < 1 {
		return
	}
	h.last.Store(now)
	activity.RecordHeartbeat(h.ctx, p)
}

type countingWriter struct {
	n       int64
	onWrite func(total int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.onWrite(c.n)
	return len(p), nil
}
