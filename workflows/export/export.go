// Package export is the workflow that builds an artist's export (export/<id>): a zip of all
// their tracks, the original where one is kept, streamed into the private bucket.
//
//	BuildExport (media: each file streamed into the zip, the zip into storage, progress on
//	the export's row) → FinishExport (ready, downloadable by its owner for a day; or failed)
//
// A worker that dies midway is noticed by the step's heartbeat; the retry builds the zip
// again from the start over the same key.
package export

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "export"

// TaskQueue is where the workflow and its steps run.
const TaskQueue = taskqueue.Main

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is an export's workflow id.
func WorkflowID(exportID uuid.UUID) string { return "export/" + exportID.String() }

// Input is the export to build.
type Input = mediaact.ExportInput

var media *mediaact.Activities

// Workflow builds the export and records how it ended.
func Workflow(ctx workflow.Context, in Input) error {
	build := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: mediaact.TaskQueue, StartToCloseTimeout: 6 * time.Hour, HeartbeatTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 4},
	})
	light := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: mediaact.TaskQueue, StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	var size int64
	ending := mediaact.ExportEnding{ExportID: in.ExportID}
	if err := workflow.ExecuteActivity(build, media.BuildExport, in).Get(ctx, &size); err != nil {
		ending.Failure = "plyr could not build the zip; start another export"
		workflow.GetLogger(ctx).Error("export failed", "export_id", in.ExportID.String(), "error", err)
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.NonRetryable() {
			ending.Failure = app.Message()
		}
	}
	ending.SizeBytes = size
	return workflow.ExecuteActivity(light, media.FinishExport, ending).Get(ctx, nil)
}
