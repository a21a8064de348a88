package notice

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Starter starts notice workflows.
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

// SendNotice starts notice/<key>; one running or done for the key is fine (the DM is sent
// once per key anyway).
func (s *Starter) SendNotice(ctx context.Context, key string) error {
	_, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: WorkflowID(key), TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, Name, Input{Key: key})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s: %w", WorkflowID(key), err)
	}
	return nil
}
