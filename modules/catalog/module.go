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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	catalogact "github.com/plyrfm/plyr/activities/catalog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/albums"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/comments"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/likes"
	"github.com/plyrfm/plyr/modules/catalog/internal/playlists"
	"github.com/plyrfm/plyr/modules/catalog/internal/plays"
	"github.com/plyrfm/plyr/modules/catalog/internal/queue"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/search"
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
	// SearchAccounts finds up to limit accounts whose handle or display name is like q,
	// best first, without asking anything outside plyr.
	SearchAccounts(ctx context.Context, q string, limit int) ([]AccountMatch, error)
}

// AccountMatch is an account SearchAccounts found, with how well it matched (0 to 1).
type AccountMatch = search.AccountMatch

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

// GateStarter starts the workflow that moves a track's audio where its supporter gate
// says (workflows/gate); the catalog calls it after committing a gate.
type GateStarter = tracks.Gates

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
	// Comments bounds timed comments (per track, per author); zero values take defaults.
	Comments CommentLimits
	// PlayWindow is how long one listener's play of a track counts once (default 30 min).
	PlayWindow time.Duration
}

// CommentLimits bound timed comments.
type CommentLimits = comments.Limits

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
	Gates    GateStarter
	// ClientAddr is a request's client address as rate limits see it (behind trusted
	// proxies, the forwarded one); nil takes the peer's. Anonymous plays are counted by it.
	ClientAddr func(remoteAddr string, h http.Header) string
	// Plays is told of every play that counted (sharing: listen receipts, scrobbles); nil
	// tells no one.
	Plays PlayObserver
}

// CountedPlay is a play that counted, as the catalog recorded it.
type CountedPlay = plays.Counted

// PlayObserver is told of plays that counted after they are committed: once each, or
// again when a hand-off did not succeed (ResumePlayHandOffs), so it must be idempotent.
type PlayObserver interface {
	PlayCounted(ctx context.Context, p CountedPlay) error
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

	// The listener side.
	likes     *likes.Likes
	comments  *comments.Comments
	playlists *playlists.Playlists
	plays     *plays.Plays
	search    *search.Search
	queues    *queue.Store
	hub       *queue.Hub

	// hubOnce starts the queue notifications' listener with the first watcher; stop ends
	// it (Close). draining closes when the server shuts down, ending WatchQueue streams.
	hubOnce    sync.Once
	stop       context.CancelFunc
	hubStopped chan struct{}
	stopMu     sync.Mutex
	drainOnce  sync.Once
	draining   chan struct{}
	// clientAddr is a request's client address (Deps.ClientAddr).
	clientAddr func(remoteAddr string, h http.Header) string
	observer   PlayObserver
	// syncMarks are where recent pages of the library's full track listing ended.
	syncMarks syncMarks
}

// New builds the module.
func New(d Deps) *Module {
	q := db.New(d.DB)
	recs := records.New(d.Config.Namespace, d.Records)
	albumsFeature := albums.New(d.DB, q, recs, albumImages{d.Images}, d.Cleanup)
	pool := d.DB
	clientAddr := d.ClientAddr
	if clientAddr == nil {
		clientAddr = func(remoteAddr string, _ http.Header) string { return hostOf(remoteAddr) }
	}
	return &Module{
		logger: d.Logger, metrics: d.Metrics, q: q, records: recs,
		tracks:    tracks.New(d.DB, q, recs, d.Accounts, d.Config.PublicURL).WithEditing(albumsFeature, d.Accounts, d.Images, d.Cleanup, d.Gates),
		artists:   artists.New(d.DB, q, recs, d.Accounts),
		albums:    albumsFeature,
		tags:      tags.New(q),
		cfg:       d.Config,
		accts:     d.Accounts,
		likes:     likes.New(d.DB, q, recs),
		comments:  comments.New(d.DB, q, recs, commentSettings{d.Accounts}, d.Config.Comments),
		playlists: playlists.New(d.DB, q, recs, albumImages{d.Images}),
		plays:     plays.New(d.DB, q, d.Config.PlayWindow, d.Plays != nil),
		search:    search.New(d.DB, q, d.Accounts),
		queues:    queue.NewStore(q),
		hub: queue.NewHub(func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		}, d.Logger),
		draining:   make(chan struct{}),
		clientAddr: clientAddr, observer: d.Plays,
	}
}

// commentSettings reads whether an artist takes comments from their account's preferences.
type commentSettings struct{ accounts Accounts }

