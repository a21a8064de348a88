package dmca

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// The ids of the test notice and its track.
var (
	n1 = uuid.MustParse("00000000-0000-0000-0000-0000000000d1")
	t1 = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")
)

// start is when the notice was entered; day(n) is n days later.
var start = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// counterAt is a counter-notice received at day 1 of the notice; dueAt its restore date, 14
// calendar days later.
var (
	counterAt = start.Add(day(1))
	dueAt     = counterAt.AddDate(0, 0, 14)
)

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(Workflow, RegisterOptions())
	legal.Register(map[string]worker.ActivityRegistry{taskqueue.Main: env})
	return env
}

// closes records when CloseDMCA ran, on the workflow's clock.
type closes struct {
	mu sync.Mutex
	at []time.Time
}

func (c *closes) times() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at...)
}

// expectClose mocks CloseDMCA(n1, "restored"), answering closed, and records its calls.
func expectClose(env *testsuite.TestWorkflowEnvironment, closed bool) *closes {
	c := &closes{}
	env.OnActivity(legal.CloseDMCA, mock.Anything, n1, StageRestored).
		Return(func(context.Context, uuid.UUID, string) (bool, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.at = append(c.at, env.Now())
			return closed, nil
		})
	return c
}

// signalAt signals step at the given time after the start.
func signalAt(env *testsuite.TestWorkflowEnvironment, at time.Duration, step Step) {
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStep, step) }, at)
}

// queryAt queries the workflow's state at the given time after the start.
func queryAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Duration) *State {
	t.Helper()
	var s State
	env.RegisterDelayedCallback(func() { s = query(t, env) }, at)
	return &s
}

func query(t *testing.T, env *testsuite.TestWorkflowEnvironment) State {
	t.Helper()
	v, err := env.QueryWorkflow(QueryState)
	require.NoError(t, err)
	var s State
	require.NoError(t, v.Get(&s))
	return s
}

func run(t *testing.T, env *testsuite.TestWorkflowEnvironment) Output {
	t.Helper()
	env.ExecuteWorkflow(Name, Input{NoticeID: n1, TrackID: t1})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "dmca/"+n1.String(), WorkflowID(n1))
}

func TestWorkflow_RestoredWhenTheWaitIsOver(t *testing.T) {
	env := newEnv(t)
	closed := expectClose(env, true)
	signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})
	before := queryAt(t, env, 12*time.Hour)
	waiting := queryAt(t, env, day(6))

	out := run(t, env)

	require.Equal(t, Output{Status: StageRestored}, out)
	require.Len(t, closed.times(), 1, "CloseDMCA ran exactly once")
	require.True(t, closed.times()[0].Equal(dueAt), "CloseDMCA ran at %s, due %s", closed.times()[0], dueAt)
	require.True(t, env.Now().Equal(dueAt), "the workflow ended when the restore was due")

	require.Equal(t, StageTakenDown, before.Stage)
	require.True(t, before.RestoreDue.IsZero())
	require.Equal(t, StageCountered, waiting.Stage)
	require.True(t, waiting.RestoreDue.Equal(dueAt))
	require.Equal(t, StageRestored, query(t, env).Stage, "the state says how the notice ended")
}

// Court action or a withdrawal ends the notice at once, during the wait or before any
// counter-notice: the timer (if any) is cancelled and the track stays down.
func TestWorkflow_EndingSteps(t *testing.T) {
	tests := []struct {
		name    string
		counter bool
		step    string
		at      time.Duration
	}{
		{name: "court action at day 5 of the wait", counter: true, step: StepCourtAction, at: day(1 + 5)},
		{name: "withdrawn during the wait", counter: true, step: StepWithdrawn, at: day(1 + 13)},
		{name: "withdrawn before any counter-notice", step: StepWithdrawn, at: day(3)},
		{name: "court action before any counter-notice", step: StepCourtAction, at: day(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			closed := expectClose(env, true)
			if tt.counter {
				signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})
			}
			signalAt(env, tt.at, Step{Name: tt.step})

			out := run(t, env)

			require.Equal(t, Output{Status: tt.step}, out)
			require.Empty(t, closed.times(), "the notice is not restored")
			require.True(t, env.Now().Equal(start.Add(tt.at)), "the workflow ended with the step, not at the due time: %s", env.Now())
			s := query(t, env)
			require.Equal(t, tt.step, s.Stage)
			if tt.counter {
				require.True(t, s.RestoreDue.Equal(dueAt))
			}
		})
	}
}

