package upload

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
)

var testInput = Input{
	UploadID: "u1", TrackID: "t1", FileID: "f1", ArtistDID: "did:plc:alice", Title: "Song",
	StagingKey: "staging/u1", AcceptedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
}

var goodInspection = mediaact.Inspection{
	Format: "mp3", Codec: "mp3", ContentType: "audio/mpeg", Extension: "mp3",
	SizeBytes: 1000, DurationMs: 20000, SampleRate: 44100, Channels: 2, SHA256: "00",
}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Workflow, workflowOptions())
	env.RegisterActivity(catalog)
	env.RegisterActivity(media)
	return env
}

// expectCleanup expects the discard steps and the recorded ending.
func expectCleanup(env *testsuite.TestWorkflowEnvironment, storedKey string, status Status, message string) {
	env.OnActivity(media.DiscardUpload, mock.Anything, mediaact.DiscardInput{
		StagingKey: "staging/u1", FileID: "f1", StoredKey: storedKey,
	}).Return(nil).Once()
	env.OnActivity(catalog.DeleteDraftTrack, mock.Anything, "t1").Return(nil).Once()
	env.OnActivity(media.FinishUpload, mock.Anything, mediaact.FinishInput{
		UploadID: "u1", Status: string(status), Message: message,
	}).Return(nil).Once()
}

func TestWorkflow_Ready(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, catalogact.DraftTrack{
		TrackID: "t1", ArtistDID: "did:plc:alice", Title: "Song", CreatedAt: testInput.AcceptedAt,
	}).Return(nil).Once()
	env.OnActivity(media.InspectUpload, mock.Anything, mediaact.InspectInput{StagingKey: "staging/u1"}).
		Return(goodInspection, nil).Once()
	env.OnActivity(media.StoreFile, mock.Anything, mediaact.StoreInput{
		StagingKey: "staging/u1", FileID: "f1", OwnerDID: "did:plc:alice", Inspection: goodInspection,
	}).Return("audio/f1.mp3", nil).Once()
	env.OnActivity(catalog.PublishTrack, mock.Anything, catalogact.Publication{TrackID: "t1", FileID: "f1", DurationMs: 20000}).
		Return(nil).Once()
	env.OnActivity(media.FinishUpload, mock.Anything, mediaact.FinishInput{UploadID: "u1", Status: "ready"}).Return(nil).Once()

	env.ExecuteWorkflow(Workflow, testInput)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out Output
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, Output{Status: StatusReady, FileID: "f1", DurationMs: 20000}, out)
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
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).Return("audio/f1.mp3", nil)
	env.OnActivity(catalog.PublishTrack, mock.Anything, mock.Anything).
		Return(temporal.NewNonRetryableApplicationError("track vanished", "NotFound", nil))
	expectCleanup(env, "audio/f1.mp3", StatusFailed, FailedMessage)

	env.ExecuteWorkflow(Workflow, testInput)

	require.Error(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

func TestWorkflow_ProgressQuery(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(catalog.CreateDraftTrack, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(media.InspectUpload, mock.Anything, mock.Anything).After(time.Minute).Return(goodInspection, nil)
	env.OnActivity(media.StoreFile, mock.Anything, mock.Anything).After(time.Minute).Return("audio/f1.mp3", nil)
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
	require.Equal(t, "upload/t1", WorkflowID("t1"))
}
