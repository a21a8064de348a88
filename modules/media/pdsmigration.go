package media

import (
	"context"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/migrations"
)

// maxSizeIDs bounds GetFileSizes.
const maxSizeIDs = 500

// GetFileSizes reads the stored size of each of the caller's files among the ids.
func (h *handler) GetFileSizes(ctx context.Context, req *mediav1.GetFileSizesRequest) (*mediav1.GetFileSizesResponse, error) {
	if len(req.GetFileIds()) > maxSizeIDs {
		return nil, ErrInvalidInput.Withf("at most %d file ids at once", maxSizeIDs)
	}
	ids, err := parseIDs(req.GetFileIds(), "file id")
	if err != nil {
		return nil, err
	}
	sizes, err := h.m.files.Sizes(ctx, rpc.CallerFrom(ctx).DID, ids)
	if err != nil {
		return nil, err
	}
	out := &mediav1.GetFileSizesResponse{Sizes: make(map[string]int64, len(sizes))}
	for id, n := range sizes {
		out.Sizes[id.String()] = n
	}
	return out, nil
}

// StartPdsMigration records a migration of the caller's chosen, eligible tracks and starts
// its workflow.
func (h *handler) StartPdsMigration(ctx context.Context, req *mediav1.StartPdsMigrationRequest) (*mediav1.StartPdsMigrationResponse, error) {
	did := rpc.CallerFrom(ctx).DID
	if allowed, err := h.m.flags.PDSMigrationsAllowed(ctx, did); err != nil {
		return nil, err
	} else if !allowed {
		return nil, ErrPDSAudioOff
	}
	chosen, err := parseIDs(req.GetTrackIds(), "track id")
	if err != nil {
		return nil, err
	}
	tracks, err := h.m.pdsTracks.PDSTracks(ctx, did, chosen)
	if err != nil {
		return nil, err
	}
	id, err := h.m.migrations.Create(ctx, did, tracks)
	if err != nil {
		return nil, err
	}
	if err := h.m.migrationFlows.StartMigration(ctx, did, id); err != nil {
		// Recorded but not started: end it failed, so that it can be retried and the
		// account is not left with a migration that never runs.
		for _, t := range tracks {
			_ = h.m.migrations.Settle(context.WithoutCancel(ctx), id, t, migrations.ItemFailed, "the migration could not start")
		}
		_, _ = h.m.migrations.Finish(context.WithoutCancel(ctx), id)
		return nil, err
	}
	return &mediav1.StartPdsMigrationResponse{MigrationId: id.String(), TrackCount: int32(len(tracks))}, nil
}

// WatchPdsMigration streams a migration's progress, from its rows, until it ends: a
// message whenever the counts or the last track change.
func (h *handler) WatchPdsMigration(ctx context.Context, req *mediav1.WatchPdsMigrationRequest, stream *connect.ServerStream[mediav1.PdsMigration]) error {
	id, err := uuid.Parse(req.GetMigrationId())
	if err != nil {
		return ErrMigrationNotFound
	}
	caller := rpc.CallerFrom(ctx)
	return followRows(ctx, h.m, stream.Send, func() (*mediav1.PdsMigration, bool, error) {
		m, err := h.m.migrations.Get(ctx, id)
		if err == nil && m.DID != caller.DID && !caller.Admin {
			err = ErrMigrationNotFound
		}
		if err != nil {
			return nil, false, err
		}
		return migrationProto(m, true), m.Status != migrations.StatusRunning, nil
	})
}

