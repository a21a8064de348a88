package pdsmigration

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/google/uuid"

	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Starter starts migration workflows: the media module calls it when an artist starts a
// migration and when an admin retries one.
type Starter struct {
	client client.Client
}

// NewStarter returns a Starter on c.
func NewStarter(c client.Client) *Starter { return &Starter{client: c} }

// StartMigration starts the migration's workflow, findable by the account's DID. A
// migration that ran before (a retry) runs again under the same id; one still running is
// not started twice.
func (s *Starter) StartMigration(ctx context.Context, did string, migrationID uuid.UUID) error {
	_, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(did, migrationID),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    sdktemporal.NewSearchAttributes(plyrtemporal.DIDKey.ValueSet(did)),
	}, Name, Input{MigrationID: migrationID, DID: did})
	if err != nil {
		return fmt.Errorf("start %s: %w", WorkflowID(did, migrationID), err)
	}
	return nil
}
