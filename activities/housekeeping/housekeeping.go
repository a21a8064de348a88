// Package housekeeping holds the steps of the housekeeping workflow: each removes one
// kind of leftover, at most a batch per run, and is safe to retry or to run twice at
// once (what one run removed, the other finds gone).
//
//   - SweepIdentity: expired sessions (their grants revoked at the authorization server),
//     developer tokens never claimed, expired claim codes, stale sign-in requests; and it
//     re-verifies a few accounts that show handle.invalid.
//   - SweepStaging: staging/ objects older than StagingMaxAge that no upload still needs.
//   - SweepMultipartUploads: multipart uploads started more than MultipartMaxAge ago and
//     never completed (a killed upload's parts stay in storage, billed, until aborted).
//   - SweepTempFiles: inspection temp files a killed worker left (activities/media).
//   - ResumeRecords: records pending for longer than RecordStallAge without a workflow
//     writing them (a start lost while Temporal was down, rows a migration added): their
//     recordsync workflows are started. The composition root resumes other lost starts
//     there too (takedowns whose state was never applied).
//
// Every step takes the time from its input (the workflow's clock), so a retry sweeps by
// the same cutoffs. SweepAtStartup runs the storage sweeps once when a worker starts,
// outside Temporal, with a cutoff of the caller's (workers sweep temp files at startup
// with activities/media.SweepTempFiles themselves).
//
// Queues: SweepTempFiles runs on TempFilesTaskQueue (plyr-media), beside the inspections
// whose files it sweeps; the others run on TaskQueue (plyr).
package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

const (
	// TaskQueue is where the identity and storage sweeps run.
	TaskQueue = taskqueue.Main
	// TempFilesTaskQueue is where SweepTempFiles runs: on the workers that inspect uploads
	// and so write the temp files.
	TempFilesTaskQueue = taskqueue.Media
)

// Activity names, as registered and as the workflow schedules them.
const (
	SweepIdentityName         = "SweepIdentity"
	SweepStagingName          = "SweepStaging"
	SweepMultipartUploadsName = "SweepMultipartUploads"
	SweepTempFilesName        = "SweepTempFiles"
	ResumeRecordsName         = "ResumeRecords"
)

// DefaultStagingPrefix is where upload bodies wait for their workflow when Config names
// no other; cmd/plyr passes the media module's media.StagingPrefix.
const DefaultStagingPrefix = "staging/"

// Defaults for Config.
const (
	DefaultBatchSize        = 200
	DefaultStagingMaxAge    = 24 * time.Hour
	DefaultProcessingWindow = 7 * 24 * time.Hour
	DefaultMultipartMaxAge  = 6 * time.Hour
	DefaultTempFileMinAge   = time.Minute
	// DefaultRecordStallAge is longer than a record write's whole retry budget (about 20
	// minutes), so a workflow still retrying is not started again for nothing.
	DefaultRecordStallAge = time.Hour
)

// IdentityCounts is what one identity sweep removed (the identity module's SweepCounts).
type IdentityCounts struct {
	Sessions        int
	UnclaimedTokens int
	TokenClaims     int
	AuthRequests    int
	Grants          int
	RevokeFailures  int
	// HandlesVerified are accounts that showed handle.invalid and now show their handle.
	HandlesVerified int
}

// IdentitySweep removes identity's expired rows as of now, at most limit of each kind.
type IdentitySweep func(ctx context.Context, now time.Time, limit int) (IdentityCounts, error)

// RecordResume starts the workflows of at most limit records pending since before
// stalledSince, and returns how many it started (the catalog module).
type RecordResume func(ctx context.Context, stalledSince time.Time, limit int) (int, error)

// Uploads is what the media module tells the staging sweep.
type Uploads interface {
	// StagingInUse returns those of keys whose upload is still processing and was
	// accepted at or after since.
	StagingInUse(ctx context.Context, keys []string, since time.Time) (map[string]bool, error)
}

// Storage is the object storage the storage sweeps clean.
type Storage interface {
	ListOlder(ctx context.Context, prefix string, cutoff time.Time, limit int) ([]storage.Object, error)
	Delete(ctx context.Context, key string) error
	ListIncompleteUploads(ctx context.Context, prefix string, cutoff time.Time, limit int) ([]storage.MultipartUpload, error)
	AbortUpload(ctx context.Context, key, uploadID string) error
}