func TestWorkflow_ClosedByAnotherStep(t *testing.T) {
	env := newEnv(t)
	closed := expectClose(env, false)
	signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})

	out := run(t, env)

	require.Equal(t, Output{Status: StageClosed}, out)
	require.Len(t, closed.times(), 1)
	require.Equal(t, StageClosed, query(t, env).Stage)
}

// A counter-notice signalled again (a retry of the legal module's signal, or a second
// counter-notice) does not start a second timer: the restore runs once, at the first due
// time, whether the second due time is earlier or later.
func TestWorkflow_SecondCounterDoesNotStartASecondTimer(t *testing.T) {
	tests := []struct {
		name string
		due  time.Time
	}{
		{name: "same due time", due: dueAt},
		{name: "earlier due time", due: dueAt.AddDate(0, 0, -5)},
		{name: "later due time", due: dueAt.AddDate(0, 0, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			closed := expectClose(env, true)
			signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})
			signalAt(env, day(3), Step{Name: StepCountered, RestoreDue: tt.due})
			waiting := queryAt(t, env, day(4))

			out := run(t, env)

			require.Equal(t, Output{Status: StageRestored}, out)
			require.Len(t, closed.times(), 1, "CloseDMCA ran exactly once")
			require.True(t, closed.times()[0].Equal(dueAt), "CloseDMCA ran at %s, due %s", closed.times()[0], dueAt)
			require.True(t, waiting.RestoreDue.Equal(dueAt), "the state keeps the first due time")
		})
	}
}

// A counter-notice whose restore is already due (signalled late) restores at once.
func TestWorkflow_DueInThePastRestoresAtOnce(t *testing.T) {
	env := newEnv(t)
	closed := expectClose(env, true)
	signalAt(env, day(20), Step{Name: StepCountered, RestoreDue: dueAt})

	out := run(t, env)

	require.Equal(t, Output{Status: StageRestored}, out)
	require.Len(t, closed.times(), 1)
	require.True(t, closed.times()[0].Equal(start.Add(day(20))))
}

// Steps the workflow has nothing to do with change nothing: a counter-notice without a
// due time, a step it does not know.
func TestWorkflow_IgnoredSteps(t *testing.T) {
	env := newEnv(t)
	closed := expectClose(env, true)
	signalAt(env, day(1), Step{Name: StepCountered})
	signalAt(env, day(2), Step{Name: "appealed", RestoreDue: dueAt})
	mid := queryAt(t, env, day(3))
	signalAt(env, day(30), Step{Name: StepWithdrawn})

	out := run(t, env)

	require.Equal(t, Output{Status: StepWithdrawn}, out)
	require.Empty(t, closed.times())
	require.Equal(t, State{Stage: StageTakenDown}, *mid)
}

// A failed CloseDMCA is retried by its policy; the notice is restored once it succeeds.
func TestWorkflow_CloseRetried(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.CloseDMCA, mock.Anything, n1, StageRestored).Return(false, errors.New("connection refused")).Twice()
	env.OnActivity(legal.CloseDMCA, mock.Anything, n1, StageRestored).Return(true, nil).Once()
	signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})

	out := run(t, env)

	require.Equal(t, Output{Status: StageRestored}, out)
	env.AssertExpectations(t)
}

// A CloseDMCA that cannot succeed fails the workflow rather than report a restore.
func TestWorkflow_CloseFailsTheWorkflow(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.CloseDMCA, mock.Anything, n1, StageRestored).
		Return(false, temporal.NewNonRetryableApplicationError("a workflow closes notices as restored only", "bad_input", nil))
	signalAt(env, day(1), Step{Name: StepCountered, RestoreDue: dueAt})

	env.ExecuteWorkflow(Name, Input{NoticeID: n1, TrackID: t1})

	require.True(t, env.IsWorkflowCompleted())
	require.ErrorContains(t, env.GetWorkflowError(), "restored only")
}
