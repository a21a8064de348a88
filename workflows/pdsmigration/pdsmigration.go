// Package pdsmigration is the workflow that copies an artist's chosen tracks to their
// PDS, one batch per workflow (pdsmigration/<did>/<migration-id>), one track after another:
//
//	for each pending track: PDSTrack (catalog: still eligible?) → UploadBlob (media: the
//	playable audio to the PDS, streamed) → SetTrackPDS (catalog: the blob on the track, its
//	record revised) → AwaitTrackRecord (the record written with its audioBlob, createdAt
//	and every other field kept) → SettleMigrationItem (media: migrated, skipped or failed)
//	then FinishMigration
//
// Progress lives in the media module's rows, which WatchPdsMigration streams; the
// workflow's search attributes (PlyrDID) make every migration findable by account in the
// Temporal UI. A track whose PDS kept failing is settled failed and the batch goes on; an
// admin's retry makes the failed tracks pending again and runs the workflow anew under the
// same id. Tracks go one at a time: a PDS is a small server, and a batch of hundreds of
// files at once would be a burden the artist did not ask for.
package pdsmigration

import (
	"errors"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "pdsmigration"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is a migration's workflow id.
func WorkflowID(did string, migrationID uuid.UUID) string {
	return "pdsmigration/" + did + "/" + migrationID.String()
}

// Input names the migration.
type Input struct {
	MigrationID uuid.UUID
	DID         string
}

// Output is how the migration ended: "done", or "failed" when a track failed.
type Output struct {
	Status string
}

var (
	lightOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	}
	// A blob upload heartbeats; its retries are the Workflow's BlobRetry.
	blobOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
	}
	// The record's own workflow retries its write for about twenty minutes; this waits
	// that long, asking every few seconds.
	awaitOptions = workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 1.5, MaximumInterval: 5 * time.Second,
			NonRetryableErrorTypes: []string{catalogact.ErrorTypeRecordFailed},
		},
	}
)

var (
	catalog *catalogact.Activities
	media   *mediaact.Activities
)

// DefaultBlobRetry is how long a PDS that fails is tried, per track: about a minute (2 s
// doubling, 6 tries), as at upload. The track is then failed, and the batch goes on.
var DefaultBlobRetry = temporal.RetryPolicy{
	InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 6,
}

// Workflow is the migration workflow with its retry budget per blob (tests shorten it).
type Workflow struct {
	BlobRetry temporal.RetryPolicy
}

// Run copies the migration's pending tracks to the PDS.
func (w Workflow) Run(ctx workflow.Context, in Input) (Output, error) {
	logger := log.With(workflow.GetLogger(ctx), "migration_id", in.MigrationID.String(), "did", in.DID)
	light := workflow.WithActivityOptions(ctx, lightOptions)
	light = workflow.WithTaskQueue(light, mediaact.TaskQueue)
	var pending []uuid.UUID
	if err := workflow.ExecuteActivity(light, media.MigrationPending, in.MigrationID).Get(ctx, &pending); err != nil {
		return Output{}, err
	}
	for _, track := range pending {
		item := w.copyTrack(ctx, in, track)
		if item.Status == mediaact.ItemFailed {
			logger.Warn("track not migrated", "track_id", track.String(), "reason", item.Reason)
		}
		if err := workflow.ExecuteActivity(light, media.SettleMigrationItem, item).Get(ctx, nil); err != nil {
			return Output{}, err
		}
	}
	var status string
	if err := workflow.ExecuteActivity(light, media.FinishMigration, in.MigrationID).Get(ctx, &status); err != nil {
		return Output{}, err
	}
	return Output{Status: status}, nil
}

// copyTrack copies one track and says what became of it.
func (w Workflow) copyTrack(ctx workflow.Context, in Input, track uuid.UUID) mediaact.MigrationItem {
	item := mediaact.MigrationItem{MigrationID: in.MigrationID, TrackID: track}
	settle := func(status, reason string) mediaact.MigrationItem {
		item.Status, item.Reason = status, reason
		return item
	}
	onCatalog := workflow.WithTaskQueue(workflow.WithActivityOptions(ctx, lightOptions), catalogact.TaskQueue)
	var t catalogact.PDSTrack
	if err := workflow.ExecuteActivity(onCatalog, catalog.PDSTrack, track).Get(ctx, &t); err != nil {
		return settle(mediaact.ItemFailed, reason(err))
	}
	if t.Skip != "" {
		return settle(mediaact.ItemSkipped, t.Skip)
	}
	if t.ArtistDID != in.DID {
		return settle(mediaact.ItemSkipped, "the track is not this account's")
	}

	var blob mediaact.BlobOutcome
	opts := blobOptions
	opts.RetryPolicy = &w.BlobRetry
	blobCtx := workflow.WithTaskQueue(workflow.WithActivityOptions(ctx, opts), mediaact.TaskQueue)
	err := workflow.ExecuteActivity(blobCtx, media.UploadBlob, mediaact.BlobInput{FileID: t.FileID, DID: in.DID}).Get(ctx, &blob)
	var pds catalogact.PDSAudio
	switch {
	case err != nil:
		pds = catalogact.PDSAudio{State: catalogact.PDSFailed, Reason: reason(err)}
	case blob.TooLarge:
		pds = catalogact.PDSAudio{State: catalogact.PDSTooLarge, Reason: "the PDS does not take files this large"}
	case blob.Skipped != "":
		return settle(mediaact.ItemSkipped, blob.Skipped)
	default:
		pds = catalogact.PDSAudio{State: catalogact.PDSOnPDS, Blob: blob.Blob}
	}
	var revision int64
	if err := workflow.ExecuteActivity(onCatalog, catalog.SetTrackPDS, catalogact.TrackPDS{TrackID: track, PDS: pds}).Get(ctx, &revision); err != nil {
		return settle(mediaact.ItemFailed, reason(err))
	}
	switch pds.State {
	case catalogact.PDSFailed:
		return settle(mediaact.ItemFailed, pds.Reason)
	case catalogact.PDSTooLarge:
		return settle(mediaact.ItemSkipped, "too large for your PDS")
	}
	if revision > 0 {
		await := workflow.WithTaskQueue(workflow.WithActivityOptions(ctx, awaitOptions), catalogact.TaskQueue)
		err := workflow.ExecuteActivity(await, catalog.AwaitTrackRecord, catalogact.RecordAwait{TrackID: track, Revision: revision}).Get(ctx, nil)
		if err != nil {
			return settle(mediaact.ItemFailed, reason(err))
		}
	}
	return settle(mediaact.ItemMigrated, "")
}

// reason is what an activity's final error says, without Temporal's wrapping.
func reason(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.Error()
	}
	return err.Error()
}
