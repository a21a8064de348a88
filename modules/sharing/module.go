package sharing

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	recordsact "github.com/plyrfm/plyr/activities/records"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1/sharingv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/sharing/internal/db"
	"github.com/plyrfm/plyr/modules/sharing/internal/links"
	"github.com/plyrfm/plyr/modules/sharing/internal/scrobbles"
)

// PageKind is a kind of public page in the sitemap.
type PageKind string

// The kinds of public page.
const (
	PageTracks    PageKind = "tracks"
	PageArtists   PageKind = "artists"
	PageAlbums    PageKind = "albums"
	PagePlaylists PageKind = "playlists"
)

// PageEntry is a public page for the sitemap: ID for tracks and playlists, ArtistDID for
// artists, ArtistDID and Slug for albums.
type PageEntry struct {
	ID        uuid.UUID
	ArtistDID string
	Slug      string
	UpdatedAt time.Time
}

// Catalog is the catalog as the module needs it: its public reads (what anyone who is not
// signed in sees; not public is an error for which rpc.IsNotFound holds), its public
// pages, and the day's hash of an anonymous visitor, the one their plays count under.
type Catalog interface {
	PublicTrack(ctx context.Context, id uuid.UUID) (*catalogv1.Track, error)
	PublicAlbum(ctx context.Context, req *catalogv1.GetAlbumRequest) (*catalogv1.GetAlbumResponse, error)
	PublicPlaylist(ctx context.Context, id uuid.UUID) (*catalogv1.GetPlaylistResponse, error)
	PublicArtist(ctx context.Context, handleOrDID string) (*catalogv1.Artist, error)
	PageCounts(ctx context.Context) (map[PageKind]int64, error)
	Pages(ctx context.Context, kind PageKind, skip, limit int) ([]PageEntry, error)
	VisitorKey(ctx context.Context, remoteAddr string, h http.Header) (string, error)
}

// Person is an account as share stats show it.
type Person struct {
	Handle, DisplayName, AvatarURL string
}

// Accounts is identity as the module needs it.
type Accounts interface {
	// TealTarget says whether did turned scrobbling on, and the teal namespace its grant
	// lets plyr write ("" for none).
	TealTarget(ctx context.Context, did string) (enabled bool, namespace string, err error)
	// People describes accounts by DID (unknown ones are left out).
	People(ctx context.Context, dids []string) (map[string]Person, error)
}

// Records starts the writes of records (recordsync.Starter).
type Records interface {
	Start(ctx context.Context, ref recordsact.Ref) error
}

// Config tunes the module.
type Config struct {
	// PublicURL is plyr's public base URL: links, canonical URLs and records name it.
	PublicURL string
	// SiteName is how pages and oEmbed name plyr (default "plyr").
	SiteName string
	// LinksPerHour bounds the share links one account makes an hour.
	LinksPerHour int
	// TealNamespaces are the teal namespaces scrobbles may be written in.
	TealNamespaces []string
	// ClientAgent is the submissionClientAgent of scrobbles (default "fm.plyr/1.0").
	ClientAgent string
}

// Deps are what the module needs.
type Deps struct {
	DB       *pgxpool.Pool
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	Catalog  Catalog
	Accounts Accounts
	Records  Records
	Config   Config
}

// Module is the sharing module.
type Module struct {
	q         *db.Queries
	logger    *slog.Logger
	metrics   *metrics.Metrics
	catalog   Catalog
	accounts  Accounts
	records   Records
	cfg       Config
	links     *links.Links
	scrobbles *scrobbles.Scrobbles

	// sitemaps caches rendered sitemaps for sitemapTTL: crawlers fetch them rarely but
	// all at once.
	sitemapMu sync.Mutex
	sitemaps  map[string]cachedSitemap
}

// New builds the module.
func New(d Deps) *Module {
	cfg := d.Config
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.SiteName == "" {
		cfg.SiteName = "plyr"
	}
	if cfg.ClientAgent == "" {
		cfg.ClientAgent = "fm.plyr/1.0"
	}
	q := db.New(d.DB)
	return &Module{
		q: q, logger: d.Logger, metrics: d.Metrics, catalog: d.Catalog, accounts: d.Accounts, records: d.Records, cfg: cfg,
		links:     links.New(q, cfg.LinksPerHour),
		scrobbles: scrobbles.New(d.DB, q, scrobbles.Service{PublicURL: cfg.PublicURL, ClientAgent: cfg.ClientAgent}),
		sitemaps:  map[string]cachedSitemap{},
	}
}

// policy is the access level of every SharingService procedure.
var policy = rpc.Policy{
	sharingv1connect.SharingServiceCreateShareLinkProcedure:   rpc.Session,
	sharingv1connect.SharingServiceRecordShareVisitProcedure:  rpc.Optional,
	sharingv1connect.SharingServiceListMyShareLinksProcedure:  rpc.Session,
	sharingv1connect.SharingServiceGetScrobbleStatusProcedure: rpc.Session,
	sharingv1connect.SharingServiceListMyScrobblesProcedure:   rpc.Session,
}

// Mount registers the SharingService and the public site's plain routes.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(sharingv1connect.NewSharingServiceHandler(&handler{m: m}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
	mux.Handle("GET /oembed", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleOEmbed)))
	mux.Handle("GET /sitemap.xml", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleSitemapIndex)))
	mux.Handle("GET /sitemaps/{name}", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleSitemap)))
	mux.Handle("GET /robots.txt", rpc.RequireHTTP(rpc.Public, http.HandlerFunc(m.handleRobots)))
}

// trackURL is a track's page.
func (m *Module) trackURL(id string) string { return m.cfg.PublicURL + "/track/" + id }

// PlayCounted is told of each play the catalog counted: a play through a share link
// counts for the link, and a signed-in listener's play is scrobbled if they asked for it.
func (m *Module) PlayCounted(ctx context.Context, p CountedPlay) error {
	if p.Ref != "" {
		err := m.links.Use(ctx, p.Ref, p.TrackID, links.Play, links.Person{DID: p.ListenerDID, Visitor: p.Visitor})
		if err != nil {
			return err
		}
	}
	if p.ListenerDID == "" {
		return nil
	}
	return m.scrobble(ctx, p)
}

// CountedPlay is a counted play as the catalog reports it.
type CountedPlay struct {
	TrackID     uuid.UUID
	ListenerDID string
	Visitor     string
	Ref         string
	ListenedMs  int64
	CountedAt   time.Time
}

// RecordSources are the owners of the teal records, by collection, for the recordsync
// workflow's steps.
func (m *Module) RecordSources() map[string]recordsact.Source {
	out := map[string]recordsact.Source{}
	for _, ns := range m.cfg.TealNamespaces {
		play, status := scrobbles.Collections(ns)
		out[play] = m.scrobbles.PlaySource()
		out[status] = m.scrobbles.StatusSource()
	}
	return out
}

// ResumeStalledRecords starts again the writes of scrobbles and statuses still pending
// since before stalledSince (a start lost when a process died), at most limit of each; it
// returns how many it started.
func (m *Module) ResumeStalledRecords(ctx context.Context, stalledSince time.Time, limit int) (int, error) {
	refs, err := m.scrobbles.Stalled(ctx, stalledSince, limit)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, ref := range refs {
		if err := m.records.Start(ctx, ref); err != nil {
			return started, err
		}
		started++
	}
	return started, nil
}
