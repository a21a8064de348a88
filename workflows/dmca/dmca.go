// Package dmca is the workflow of one DMCA notice (dmca/<notice-id>), started when an
// admin enters a notice (its track is already down):
//
//	wait for a step → countered: a durable timer until the restore is due →
//	    fired: CloseDMCA (the notice restored, the takedown lifted, the artist told)
//	  → court_action or withdrawn (signals, before or during the timer): the end
//
// The legal module records each step in the database before it signals, and the
// database decides: CloseDMCA moves a notice only from countered, so court action
// reported as the timer fires keeps the track down. The timer is Temporal's, so it
// survives restarts of plyr and of Temporal; the workflow starts one timer per
// counter-notice, whatever happens in between. QueryState shows the stage and when the
// restore is due (the Temporal UI shows the pending timer too).
package dmca

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "dmca"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// SignalStep tells the workflow of a step on its notice (a Step).
const SignalStep = "step"

// QueryState is the query that returns the workflow's State.
const QueryState = "state"

// Steps on a notice, as signalled.
const (
	StepCountered   = "countered"
	StepCourtAction = "court_action"
	StepWithdrawn   = "withdrawn"
)

// Stages of State, and the statuses of Output.
const (
	StageTakenDown   = "taken_down"
	StageCountered   = "countered"
	StageRestored    = "restored"
	StageCourtAction = "court_action"
	StageWithdrawn   = "withdrawn"
	// StageClosed is a timer that fired on a notice another step had closed.
	StageClosed = "closed"
)

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for a notice.
func WorkflowID(noticeID uuid.UUID) string { return "dmca/" + noticeID.String() }

// Input names the notice and its track.
type Input struct {
	NoticeID uuid.UUID
	TrackID  uuid.UUID
}

// Step is a signal: what happened, and for a counter-notice when the track is due back.
type Step struct {
	Name       string
	RestoreDue time.Time
}

// State is where the notice stands.
type State struct {
	Stage      string
	RestoreDue time.Time
}

// Output is how the notice ended.
type Output struct {
	Status string
}

var legal *legalact.Activities

// Workflow carries one notice to its end.
func Workflow(ctx workflow.Context, in Input) (Output, error) {
	state := State{Stage: StageTakenDown}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return state, nil }); err != nil {
		return Output{}, err
	}
	steps := workflow.GetSignalChannel(ctx, SignalStep)
	var timer workflow.Future
	var cancelTimer workflow.CancelFunc
	for {
		sel := workflow.NewSelector(ctx)
		var step Step
		sel.AddReceive(steps, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &step) })
		fired := false
		if timer != nil {
			sel.AddFuture(timer, func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
		}
		sel.Select(ctx)
		switch {
		case fired:
			out, err := restore(ctx, in)
			if err == nil {
				state.Stage = out.Status
			}
			return out, err
		case step.Name == StepCountered && timer == nil && !step.RestoreDue.IsZero():
			// One timer per notice: a counter-notice signalled again changes nothing.
			state = State{Stage: StageCountered, RestoreDue: step.RestoreDue}
			var timerCtx workflow.Context
			timerCtx, cancelTimer = workflow.WithCancel(ctx)
			timer = workflow.NewTimer(timerCtx, max(step.RestoreDue.Sub(workflow.Now(ctx)), 0))
		case step.Name == StepCourtAction || step.Name == StepWithdrawn:
			if cancelTimer != nil {
				cancelTimer()
			}
			state.Stage = step.Name
			return Output{Status: step.Name}, nil
		}
	}
}

// restore closes the notice as restored, unless another step closed it first.
func restore(ctx workflow.Context, in Input) (Output, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: legalact.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Minute},
	})
	var closed bool
	if err := workflow.ExecuteActivity(ctx, legal.CloseDMCA, in.NoticeID, StageRestored).Get(ctx, &closed); err != nil {
		return Output{}, err
	}
	if !closed {
		return Output{Status: StageClosed}, nil
	}
	return Output{Status: StageRestored}, nil
}
