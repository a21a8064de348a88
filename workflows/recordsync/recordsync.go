// Package recordsync is the one durable path by which plyr writes and deletes records on
// users' PDSes. One workflow per record, id record/<did>/<collection>/<rkey>:
//
//	loop: WriteRecord (what the record's Source wants now) → MarkRecord (tell the Source)
//	      until no newer revision waits and no "changed" signal is pending
//
// A module that changes what a record should be first commits the change (its revision
// goes up, the record shows pending), then calls Start, which signals the record's running
// workflow or starts one. The workflow reads the record's wanted state when it writes, so
// however many changes arrive, the last one is what ends up on the PDS, and a start that
// finds a workflow already running costs nothing more than a signal.
//
// A failure after the retry budget (FailureNetwork), or one retrying cannot fix (auth,
// scope, rejected), is settled on the record as failed with its category and reason; the
// owner's RestoreRecord starts the workflow again. A record plyr built that fails its
// lexicon fails the workflow as well: it is a bug, and operators should see it.
package recordsync

import (
	"errors"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "recordsync"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// SignalChanged tells a running workflow that its record changed again.
const SignalChanged = "changed"

// WorkflowID is the workflow's id for a record: one workflow per record.
func WorkflowID(ref records.Ref) string {
	return "record/" + ref.DID + "/" + ref.Collection + "/" + ref.RKey
}

// Input names the record.
type Input struct {
	Ref records.Ref
}

// State is where a record ended.
type State string

const (
	// StateSynced: the record on the PDS is what plyr wants (or is deleted, if Absent).
	StateSynced State = "synced"
	// StateFailed: the record could not be written; Output.Failure says why.
	StateFailed State = "failed"
	// StateUntracked: the record's entity is gone; nothing was written.
	StateUntracked State = "untracked"
)

// Output is how the workflow ended.
type Output struct {
	State   State
	Failure records.Failure `json:",omitempty"`
	URI     string          `json:",omitempty"`
	CID     string          `json:",omitempty"`
	Absent  bool            `json:",omitempty"`
	// Writes counts the WriteRecord steps of this run.
	Writes int
}

// DefaultWriteRetry is the retry budget of a write: a PDS that is down is tried for about
// twenty minutes (1 s doubling to at most 5 min between tries, 12 tries) before the record
// shows failed: network.
var DefaultWriteRetry = temporal.RetryPolicy{
	InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 12,
}

// DefaultWriteTimeout bounds one try of a write (a read and a write on the PDS): a
// worker that died during it is given up, and the write retried on another, after this.
const DefaultWriteTimeout = 30 * time.Second

// maxLoops bounds the writes of one run; a record changing without end continues as a
// new run, so the history stays small.
const maxLoops = 100

// Workflow is the record workflow with its write retry budget and the bound on one try
// (tests shorten them).
type Workflow struct {
	WriteRetry   temporal.RetryPolicy
	WriteTimeout time.Duration
}

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// Activity references: only their method names are used, to schedule them.
var steps *records.Activities

// Run writes the record until the PDS holds what plyr wants.
func (w Workflow) Run(ctx workflow.Context, in Input) (Output, error) {
	logger := log.With(workflow.GetLogger(ctx), "uri", in.Ref.URI())
	changed := workflow.GetSignalChannel(ctx, SignalChanged)
	drain := func() bool {
		pending := false
		for changed.ReceiveAsync(nil) {
			pending = true
		}
		return pending
	}

	write := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           records.TaskQueue,
		StartToCloseTimeout: w.WriteTimeout,
		RetryPolicy:         &w.WriteRetry,
	})
	mark := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           records.TaskQueue,
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		},
	})

	var out Output
	for out.Writes < maxLoops {
		drain()
		var written records.Written
		err := workflow.ExecuteActivity(write, steps.WriteRecord, in.Ref).Get(ctx, &written)
		out.Writes++
		var outcome records.Outcome
		switch {
		case err != nil:
			outcome = records.Outcome{Failure: records.FailureOf(err), Reason: reason(err)}
		case written.Untracked:
			logger.Info("record no longer tracked; nothing to write")
			return Output{State: StateUntracked, Writes: out.Writes}, nil
		default:
			outcome = records.Outcome{
				Revision: written.Revision, Absent: written.Absent, URI: written.URI, CID: written.CID, Record: written.Record,
			}
		}

		var newer bool
		if merr := workflow.ExecuteActivity(mark, steps.MarkRecord, in.Ref, outcome).Get(ctx, &newer); merr != nil {
			return out, merr
		}
		if newer || drain() {
			continue // changed while we wrote: write what it is now
		}
		if err != nil {
			out = Output{State: StateFailed, Failure: outcome.Failure, Writes: out.Writes}
			logger.Warn("record not written", "failure", string(outcome.Failure), "error", err)
			if invalid(err) {
				return out, err
			}
			return out, nil
		}
		return Output{State: StateSynced, URI: written.URI, CID: written.CID, Absent: written.Absent, Writes: out.Writes}, nil
	}
	return out, workflow.NewContinueAsNewError(ctx, Name, in)
}

// reason is the failure's message for the record's owner: the innermost application
// error's, without Temporal's wrapping.
func reason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the PDS did not answer in time"
	}
	return err.Error()
}

func invalid(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == records.ErrorTypeInvalid
}
