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
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/plyrfm/plyr/workflows/copyright"
	"github.com/plyrfm/plyr/workflows/dmca"
	"github.com/plyrfm/plyr/workflows/export"
	"github.com/plyrfm/plyr/workflows/gate"
	"github.com/plyrfm/plyr/workflows/housekeeping"
	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/plyrfm/plyr/workflows/pdsmigration"
	"github.com/plyrfm/plyr/workflows/recordsync"
	"github.com/plyrfm/plyr/workflows/signinsync"
	"github.com/plyrfm/plyr/workflows/takedown"
	"github.com/plyrfm/plyr/workflows/taskqueue"
	"github.com/plyrfm/plyr/workflows/transcode"
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

// Options tune the workflows where a deployment (or a test) needs to.
type Options struct {
	// RecordWriteAttempts bounds the tries of a record write; 0 means
	// recordsync.DefaultWriteRetry's.
	RecordWriteAttempts int
	// RecordWriteTimeout bounds one try of a record write; 0 means
	// recordsync.DefaultWriteTimeout.
	RecordWriteTimeout time.Duration
	// BlobAttempts bounds the tries of one track's blob upload in a PDS migration; 0 means
	// pdsmigration.DefaultBlobRetry's.
	BlobAttempts int
	// NoticeRetry, when set, replaces notice.DefaultRetry: how a DM is retried.
	NoticeRetry *temporal.RetryPolicy
	// ScanRetry, when set, replaces copyright.DefaultScanRetry: how a copyright scan is
	// retried before it is recorded as failed.
	ScanRetry *temporal.RetryPolicy
}

// Register adds every workflow to r under its stable name.
func Register(r Registry, o Options) {
	r.RegisterWorkflowWithOptions(upload.Workflow, upload.RegisterOptions())
	r.RegisterWorkflowWithOptions(housekeeping.Workflow, housekeeping.RegisterOptions())
	records := recordsync.Workflow{WriteRetry: recordsync.DefaultWriteRetry, WriteTimeout: recordsync.DefaultWriteTimeout}
	if o.RecordWriteAttempts > 0 {
		records.WriteRetry.MaximumAttempts = int32(o.RecordWriteAttempts)
	}
	if o.RecordWriteTimeout > 0 {
		records.WriteTimeout = o.RecordWriteTimeout
	}
	r.RegisterWorkflowWithOptions(records.Run, recordsync.RegisterOptions())
	r.RegisterWorkflowWithOptions(signinsync.Workflow, signinsync.RegisterOptions())
	r.RegisterWorkflowWithOptions(gate.Workflow, gate.RegisterOptions())
	r.RegisterWorkflowWithOptions(export.Workflow, export.RegisterOptions())
	migration := pdsmigration.Workflow{BlobRetry: pdsmigration.DefaultBlobRetry}
	if o.BlobAttempts > 0 {
		migration.BlobRetry.MaximumAttempts = int32(o.BlobAttempts)
	}
	r.RegisterWorkflowWithOptions(migration.Run, pdsmigration.RegisterOptions())
	notices := notice.Sending{Retry: notice.DefaultRetry}
	if o.NoticeRetry != nil {
		notices.Retry = *o.NoticeRetry
	}
	scans := copyright.Workflow{ScanRetry: copyright.DefaultScanRetry, Notices: notices}
	if o.ScanRetry != nil {
		scans.ScanRetry = *o.ScanRetry
	}
	r.RegisterWorkflowWithOptions(scans.Run, copyright.RegisterOptions())
	r.RegisterWorkflowWithOptions(notice.Workflow{Sending: notices}.Run, notice.RegisterOptions())
	r.RegisterWorkflowWithOptions(takedown.Workflow, takedown.RegisterOptions())
	r.RegisterWorkflowWithOptions(dmca.Workflow, dmca.RegisterOptions())
}

// RegisterMedia adds the workflows that run on MediaTaskQueue (children of the main
// ones, next to the heavy steps they schedule) to r, the media queue's worker.
func RegisterMedia(r Registry) {
	r.RegisterWorkflowWithOptions(transcode.Workflow, transcode.RegisterOptions())
}
