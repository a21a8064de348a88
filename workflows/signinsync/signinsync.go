// Package signinsync is the workflow that runs after every sign-in (login, sign-up, an
// added account, a scope upgrade), id signinsync/<did>: it brings what plyr keeps about
// the account, and the records plyr keeps on its PDS, up to date with the account as it
// signed in.
//
//	sync the artist: the row exists; the fm.plyr.actor.profile record is written as the
//	profile is now (its Bluesky avatar may have changed), through recordsync, and not
//	rewritten when nothing changed
//
// A sign-in while a sync of the same account runs joins that run (the second start finds
// it), so a burst of sign-ins costs one sync.
package signinsync

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "signinsync"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// WorkflowID is the workflow's id for an account.
func WorkflowID(did string) string { return "signinsync/" + did }

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// Input names the account that signed in.
type Input struct {
	DID string
}

// Activity references: only their method names are used, to schedule them.
var catalog *catalogact.Activities

// Workflow syncs one account after a sign-in.
func Workflow(ctx workflow.Context, in Input) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           catalogact.TaskQueue,
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &sdktemporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10,
		},
	})
	return workflow.ExecuteActivity(ctx, catalog.SyncArtist, in.DID).Get(ctx, nil)
}

// Start starts the sync of did, or joins the one running.
func Start(ctx context.Context, c client.Client, did string) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(did),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    sdktemporal.NewSearchAttributes(plyrtemporal.DIDKey.ValueSet(did)),
	}, Name, Input{DID: did})
	if err != nil {
		return fmt.Errorf("start %s: %w", WorkflowID(did), err)
	}
	return nil
}
