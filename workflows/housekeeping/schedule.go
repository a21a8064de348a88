package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// ScheduleID is the id of the Temporal schedule that starts the workflow; its runs have
// workflow ids beginning with it.
const ScheduleID = "housekeeping"

// DefaultInterval is how often the schedule starts a run unless configured otherwise.
const DefaultInterval = 15 * time.Minute

// runTimeout bounds one run: its sweeps' time with their retries, and some.
const runTimeout = time.Hour

// scheduleNote is shown with the schedule in the Temporal UI.
const scheduleNote = "plyr: removes expired sessions, unclaimed developer tokens, stale sign-ins, " +
	"leftover staging objects, incomplete multipart uploads and inspection temp files"

// EnsureSchedule creates the schedule that starts the workflow every interval, or, when
// it exists (another worker made it, or an earlier start), brings its interval and
// action to these, leaving its state (paused by an operator, say) alone. Every worker
// calls it at startup: it is idempotent, and concurrent calls all succeed.
func EnsureSchedule(ctx context.Context, c client.Client, every time.Duration) error {
	if every <= 0 {
		every = DefaultInterval
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID: ScheduleID, Workflow: Name, Args: []any{Input{}}, TaskQueue: TaskQueue, WorkflowRunTimeout: runTimeout,
	}
	schedules := c.ScheduleClient()
	_, err := schedules.Create(ctx, client.ScheduleOptions{
		ID: ScheduleID, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, Note: scheduleNote,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", ScheduleID, err)
	}
	err = schedules.GetHandle(ctx, ScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", ScheduleID, err)
	}
	return nil
}
