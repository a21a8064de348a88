// Package catalog is plyr's catalog module: the tracks listeners browse and play (and,
// later, albums, playlists, likes, comments, tags and search), each of them a record on
// its owner's PDS that plyr's database indexes.
//
// This package is the module's door: New, Mount (the CatalogService), the methods the
// upload workflow's steps call to create, publish and remove tracks, and RecordSources,
// through which the recordsync workflow learns what each record should be. Features live
// in internal/: tracks (the track rows, their rules and their records), records (the
// bookkeeping of every record: revision, state, URI and CID), cursor (page tokens), db
// (sqlc). Handles of artists come from the identity module through the HandleDirectory it
// is given; records are written by the workflows the RecordStarter starts.
package catalog

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/albums"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/tags"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

// AccountProfile is what the identity module knows of an account: handle, Bluesky
// display name, avatar.
type AccountProfile = artists.AccountProfile

// Accounts is the identity module as the catalog sees it.
type Accounts interface {
	// Profiles returns the profile of each known DID among dids; unknown ones are absent.
	Profiles(ctx context.Context, dids []string) (map[string]AccountProfile, error)
	// DIDByHandle returns the DID of the account showing handle; ok is false when no
	// account does.
	DIDByHandle(ctx context.Context, handle string) (did string, ok bool, err error)
	// ResolveHandle returns the DID a handle stands for, verified both ways, through the
	// directory (which refuses private addresses); ok is false when it does not resolve.
	ResolveHandle(ctx context.Context, handle string) (did string, ok bool)
	// HiddenTags returns the tags an account hides from its discovery feed.
	HiddenTags(ctx context.Context, did string) ([]string, error)
}

// Image is an artwork image of the media module.
type Image = tracks.Image

// Images finds artwork images (the media module).
type Images interface {
	// Image returns the image; ok is false when there is none.
	Image(ctx context.Context, id uuid.UUID) (img Image, ok bool, err error)
}

// Cleanup removes what a deleted track leaves in the media module: its audio file and its
// artwork image (each only when nothing else uses it; the catalog checks).
type Cleanup = tracks.Cleanup

// RecordStarter starts (or signals) the workflow that writes a record: recordsync's
// Starter.
type RecordStarter interface {
	Start(ctx context.Context, ref recordsact.Ref) error
}

// Config is the module's configuration.
type Config struct {
	// Namespace prefixes the collections of plyr's records (fm.plyr).
	Namespace string
	// PublicURL is where plyr is reached; records point at its audio (PublicURL/audio/…).
	PublicURL string
	// DefaultHiddenTags are hidden from the discovery feed of anonymous visitors.
	DefaultHiddenTags []string
	// Public is what GetConfig tells clients.
	Public PublicConfig
}

// PublicConfig is the configuration clients may know.
type PublicConfig struct {
	MaxUploadBytes, MaxImageBytes         int64
	ContactEmail, PrivacyEmail, DMCAEmail string
}

// Deps are what the module needs.
type Deps struct {
	DB       *pgxpool.Pool
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	Config   Config
	Accounts Accounts
	Images   Images
	Cleanup  Cleanup
	Records  RecordStarter
}

// Module is the catalog module.
type Module struct {
	logger  *slog.Logger
	metrics *metrics.Metrics
	q       *db.Queries
	records *records.Store
	tracks  *tracks.Tracks
	artists *artists.Artists
	albums  *albums.Albums
	tags    *tags.Tags
	cfg     Config
	accts   Accounts
}

// New builds the module.
func New(d Deps) *Module {
	q := db.New(d.DB)
	recs := records.New(d.Config.Namespace, d.Records)
	albumsFeature := albums.New(d.DB, q, recs, albumImages{d.Images}, d.Cleanup)
	return &Module{
		logger: d.Logger, metrics: d.Metrics, q: q, records: recs,
		tracks:  tracks.New(d.DB, q, recs, d.Accounts, d.Config.PublicURL).WithEditing(albumsFeature, d.Accounts, d.Images, d.Cleanup),
		artists: artists.New(d.DB, q, recs, d.Accounts),
		albums:  albumsFeature,
		tags:    tags.New(q),
		cfg:     d.Config,
		accts:   d.Accounts,
	}
}

