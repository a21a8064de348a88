// Package gate is the workflow that moves a track's audio where its supporter gate says,
// one workflow per track (gate/<track-id>):
//
//	loop: TrackGate (catalog: is the track gated, which files are its audio) →
//	      ApplyGate (media: the files gated or open, their bytes moved to the private
//	      bucket or back) until no "changed" signal is pending
//
// The catalog commits the gate first and then signals this workflow (or starts it), as
// records do with recordsync: the workflow reads the gate when it applies it, so however
// often the artist toggles it, the last state is what the files end in.
package gate

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "gate"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// SignalChanged tells a running workflow that the track's gate changed again.
const SignalChanged = "changed"

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for a track.
func WorkflowID(trackID uuid.UUID) string { return "gate/" + trackID.String() }

// Input names the track.
type Input struct {
	TrackID uuid.UUID
}

// maxPasses bounds the passes of one run; a gate toggled without end continues as a new run.
const maxPasses = 50

var (
	catalog *catalogact.Activities
	media   *mediaact.Activities
)

// Workflow applies the track's gate to its files until it stops changing.
func Workflow(ctx workflow.Context, in Input) error {
	changed := workflow.GetSignalChannel(ctx, SignalChanged)
	pending := func() bool {
		got := false
		for changed.ReceiveAsync(nil) {
			got = true
		}
		return got
	}
	read := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: catalogact.TaskQueue, StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	// A move is a server-side copy, seconds for a large file: it heartbeats.
	move := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: mediaact.TaskQueue, StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for range maxPasses {
		pending()
		var g catalogact.Gate
		if err := workflow.ExecuteActivity(read, catalog.TrackGate, in.TrackID).Get(ctx, &g); err != nil {
			return err
		}
		if !g.Found {
			return nil // the track is gone; its files went with it
		}
		err := workflow.ExecuteActivity(move, media.ApplyGate, mediaact.GateInput{FileIDs: g.FileIDs, Gated: g.Gated}).Get(ctx, nil)
		if err != nil {
			return err
		}
		if !pending() {
			return nil
		}
	}
	return workflow.NewContinueAsNewError(ctx, Name, in)
}
