package takedown

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/google/uuid"

	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Starter starts takedown workflows: legal calls ApplyTakedown after committing a decision.
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

// ApplyTakedown signals the track's running workflow that its state changed, or starts one.
func (s *Starter) ApplyTakedown(ctx context.Context, trackID uuid.UUID) error {
	_, err := s.client.SignalWithStartWorkflow(ctx, WorkflowID(trackID), SignalChanged, nil, client.StartWorkflowOptions{
		TaskQueue:             TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(plyrtemporal.TrackIDKey.ValueSet(trackID.String())),
	}, Name, Input{TrackID: trackID})
	if err != nil {
		return fmt.Errorf("start %s: %w", WorkflowID(trackID), err)
	}
	return nil
}
