package takedown

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	legalact "github.com/plyrfm/plyr/activities/legal"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// The ids of the test track and its files.
var (
	t1    = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")
	f1    = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
	f2    = uuid.MustParse("00000000-0000-0000-0000-0000000000c2")
	files = []uuid.UUID{f1, f2}
)

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow, RegisterOptions())
	workers := map[string]worker.ActivityRegistry{taskqueue.Main: env, taskqueue.Media: env}
	legal.Register(workers)
	catalog.Register(workers)
	media.Register(workers)
	return env
}

// legalState is the takedown state legal holds: what TakedownState reads at the time it
// runs. Delayed callbacks change it on the test's clock while the activities read it.
type legalState struct {
	mu   sync.Mutex
	down bool
}

func (s *legalState) set(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *legalState) get() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// applied records the Down of each catalog and media call, in order.
type applied struct {
	mu      sync.Mutex
	catalog []bool
	media   []bool
}

// expectPasses mocks the three steps for any number of passes: TakedownState reads state,
// the catalog step takes catalogTakes and finds the track with files, the media step takes
// mediaTakes; every call is recorded in got.
func expectPasses(env *testsuite.TestWorkflowEnvironment, state *legalState, got *applied, catalogTakes, mediaTakes time.Duration) {
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(func(context.Context, uuid.UUID) (legalact.Takedown, error) {
		return legalact.Takedown{Down: state.get()}, nil
	})
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, mock.MatchedBy(func(in catalogact.TakenDown) bool { return in.TrackID == t1 })).
		After(catalogTakes).
		Return(func(_ context.Context, in catalogact.TakenDown) (catalogact.Gate, error) {
			got.mu.Lock()
			defer got.mu.Unlock()
			got.catalog = append(got.catalog, in.Down)
			return catalogact.Gate{Found: true, FileIDs: files}, nil
		})
	env.OnActivity(media.SetFilesTakenDown, mock.Anything, mock.MatchedBy(func(in mediaact.TakedownInput) bool {
		return len(in.FileIDs) == len(files) && in.FileIDs[0] == f1 && in.FileIDs[1] == f2
	})).
		After(mediaTakes).
		Return(func(_ context.Context, in mediaact.TakedownInput) error {
			got.mu.Lock()
			defer got.mu.Unlock()
			got.media = append(got.media, in.Down)
			return nil
		})
}

// changeAt changes legal's state at the given time and signals the workflow, as the legal
// module does: commit, then signal.
func changeAt(env *testsuite.TestWorkflowEnvironment, state *legalState, at time.Duration, down bool) {
	env.RegisterDelayedCallback(func() {
		state.set(down)
		env.SignalWorkflow(SignalChanged, nil)
	}, at)
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "takedown/"+t1.String(), WorkflowID(t1))
}

func TestWorkflow_AppliesTheState(t *testing.T) {
	for _, down := range []bool{true, false} {
		name := "taken down"
		if !down {
			name = "restored"
		}
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{Down: down}, nil).Once()
			env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, catalogact.TakenDown{TrackID: t1, Down: down}).
				Return(catalogact.Gate{Found: true, FileIDs: files}, nil).Once()
			env.OnActivity(media.SetFilesTakenDown, mock.Anything, mediaact.TakedownInput{FileIDs: files, Down: down}).
				Return(nil).Once()
			var order []string
			env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
				order = append(order, info.ActivityType.Name)
			})

			env.ExecuteWorkflow(Name, Input{TrackID: t1})

			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			env.AssertExpectations(t)
			require.Equal(t, []string{legalact.TakedownStateName, catalogact.SetTakenDownName, mediaact.SetTakenDownName}, order)
		})
	}
}

func TestWorkflow_TrackGoneStopsAfterTheCatalog(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{Down: true}, nil).Once()
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, catalogact.TakenDown{TrackID: t1, Down: true}).
		Return(catalogact.Gate{Found: false}, nil).Once()

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	env.AssertNotCalled(t, mediaact.SetTakenDownName, mock.Anything, mock.Anything)
}

// Changes that arrive during a pass make one more pass, which reads the state then: the
// last decision is what holds, however many came in between.
func TestWorkflow_ChangesDuringAPassMakeAnotherPass(t *testing.T) {
	tests := []struct {
		name string
		// at are the times of the changes; the catalog step runs from 0 to 1 min, the
		// media step from 1 to 2 min.
		at   []time.Duration
		down []bool
	}{
		{name: "restored during the catalog step", at: []time.Duration{30 * time.Second}, down: []bool{false}},
		{name: "restored during the media step", at: []time.Duration{90 * time.Second}, down: []bool{false}},
		{
			name: "restored, taken down, restored during one pass",
			at:   []time.Duration{20 * time.Second, 40 * time.Second, 100 * time.Second},
			down: []bool{false, true, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			state := &legalState{down: true}
			var got applied
			expectPasses(env, state, &got, time.Minute, time.Minute)
			for i, at := range tt.at {
				changeAt(env, state, at, tt.down[i])
			}

			env.ExecuteWorkflow(Name, Input{TrackID: t1})

			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			require.Equal(t, []bool{true, false}, got.catalog, "one more pass, with the last state")
			require.Equal(t, []bool{true, false}, got.media)
			env.AssertNumberOfCalls(t, legalact.TakedownStateName, 2)
		})
	}
}

