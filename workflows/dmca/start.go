package dmca

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/google/uuid"

	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Starter starts and signals DMCA workflows.
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

func options(trackID uuid.UUID, id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: id, TaskQueue: TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(plyrtemporal.TrackIDKey.ValueSet(trackID.String())),
	}
}

// StartDMCA starts dmca/<notice-id>; one already started is fine.
func (s *Starter) StartDMCA(ctx context.Context, noticeID, trackID uuid.UUID) error {
	_, err := s.client.ExecuteWorkflow(ctx, options(trackID, WorkflowID(noticeID)), Name, Input{NoticeID: noticeID, TrackID: trackID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s: %w", WorkflowID(noticeID), err)
	}
	return nil
}

// SignalDMCA tells dmca/<notice-id> of a step (starting it if it never started, so a
// start lost to a crash cannot lose the step).
func (s *Starter) SignalDMCA(ctx context.Context, noticeID, trackID uuid.UUID, step string, restoreDue time.Time) error {
	opts := options(trackID, "")
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	_, err := s.client.SignalWithStartWorkflow(ctx, WorkflowID(noticeID), SignalStep, Step{Name: step, RestoreDue: restoreDue},
		opts, Name, Input{NoticeID: noticeID, TrackID: trackID})
	if err != nil {
		return fmt.Errorf("signal %s: %w", WorkflowID(noticeID), err)
	}
	return nil
}
