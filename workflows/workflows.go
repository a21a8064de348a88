// Package workflows registers plyr's workflows. Each workflow lives in its own package with
// typed Input and Output, its Name, TaskQueue and WorkflowID, and a replay test against
// histories recorded in workflows/testdata.
//
// Workflow code is deterministic: no clock, randomness, I/O or goroutines of its own;
// everything with a side effect is an activity. `make lint` runs workflowcheck over it.
package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/plyrfm/plyr/workflows/housekeeping"
	"github.com/plyrfm/plyr/workflows/upload"
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