// A change during the second pass makes a third.
func TestWorkflow_ChangeDuringTheNextPassMakesAThird(t *testing.T) {
	env := newEnv(t)
	state := &legalState{down: true}
	var got applied
	expectPasses(env, state, &got, time.Minute, time.Minute)
	changeAt(env, state, 30*time.Second, false)           // pass 1: 0–2 min
	changeAt(env, state, 2*time.Minute+time.Second, true) // pass 2: 2–4 min

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []bool{true, false, true}, got.catalog)
	require.Equal(t, []bool{true, false, true}, got.media)
}

// A signal after the workflow applied the state and ended finds no workflow: the legal
// module's signal-with-start runs a new one. Here: no second pass in the first run.
func TestWorkflow_NoChangeNoSecondPass(t *testing.T) {
	env := newEnv(t)
	state := &legalState{down: true}
	var got applied
	expectPasses(env, state, &got, time.Minute, time.Minute)

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []bool{true}, got.catalog)
	require.Equal(t, []bool{true}, got.media)
}

// A state changed without end does not grow one run's history for ever: after maxPasses
// passes the workflow continues as new with the same input.
func TestWorkflow_EndlessChangesContinueAsNew(t *testing.T) {
	env := newEnv(t)
	passes := 0
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(func(context.Context, uuid.UUID) (legalact.Takedown, error) {
		passes++
		env.SignalWorkflow(SignalChanged, nil) // another decision during every pass
		return legalact.Takedown{Down: passes%2 == 1}, nil
	})
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, mock.Anything).Return(catalogact.Gate{Found: true, FileIDs: files}, nil)
	env.OnActivity(media.SetFilesTakenDown, mock.Anything, mock.Anything).Return(nil)

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	require.Equal(t, Name, can.WorkflowType.Name)
	var in Input
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	require.Equal(t, Input{TrackID: t1}, in)
	require.Equal(t, maxPasses, passes)
	env.AssertNumberOfCalls(t, mediaact.SetTakenDownName, maxPasses)
}

// A step that cannot be done fails the workflow; the next change signals a new run.
func TestWorkflow_FailedStepFailsTheWorkflow(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{Down: true}, nil)
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, mock.Anything).Return(catalogact.Gate{Found: true, FileIDs: files}, nil)
	env.OnActivity(media.SetFilesTakenDown, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("files table gone", "internal", nil))

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.True(t, env.IsWorkflowCompleted())
	require.ErrorContains(t, env.GetWorkflowError(), "files table gone")
}

// A transient failure is retried by the step's policy.
func TestWorkflow_TransientFailureIsRetried(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{}, errors.New("connection refused")).Twice()
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{Down: true}, nil).Once()
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, catalogact.TakenDown{TrackID: t1, Down: true}).
		Return(catalogact.Gate{Found: true, FileIDs: files}, nil).Once()
	env.OnActivity(media.SetFilesTakenDown, mock.Anything, mediaact.TakedownInput{FileIDs: files, Down: true}).Return(nil).Once()

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	env.AssertNumberOfCalls(t, legalact.TakedownStateName, 3)
}

// Each step runs on its package's queue, and a dead worker's attempt is noticed quickly.
func TestWorkflow_ActivityOptions(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(legal.TakedownState, mock.Anything, t1).Return(legalact.Takedown{Down: true}, nil)
	env.OnActivity(catalog.SetTrackTakenDown, mock.Anything, mock.Anything).Return(catalogact.Gate{Found: true, FileIDs: files}, nil)
	env.OnActivity(media.SetFilesTakenDown, mock.Anything, mock.Anything).Return(nil)
	var mu sync.Mutex
	infos := map[string]activity.Info{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		infos[info.ActivityType.Name] = *info
	})

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.NoError(t, env.GetWorkflowError())
	want := map[string]string{
		legalact.TakedownStateName:  legalact.TaskQueue,
		catalogact.SetTakenDownName: catalogact.TaskQueue,
		mediaact.SetTakenDownName:   mediaact.TaskQueue,
	}
	require.Len(t, infos, len(want))
	for name, info := range infos {
		require.Equal(t, want[name], info.TaskQueue, name)
		require.LessOrEqual(t, info.StartToCloseTimeout, 15*time.Second, name)
	}
}
