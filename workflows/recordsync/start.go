package recordsync

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/plyrfm/plyr/activities/records"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Starter starts record workflows from outside Temporal: the modules call Start after
// committing a change to a record.
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

// Start signals the record's running workflow that the record changed, or starts one.
// Calling it again, or while a workflow runs, is harmless: the workflow writes what the
// record is when it writes.
func (s *Starter) Start(ctx context.Context, ref records.Ref) error {
	_, err := s.client.SignalWithStartWorkflow(ctx, WorkflowID(ref), SignalChanged, nil, client.StartWorkflowOptions{
		TaskQueue:             TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(plyrtemporal.DIDKey.ValueSet(ref.DID)),
	}, Name, Input{Ref: ref})
	if err != nil {
		return fmt.Errorf("start %s: %w", WorkflowID(ref), err)
	}
	return nil
}
