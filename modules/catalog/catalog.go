// Package catalog is plyr's catalog module: the tracks listeners browse and play (and,
// later, albums, playlists, likes, comments, tags and search).
//
// Its surface is this package: New, Mount (the CatalogService), and the methods the upload
// workflow's steps call to create, publish and remove tracks. Handles of artists come from
// the identity module through the HandleDirectory it is given.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// HandleDirectory finds the current handle of accounts by DID.
type HandleDirectory interface {
	// Handles returns the handle of each known DID among dids; unknown ones are absent.
	Handles(ctx context.Context, dids []string) (map[string]string, error)
}

// Deps are what the module needs.
type Deps struct {
	DB      *pgxpool.Pool
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	Handles HandleDirectory
}

// Module is the catalog module.
type Module struct {
	q       *db.Queries
	logger  *slog.Logger
	metrics *metrics.Metrics
	handles HandleDirectory
}

// New builds the module.
func New(d Deps) *Module {
	return &Module{q: db.New(d.DB), logger: d.Logger, metrics: d.Metrics, handles: d.Handles}
}

// policy is the access level of every CatalogService procedure.
var policy = rpc.Policy{
	catalogv1connect.CatalogServiceListTracksProcedure: rpc.Optional,
	catalogv1connect.CatalogServiceGetTrackProcedure:   rpc.Optional,
}

// Mount registers the CatalogService.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(&handler{m: m}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
}

// CreateDraftTrack records a processing track for an accepted upload; doing it again for
// the same id changes nothing.
func (m *Module) CreateDraftTrack(ctx context.Context, trackID, artistDID, title string, createdAt time.Time) error {
	id, err := uuid.Parse(trackID)
	if err != nil {
		return fmt.Errorf("track id %q: %w", trackID, err)
	}
	err = m.q.CreateDraftTrack(ctx, db.CreateDraftTrackParams{ID: id, ArtistDid: artistDID, Title: title, CreatedAt: createdAt})
	if err != nil {
		return fmt.Errorf("create draft track %s: %w", trackID, err)
	}
	return nil
}

// PublishTrack makes a track ready to play with its audio file and duration.
func (m *Module) PublishTrack(ctx context.Context, trackID, fileID string, durationMs int32) error {
	id, err := uuid.Parse(trackID)
	if err != nil {
		return fmt.Errorf("track id %q: %w", trackID, err)
	}
	file, err := uuid.Parse(fileID)
	if err != nil {
		return fmt.Errorf("file id %q: %w", fileID, err)
	}
	n, err := m.q.PublishTrack(ctx, db.PublishTrackParams{ID: id, FileID: &file, DurationMs: &durationMs})
	if err != nil {
		return fmt.Errorf("publish track %s: %w", trackID, err)
	}
	if n == 0 {
		return fmt.Errorf("publish track %s: %w", trackID, ErrNotFound)
	}
	return nil
}

// DeleteDraftTrack removes a track that never became ready. A ready track, or none at
// all, is left alone.
func (m *Module) DeleteDraftTrack(ctx context.Context, trackID string) error {
	id, err := uuid.Parse(trackID)
	if err != nil {
		return fmt.Errorf("track id %q: %w", trackID, err)
	}
	if _, err := m.q.DeleteDraftTrack(ctx, id); err != nil {
		return fmt.Errorf("delete draft track %s: %w", trackID, err)
	}
	return nil
}
