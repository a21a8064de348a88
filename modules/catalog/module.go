// Package catalog is plyr's catalog module: the tracks listeners browse and play (and,
// later, albums, playlists, likes, comments, tags and search).
//
// This package is the module's door: New, Mount (the CatalogService), and the methods the
// upload workflow's steps call to create, publish and remove tracks. Features live in
// internal/: tracks (the track rows and their rules), cursor (page tokens), db (sqlc).
// Handles of artists come from the identity module through the HandleDirectory it is
// given.
package catalog

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
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
	logger  *slog.Logger
	metrics *metrics.Metrics
	tracks  *tracks.Tracks
}

// New builds the module.
func New(d Deps) *Module {
	return &Module{logger: d.Logger, metrics: d.Metrics, tracks: tracks.New(db.New(d.DB), d.Handles)}
}

// policy is the access level of every CatalogService procedure.
var policy = rpc.Policy{
	catalogv1connect.CatalogServiceListTracksProcedure: rpc.Optional,
	catalogv1connect.CatalogServiceGetTrackProcedure:   rpc.Optional,
}

// Mount registers the CatalogService.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(&handler{tracks: m.tracks}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
}

// CreateDraftTrack records a processing track for an accepted upload; doing it again for
// the same id changes nothing.
func (m *Module) CreateDraftTrack(ctx context.Context, trackID uuid.UUID, artistDID, title string, createdAt time.Time) error {
	return m.tracks.CreateDraft(ctx, tracks.Draft{ID: trackID, ArtistDID: artistDID, Title: title, CreatedAt: createdAt})
}

// PublishTrack makes a track ready to play with its audio file and duration.
func (m *Module) PublishTrack(ctx context.Context, trackID, fileID uuid.UUID, durationMs int32) error {
	return m.tracks.Publish(ctx, trackID, fileID, durationMs)
}

// DeleteDraftTrack removes a track that never became ready. A ready track, or none at
// all, is left alone.
func (m *Module) DeleteDraftTrack(ctx context.Context, trackID uuid.UUID) error {
	return m.tracks.DeleteDraft(ctx, trackID)
}
