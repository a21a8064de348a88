package export

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Starter starts export workflows (the media module's StartExport).
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

// StartExport starts the export's workflow, findable by the account's DID; a second start
// of the same export is refused by the server.
func (s *Starter) StartExport(ctx context.Context, did string, in Input) error {
	_, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(in.ExportID),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    sdktemporal.NewSearchAttributes(plyrtemporal.DIDKey.ValueSet(did)),
	}, Name, in)
	if err != nil {
		return fmt.Errorf("start %s: %w", WorkflowID(in.ExportID), err)
	}
	return nil
}
