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
func (m *Module) CreateDraftTrack(ctx context.Context, trackID, artistDID, title string, createdAt time.Time) error {
	id, err := parseID("track", trackID)
	if err != nil {
		return err
	}
	return m.tracks.CreateDraft(ctx, tracks.Draft{ID: id, ArtistDID: artistDID, Title: title, CreatedAt: createdAt})
}

// PublishTrack makes a track ready to play with its audio file and duration.
func (m *Module) PublishTrack(ctx context.Context, trackID, fileID string, durationMs int32) error {
	id, err := parseID("track", trackID)
	if err != nil {
		return err
	}
	file, err := parseID("file", fileID)
	if err != nil {
		return err
	}
	return m.tracks.Publish(ctx, id, file, durationMs)
}

// DeleteDraftTrack removes a track that never became ready. A ready track, or none at
// all, is left alone.
func (m *Module) DeleteDraftTrack(ctx context.Context, trackID string) error {
	id, err := parseID("track", trackID)
	if err != nil {
		return err
	}
	return m.tracks.DeleteDraft(ctx, id)
}

// parseID reads an id the upload workflow passes. The workflow's input still carries ids
// as strings; typing them (uuid.UUID, the same JSON) is the next step of the template.
func parseID(what, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s id %q: %w", what, s, err)
	}
	return id, nil
}
