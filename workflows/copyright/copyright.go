// Package copyright is the workflow that checks a published track for copyrighted music,
// one per track (copyright/<track-id>), started by the upload when the track is
// published:
//
//	ScanTrack (the recogniser, the dominant-match rule, the scan stored) →
//	[flagged: CopyrightNotices → the artist's DM → the admin's DM]
//
// A scan the recogniser cannot make is retried (ScanRetry), then stored as failed — never
// as clear. Without a recogniser configured the workflow ends at once with status off. A
// flag is a note for a human: nothing is taken down here. Each DM is its own step, so a
// worker killed between them sends the second once it is back, and the first never again.
package copyright

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "copyright"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for a track.
func WorkflowID(trackID uuid.UUID) string { return "copyright/" + trackID.String() }

// Input names the track.
type Input struct {
	TrackID uuid.UUID
}

// Statuses of Output.
const (
	StatusOff     = "off"
	StatusSkipped = "skipped"
	StatusClear   = "clear"
	StatusFlagged = "flagged"
	StatusFailed  = "failed"
)

// Output is how the check ended.
type Output struct {
	Status string
	// Reason says why a scan was skipped or failed.
	Reason string
}

// DefaultScanRetry retries a scan the recogniser could not make: 6 tries over about a
// quarter of an hour.
var DefaultScanRetry = temporal.RetryPolicy{
	InitialInterval: 30 * time.Second, BackoffCoefficient: 2, MaximumInterval: 15 * time.Minute, MaximumAttempts: 6,
}

// Workflow checks a track; ScanRetry retries its scan and Notices sends its DMs.
type Workflow struct {
	ScanRetry temporal.RetryPolicy
	Notices   notice.Sending
}

var legal *legalact.Activities

// Run is the workflow.
func (w Workflow) Run(ctx workflow.Context, in Input) (Output, error) {
	retry := w.ScanRetry
	scanCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The recogniser downloads and fingerprints the whole track: minutes for a long one.
		TaskQueue: legalact.TaskQueue, StartToCloseTimeout: 10 * time.Minute, RetryPolicy: &retry,
	})
	light := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: legalact.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	var scan legalact.Scan
	if err := workflow.ExecuteActivity(scanCtx, legal.ScanTrack, in.TrackID).Get(ctx, &scan); err != nil {
		reason := err.Error()
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			reason = app.Message()
		}
		if err := workflow.ExecuteActivity(light, legal.RecordScanFailure, in.TrackID, reason).Get(ctx, nil); err != nil {
			return Output{}, err
		}
		return Output{Status: StatusFailed, Reason: reason}, nil
	}
	switch {
	case scan.Off:
		return Output{Status: StatusOff, Reason: "no recogniser is configured"}, nil
	case scan.Skipped != "":
		return Output{Status: StatusSkipped, Reason: scan.Skipped}, nil
	case !scan.Flagged:
		return Output{Status: StatusClear}, nil
	}
	var keys []string
	if err := workflow.ExecuteActivity(light, legal.CopyrightNotices, in.TrackID).Get(ctx, &keys); err != nil {
		return Output{}, err
	}
	for _, key := range keys {
		w.Notices.Send(ctx, key)
	}
	return Output{Status: StatusFlagged}, nil
}
