package upload

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/workflows/copyright"
	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// The ids of the test upload.
var (
	u1 = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	t1 = uuid.MustParse("00000000-0000-0000-0000-0000000000b1")
	f1 = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
)

var testInput = Input{
	UploadID: u1, TrackID: t1, FileID: f1, ArtistDID: "did:plc:alice", Title: "Song",
	StagingKey: "staging/" + u1.String(), AcceptedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
}

var goodInspection = mediaact.Inspection{
	Format: "mp3", Codec: "mp3", ContentType: "audio/mpeg", Extension: "mp3",
	SizeBytes: 1000, DurationMs: 20000, SampleRate: 44100, Channels: 2, SHA256: "00",
}

// scanned are the tracks the stub copyright check was started for.
var scanned []uuid.UUID

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow, RegisterOptions())
	// The copyright check a ready upload starts, as a stub that says which track it got.
	env.RegisterWorkflowWithOptions(func(_ workflow.Context, in copyright.Input) (copyright.Output, error) {
		scanned = append(scanned, in.TrackID)
		return copyright.Output{Status: copyright.StatusClear}, nil
	}, copyright.RegisterOptions())
	scanned = nil
	workers := map[string]worker.ActivityRegistry{taskqueue.Main: env, taskqueue.Media: env}
	catalog.Register(workers)
	media.Register(workers)
	return env
}

// expectCleanup expects the discard steps and the recorded ending.
func expectCleanup(env *testsuite.TestWorkflowEnvironment, storedKey string, status Status, message string) {
	env.OnActivity(media.DiscardUpload, mock.Anything, mediaact.DiscardInput{
		StagingKey: "staging/" + u1.String(), FileID: f1, StoredKey: storedKey,
	}).Return(nil).Once()
	env.OnActivity(catalog.DeleteDraftTrack, mock.Anything, t1).Return(nil).Once()
	env.OnActivity(media.FinishUpload, mock.Anything, mediaact.FinishInput{
		UploadID: u1, Status: string(status), Message: message,
	}).Return(nil).Once()
}

func TestWorkflow_Ready(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, catalogact.DraftTrack{
		TrackID: t1, ArtistDID: "did:plc:alice", Title: "Song", CreatedAt: testInput.AcceptedAt,
	}).Return(nil).Once()
	env.OnActivity(media.InspectUpload, mock.Anything, mediaact.InspectInput{StagingKey: "staging/" + u1.String()}).
		Return(goodInspection, nil).Once()
	env.OnActivity(media.StoreFile, mock.Anything, mediaact.StoreInput{
		StagingKey: "staging/" + u1.String(), FileID: f1, OwnerDID: "did:plc:alice", Inspection: goodInspection,
	}).Return(mediaact.AudioKey(f1, "mp3"), nil).Once()
	env.OnActivity(catalog.PublishTrack, mock.Anything, catalogact.Publication{TrackID: t1, FileID: f1, FileType: "mp3", DurationMs: 20000}).
		Return(nil).Once()
	env.OnActivity(media.FinishUpload, mock.Anything, mediaact.FinishInput{UploadID: u1, Status: "ready"}).Return(nil).Once()

	env.ExecuteWorkflow(Workflow, testInput)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{Status: StatusReady, FileID: f1, DurationMs: 20000}, out)
	require.Equal(t, []uuid.UUID{t1}, scanned, "a ready upload starts its track's copyright check")
	env.AssertExpectations(t)
}

func TestWorkflow_RejectedLeavesNothing(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).
		Return(mediaact.Inspection{Rejected: "the file is empty"}, nil)
	expectCleanup(env, "", StatusRejected, "the file is empty")

	env.ExecuteWorkflow(Workflow, testInput)

	require.NoError(t, env.GetWorkflowError(), "a refused file is an outcome, not a workflow failure")
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{Status: StatusRejected, Reason: "the file is empty"}, out)
	require.Empty(t, scanned, "a refused upload has no track to check")
	env.AssertExpectations(t)
	env.AssertNotCalled(t, "StoreFile", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "PublishTrack", mock.Anything, mock.Anything)
}

func TestWorkflow_FailureBeforeStoringCleansUpAndFails(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).
		Return(mediaact.Inspection{}, errors.New("storage unreachable"))
	expectCleanup(env, "", StatusFailed, FailedMessage)

	env.ExecuteWorkflow(Workflow, testInput)

	require.Error(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	// The inspection was retried by its policy before the workflow gave up.
	env.AssertNumberOfCalls(t, "InspectUpload", 5)
}

