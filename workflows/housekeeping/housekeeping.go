// Package housekeeping is the workflow that removes what has outlived its use, so that
// nothing lives forever by accident: expired sessions (and their grants, revoked at the
// authorization server), developer tokens never claimed, expired claim codes, stale
// sign-in requests, leftover staging objects, incomplete multipart uploads and the
// inspection temp files of a killed worker.
//
// A Temporal schedule (ScheduleID, visible in the Temporal UI) starts it every few
// minutes; EnsureSchedule creates the schedule when workers start. Each run sweeps a
// bounded batch of each kind, one activity per sweep (activities/housekeeping), all at
// once: they touch different things. A sweep that fails does not stop the others; the
// run then fails, naming it, and the next run tries again. Overlapping runs are skipped.
package housekeeping

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	housekeepingact "github.com/plyrfm/plyr/activities/housekeeping"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// Name is the workflow's registered type name.
const Name = "housekeeping"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// Input is the workflow's input; a run needs nothing but its own clock.
type Input struct{}

// Output is what a run removed.
type Output struct {
	Identity  housekeepingact.IdentityCounts
	Staging   int
	Multipart int
	TempFiles int
	// Records are the stalled records whose workflows were started again.
	Records int
}

// sweepOptions: a sweep is a bounded batch of short statements and storage calls (and,
// for identity, revocations of a few seconds each, a few at a time). A failed sweep is
// retried a little, then left to the next run. A sweep no worker picks up (no worker
// polls plyr-media, say) gives up too, or the run would hold the schedule, which skips
// runs while one is open, and stop every other sweep.
var sweepOptions = workflow.ActivityOptions{
	ScheduleToCloseTimeout: 15 * time.Minute,
	StartToCloseTimeout:    10 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3,
	},
}

// Workflow runs every sweep once.
func Workflow(ctx workflow.Context, _ Input) (Output, error) {
	logger := workflow.GetLogger(ctx)
	// Every sweep measures ages from the run's start, so a retried sweep uses the same
	// cutoffs.
	in := housekeepingact.SweepInput{Now: workflow.Now(ctx)}

	var out Output
	sweeps := []struct {
		name, queue string
		result      any
	}{
		{housekeepingact.SweepIdentityName, housekeepingact.TaskQueue, &out.Identity},
		{housekeepingact.SweepStagingName, housekeepingact.TaskQueue, &out.Staging},
		{housekeepingact.SweepMultipartUploadsName, housekeepingact.TaskQueue, &out.Multipart},
		{housekeepingact.SweepTempFilesName, housekeepingact.TempFilesTaskQueue, &out.TempFiles},
	}
	// Runs recorded before records existed replay without this step.
	if workflow.GetVersion(ctx, "resume-records", workflow.DefaultVersion, 1) >= 1 {
		sweeps = append(sweeps, struct {
			name, queue string
			result      any
		}{housekeepingact.ResumeRecordsName, housekeepingact.TaskQueue, &out.Records})
	}
	futures := make([]workflow.Future, len(sweeps))
	for i, s := range sweeps {
		o := sweepOptions
		o.TaskQueue = s.queue
		futures[i] = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), s.name, in)
	}
	var errs []error
	for i, s := range sweeps {
		if err := futures[i].Get(ctx, s.result); err != nil {
			logger.Error("sweep failed", "sweep", s.name, "error", err)
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, err
	}
	logger.Info("housekeeping done", "sessions", out.Identity.Sessions, "grants", out.Identity.Grants,
		"staging", out.Staging, "multipart", out.Multipart, "temp_files", out.TempFiles, "records", out.Records)
	return out, nil
}
