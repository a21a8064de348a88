package copyright

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

var t1 = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")

// The DMs of t1's flag, in the order CopyrightNotices returns them.
var (
	artistKey = "copyright/" + t1.String() + "/artist"
	adminKey  = "copyright/" + t1.String() + "/admin"
)

// fakeLegal is the legal module under the real legal activities, so a *legalact.Failure
// goes through their conversion to an ApplicationError. scan says how the attempt-th scan
// (from 1) goes, send how a DM goes; calls lists every call in order.
type fakeLegal struct {
	scan    func(attempt int) (legalact.Scan, error)
	notices []string
	send    func(key string) error

	mu       sync.Mutex
	calls    []string
	scans    int
	failures []string // reasons given to RecordScanFailure
	trackIDs []uuid.UUID
}

func (f *fakeLegal) record(call string, trackID uuid.UUID) {
	f.calls = append(f.calls, call)
	if trackID != uuid.Nil {
		f.trackIDs = append(f.trackIDs, trackID)
	}
}

func (f *fakeLegal) ScanTrack(_ context.Context, trackID uuid.UUID) (legalact.Scan, error) {
	f.mu.Lock()
	f.record("ScanTrack", trackID)
	f.scans++
	attempt := f.scans
	f.mu.Unlock()
	return f.scan(attempt)
}

func (f *fakeLegal) RecordScanFailure(_ context.Context, trackID uuid.UUID, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RecordScanFailure", trackID)
	f.failures = append(f.failures, reason)
	return nil
}

func (f *fakeLegal) CopyrightNotices(_ context.Context, trackID uuid.UUID) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CopyrightNotices", trackID)
	return f.notices, nil
}

func (f *fakeLegal) SendNotice(_ context.Context, key string) error {
	f.mu.Lock()
	f.record("SendNotice "+key, uuid.Nil)
	f.mu.Unlock()
	if f.send == nil {
		return nil
	}
	return f.send(key)
}

func (f *fakeLegal) FailNotice(_ context.Context, key, category, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("FailNotice "+key+" "+category, uuid.Nil)
	return nil
}

var errUnexpected = errors.New("not a step of the copyright workflow")

func (f *fakeLegal) TakedownState(context.Context, uuid.UUID) (legalact.Takedown, error) {
	return legalact.Takedown{}, errUnexpected
}

func (f *fakeLegal) CloseDMCA(context.Context, uuid.UUID, string) (bool, error) {
	return false, errUnexpected
}

// newEnv returns a test environment running the workflow with the default policies on the
// real legal activities, bound to fake.
func newEnv(t *testing.T, fake *fakeLegal) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	w := Workflow{ScanRetry: DefaultScanRetry, Notices: notice.Sending{Retry: notice.DefaultRetry}}
	env.RegisterWorkflowWithOptions(w.Run, RegisterOptions())
	(&legalact.Activities{Legal: fake}).Register(map[string]worker.ActivityRegistry{taskqueue.Main: env})
	return env
}

func run(t *testing.T, env *testsuite.TestWorkflowEnvironment) Output {
	t.Helper()
	env.ExecuteWorkflow(Name, Input{TrackID: t1})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

func scanned(s legalact.Scan) func(int) (legalact.Scan, error) {
	return func(int) (legalact.Scan, error) { return s, nil }
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "copyright/"+t1.String(), WorkflowID(t1))
}

func TestWorkflow_Outcomes(t *testing.T) {
	tests := []struct {
		name      string
		scan      legalact.Scan
		notices   []string
		want      Output
		wantCalls []string
	}{
		{
			name: "off", scan: legalact.Scan{Off: true},
			want:      Output{Status: StatusOff, Reason: "no recogniser is configured"},
			wantCalls: []string{"ScanTrack"},
		},
		{
			name: "skipped", scan: legalact.Scan{Skipped: "the track is not public"},
			want:      Output{Status: StatusSkipped, Reason: "the track is not public"},
			wantCalls: []string{"ScanTrack"},
		},
		{
			name: "clear", scan: legalact.Scan{},
			want:      Output{Status: StatusClear},
			wantCalls: []string{"ScanTrack"},
		},
		{
			name: "flagged sends the DMs in the order returned", scan: legalact.Scan{Flagged: true},
			notices: []string{artistKey, adminKey},
			want:    Output{Status: StatusFlagged},
			wantCalls: []string{
				"ScanTrack", "CopyrightNotices", "SendNotice " + artistKey, "SendNotice " + adminKey,
			},
		},
		{
			name: "flagged with no DM left to send", scan: legalact.Scan{Flagged: true},
			want:      Output{Status: StatusFlagged},
			wantCalls: []string{"ScanTrack", "CopyrightNotices"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeLegal{scan: scanned(tt.scan), notices: tt.notices}
			env := newEnv(t, fake)

			out := run(t, env)

			require.Equal(t, tt.want, out)
			require.Equal(t, tt.wantCalls, fake.calls)
			for _, id := range fake.trackIDs {
				require.Equal(t, t1, id)
			}
		})
	}
}

// The order is CopyrightNotices's, whatever it is: the workflow does not sort the keys.
func TestWorkflow_DMsFollowTheReturnedOrder(t *testing.T) {
	fake := &fakeLegal{scan: scanned(legalact.Scan{Flagged: true}), notices: []string{adminKey, artistKey}}
	env := newEnv(t, fake)

	run(t, env)

	require.Equal(t, []string{"ScanTrack", "CopyrightNotices", "SendNotice " + adminKey, "SendNotice " + artistKey}, fake.calls)
}