func (c commentSettings) AllowsComments(ctx context.Context, did string) (bool, error) {
	p, err := c.accounts.Profiles(ctx, []string{did})
	if err != nil {
		return false, err
	}
	profile, ok := p[did]
	return !ok || profile.AllowComments, nil // an account plyr does not know has the defaults
}

// Drain ends every WatchQueue stream, so that a shutting-down server is not held open by
// them (clients reconnect to another process).
func (m *Module) Drain() { m.drainOnce.Do(func() { close(m.draining) }) }

// Close stops the queue notifications' listener and waits until its connection is
// closed.
func (m *Module) Close() {
	m.stopMu.Lock()
	stop, stopped := m.stop, m.hubStopped
	m.stopMu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
}

// startHub starts listening for queue changes, once: with the first stream that watches
// a queue, so that a process serving none holds no listening connection.
func (m *Module) startHub() {
	m.hubOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		m.stopMu.Lock()
		m.stop, m.hubStopped = cancel, stopped
		m.stopMu.Unlock()
		go func() {
			defer close(stopped)
			m.hub.Run(ctx)
		}()
	})
}

// ForgetListening drops what the listener side no longer needs: play guards older than
// the counting window, yesterday's visitor salt, expired now-playing reports
// (housekeeping). It returns how many rows it dropped.
func (m *Module) ForgetListening(ctx context.Context) (int64, error) {
	n, err := m.plays.Forget(ctx)
	if err != nil {
		return n, err
	}
	expired, err := m.queues.ForgetExpired(ctx)
	return n + expired, err
}

// policy is the access level of every CatalogService procedure.
var policy = rpc.Policy{
	catalogv1connect.CatalogServiceListTracksProcedure:       rpc.Optional,
	catalogv1connect.CatalogServiceGetTrackProcedure:         rpc.Optional,
	catalogv1connect.CatalogServiceGetTracksProcedure:        rpc.Optional,
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

	catalogv1connect.LikeServiceLikeTrackProcedure:          rpc.Session,
	catalogv1connect.LikeServiceUnlikeTrackProcedure:        rpc.Session,
	catalogv1connect.LikeServiceListLikersProcedure:         rpc.Public,
	catalogv1connect.LikeServiceListLikedTracksProcedure:    rpc.Optional,
	catalogv1connect.LikeServiceReorderLikedTracksProcedure: rpc.Session,

	catalogv1connect.CommentServiceListCommentsProcedure:  rpc.Optional,
	catalogv1connect.CommentServiceAddCommentProcedure:    rpc.Session,
	catalogv1connect.CommentServiceEditCommentProcedure:   rpc.Session,
	catalogv1connect.CommentServiceDeleteCommentProcedure: rpc.Session,

	catalogv1connect.PlaylistServiceCreatePlaylistProcedure:      rpc.Session,
	catalogv1connect.PlaylistServiceGetPlaylistProcedure:         rpc.Optional,
	catalogv1connect.PlaylistServiceListPlaylistsProcedure:       rpc.Optional,
	catalogv1connect.PlaylistServiceUpdatePlaylistProcedure:      rpc.Session,
	catalogv1connect.PlaylistServiceDeletePlaylistProcedure:      rpc.Session,
	catalogv1connect.PlaylistServiceAddPlaylistTrackProcedure:    rpc.Session,
	catalogv1connect.PlaylistServiceRemovePlaylistTrackProcedure: rpc.Session,
	catalogv1connect.PlaylistServiceReorderPlaylistProcedure:     rpc.Session,

	// Anonymous visitors' plays count too (once per visitor per window).
	catalogv1connect.PlayServiceRecordPlayProcedure:       rpc.Optional,
	catalogv1connect.PlayServiceListTopTracksProcedure:    rpc.Optional,
	catalogv1connect.PlayServiceGetPlatformStatsProcedure: rpc.Public,

	catalogv1connect.SearchServiceSearchProcedure:        rpc.Optional,
	catalogv1connect.SearchServiceSearchHandlesProcedure: rpc.Public,

	catalogv1connect.QueueServiceWatchQueueProcedure:      rpc.Session,
	catalogv1connect.QueueServiceSetNowPlayingProcedure:   rpc.Session,
	catalogv1connect.QueueServiceClearNowPlayingProcedure: rpc.Session,
}

