package media

import (
	"context"

	"github.com/google/uuid"
)

// Activity names of a PDS migration's bookkeeping.
const (
	MigrationPendingName    = "MigrationPending"
	SettleMigrationItemName = "SettleMigrationItem"
	FinishMigrationName     = "FinishMigration"
)

// What became of a track of a migration.
const (
	ItemMigrated = "migrated"
	ItemSkipped  = "skipped"
	ItemFailed   = "failed"
)

// MigrationItem is what became of one track of a migration.
type MigrationItem struct {
	MigrationID uuid.UUID
	TrackID     uuid.UUID
	Status      string
	Reason      string `json:",omitempty"`
}

// Migrations is the media module's bookkeeping of PDS migrations.
type Migrations interface {
	// Pending are a migration's tracks still to copy, in order.
	MigrationPending(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error)
	// SettleMigrationItem records what became of a track.
	SettleMigrationItem(ctx context.Context, id, track uuid.UUID, status, reason string) error
	// FinishMigration ends a migration and returns its status (done, or failed).
	FinishMigration(ctx context.Context, id uuid.UUID) (string, error)
}

// MigrationPending lists a migration's tracks still to copy.
func (a *Activities) MigrationPending(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	return a.Migrations.MigrationPending(ctx, id)
}

// SettleMigrationItem records what became of a track of a migration.
func (a *Activities) SettleMigrationItem(ctx context.Context, in MigrationItem) error {
	return a.Migrations.SettleMigrationItem(ctx, in.MigrationID, in.TrackID, in.Status, in.Reason)
}

// FinishMigration ends a migration.
func (a *Activities) FinishMigration(ctx context.Context, id uuid.UUID) (string, error) {
	return a.Migrations.FinishMigration(ctx, id)
}