// Config sets the batch size and the ages past which things are leftovers. Zero fields
// take the defaults.
type Config struct {
	// BatchSize bounds what each sweep removes per run (per kind, for identity).
	BatchSize int
	// StagingMaxAge is how old a staging object must be to be swept.
	StagingMaxAge time.Duration
	// ProcessingWindow is how long an upload still processing keeps its staging object:
	// its workflow may be waiting for a worker. An upload processing for longer is
	// considered lost. (The upload workflow's retries end within hours.)
	ProcessingWindow time.Duration
	// MultipartMaxAge is how long ago an incomplete multipart upload must have started to
	// be aborted. An upload body in flight is one, so this is longer than any upload may
	// take to arrive.
	MultipartMaxAge time.Duration
	// StagingPrefix is where upload bodies wait for their workflow (media.StagingPrefix).
	StagingPrefix string
	// TempDir holds the inspection temp files (the media activities' TempDir).
	TempDir string
	// TempFileMinAge is how old an unlocked temp file must be to be removed (a file is
	// locked by its inspection a moment after it is created).
	TempFileMinAge time.Duration
	// RecordStallAge is how long a record may stay pending before its workflow is started
	// again.
	RecordStallAge time.Duration
}

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.StagingMaxAge <= 0 {
		c.StagingMaxAge = DefaultStagingMaxAge
	}
	if c.ProcessingWindow <= 0 {
		c.ProcessingWindow = DefaultProcessingWindow
	}
	if c.MultipartMaxAge <= 0 {
		c.MultipartMaxAge = DefaultMultipartMaxAge
	}
	if c.TempFileMinAge <= 0 {
		c.TempFileMinAge = DefaultTempFileMinAge
	}
	if c.RecordStallAge <= 0 {
		c.RecordStallAge = DefaultRecordStallAge
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.StagingPrefix == "" {
		c.StagingPrefix = DefaultStagingPrefix
	}
	return c
}

// Activities are the housekeeping steps.
type Activities struct {
	Identity IdentitySweep
	Records  RecordResume
	Uploads  Uploads
	Storage  Storage
	Config   Config
}

// Register adds each step to the worker of the queue it runs on; workers maps a task
// queue to its worker and must hold TaskQueue and TempFilesTaskQueue.
func (a *Activities) Register(workers map[string]worker.ActivityRegistry) {
	light, heavy := mustWorker(workers, TaskQueue), mustWorker(workers, TempFilesTaskQueue)
	light.RegisterActivityWithOptions(a.SweepIdentity, activity.RegisterOptions{Name: SweepIdentityName})
	light.RegisterActivityWithOptions(a.SweepStaging, activity.RegisterOptions{Name: SweepStagingName})
	light.RegisterActivityWithOptions(a.SweepMultipartUploads, activity.RegisterOptions{Name: SweepMultipartUploadsName})
	light.RegisterActivityWithOptions(a.ResumeRecords, activity.RegisterOptions{Name: ResumeRecordsName})
	heavy.RegisterActivityWithOptions(a.SweepTempFiles, activity.RegisterOptions{Name: SweepTempFilesName})
}

func mustWorker(workers map[string]worker.ActivityRegistry, queue string) worker.ActivityRegistry {
	w, ok := workers[queue]
	if !ok {
		panic(fmt.Sprintf("housekeeping activities: no worker for task queue %q", queue))
	}
	return w
}

// SweepInput is every sweep's input.
type SweepInput struct {
	// Now is the sweep's time: ages are measured back from it.
	Now time.Time
}

// SweepIdentity removes expired sessions and revokes their grants, unclaimed developer
// tokens, expired claim codes and stale sign-in requests.
func (a *Activities) SweepIdentity(ctx context.Context, in SweepInput) (IdentityCounts, error) {
	cfg := a.Config.withDefaults()
	counts, err := a.Identity(ctx, in.Now, cfg.BatchSize)
	if err != nil {
		return counts, fmt.Errorf("sweep identity: %w", err)
	}
	activity.GetLogger(ctx).Info("identity swept", "sessions", counts.Sessions,
		"unclaimed_tokens", counts.UnclaimedTokens, "token_claims", counts.TokenClaims,
		"auth_requests", counts.AuthRequests, "grants", counts.Grants, "revoke_failures", counts.RevokeFailures)
	return counts, nil
}

