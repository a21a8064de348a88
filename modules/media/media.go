// Package media is plyr's media module: uploads (an accepted POST /upload and how it
// ended), files (validated audio in storage), streaming (/audio/{file_id}) and the
// MediaService that reports an upload's progress.
//
// An upload's body is streamed straight to storage at staging/<upload-id>; the upload
// workflow (workflows/upload) validates it, moves it to audio/<file-id>.<ext> and publishes
// the track. WatchUpload follows that workflow: its phase by query, the progress of its
// current step from the step's heartbeat, its ending from its result.
//
// # Audio delivery
//
// GET /audio/{file_id} answers 302 to a presigned storage URL valid for AudioURLTTL (15
// minutes by default), and says the redirect may be cached for half that. Range
// requests, 206, Content-Range and Accept-Ranges are then the storage's (R2, versitygw),
// and the bytes never pass through plyr: a redirect costs plyr a signature (about a third
// of a millisecond) however large the file, and in production the bytes come from R2 and
// Cloudflare's edge rather than from API servers. A proxy would cost plyr a storage round
// trip and the bandwidth of every byte; it is the better choice only when storage cannot
// be exposed to clients, which is not our case. HEAD is answered by plyr from the file's
// row (type, length, Accept-Ranges), so clients can check a file without a redirect.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/gen/plyr/media/v1/mediav1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/db"
	"github.com/plyrfm/plyr/modules/media/internal/watch"
	"github.com/plyrfm/plyr/workflows/upload"
)

// ObjectStore is the storage the module writes uploads to and presigns audio from.
type ObjectStore interface {
	Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error)
	Delete(ctx context.Context, key string) error
	PresignGet(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error)
}

// UploadWorkflows starts upload workflows and reports on them. NewTemporalUploads is the
// real one; handler tests pass their own.
type UploadWorkflows interface {
	// Start starts the upload workflow for in.TrackID.
	Start(ctx context.Context, in upload.Input) error
	// Observe reports where the upload workflow for trackID stands. It returns
	// ErrWorkflowNotFound when the server no longer has it (retention has passed).
	Observe(ctx context.Context, trackID uuid.UUID) (UploadState, error)
	// AwaitEnd blocks until the workflow for trackID has ended, ctx ends, or waiting
	// fails (a workflow that is gone returns at once). WatchUpload uses it to send the
	// last message as soon as the workflow ends rather than at its next look.
	AwaitEnd(ctx context.Context, trackID uuid.UUID) error
}

// UploadState is one look at an upload workflow.
type UploadState struct {
	// Running is true until the workflow ends.
	Running bool
	// Phase is the workflow's phase; empty when it could not be asked.
	Phase upload.Phase
	// Step and Fraction are the current step's own progress, from its heartbeat.
	Step     string
	Fraction float64
	// Output is the result of a workflow that completed.
	Output upload.Output
	// Failed is true for a workflow that failed, timed out or was terminated.
	Failed bool
}

// ErrWorkflowNotFound is returned by Observe for a workflow the server does not have.
var ErrWorkflowNotFound = errors.New("upload workflow not found")

// Limits bound uploads and playback URLs.
type Limits struct {
	MaxUploadBytes int64
	// MaxConcurrentUploads bounds the upload bodies streamed at once, all accounts together.
	MaxConcurrentUploads int
	// MaxUploadsPerAccount bounds one account's upload bodies streamed at once, so that
	// one account cannot hold every slot (0: 2). More are refused with 429.
	MaxUploadsPerAccount int
	// UploadIdleTimeout cuts off an upload body that sends nothing for this long (0: 30 s).
	UploadIdleTimeout time.Duration
	// UploadMinBytesPerSecond cuts off an upload body whose average rate, once
	// UploadRateGrace has passed, falls below it (0: 16 KiB/s; negative: no minimum).
	UploadMinBytesPerSecond int64
	// UploadRateGrace is how long an upload body may start slowly (0: 30 s).
	UploadRateGrace time.Duration
	AudioURLTTL     time.Duration
}

// withDefaults fills the limits left zero.
func (l Limits) withDefaults() Limits {
	if l.MaxUploadsPerAccount <= 0 {
		l.MaxUploadsPerAccount = 2
	}
	if l.UploadIdleTimeout <= 0 {
		l.UploadIdleTimeout = 30 * time.Second
	}
	if l.UploadMinBytesPerSecond == 0 {
		l.UploadMinBytesPerSecond = 16 << 10
	}
	if l.UploadRateGrace <= 0 {
		l.UploadRateGrace = 30 * time.Second
	}
	return l
}

// Deps are what the module needs.
type Deps struct {
	DB        *pgxpool.Pool
	Storage   ObjectStore
	Workflows UploadWorkflows
	Logger    *slog.Logger
	Metrics   *metrics.Metrics
	Limits    Limits
	// WatchInterval is how often WatchUpload looks at a running workflow for progress
	// (default 250 ms); the ending is pushed by AwaitEnd without waiting for a look.
	WatchInterval time.Duration
}

