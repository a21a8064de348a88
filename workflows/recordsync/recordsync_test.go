package recordsync

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

var ref = records.Ref{DID: "did:plc:alice", Collection: "fm.plyr.track", RKey: "3leq3p5m6ua22"}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	w := Workflow{WriteRetry: temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3}, WriteTimeout: time.Second}
	env.RegisterWorkflowWithOptions(w.Run, RegisterOptions())
	steps.Register(map[string]worker.ActivityRegistry{taskqueue.Main: env})
	return env
}

func written(rev int64) records.Written {
	return records.Written{Revision: rev, URI: ref.URI(), CID: "bafy" + string(rune('a'+rev))}
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "record/did:plc:alice/fm.plyr.track/3leq3p5m6ua22", WorkflowID(ref))
}

func TestRun_WritesAndSettles(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(written(1), nil).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, records.Outcome{Revision: 1, URI: ref.URI(), CID: "bafyb"}).
		Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{State: StateSynced, URI: ref.URI(), CID: "bafyb", Writes: 1}, out)
	env.AssertExpectations(t)
}

// A revision that arrived during the write is written next, in the same run.
func TestRun_NewerRevisionIsWrittenNext(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(written(1), nil).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, mock.MatchedBy(func(o records.Outcome) bool { return o.Revision == 1 })).
		Return(true, nil).Once()
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(written(2), nil).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, mock.MatchedBy(func(o records.Outcome) bool { return o.Revision == 2 })).
		Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, StateSynced, out.State)
	require.Equal(t, 2, out.Writes)
	env.AssertExpectations(t)
}

// A "changed" signal that arrives while the workflow writes makes it write again, even when
// the Source had not seen the change yet when it settled.
func TestRun_SignalDuringWriteWritesAgain(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(written(1), nil).Once()
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(written(2), nil).Once()
	// The Source settles revision 1 without knowing of the change (it was committed after
	// the settle read the row); the change's signal arrives meanwhile.
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, mock.MatchedBy(func(o records.Outcome) bool { return o.Revision == 1 })).
		Return(func(_ context.Context, _ records.Ref, _ records.Outcome) (bool, error) {
			env.SignalWorkflow(SignalChanged, nil)
			return false, nil
		}).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, mock.MatchedBy(func(o records.Outcome) bool { return o.Revision == 2 })).
		Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, 2, out.Writes)
	require.Equal(t, "bafyc", out.CID)
	env.AssertExpectations(t)
}

func TestRun_NetworkFailureIsRetriedThenSettledFailed(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).
		Return(records.Written{}, temporal.NewApplicationError("write the record: connection refused", string(records.FailureNetwork))).
		Times(3) // the retry policy's attempts
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, records.Outcome{
		Failure: records.FailureNetwork, Reason: "write the record: connection refused",
	}).Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	require.NoError(t, env.GetWorkflowError(), "an expected failure is settled on the record, not a failed workflow")
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{State: StateFailed, Failure: records.FailureNetwork, Writes: 1}, out)
	env.AssertExpectations(t)
}

func TestRun_AuthFailureIsNotRetried(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).
		Return(records.Written{}, temporal.NewNonRetryableApplicationError("reach the PDS: no grant", string(records.FailureAuth), nil)).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, records.Outcome{Failure: records.FailureAuth, Reason: "reach the PDS: no grant"}).
		Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, records.FailureAuth, out.Failure)
	env.AssertExpectations(t)
}

// A record plyr built that fails its lexicon is a bug: settled as rejected, and the
// workflow fails so that operators see it.
func TestRun_InvalidRecordFailsTheWorkflow(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).
		Return(records.Written{}, temporal.NewNonRetryableApplicationError("record fails its lexicon", records.ErrorTypeInvalid, nil)).Once()
	env.OnActivity(steps.MarkRecord, mock.Anything, ref, records.Outcome{Failure: records.FailureRejected, Reason: "record fails its lexicon"}).
		Return(false, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	err := env.GetWorkflowError()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, records.ErrorTypeInvalid, appErr.Type())
	env.AssertExpectations(t)
}

func TestRun_UntrackedRecordEndsQuietly(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(steps.WriteRecord, mock.Anything, ref).Return(records.Written{Untracked: true}, nil).Once()

	env.ExecuteWorkflow(Workflow{}.Run, Input{Ref: ref})

	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, StateUntracked, out.State)
	env.AssertExpectations(t)
}
