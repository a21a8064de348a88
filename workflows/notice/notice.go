// Package notice sends plyr's DMs: the workflow notice/<key> sends the one DM recorded
// under key (a report for the admin, a takedown or a restoration for an artist), and
// Sending is the step the other workflows that send DMs share.
//
// A DM is tried until DefaultRetry gives up, then recorded as failed with the category of
// its last failure (network, auth, unknown). A recipient who blocked the platform account
// (dm_blocked) is not retried at all. The activity makes sure a retry never sends twice.
package notice

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "notice"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for the DM recorded under key.
func WorkflowID(key string) string { return "notice/" + key }

// Input names the DM.
type Input struct {
	Key string
}

// DefaultRetry is how a DM is retried: 8 tries over about twenty minutes, then given up on.
var DefaultRetry = temporal.RetryPolicy{
	InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 15 * time.Minute, MaximumAttempts: 8,
}

// Sending sends DMs with Retry.
type Sending struct {
	Retry temporal.RetryPolicy
}

var legal *legalact.Activities

// Send sends the DM recorded under key, and records it as failed when the retries give
// up. It never fails the workflow for a DM: a DM is worth a record, not a stuck workflow.
func (s Sending) Send(ctx workflow.Context, key string) {
	retry := s.Retry
	send := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: legalact.TaskQueue, StartToCloseTimeout: time.Minute, RetryPolicy: &retry,
	})
	err := workflow.ExecuteActivity(send, legal.SendNotice, key).Get(ctx, nil)
	if err == nil {
		return
	}
	category, reason := "unknown", err.Error()
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		category, reason = app.Type(), app.Message()
	}
	record := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: legalact.TaskQueue, StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if err := workflow.ExecuteActivity(record, legal.FailNotice, key, category, reason).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("record a DM given up on", "key", key, "error", err)
	}
}

// Workflow sends one DM.
type Workflow struct {
	Sending
}

// Run is the workflow.
func (w Workflow) Run(ctx workflow.Context, in Input) error {
	w.Send(ctx, in.Key)
	return nil
}