// Mount registers the catalog's services and its HTTP routes (the queue, now playing).
func (m *Module) Mount(mux *http.ServeMux) {
	h := &handler{m: m, tracks: m.tracks, artists: m.artists}
	opts := rpc.HandlerOptions(m.logger, m.metrics, policy)
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewLikeServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewCommentServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewPlaylistServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewPlayServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewSearchServiceHandler(h, opts...))
	mux.Handle(catalogv1connect.NewQueueServiceHandler(h, opts...))
	mux.Handle("GET /queue", rpc.RequireHTTP(rpc.Session, http.HandlerFunc(m.handleGetQueue)))
	mux.Handle("PUT /queue", rpc.RequireHTTP(rpc.Session, http.HandlerFunc(m.handlePutQueue)))
	mux.Handle("GET /now-playing/by-handle/{handle}", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleNowPlayingByHandle)))
	mux.Handle("GET /now-playing/by-did/{did}", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleNowPlayingByDID)))
}

// CreateDraftTrack records a processing track for an accepted upload; doing it again for
// the same id changes nothing.
func (m *Module) CreateDraftTrack(ctx context.Context, trackID uuid.UUID, artistDID, title string, createdAt time.Time) error {
	return m.tracks.CreateDraft(ctx, tracks.Draft{ID: trackID, ArtistDID: artistDID, Title: title, CreatedAt: createdAt})
}

// PublishTrack makes a track ready to play with its audio file (of type fileType: mp3…)
// and duration, and starts the write of its record to the artist's PDS.
func (m *Module) PublishTrack(ctx context.Context, p catalogact.Publication) error {
	pub := tracks.Publication{FileID: p.FileID, FileType: p.FileType, DurationMs: p.DurationMs, Waveform: p.Waveform}
	if o := p.Original; o != nil {
		pub.Original = &tracks.Original{FileID: o.FileID, FileType: o.FileType, ContentType: o.ContentType, SizeBytes: o.SizeBytes}
	}
	if p.PDS != nil {
		pub.PDS = &tracks.PDSAudio{State: p.PDS.State, Blob: p.PDS.Blob, Reason: p.PDS.Reason}
	}
	return m.tracks.Publish(ctx, p.TrackID, pub)
}

// TrackGate says whether a track is for supporters only and which files are its audio;
// found is false for a track that is gone. It is the catalog side of the gate workflow.
func (m *Module) TrackGate(ctx context.Context, trackID uuid.UUID) (gated bool, files []uuid.UUID, found bool, err error) {
	return m.tracks.Gate(ctx, trackID)
}

// SetTrackTakenDown hides a track from everyone but its artist, or shows it again (the
// catalog side of a takedown); it returns the track's audio files. found is false for a
// track that is gone.
func (m *Module) SetTrackTakenDown(ctx context.Context, trackID uuid.UUID, down bool) (files []uuid.UUID, found bool, err error) {
	return m.tracks.SetTakenDown(ctx, trackID, down)
}

// TakedownMismatches returns the tracks whose takedown state in the catalog differs from
// inForce (legal's takedowns in force): ready tracks of inForce still shown, and tracks
// taken down that inForce does not hold. At most limit of the latter are looked at.
func (m *Module) TakedownMismatches(ctx context.Context, inForce []uuid.UUID, limit int) ([]uuid.UUID, error) {
	return m.tracks.TakedownMismatches(ctx, inForce, limit)
}

// ModerationTrack is a track as moderation sees it.
type ModerationTrack struct {
	ID                      uuid.UUID
	Title                   string
	ArtistDID, ArtistHandle string
	// FileID is the playable audio (nil while processing); Public says anyone may see the
	// track (ready, not taken down).
	FileID *uuid.UUID
	Public bool
}

// DescribeTrack returns a track whatever its state, for moderation: ErrNotFound when
// there is none.
func (m *Module) DescribeTrack(ctx context.Context, trackID uuid.UUID) (ModerationTrack, error) {
	t, err := m.tracks.Describe(ctx, trackID)
	if err != nil {
		return ModerationTrack{}, err
	}
	return ModerationTrack{
		ID: t.ID, Title: t.Title, ArtistDID: t.ArtistDID, ArtistHandle: t.ArtistHandle, FileID: t.FileID,
		Public: t.Status == tracks.StatusReady && !t.TakenDown,
	}, nil
}

// PDSTrack reads a track for a copy of its audio to its artist's PDS (a migration's step).
func (m *Module) PDSTrack(ctx context.Context, trackID uuid.UUID) (catalogact.PDSTrack, error) {
	p, err := m.tracks.PDSTrack(ctx, trackID)
	return catalogact.PDSTrack{Skip: p.Skip, FileID: p.FileID, ArtistDID: p.ArtistDID}, err
}

