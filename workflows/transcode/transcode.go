// Package transcode is the workflow that makes the browser-playable MP3 of a lossless
// original, as a child of the upload workflow:
//
//	TranscodeToMP3 (plyr-media queue): download the original → ffmpeg → check the MP3's
//	length against the original's → store the MP3 → record its file row
//
// It is a workflow of its own, with its own id (transcode/<file-id>/mp3), so that operators
// see every transcode in the Temporal UI next to the upload it belongs to, and so that
// other renditions (an Opus, a re-encode at another bitrate) can be added beside it later
// under their own ids. It and its step run on the media queue, whose workers bound their
// ffmpeg runs by their cores.
//
// A worker killed mid-transcode is noticed by the step's heartbeat timeout; the step is
// retried on a live worker and redoes the transcode from the original, writing the same
// key and row (the MP3's id is derived from the original's).
package transcode

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "transcode"

// TaskQueue is where the workflow and its step run.
const TaskQueue = taskqueue.Media

// TargetMP3 names the MP3 rendition in workflow ids.
const TargetMP3 = "mp3"

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the id of the workflow making target (TargetMP3) from a source file.
func WorkflowID(sourceFileID uuid.UUID, target string) string {
	return "transcode/" + sourceFileID.String() + "/" + target
}

// Input and Output are the step's.
type (
	Input  = mediaact.TranscodeInput
	Output = mediaact.Transcoded
)

// ProgressActivity is the step whose heartbeats carry mediaact.InspectProgress (StepDownload,
// then StepTranscode).
const ProgressActivity = mediaact.TranscodeName

// options: a transcode of hours of audio takes minutes, so the step heartbeats (every 2 s)
// rather than being bounded by a short run time; a dead worker is noticed in 10 s.
var options = workflow.ActivityOptions{
	TaskQueue:           mediaact.InspectTaskQueue,
	StartToCloseTimeout: 2 * time.Hour,
	HeartbeatTimeout:    10 * time.Second,
	// Cancelled (the upload was refused), the workflow ends only once the step has
	// stopped: nothing is stored after the upload has discarded its objects.
	WaitForCancellation: true,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5,
	},
}

var media *mediaact.Activities

// Workflow makes the MP3 of in's original.
func Workflow(ctx workflow.Context, in Input) (Output, error) {
	var out Output
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, options), media.TranscodeToMP3, in).Get(ctx, &out)
	return out, err
}