func TestWorkflow_ScanRetriedThenSucceeds(t *testing.T) {
	fake := &fakeLegal{scan: func(attempt int) (legalact.Scan, error) {
		if attempt < 3 {
			return legalact.Scan{}, &legalact.Failure{Type: "recogniser_unavailable", Retryable: true, Err: errors.New("503 from the recogniser")}
		}
		return legalact.Scan{Flagged: true}, nil
	}, notices: []string{artistKey, adminKey}}
	env := newEnv(t, fake)
	start := env.Now()

	out := run(t, env)

	require.Equal(t, Output{Status: StatusFlagged}, out)
	require.Equal(t, 3, fake.scans)
	require.Empty(t, fake.failures, "a scan that succeeded in the end is not recorded as failed")
	require.Equal(t, []string{
		"ScanTrack", "ScanTrack", "ScanTrack", "CopyrightNotices", "SendNotice " + artistKey, "SendNotice " + adminKey,
	}, fake.calls)
	// DefaultScanRetry: 30 s, then 60 s.
	require.Equal(t, 90*time.Second, env.Now().Sub(start))
}

func TestWorkflow_ScanGivenUpIsRecordedAsFailed(t *testing.T) {
	fake := &fakeLegal{scan: func(int) (legalact.Scan, error) {
		return legalact.Scan{}, errors.New("recogniser timed out")
	}}
	env := newEnv(t, fake)

	out := run(t, env)

	require.Equal(t, int(DefaultScanRetry.MaximumAttempts), fake.scans)
	require.Equal(t, StatusFailed, out.Status, "a scan never made is failed, never clear")
	require.Contains(t, out.Reason, "recogniser timed out")
	require.Equal(t, []string{out.Reason}, fake.failures, "the reason stored is the one returned")
	require.Equal(t, "RecordScanFailure", fake.calls[len(fake.calls)-1])
}

func TestWorkflow_NonRetryableScanFailureIsRecordedAtOnce(t *testing.T) {
	fake := &fakeLegal{scan: func(int) (legalact.Scan, error) {
		return legalact.Scan{}, &legalact.Failure{Type: "scan_refused", Err: errors.New("the recogniser refuses the file")}
	}}
	env := newEnv(t, fake)

	out := run(t, env)

	require.Equal(t, 1, fake.scans, "a non-retryable failure is not retried")
	require.Equal(t, []string{"ScanTrack", "RecordScanFailure"}, fake.calls)
	require.Equal(t, StatusFailed, out.Status)
	require.Contains(t, out.Reason, "the recogniser refuses the file")
	require.Equal(t, []string{out.Reason}, fake.failures)
	require.Equal(t, []uuid.UUID{t1, t1}, fake.trackIDs)
}

// A DM given up on is recorded, and the next DM is still sent: a DM never fails the
// workflow.
func TestWorkflow_FailedDMDoesNotStopTheNext(t *testing.T) {
	fake := &fakeLegal{
		scan:    scanned(legalact.Scan{Flagged: true}),
		notices: []string{artistKey, adminKey},
		send: func(key string) error {
			if key == artistKey {
				return &legalact.Failure{Type: "dm_blocked", Err: errors.New("the artist blocks the platform account")}
			}
			return nil
		},
	}
	env := newEnv(t, fake)

	out := run(t, env)

	require.Equal(t, Output{Status: StatusFlagged}, out)
	require.Equal(t, []string{
		"ScanTrack", "CopyrightNotices",
		"SendNotice " + artistKey, "FailNotice " + artistKey + " dm_blocked",
		"SendNotice " + adminKey,
	}, fake.calls)
}

// A DM retried until it is given up on does not hold the next DM back for ever: it is
// sent after the first one's retries.
func TestWorkflow_RetriedDMThenNext(t *testing.T) {
	fake := &fakeLegal{
		scan:    scanned(legalact.Scan{Flagged: true}),
		notices: []string{artistKey, adminKey},
		send: func(key string) error {
			if key == artistKey {
				return &legalact.Failure{Type: "network", Retryable: true, Err: errors.New("connection reset")}
			}
			return nil
		},
	}
	env := newEnv(t, fake)

	out := run(t, env)

	require.Equal(t, Output{Status: StatusFlagged}, out)
	sends := 0
	for _, c := range fake.calls {
		if c == "SendNotice "+artistKey {
			sends++
		}
	}
	require.Equal(t, int(notice.DefaultRetry.MaximumAttempts), sends)
	require.Equal(t, []string{"FailNotice " + artistKey + " network", "SendNotice " + adminKey}, fake.calls[len(fake.calls)-2:])
}

// A scan failure that cannot be recorded fails the workflow rather than ending it as if
// the track had been checked.
func TestWorkflow_UnrecordableScanFailureFailsTheWorkflow(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	w := Workflow{ScanRetry: DefaultScanRetry, Notices: notice.Sending{Retry: notice.DefaultRetry}}
	env.RegisterWorkflowWithOptions(w.Run, RegisterOptions())
	env.RegisterActivityWithOptions(func(context.Context, uuid.UUID) (legalact.Scan, error) {
		return legalact.Scan{}, temporal.NewNonRetryableApplicationError("refused", "scan_refused", nil)
	}, activity.RegisterOptions{Name: legalact.ScanTrackName})
	env.RegisterActivityWithOptions(func(context.Context, uuid.UUID, string) error {
		return temporal.NewNonRetryableApplicationError("track row gone", "not_found", nil)
	}, activity.RegisterOptions{Name: legalact.RecordScanFailureName})

	env.ExecuteWorkflow(Name, Input{TrackID: t1})

	require.True(t, env.IsWorkflowCompleted())
	require.ErrorContains(t, env.GetWorkflowError(), "track row gone")
}
