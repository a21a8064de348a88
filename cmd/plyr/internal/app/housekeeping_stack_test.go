package app_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/workflows/housekeeping"
)

// TestHousekeeping_RunsOnTheWorkers runs the workflow the schedule starts on plyr's own
// workers: every sweep is registered on the queue it is scheduled on, and runs.
func TestHousekeeping_RunsOnTheWorkers(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, 1<<20)
	id := housekeeping.ScheduleID + "-test-" + uuid.NewString()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: housekeeping.TaskQueue},
		housekeeping.Name, housekeeping.Input{})
	require.NoError(t, err)
	var out housekeeping.Output
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, housekeeping.Output{}, out, "a new installation has nothing to sweep")
	if *updateHistories {
		writeHistory(t, s, id, filepath.Join("..", "..", "..", "..", "workflows", "testdata", "housekeeping_run.json"))
	}
}
