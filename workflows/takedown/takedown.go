// Package takedown is the workflow that applies a track's takedown state, one per track
// (takedown/<track-id>):
//
//	loop: TakedownState (legal: is a takedown in force) → SetTrackTakenDown (catalog: the
//	      track hidden or shown, its files) → SetFilesTakenDown (media: /audio closed or
//	      open) until no "changed" signal is pending
//
// Legal commits a decision first and then signals this workflow (or starts it), as the
// catalog does with gate: the workflow reads the state when it applies it, so however
// often a track is taken down and restored, the last decision is what holds.
package takedown

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	legalact "github.com/plyrfm/plyr/activities/legal"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "takedown"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// SignalChanged tells a running workflow that the track's takedown state changed again.
const SignalChanged = "changed"

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for a track.
func WorkflowID(trackID uuid.UUID) string { return "takedown/" + trackID.String() }

// Input names the track.
type Input struct {
	TrackID uuid.UUID
}

// maxPasses bounds the passes of one run; a state changed without end continues as new.
const maxPasses = 50

var (
	legal   *legalact.Activities
	catalog *catalogact.Activities
	media   *mediaact.Activities
)

// Workflow applies the track's takedown state until it stops changing.
func Workflow(ctx workflow.Context, in Input) error {
	changed := workflow.GetSignalChannel(ctx, SignalChanged)
	pending := func() bool {
		got := false
		for changed.ReceiveAsync(nil) {
			got = true
		}
		return got
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	on := func(queue string) workflow.Context { return workflow.WithTaskQueue(ctx, queue) }
	for range maxPasses {
		pending()
		var state legalact.Takedown
		if err := workflow.ExecuteActivity(on(legalact.TaskQueue), legal.TakedownState, in.TrackID).Get(ctx, &state); err != nil {
			return err
		}
		var track catalogact.Gate
		err := workflow.ExecuteActivity(on(catalogact.TaskQueue), catalog.SetTrackTakenDown,
			catalogact.TakenDown{TrackID: in.TrackID, Down: state.Down}).Get(ctx, &track)
		if err != nil {
			return err
		}
		if !track.Found {
			return nil // the track is gone; its files went with it
		}
		err = workflow.ExecuteActivity(on(mediaact.TaskQueue), media.SetFilesTakenDown,
			mediaact.TakedownInput{FileIDs: track.FileIDs, Down: state.Down}).Get(ctx, nil)
		if err != nil {
			return err
		}
		if !pending() {
			return nil
		}
	}
	return workflow.NewContinueAsNewError(ctx, Name, in)
}