// SetTrackPDS records how a copy of a track's audio to its PDS went and starts the write of
// its record when the record now names the blob; it returns the revision to wait for.
func (m *Module) SetTrackPDS(ctx context.Context, trackID uuid.UUID, p catalogact.PDSAudio) (int64, error) {
	return m.tracks.SetPDSAudio(ctx, trackID, tracks.PDSAudio{State: p.State, Blob: p.Blob, Reason: p.Reason})
}

// RecordWritten reports whether a track's record is written at revision or later, or why
// it failed.
func (m *Module) RecordWritten(ctx context.Context, trackID uuid.UUID, revision int64) (bool, string, error) {
	return m.tracks.RecordWritten(ctx, trackID, revision)
}

// PDSCandidate is a track whose audio may be copied to its artist's PDS.
type PDSCandidate = tracks.PDSCandidate

// PDSCandidates are the artist's tracks whose audio may be copied to their PDS: those
// among ids, or all when ids is empty (at most 500, oldest first).
func (m *Module) PDSCandidates(ctx context.Context, artist string, ids []uuid.UUID) ([]PDSCandidate, error) {
	return m.tracks.PDSCandidates(ctx, artist, ids)
}

// ExportTrack is a track as an export names it: its title and its original (else its MP3).
type ExportTrack = tracks.ExportTrack

// ExportTracks are all of the artist's ready tracks, oldest first, for an export.
func (m *Module) ExportTracks(ctx context.Context, artist string) ([]ExportTrack, error) {
	return m.tracks.ExportTracks(ctx, artist)
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
		m.records.Collection(records.KindTrack):    trackRecords{m.tracks},
		m.records.Collection(records.KindProfile):  profileRecords{m.artists},
		m.records.Collection(records.KindList):     listRecords{m.q, m.records, m.albums, m.playlists, m.likes},
		m.records.Collection(likes.KindLike):       likeRecords{m.likes},
		m.records.Collection(comments.KindComment): commentRecords{m.comments},
	}
}

// albumImages is the module's Images as the albums feature asks for them.
type albumImages struct{ images Images }

func (a albumImages) ImageOf(ctx context.Context, id uuid.UUID) (owner, url, thumb string, ok bool, err error) {
	img, ok, err := a.images.Image(ctx, id)
	return img.OwnerDID, img.URL, img.ThumbURL, ok, err
}

// listRecords is the Source of list records: albums, playlists and "Liked" lists share
// the collection, and the entity that holds the record key says whose a record is. A
// record whose entity is gone (a deleted playlist) is deleted from the PDS as its
// bookkeeping says.
type listRecords struct {
	q         *db.Queries
	records   *records.Store
	albums    *albums.Albums
	playlists *playlists.Playlists
	likes     *likes.Likes
}

func (s listRecords) owner(ctx context.Context, ref recordsact.Ref) (string, error) {
	owner, err := s.q.ListRecordOwner(ctx, db.ListRecordOwnerParams{Did: ref.DID, Rkey: ref.RKey})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

func (s listRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	owner, err := s.owner(ctx, ref)
	if err != nil {
		return recordsact.Wanted{}, err
	}
	switch owner {
	case "album":
		return s.albums.WantedRecord(ctx, ref.DID, ref.RKey)
	case "playlist":
		return s.playlists.WantedRecord(ctx, ref.DID, ref.RKey)
	case "liked":
		return s.likes.WantedListRecord(ctx, ref.DID, ref.RKey)
	}
	state, err := s.records.Get(ctx, s.q, records.Key{DID: ref.DID, Kind: records.KindList, RKey: ref.RKey})
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	return recordsact.Wanted{}, fmt.Errorf("list %s: %w", ref.URI(), recordsact.ErrNotTracked)
}

func (s listRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	owner, err := s.owner(ctx, ref)
	if err != nil {
		return false, err
	}
	if owner == "album" {
		return s.albums.SettleRecord(ctx, ref.DID, ref.RKey, o)
	}
	return s.records.Settle(ctx, s.q, records.Key{DID: ref.DID, Kind: records.KindList, RKey: ref.RKey}, o)
}

// likeRecords is the Source of like records.
type likeRecords struct{ likes *likes.Likes }

func (s likeRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	return s.likes.WantedRecord(ctx, ref.DID, ref.RKey)
}

func (s likeRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	return s.likes.SettleRecord(ctx, ref.DID, ref.RKey, o)
}

// commentRecords is the Source of comment records.
type commentRecords struct{ comments *comments.Comments }

func (s commentRecords) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	return s.comments.WantedRecord(ctx, ref.DID, ref.RKey)
}

func (s commentRecords) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	return s.comments.SettleRecord(ctx, ref.DID, ref.RKey, o)
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