// ResumeRecords starts the workflows of records pending for longer than RecordStallAge,
// and returns how many it started.
func (a *Activities) ResumeRecords(ctx context.Context, in SweepInput) (int, error) {
	cfg := a.Config.withDefaults()
	n, err := a.Records(ctx, in.Now.Add(-cfg.RecordStallAge), cfg.BatchSize)
	if n > 0 || err != nil {
		activity.GetLogger(ctx).Info("stalled records resumed", "records", n)
	}
	if err != nil {
		return n, fmt.Errorf("resume records: %w", err)
	}
	return n, nil
}

// SweepStaging deletes staging objects older than StagingMaxAge whose upload is not
// still processing, and returns how many it deleted.
func (a *Activities) SweepStaging(ctx context.Context, in SweepInput) (int, error) {
	cfg := a.Config.withDefaults()
	n, err := a.sweepStaging(ctx, in.Now.Add(-cfg.StagingMaxAge), in.Now.Add(-cfg.ProcessingWindow), cfg.BatchSize)
	if n > 0 || err != nil {
		activity.GetLogger(ctx).Info("staging swept", "objects", n)
	}
	return n, err
}

func (a *Activities) sweepStaging(ctx context.Context, cutoff, processingSince time.Time, limit int) (int, error) {
	objects, err := a.Storage.ListOlder(ctx, a.Config.withDefaults().StagingPrefix, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("sweep staging: %w", err)
	}
	if len(objects) == 0 {
		return 0, nil
	}
	keys := make([]string, len(objects))
	for i, o := range objects {
		keys[i] = o.Key
	}
	inUse, err := a.Uploads.StagingInUse(ctx, keys, processingSince)
	if err != nil {
		return 0, fmt.Errorf("sweep staging: %w", err)
	}
	deleted := 0
	for _, key := range keys {
		if inUse[key] {
			continue
		}
		if err := a.Storage.Delete(ctx, key); err != nil {
			return deleted, fmt.Errorf("sweep staging: %w", err)
		}
		deleted++
	}
	return deleted, nil
}

// SweepMultipartUploads aborts multipart uploads started more than MultipartMaxAge ago
// and never completed, and returns how many it aborted.
func (a *Activities) SweepMultipartUploads(ctx context.Context, in SweepInput) (int, error) {
	cfg := a.Config.withDefaults()
	n, err := a.sweepMultipart(ctx, in.Now.Add(-cfg.MultipartMaxAge), cfg.BatchSize)
	if n > 0 || err != nil {
		activity.GetLogger(ctx).Info("incomplete multipart uploads aborted", "uploads", n)
	}
	return n, err
}

func (a *Activities) sweepMultipart(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	uploads, err := a.Storage.ListIncompleteUploads(ctx, "", cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("sweep multipart uploads: %w", err)
	}
	aborted := 0
	for _, u := range uploads {
		if err := a.Storage.AbortUpload(ctx, u.Key, u.UploadID); err != nil {
			return aborted, fmt.Errorf("sweep multipart uploads: %w", err)
		}
		aborted++
	}
	return aborted, nil
}

// SweepTempFiles removes the inspection temp files in TempDir that no inspection holds,
// and returns how many it removed. It sweeps the disk of the worker that runs it.
func (a *Activities) SweepTempFiles(ctx context.Context, _ SweepInput) (int, error) {
	cfg := a.Config.withDefaults()
	n, err := mediaact.SweepTempFiles(cfg.TempDir, cfg.TempFileMinAge)
	if n > 0 || err != nil {
		activity.GetLogger(ctx).Info("inspection temp files removed", "files", n, "dir", cfg.TempDir)
	}
	if err != nil {
		return n, fmt.Errorf("sweep temp files: %w", err)
	}
	return n, nil
}

// StartupCounts is what SweepAtStartup removed.
type StartupCounts struct {
	Multipart int
	Staging   int
}

// SweepAtStartup removes what a process killed mid-upload may have left in storage,
// once, as a worker starts: incomplete multipart uploads and staging objects from before
// cutoff (staging objects of uploads still processing stay). The caller picks cutoff
// (and bounds ctx): no upload still arriving at another process may have started before
// it. The second sweep runs whatever the first did; their errors are joined.
func SweepAtStartup(ctx context.Context, a *Activities, now, cutoff time.Time) (StartupCounts, error) {
	cfg := a.Config.withDefaults()
	var counts StartupCounts
	var errMultipart, errStaging error
	counts.Multipart, errMultipart = a.sweepMultipart(ctx, cutoff, cfg.BatchSize)
	counts.Staging, errStaging = a.sweepStaging(ctx, cutoff, now.Add(-cfg.ProcessingWindow), cfg.BatchSize)
	return counts, errors.Join(errMultipart, errStaging)
}
