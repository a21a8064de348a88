// Package upload is the workflow that turns an accepted upload into a playable track:
//
//	create the draft track → inspect the audio (plyr-media queue) → store it under its
//	permanent key → publish the track → record the ending
//
// An upload refused for its content (InspectUpload's verdict) ends the workflow normally
// with status rejected and a reason for the uploader; a failure of plyr's own (retries exhausted) fails the workflow.
// Either way nothing is left behind: the draft track, the stored and staged objects and
// the file row are removed before the workflow ends.
package upload

import (
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
)

// Name is the workflow's registered type name.
const Name = "upload"

// TaskQueue is where the workflow and its light steps run.
const TaskQueue = "plyr"

// MediaTaskQueue is where the heavy media steps run (ffmpeg, with bounded concurrency).
const MediaTaskQueue = "plyr-media"

// QueryProgress is the query that returns the workflow's Progress.
const QueryProgress = "progress"

// workflowOptions registers the workflow under its stable Name.
func workflowOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// RegisterOptions are the options the workflow is registered with.
func RegisterOptions() workflow.RegisterOptions { return workflowOptions() }

// WorkflowID is the workflow's id for a track: one upload workflow per track.
func WorkflowID(trackID string) string { return "upload/" + trackID }

// Input is everything the workflow needs, fixed when the upload is accepted.
type Input struct {
	UploadID   string
	TrackID    string
	FileID     string
	ArtistDID  string
	Title      string
	StagingKey string
	AcceptedAt time.Time
}

// Status is how an upload ended.
type Status string

const (
	// StatusReady means the track is published and playable.
	StatusReady Status = "ready"
	// StatusRejected means the file was refused for its content; Output.Reason says why.
	StatusRejected Status = "rejected"
	// StatusFailed means plyr could not finish; the workflow itself fails.
	StatusFailed Status = "failed"
)

// FailedMessage is what the uploader is told when plyr could not finish an upload.
const FailedMessage = "plyr could not process this upload; nothing was kept, please try again"

// Output is how the upload ended.
type Output struct {
	Status     Status
	Reason     string
	FileID     string
	DurationMs int32
}

// Phase is the step the workflow is in.
type Phase string

const (
	PhaseQueued     Phase = "queued"
	PhaseValidating Phase = "validating"
	PhaseStoring    Phase = "storing"
	PhasePublishing Phase = "publishing"
	PhaseDone       Phase = "done"
)

// Progress is the answer to QueryProgress.
type Progress struct {
	Phase Phase
}

// Activity references: only their method names are used, to schedule them.
var (
	catalog *catalogact.Activities
	media   *mediaact.Activities
)

// Workflow runs one upload to its end.
func Workflow(ctx workflow.Context, in Input) (Output, error) {
	logger := log.With(workflow.GetLogger(ctx), "track_id", in.TrackID, "upload_id", in.UploadID)
	progress := Progress{Phase: PhaseQueued}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return progress, nil }); err != nil {
		return Output{}, err
	}

	light := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10,
		},
	})
	heavy := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           MediaTaskQueue,
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5,
		},
	})

	var storedKey string
	out, err := func() (Output, error) {
		err := workflow.ExecuteActivity(light, catalog.CreateDraftTrack, catalogact.DraftTrack{
			TrackID: in.TrackID, ArtistDID: in.ArtistDID, Title: in.Title, CreatedAt: in.AcceptedAt,
		}).Get(ctx, nil)
		if err != nil {
			return Output{}, err
		}

		progress.Phase = PhaseValidating
		var inspection mediaact.Inspection
		err = workflow.ExecuteActivity(heavy, media.InspectUpload, mediaact.InspectInput{StagingKey: in.StagingKey}).
			Get(ctx, &inspection)
		if err != nil {
			return Output{}, err
		}
		if inspection.Rejected != "" {
			return Output{Status: StatusRejected, Reason: inspection.Rejected}, nil
		}

		progress.Phase = PhaseStoring
		err = workflow.ExecuteActivity(light, media.StoreFile, mediaact.StoreInput{
			StagingKey: in.StagingKey, FileID: in.FileID, OwnerDID: in.ArtistDID, Inspection: inspection,
		}).Get(ctx, &storedKey)
		if err != nil {
			return Output{}, err
		}

		progress.Phase = PhasePublishing
		err = workflow.ExecuteActivity(light, catalog.PublishTrack, catalogact.Publication{
			TrackID: in.TrackID, FileID: in.FileID, DurationMs: inspection.DurationMs,
		}).Get(ctx, nil)
		if err != nil {
			return Output{}, err
		}
		return Output{Status: StatusReady, FileID: in.FileID, DurationMs: inspection.DurationMs}, nil
	}()

	if err == nil && out.Status == StatusReady {
		finish(light, logger, in.UploadID, StatusReady, "")
		progress.Phase = PhaseDone
		logger.Info("upload ready", "file_id", in.FileID, "duration_ms", out.DurationMs)
		return out, nil
	}

	// Whatever went wrong, leave nothing behind. The cleanup runs on a context of its own
	// so that it still runs if the workflow is being cancelled.
	cleanup, _ := workflow.NewDisconnectedContext(light)
	discard(cleanup, logger, in, storedKey)
	if err == nil {
		finish(cleanup, logger, in.UploadID, StatusRejected, out.Reason)
		progress.Phase = PhaseDone
		logger.Info("upload rejected", "reason", out.Reason)
		return out, nil
	}
	finish(cleanup, logger, in.UploadID, StatusFailed, FailedMessage)
	progress.Phase = PhaseDone
	logger.Error("upload failed", "error", err)
	return Output{}, err
}

// discard removes the draft track and every object and row the upload may have made.
// Failures are logged, not returned: the workflow's own outcome matters more, and the
// steps have already been retried by their policy.
func discard(ctx workflow.Context, logger log.Logger, in Input, storedKey string) {
	err := workflow.ExecuteActivity(ctx, media.DiscardUpload, mediaact.DiscardInput{
		StagingKey: in.StagingKey, FileID: in.FileID, StoredKey: storedKey,
	}).Get(ctx, nil)
	if err != nil {
		logger.Error("discard upload objects", "error", err)
	}
	if err := workflow.ExecuteActivity(ctx, catalog.DeleteDraftTrack, in.TrackID).Get(ctx, nil); err != nil {
		logger.Error("delete draft track", "error", err)
	}
}

// finish records the upload's ending for WatchUpload.
func finish(ctx workflow.Context, logger log.Logger, uploadID string, status Status, message string) {
	err := workflow.ExecuteActivity(ctx, media.FinishUpload, mediaact.FinishInput{
		UploadID: uploadID, Status: string(status), Message: message,
	}).Get(ctx, nil)
	if err != nil {
		logger.Error("record upload ending", "status", string(status), "error", err)
	}
}
