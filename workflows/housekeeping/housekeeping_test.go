package housekeeping

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	housekeepingact "github.com/plyrfm/plyr/activities/housekeeping"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

var start = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(Workflow, RegisterOptions())
	var acts *housekeepingact.Activities // only its methods' names are used
	acts.Register(map[string]worker.ActivityRegistry{taskqueue.Main: env, taskqueue.Media: env})
	return env
}

// sweepInput matches a sweep's input: the run's start time.
func sweepInput() any {
	return mock.MatchedBy(func(in housekeepingact.SweepInput) bool { return in.Now.Equal(start) })
}

func TestWorkflow_RunsEverySweep(t *testing.T) {
	env := newEnv(t)
	identity := housekeepingact.IdentityCounts{Sessions: 3, UnclaimedTokens: 1, TokenClaims: 2, AuthRequests: 4, Grants: 4}
	env.OnActivity(housekeepingact.SweepIdentityName, mock.Anything, sweepInput()).Return(identity, nil).Once()
	env.OnActivity(housekeepingact.SweepStagingName, mock.Anything, sweepInput()).Return(5, nil).Once()
	env.OnActivity(housekeepingact.SweepMultipartUploadsName, mock.Anything, sweepInput()).Return(6, nil).Once()
	env.OnActivity(housekeepingact.SweepTempFilesName, mock.Anything, sweepInput()).Return(7, nil).Once()
	env.OnActivity(housekeepingact.ResumeRecordsName, mock.Anything, sweepInput()).Return(8, nil).Once()

	env.ExecuteWorkflow(Name, Input{})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{Identity: identity, Staging: 5, Multipart: 6, TempFiles: 7, Records: 8}, out)
	env.AssertExpectations(t)
}

func TestWorkflow_AFailedSweepDoesNotStopTheOthers(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(housekeepingact.SweepIdentityName, mock.Anything, mock.Anything).Return(housekeepingact.IdentityCounts{}, nil).Once()
	env.OnActivity(housekeepingact.SweepStagingName, mock.Anything, mock.Anything).
		Return(0, temporal.NewNonRetryableApplicationError("storage down", "test", nil)).Once()
	env.OnActivity(housekeepingact.SweepMultipartUploadsName, mock.Anything, mock.Anything).Return(1, nil).Once()
	env.OnActivity(housekeepingact.SweepTempFilesName, mock.Anything, mock.Anything).Return(1, nil).Once()
	env.OnActivity(housekeepingact.ResumeRecordsName, mock.Anything, mock.Anything).Return(0, nil).Once()

	env.ExecuteWorkflow(Name, Input{})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.ErrorContains(t, err, housekeepingact.SweepStagingName)
	require.ErrorContains(t, err, "storage down")
	env.AssertExpectations(t)
}

func TestWorkflow_RetriesASweep(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(housekeepingact.SweepIdentityName, mock.Anything, mock.Anything).Return(housekeepingact.IdentityCounts{}, nil).Once()
	env.OnActivity(housekeepingact.SweepStagingName, mock.Anything, sweepInput()).Return(0, temporal.NewApplicationError("blip", "test")).Once()
	env.OnActivity(housekeepingact.SweepStagingName, mock.Anything, sweepInput()).Return(2, nil).Once()
	env.OnActivity(housekeepingact.SweepMultipartUploadsName, mock.Anything, mock.Anything).Return(0, nil).Once()
	env.OnActivity(housekeepingact.SweepTempFilesName, mock.Anything, mock.Anything).Return(0, nil).Once()
	env.OnActivity(housekeepingact.ResumeRecordsName, mock.Anything, mock.Anything).Return(0, nil).Once()

	env.ExecuteWorkflow(Name, Input{})
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, 2, out.Staging, "the retry measured from the same start time and succeeded")
	env.AssertExpectations(t)
}