// policy is the access level of every CatalogService procedure.
var policy = rpc.Policy{
	catalogv1connect.CatalogServiceListTracksProcedure:       rpc.Optional,
	catalogv1connect.CatalogServiceGetTrackProcedure:         rpc.Optional,
	catalogv1connect.CatalogServiceListMyTracksProcedure:     rpc.Session,
	catalogv1connect.CatalogServiceRestoreRecordProcedure:    rpc.Session,
	catalogv1connect.CatalogServiceUpdateTrackProcedure:      rpc.Session,
	catalogv1connect.CatalogServiceDeleteTrackProcedure:      rpc.Session,
	catalogv1connect.CatalogServiceListAlbumsProcedure:       rpc.Public,
	catalogv1connect.CatalogServiceGetAlbumProcedure:         rpc.Optional,
	catalogv1connect.CatalogServiceUpdateAlbumProcedure:      rpc.Session,
	catalogv1connect.CatalogServiceRemoveAlbumTrackProcedure: rpc.Session,
	catalogv1connect.CatalogServiceDeleteAlbumProcedure:      rpc.Session,
	catalogv1connect.CatalogServiceListTagsProcedure:         rpc.Public,
	catalogv1connect.CatalogServiceGetConfigProcedure:        rpc.Public,
	// The artist reading their own profile sees why its record failed.
	catalogv1connect.CatalogServiceGetArtistProcedure:          rpc.Optional,
	catalogv1connect.CatalogServiceGetArtistsProcedure:         rpc.Optional,
	catalogv1connect.CatalogServiceUpdateMyProfileProcedure:    rpc.Session,
	catalogv1connect.CatalogServiceGetArtistAnalyticsProcedure: rpc.Public,
}

// Mount registers the CatalogService.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(&handler{m: m, tracks: m.tracks, artists: m.artists}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
}

// CreateDraftTrack records a processing track for an accepted upload; doing it again for
// the same id changes nothing.
func (m *Module) CreateDraftTrack(ctx context.Context, trackID uuid.UUID, artistDID, title string, createdAt time.Time) error {
	return m.tracks.CreateDraft(ctx, tracks.Draft{ID: trackID, ArtistDID: artistDID, Title: title, CreatedAt: createdAt})
}

// PublishTrack makes a track ready to play with its audio file (of type fileType: mp3…)
// and duration, and starts the write of its record to the artist's PDS.
func (m *Module) PublishTrack(ctx context.Context, trackID, fileID uuid.UUID, fileType string, durationMs int32) error {
	return m.tracks.Publish(ctx, trackID, tracks.Publication{FileID: fileID, FileType: fileType, DurationMs: durationMs})
}

// SyncArtist is the sign-in sync's step for an account: its artist row exists and its
// profile record is written as the profile is now (skipped on the PDS when unchanged).
func (m *Module) SyncArtist(ctx context.Context, did string) error {
	return m.artists.Sync(ctx, did)
}

// ResumeStalledRecords starts the writes of at most limit records still pending since
// before stalledSince (housekeeping): a workflow start lost to a Temporal outage, or
// records a migration added. It returns how many it started.
func (m *Module) ResumeStalledRecords(ctx context.Context, stalledSince time.Time, limit int) (int, error) {
	return m.records.ResumeStalled(ctx, m.q, stalledSince, limit)
}

// RecordSources are the record owners for the recordsync workflow's steps, by collection.
func (m *Module) RecordSources() map[string]recordsact.Source {
	return map[string]recordsact.Source{
		m.records.Collection(records.KindTrack):   trackRecords{m.tracks},
		m.records.Collection(records.KindProfile): profileRecords{m.artists},
		m.records.Collection(records.KindList):    listRecords{m.albums},
	}
}

// albumImages is the module's Images as the albums feature asks for them.
type albumImages struct{ images Images }

func (a albumImages) ImageOf(ctx context.Context, id uuid.UUID) (owner, url, thumb string, ok bool, err error) {
	img, ok, err := a.images.Image(ctx, id)
	return img.OwnerDID, img.URL, img.ThumbURL, ok, err
}

// listRecords is the Source of list records (albums, here).
type listRecords struct{ albums *albums.Albums }

func (s listRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	return s.albums.WantedRecord(ctx, ref.DID, ref.RKey)
}

func (s listRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	return s.albums.SettleRecord(ctx, ref.DID, ref.RKey, o)
}

// profileRecords is the Source of artists' profile records (rkey self).
type profileRecords struct{ artists *artists.Artists }

func (s profileRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	if ref.RKey != artists.RecordKey {
		return recordsact.Wanted{}, recordsact.ErrNotTracked
	}
	return s.artists.WantedRecord(ctx, ref.DID)
}

func (s profileRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	return s.artists.SettleRecord(ctx, ref.DID, o)
}

// trackRecords is the Source of track records.
type trackRecords struct{ tracks *tracks.Tracks }

func (s trackRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	return s.tracks.WantedRecord(ctx, ref.DID, ref.RKey)
}

func (s trackRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	return s.tracks.SettleRecord(ctx, ref.DID, ref.RKey, o)
}

// DeleteDraftTrack removes a track that never became ready. A ready track, or none at
// all, is left alone.
func (m *Module) DeleteDraftTrack(ctx context.Context, trackID uuid.UUID) error {
	return m.tracks.DeleteDraft(ctx, trackID)
}