// Module is the media module.
type Module struct {
	q             *db.Queries
	storage       ObjectStore
	workflows     UploadWorkflows
	logger        *slog.Logger
	metrics       *metrics.Metrics
	limits        Limits
	watchInterval time.Duration
	// uploadSlots bounds the upload bodies streamed at once; each holds two part buffers.
	uploadSlots chan struct{}
	// accountUploads counts the upload bodies each account is streaming.
	accountUploads *accountSlots
	// watches shares one look at each upload's workflow among its WatchUpload streams.
	watches *watch.Hub[uuid.UUID, UploadState]
	// draining closes when the server shuts down, ending WatchUpload streams.
	draining  chan struct{}
	drainOnce sync.Once
}

// New builds the module.
func New(d Deps) *Module {
	if d.WatchInterval <= 0 {
		d.WatchInterval = 250 * time.Millisecond
	}
	// Closures rather than method values: a module built without workflows (the
	// housekeeping activities use it for its store) must not dereference them until asked.
	wf := d.Workflows
	watches := watch.New(watch.Config[uuid.UUID, UploadState]{
		Look:  func(ctx context.Context, trackID uuid.UUID) (UploadState, error) { return wf.Observe(ctx, trackID) },
		Ended: func(ctx context.Context, trackID uuid.UUID) error { return wf.AwaitEnd(ctx, trackID) },
		// A look that failed ends the streams (they answer from the database or with an
		// error), as does an ended workflow.
		Final:     func(s UploadState, err error) bool { return err != nil || !s.Running },
		Interval:  d.WatchInterval,
		MaxPerKey: maxWatchersPerUpload,
	})
	return &Module{
		watches: watches,
		q:       db.New(d.DB), storage: d.Storage, workflows: d.Workflows, logger: d.Logger, metrics: d.Metrics,
		limits: d.Limits.withDefaults(), watchInterval: d.WatchInterval,
		uploadSlots:    make(chan struct{}, max(1, d.Limits.MaxConcurrentUploads)),
		accountUploads: &accountSlots{held: map[string]int{}},
		draining:       make(chan struct{}),
	}
}

// maxWatchersPerUpload bounds the WatchUpload streams of one upload (its uploader's tabs
// and devices); one more is refused with resource_exhausted.
const maxWatchersPerUpload = 8

// Drain ends every WatchUpload stream with UNAVAILABLE, so that a shutting-down server is
// not held open by watchers; they reconnect to another instance.
func (m *Module) Drain() { m.drainOnce.Do(func() { close(m.draining) }) }

// policy is the access level of every MediaService procedure.
var policy = rpc.Policy{
	mediav1connect.MediaServiceWatchUploadProcedure: rpc.Session,
}

// Mount registers the MediaService, POST /upload and GET/HEAD /audio/{fileId}.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(mediav1connect.NewMediaServiceHandler(&handler{m: m}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
	mux.Handle("POST /upload", rpc.RequireHTTP(rpc.Session, http.HandlerFunc(m.handleUpload)))
	// GET patterns match HEAD too; the handler tells them apart.
	mux.Handle("GET /audio/{fileId}", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleAudio)))
}

// RecordFile stores a validated file's row; again for the same id changes nothing. It is
// the media side of the upload workflow's StoreFile step.
func (m *Module) RecordFile(ctx context.Context, f mediaact.File) error {
	err := m.q.CreateFile(ctx, db.CreateFileParams{
		ID: f.ID, OwnerDid: f.OwnerDID, StorageKey: f.StorageKey, ContentType: f.ContentType,
		Format: f.Format, Codec: f.Codec, SizeBytes: f.SizeBytes, DurationMs: f.DurationMs,
		SampleRate: f.SampleRate, Channels: f.Channels, Sha256: f.SHA256,
	})
	if err != nil {
		return fmt.Errorf("record file %s: %w", f.ID, err)
	}
	return nil
}

// DeleteFile removes a file's row; a missing one is fine.
func (m *Module) DeleteFile(ctx context.Context, fileID uuid.UUID) error {
	if _, err := m.q.DeleteFile(ctx, fileID); err != nil {
		return fmt.Errorf("delete file %s: %w", fileID, err)
	}
	return nil
}

// FinishUpload records how an upload ended; only the first ending counts.
func (m *Module) FinishUpload(ctx context.Context, uploadID uuid.UUID, status, message string) error {
	if _, err := m.q.FinishUpload(ctx, db.FinishUploadParams{ID: uploadID, Status: status, Error: message}); err != nil {
		return fmt.Errorf("finish upload %s: %w", uploadID, err)
	}
	return nil
}