func TestWorkflow_FailureAfterStoringRemovesTheStoredFile(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).Return(goodInspection, nil)
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).Return(mediaact.AudioKey(f1, "mp3"), nil)
	env.OnActivity(catalog.PublishTrack, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("track vanished", "NotFound", nil))
	expectCleanup(env, mediaact.AudioKey(f1, "mp3"), StatusFailed, FailedMessage)

	env.ExecuteWorkflow(Workflow, testInput)

	require.Error(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

// StoreFile may fail after its copy (or its worker may die after it): the compensation
// still removes the stored object, whose key comes from the input and the inspection, not
// from StoreFile's answer.
func TestWorkflow_StoreFileFailingAfterItsCopyRemovesTheObject(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).Return(goodInspection, nil)
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).
		Return("", temporal.NewNonRetryableApplicationError("record file: constraint violated", "Internal", nil))
	expectCleanup(env, mediaact.AudioKey(f1, "mp3"), StatusFailed, FailedMessage)

	env.ExecuteWorkflow(Workflow, testInput)

	require.Error(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	env.AssertNotCalled(t, "PublishTrack", mock.Anything, mock.Anything)
}

// Compensations run last first: the objects, then the draft track, then the ending.
func TestWorkflow_CompensatesInReverseOrder(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).Return(mediaact.Inspection{Rejected: "no"}, nil)
	expectCleanup(env, "", StatusRejected, "no")
	var order []string
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		order = append(order, info.ActivityType.Name)
	})

	env.ExecuteWorkflow(Workflow, testInput)

	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []string{"CreateDraftTrack", "InspectUpload", "DiscardUpload", "DeleteDraftTrack", "FinishUpload"}, order)
}

// A worker that dies mid-step must not hold the upload for a minute: every step's attempt
// is given up within 15 s of its last sign of life (its heartbeat when it heartbeats, its
// whole run time otherwise), and each runs on its package's queue.
func TestWorkflow_ActivityOptionsLetAStuckStepResumeQuickly(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).Return(goodInspection, nil)
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).Return(mediaact.AudioKey(f1, "mp3"), nil)
	env.OnActivity(catalog.PublishTrack, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("track vanished", "NotFound", nil))
	expectCleanup(env, mediaact.AudioKey(f1, "mp3"), StatusFailed, FailedMessage)
	var mu sync.Mutex
	infos := map[string]activity.Info{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		infos[info.ActivityType.Name] = *info
	})

	env.ExecuteWorkflow(Workflow, testInput)

	wantQueue := map[string]string{
		"CreateDraftTrack": catalogact.TaskQueue, "PublishTrack": catalogact.TaskQueue, "DeleteDraftTrack": catalogact.TaskQueue,
		"InspectUpload": mediaact.InspectTaskQueue, "StoreFile": mediaact.TaskQueue,
		"DiscardUpload": mediaact.TaskQueue, "FinishUpload": mediaact.TaskQueue,
	}
	require.Len(t, infos, len(wantQueue), "every step ran")
	for name, info := range infos {
		require.Equal(t, wantQueue[name], info.TaskQueue, name)
		noticed := info.StartToCloseTimeout
		if info.HeartbeatTimeout > 0 {
			noticed = info.HeartbeatTimeout
		}
		require.LessOrEqual(t, noticed, 15*time.Second, "%s: a dead worker's attempt is noticed after %s", name, noticed)
	}
	require.Positive(t, infos["InspectUpload"].HeartbeatTimeout, "ffmpeg work heartbeats")
	require.Positive(t, infos["StoreFile"].HeartbeatTimeout, "a large copy heartbeats")
}

func TestWorkflow_ProgressQuery(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).After(time.Minute).Return(goodInspection, nil)
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).After(time.Minute).Return(mediaact.AudioKey(f1, "mp3"), nil)
	env.OnActivity(catalog.PublishTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.FinishUpload, mock.Anything, mock.Anything).Return(nil)

	phaseAt := map[time.Duration]Phase{}
	for _, at := range []time.Duration{30 * time.Second, 90 * time.Second} {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(QueryProgress)
			require.NoError(t, err)
			var p Progress
			require.NoError(t, v.Get(&p))
			phaseAt[at] = p.Phase
		}, at)
	}
	env.ExecuteWorkflow(Workflow, testInput)

	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, PhaseValidating, phaseAt[30*time.Second])
	require.Equal(t, PhaseStoring, phaseAt[90*time.Second])
	v, err := env.QueryWorkflow(QueryProgress)
	require.NoError(t, err)
	var p Progress
	require.NoError(t, v.Get(&p))
	require.Equal(t, PhaseDone, p.Phase)
}

func TestWorkflowID(t *testing.T) {
	require.Equal(t, "upload/"+t1.String(), WorkflowID(t1))
}
