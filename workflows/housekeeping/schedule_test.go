package housekeeping_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/testenv"
	"github.com/plyrfm/plyr/internal/platform/testenv/testtemporal"
	"github.com/plyrfm/plyr/workflows/housekeeping"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestEnsureSchedule_IsIdempotent(t *testing.T) {
	ctx := context.Background()
	c := testtemporal.NewClient(t, logging.Discard())
	t.Cleanup(func() { _ = c.ScheduleClient().GetHandle(ctx, housekeeping.ScheduleID).Delete(ctx) })

	require.NoError(t, housekeeping.EnsureSchedule(ctx, c, time.Hour))
	// A second worker starting, now configured with another interval.
	require.NoError(t, housekeeping.EnsureSchedule(ctx, c, 20*time.Minute), "creating the schedule again must not fail")

	desc, err := c.ScheduleClient().GetHandle(ctx, housekeeping.ScheduleID).Describe(ctx)
	require.NoError(t, err)
	s := desc.Schedule
	require.Len(t, s.Spec.Intervals, 1)
	require.Equal(t, 20*time.Minute, s.Spec.Intervals[0].Every, "the latest configuration wins")
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, s.Policy.Overlap)
	action, ok := s.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok, "the schedule starts a workflow")
	require.Equal(t, housekeeping.Name, action.Workflow)
	require.Equal(t, housekeeping.TaskQueue, action.TaskQueue)
	require.Equal(t, housekeeping.ScheduleID, action.ID)

	// Both calls made one schedule.
	iter, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	require.NoError(t, err)
	n := 0
	for iter.HasNext() {
		entry, err := iter.Next()
		require.NoError(t, err)
		if entry.ID == housekeeping.ScheduleID {
			n++
		}
	}
	require.Equal(t, 1, n)
}
