package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/metrics"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/workflows/transcode"
	"github.com/plyrfm/plyr/workflows/upload"
)

// TemporalUploads starts and observes upload workflows on a Temporal server.
//
// It lives in the module's root rather than in internal/uploads because it is an adapter
// of this package's UploadWorkflows: it returns UploadState and ErrWorkflowNotFound, which
// WatchUpload and its tests use, and cmd/plyr must be able to build it. The uploads
// feature sees only its Start, through the narrower uploads.Starter.
type TemporalUploads struct {
	client  client.Client
	metrics *metrics.Metrics
}

// NewTemporalUploads returns the UploadWorkflows backed by c.
func NewTemporalUploads(c client.Client, m *metrics.Metrics) *TemporalUploads {
	return &TemporalUploads{client: c, metrics: m}
}

// Start starts the workflow with the track's deterministic id. A second start for the
// same track is refused by the server, so a retried request cannot run an upload twice.
func (t *TemporalUploads) Start(ctx context.Context, in upload.Input) error {
	_, err := t.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       upload.WorkflowID(in.TrackID),
		TaskQueue:                upload.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(
			plyrtemporal.TrackIDKey.ValueSet(in.TrackID.String()),
			plyrtemporal.DIDKey.ValueSet(in.ArtistDID),
		),
	}, upload.Name, in)
	result := "started"
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		result = "already_started"
	case err != nil:
		result = "error"
	}
	t.metrics.WorkflowStarts.WithLabelValues(upload.Name, result).Inc()
	if err != nil {
		return fmt.Errorf("start %s: %w", upload.WorkflowID(in.TrackID), err)
	}
	return nil
}

// AwaitEnd long-polls the workflow's history for its close event.
func (t *TemporalUploads) AwaitEnd(ctx context.Context, trackID uuid.UUID) error {
	err := t.client.GetWorkflow(ctx, upload.WorkflowID(trackID), "").Get(ctx, nil)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A failed workflow has ended too; its error is Observe's to report.
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return ErrWorkflowNotFound
	}
	return nil
}

// queryTimeout bounds the progress query; without a worker to answer it the watcher
// carries on with the phase it last saw.
const queryTimeout = 2 * time.Second

// Observe describes the workflow, asks a running one for its phase, and reads the pending
// step's heartbeat for progress within the phase: the inspection's while validating, the
// transcode child's while transcoding.
func (t *TemporalUploads) Observe(ctx context.Context, trackID uuid.UUID) (UploadState, error) {
	id := upload.WorkflowID(trackID)
	desc, err := t.client.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return UploadState{}, ErrWorkflowNotFound
	}
	if err != nil {
		return UploadState{}, fmt.Errorf("describe %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		state := UploadState{Running: true}
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		var child string
		if v, err := t.client.QueryWorkflow(qctx, id, "", upload.QueryProgress); err == nil {
			var p upload.Progress
			if v.Get(&p) == nil {
				state.Phase, child = p.Phase, p.Child
			}
		}
		pending := desc.GetPendingActivities()
		if child != "" {
			// The step that reports progress now is the child's.
			if cd, err := t.client.DescribeWorkflowExecution(ctx, child, ""); err == nil {
				pending = cd.GetPendingActivities()
			}
		}
		for _, p := range pending {
			name := p.GetActivityType().GetName()
			if (name != upload.ProgressActivity && name != transcode.ProgressActivity) || p.GetHeartbeatDetails() == nil {
				continue
			}
			var beat upload.StepProgress
			if converter.GetDefaultDataConverter().FromPayloads(p.GetHeartbeatDetails(), &beat) == nil {
				state.Step, state.Fraction = beat.Step, beat.Fraction
			}
		}
		return state, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var out upload.Output
		if err := t.client.GetWorkflow(ctx, id, info.GetExecution().GetRunId()).Get(ctx, &out); err != nil {
			return UploadState{}, fmt.Errorf("result of %s: %w", id, err)
		}
		return UploadState{Output: out}, nil
	default:
		return UploadState{Failed: true}, nil
	}
}
