package notice

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

const key = "copyright/00000000-0000-0000-0000-0000000000b1/artist"

// failed is one FailNotice call.
type failed struct {
	Key, Category, Reason string
}

// fakeLegal is the legal module as SendNotice and FailNotice see it: send says how the
// attempt-th try (from 1) of a DM goes, and every call is recorded. The real activities
// run on it, so a *legalact.Failure goes through their conversion to an ApplicationError.
type fakeLegal struct {
	send func(attempt int) error

	mu     sync.Mutex
	sends  []string
	fails  []failed
	failFn func() error
}

func (f *fakeLegal) SendNotice(_ context.Context, key string) error {
	f.mu.Lock()
	f.sends = append(f.sends, key)
	attempt := len(f.sends)
	f.mu.Unlock()
	if f.send == nil {
		return nil
	}
	return f.send(attempt)
}

func (f *fakeLegal) FailNotice(_ context.Context, key, category, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails = append(f.fails, failed{Key: key, Category: category, Reason: reason})
	if f.failFn != nil {
		return f.failFn()
	}
	return nil
}

var errUnexpected = errors.New("not a step of the notice workflow")

func (f *fakeLegal) ScanTrack(context.Context, uuid.UUID) (legalact.Scan, error) {
	return legalact.Scan{}, errUnexpected
}
func (f *fakeLegal) RecordScanFailure(context.Context, uuid.UUID, string) error { return errUnexpected }
func (f *fakeLegal) CopyrightNotices(context.Context, uuid.UUID) ([]string, error) {
	return nil, errUnexpected
}
func (f *fakeLegal) TakedownState(context.Context, uuid.UUID) (legalact.Takedown, error) {
	return legalact.Takedown{}, errUnexpected
}
func (f *fakeLegal) CloseDMCA(context.Context, uuid.UUID, string) (bool, error) {
	return false, errUnexpected
}

// newEnv returns a test environment running the notice workflow with DefaultRetry on the
// real legal activities, bound to fake.
func newEnv(t *testing.T, fake *fakeLegal) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow{Sending{Retry: DefaultRetry}}.Run, RegisterOptions())
	(&legalact.Activities{Legal: fake}).Register(map[string]worker.ActivityRegistry{taskqueue.Main: env})
	return env
}

func run(t *testing.T, env *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	env.ExecuteWorkflow(Name, Input{Key: key})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "a DM never fails its workflow")
}

func network(err error) error {
	return &legalact.Failure{Type: "network", Retryable: true, Err: err}
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "notice/"+key, WorkflowID(key))
}

func TestWorkflow_SentFirstTime(t *testing.T) {
	fake := &fakeLegal{}
	env := newEnv(t, fake)

	run(t, env)

	require.Equal(t, []string{key}, fake.sends)
	require.Empty(t, fake.fails, "a DM sent is not recorded as failed")
}

func TestWorkflow_RetryableFailureThenSent(t *testing.T) {
	fake := &fakeLegal{send: func(attempt int) error {
		if attempt < 3 {
			return network(errors.New("connection reset"))
		}
		return nil
	}}
	env := newEnv(t, fake)
	start := env.Now()

	run(t, env)

	require.Equal(t, []string{key, key, key}, fake.sends, "sent on the third try")
	require.Empty(t, fake.fails)
	// Backoff per DefaultRetry: 10 s, then 20 s.
	require.Equal(t, DefaultRetry.InitialInterval*3, env.Now().Sub(start))
}

func TestWorkflow_GivesUpAfterMaximumAttempts(t *testing.T) {
	fake := &fakeLegal{send: func(int) error { return network(errors.New("connection reset")) }}
	env := newEnv(t, fake)
	start := env.Now()

	run(t, env)

	require.Len(t, fake.sends, int(DefaultRetry.MaximumAttempts))
	require.Len(t, fake.fails, 1)
	require.Equal(t, key, fake.fails[0].Key)
	require.Equal(t, "network", fake.fails[0].Category, "the category is the last failure's type")
	require.Contains(t, fake.fails[0].Reason, "connection reset")
	// 10 s doubling, capped at 15 min: 10+20+40+80+160+320+640 s between the 8 tries.
	require.Equal(t, 1270*time.Second, env.Now().Sub(start))
}

func TestWorkflow_BlockedIsNotRetried(t *testing.T) {
	fake := &fakeLegal{send: func(int) error {
		return &legalact.Failure{Type: "dm_blocked", Err: errors.New("recipient blocks the platform account")}
	}}
	env := newEnv(t, fake)

	run(t, env)

	require.Equal(t, []string{key}, fake.sends, "a blocked recipient is tried once")
	require.Len(t, fake.fails, 1)
	require.Equal(t, key, fake.fails[0].Key)
	require.Equal(t, "dm_blocked", fake.fails[0].Category)
	require.Contains(t, fake.fails[0].Reason, "recipient blocks the platform account")
}

// The category is the type of the last failure, not the first.
func TestWorkflow_CategoryIsTheLastFailures(t *testing.T) {
	fake := &fakeLegal{send: func(attempt int) error {
		if attempt < 3 {
			return network(errors.New("connection reset"))
		}
		return &legalact.Failure{Type: "auth", Err: errors.New("platform session revoked")}
	}}
	env := newEnv(t, fake)

	run(t, env)

	require.Len(t, fake.sends, 3, "a non-retryable failure ends the retries")
	require.Len(t, fake.fails, 1)
	require.Equal(t, "auth", fake.fails[0].Category)
	require.Contains(t, fake.fails[0].Reason, "platform session revoked")
}

// An error that is not a *Failure is retried like any other and still recorded. Its
// category is whatever type the SDK gave it (empty for errors.New, the Go type's name for
// others); the legal module files a category it does not know under unknown.
func TestWorkflow_UntypedFailureIsRecorded(t *testing.T) {
	fake := &fakeLegal{send: func(int) error { return errors.New("database is down") }}
	env := newEnv(t, fake)

	run(t, env)

	require.Len(t, fake.sends, int(DefaultRetry.MaximumAttempts))
	require.Len(t, fake.fails, 1)
	require.Equal(t, key, fake.fails[0].Key)
	require.Contains(t, fake.fails[0].Reason, "database is down")
}

// A record that cannot be made is logged: the workflow still ends without error.
func TestWorkflow_FailedRecordDoesNotFailTheWorkflow(t *testing.T) {
	fake := &fakeLegal{
		send:   func(int) error { return &legalact.Failure{Type: "dm_blocked", Err: errors.New("blocked")} },
		failFn: func() error { return temporal.NewNonRetryableApplicationError("no such notice", "bad_input", nil) },
	}
	env := newEnv(t, fake)

	run(t, env)

	require.Len(t, fake.fails, 1, "a non-retryable record failure is not retried")
}

// Sending is what the other workflows call: it runs in their context, with their policy.
func TestSending_UsesItsRetry(t *testing.T) {
	fake := &fakeLegal{send: func(int) error { return network(errors.New("connection reset")) }}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	retry := DefaultRetry
	retry.MaximumAttempts = 2
	env.RegisterWorkflowWithOptions(Workflow{Sending{Retry: retry}}.Run, RegisterOptions())
	(&legalact.Activities{Legal: fake}).Register(map[string]worker.ActivityRegistry{taskqueue.Main: env})

	run(t, env)

	require.Len(t, fake.sends, 2)
	require.Len(t, fake.fails, 1)
}