// ListPdsMigrations lists the caller's migrations, or an admin's choice of anyone's.
func (h *handler) ListPdsMigrations(ctx context.Context, req *mediav1.ListPdsMigrationsRequest) (*mediav1.ListPdsMigrationsResponse, error) {
	caller := rpc.CallerFrom(ctx)
	did := req.GetDid()
	if !caller.Admin {
		did = caller.DID
	}
	page, err := h.m.migrations.List(ctx, migrations.Query{
		DID: did, FailedOnly: req.GetFailedOnly(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	out := &mediav1.ListPdsMigrationsResponse{NextPageToken: page.Next}
	for _, m := range page.Migrations {
		out.Migrations = append(out.Migrations, migrationProto(m, false))
	}
	return out, nil
}

// RetryPdsMigration runs a finished migration again for its failed tracks (admin).
func (h *handler) RetryPdsMigration(ctx context.Context, req *mediav1.RetryPdsMigrationRequest) (*mediav1.RetryPdsMigrationResponse, error) {
	id, err := uuid.Parse(req.GetMigrationId())
	if err != nil {
		return nil, ErrMigrationNotFound
	}
	n, err := h.m.RetryMigration(ctx, id)
	if err != nil {
		return nil, err
	}
	return &mediav1.RetryPdsMigrationResponse{Retried: int32(n)}, nil
}

// RetryMigration makes a finished migration's failed tracks pending again and runs its
// workflow anew; it returns how many tracks are tried again. It serves the admin RPC and
// `plyr admin migrations retry`.
func (m *Module) RetryMigration(ctx context.Context, id uuid.UUID) (int, error) {
	mig, err := m.migrations.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	n, err := m.migrations.Retry(ctx, id)
	if err != nil {
		return 0, err
	}
	if err := m.migrationFlows.StartMigration(ctx, mig.DID, id); err != nil {
		_, _ = m.migrations.Finish(context.WithoutCancel(ctx), id) // pending again, failed: an admin may retry
		return 0, err
	}
	return n, nil
}

// Migration is a PDS migration as operators see it.
type Migration = migrations.Migration

// MigrationQuery filters ListMigrations.
type MigrationQuery = migrations.Query

// ListMigrations pages through PDS migrations, newest first (`plyr admin migrations list`).
func (m *Module) ListMigrations(ctx context.Context, q MigrationQuery) ([]Migration, string, error) {
	page, err := m.migrations.List(ctx, q)
	return page.Migrations, page.Next, err
}

// MigrationPending are a migration's tracks still to copy (the workflow's step).
func (m *Module) MigrationPending(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	return m.migrations.Pending(ctx, id)
}

// SettleMigrationItem records what became of a track of a migration (the workflow's step).
func (m *Module) SettleMigrationItem(ctx context.Context, id, track uuid.UUID, status, reason string) error {
	return m.migrations.Settle(ctx, id, track, status, reason)
}

// FinishMigration ends a migration (the workflow's step).
func (m *Module) FinishMigration(ctx context.Context, id uuid.UUID) (string, error) {
	return m.migrations.Finish(ctx, id)
}

func migrationProto(m migrations.Migration, items bool) *mediav1.PdsMigration {
	out := &mediav1.PdsMigration{
		MigrationId: m.ID.String(), Did: m.DID, Status: migrationStatusProto(m.Status),
		Total: int32(m.Total), Processed: int32(m.Processed()), Migrated: int32(m.Migrated),
		Skipped: int32(m.Skipped), Failed: int32(m.Failed), CreatedAt: timestamppb.New(m.CreatedAt),
	}
	if m.FinishedAt != nil {
		out.FinishedAt = timestamppb.New(*m.FinishedAt)
	}
	if m.Last.TrackID != uuid.Nil {
		out.LastTrackId, out.LastStatus, out.LastReason = m.Last.TrackID.String(), itemStatusProto(m.Last.Status), m.Last.Reason
	}
	if items {
		for _, it := range m.Items {
			out.Items = append(out.Items, &mediav1.PdsMigrationItem{TrackId: it.TrackID.String(), Status: itemStatusProto(it.Status), Reason: it.Reason})
		}
	}
	return out
}

func migrationStatusProto(s string) mediav1.MigrationStatus {
	switch s {
	case migrations.StatusRunning:
		return mediav1.MigrationStatus_MIGRATION_STATUS_RUNNING
	case migrations.StatusDone:
		return mediav1.MigrationStatus_MIGRATION_STATUS_DONE
	case migrations.StatusFailed:
		return mediav1.MigrationStatus_MIGRATION_STATUS_FAILED
	}
	return mediav1.MigrationStatus_MIGRATION_STATUS_UNSPECIFIED
}

func itemStatusProto(s string) mediav1.MigrationItemStatus {
	switch s {
	case migrations.ItemPending:
		return mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_PENDING
	case migrations.ItemMigrated:
		return mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_MIGRATED
	case migrations.ItemSkipped:
		return mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_SKIPPED
	case migrations.ItemFailed:
		return mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_FAILED
	}
	return mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_UNSPECIFIED
}

// parseIDs parses ids, naming what they are in the error.
func parseIDs(in []string, what string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(in))
	for _, s := range in {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, ErrInvalidInput.Withf("%q is not a %s", s, what)
		}
		out = append(out, id)
	}
	return out, nil
}
