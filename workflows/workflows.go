// Package workflows registers plyr's workflows and names the task queues they and their
// activities run on. Each workflow lives in its own package with typed Input and Output,
// its Name, TaskQueue and WorkflowID, and a replay test against histories recorded in
// workflows/testdata. Each activity package says which queue each of its activities runs
// on and registers itself on that queue's worker.
//
// Workflow code is deterministic: no clock, randomness, I/O or goroutines of its own;
// everything with a side effect is an activity. `make lint` runs workflowcheck over it.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/plyrfm/plyr/workflows/housekeeping"
	"github.com/plyrfm/plyr/workflows/taskqueue"
	"github.com/plyrfm/plyr/workflows/upload"
)

// Task queues. The names are defined in package taskqueue, which imports nothing, so the
// activity packages (which this package imports through the workflows) can name them too.
const (
	// TaskQueue runs the workflows and their light steps.
	TaskQueue = taskqueue.Main
	// MediaTaskQueue runs the heavy media steps (ffmpeg), with bounded concurrency.
	MediaTaskQueue = taskqueue.Media
)

// Registry is the part of a Temporal worker that workflows are registered on.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register adds every workflow to r under its stable name.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(upload.Workflow, upload.RegisterOptions())
	r.RegisterWorkflowWithOptions(housekeeping.Workflow, housekeeping.RegisterOptions())
}
