package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"time"

	mediaact "github.com/plyrfm/plyr/activities/media"
	recordsact "github.com/plyrfm/plyr/activities/records"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/audd"
	"github.com/plyrfm/plyr/internal/platform/chat"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/ratelimit"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/modules/catalog"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/modules/legal"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/modules/sharing"
	"github.com/plyrfm/plyr/modules/subsonic"
	"github.com/plyrfm/plyr/workflows/dmca"
	"github.com/plyrfm/plyr/workflows/export"
	"github.com/plyrfm/plyr/workflows/gate"
	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/plyrfm/plyr/workflows/pdsmigration"
	"github.com/plyrfm/plyr/workflows/recordsync"
	"github.com/plyrfm/plyr/workflows/signinsync"
	"github.com/plyrfm/plyr/workflows/takedown"
)

// buildModules builds the modules, each from what its Deps ask for; a module reaches
// another only through an interface it declares (catalog's HandleDirectory is identity).
func (a *App) buildModules() error {
	idCfg, err := identityConfig(a.cfg.Identity, a.infra.ATProto.AllowLoopbackPDS)
	if err != nil {
		return err
	}
	if a.identity, err = identity.New(identity.Deps{
		DB: a.infra.DB, Logger: a.logger, Metrics: a.metrics, Config: idCfg, Keys: a.infra.Keys,
		HTTPClient: a.infra.ATProto.HTTPClient, Directory: a.infra.ATProto.Directory,
		SignedIn: a.startSignInSync,
	}); err != nil {
		return err
	}
	a.namespace = a.cfg.Identity.Namespace
	if a.namespace == "" {
		a.namespace = lexicons.DefaultNamespace
	}
	if a.lexicons, err = lexicons.NewValidator(a.namespace); err != nil {
		return fmt.Errorf("load the lexicons: %w", err)
	}
	a.catalog = catalog.New(catalog.Deps{
		DB: a.infra.DB, Logger: a.logger, Metrics: a.metrics,
		Config: catalog.Config{
			Namespace: a.namespace, PublicURL: a.cfg.Identity.PublicURL, DefaultHiddenTags: identity.DefaultHiddenTags,
			Public: catalog.PublicConfig{
				MaxUploadBytes: a.cfg.Media.MaxUploadBytes, MaxImageBytes: media.DefaultMaxImageBytes,
				ContactEmail: a.cfg.Site.ContactEmail, PrivacyEmail: a.cfg.Site.PrivacyEmail, DMCAEmail: a.cfg.Site.DMCAEmail,
			},
		},
		Accounts: catalogAccounts{a.identity}, Images: catalogImages{func() *media.Module { return a.media }},
		Cleanup: catalogCleanup{func() *media.Module { return a.media }},
		Records: recordsync.NewStarter(a.infra.Temporal),
		Gates:   gate.NewStarter(a.infra.Temporal),
		ClientAddr: ratelimit.ClientAddrs{
			TrustedProxies: a.cfg.RateLimits.TrustedProxies, Header: a.cfg.RateLimits.ClientIPHeader,
		}.Key,
		Plays: catalogPlays{func() *sharing.Module { return a.sharing }},
	})
	fans := a.infra.AtprotofansClient
	if fans == nil {
		fans = atproto.NewClientWithLimit(64 << 10)
	}
	a.media = media.New(media.Deps{
		DB: a.infra.DB, Storage: a.infra.Storage, PrivateStorage: a.infra.PrivateStorage,
		Logger: a.logger, Metrics: a.metrics, PublicURL: a.cfg.Identity.PublicURL,
		Atprotofans: media.Atprotofans{URL: a.cfg.Media.AtprotofansURL, HTTPClient: fans},
		Tracks:      mediaTracks{a.catalog},
		Migrations:  pdsmigration.NewStarter(a.infra.Temporal),
		Exports:     export.NewStarter(a.infra.Temporal),
		Workflows:   media.NewTemporalUploads(a.infra.Temporal, a.metrics),
		Flags:       a.identity,
		Limits: media.Limits{
			MaxUploadBytes:          a.cfg.Media.MaxUploadBytes,
			MaxConcurrentUploads:    a.cfg.Media.MaxConcurrentUploads,
			MaxUploadsPerAccount:    a.cfg.Media.MaxUploadsPerAccount,
			UploadIdleTimeout:       a.cfg.Media.UploadIdleTimeout,
			UploadMinBytesPerSecond: uploadMinRate(a.cfg.Media.UploadMinKiBps),
			UploadRateGrace:         a.cfg.Media.UploadRateGrace,
			AudioURLTTL:             a.cfg.Media.AudioURLTTL,
		},
	})
	a.legal = legal.New(legal.Deps{
		DB: a.infra.DB, Logger: a.logger, Metrics: a.metrics,
		Catalog: legalCatalog{a.catalog}, Media: a.media,
		Scanner: a.scanner(), Sender: a.chatSender(),
		Workflows: legalWorkflows{
			notices: notice.NewStarter(a.infra.Temporal), takedowns: takedown.NewStarter(a.infra.Temporal),
			Starter: dmca.NewStarter(a.infra.Temporal),
		},
		Config: legal.Config{
			AdminDID: a.cfg.Legal.ModerationAdminDID, ThresholdPct: a.cfg.Legal.CopyrightThresholdPct,
			RepeatInfringerThreshold: a.cfg.Legal.RepeatInfringerThreshold, ReportsPerHour: a.cfg.Legal.ReportsPerHour,
			PublicURL: a.cfg.Identity.PublicURL,
		},
	})
	a.sharing = sharing.New(sharing.Deps{
		DB: a.infra.DB, Logger: a.logger, Metrics: a.metrics,
		Catalog: sharingCatalog{a.catalog}, Accounts: sharingAccounts{a.identity},
		Records: recordsync.NewStarter(a.infra.Temporal),
		Config: sharing.Config{
			PublicURL: a.cfg.Identity.PublicURL, TealNamespaces: a.identity.TealNamespaces(),
			ClientAgent: a.namespace + "/1.0",
		},
	})
	a.subsonic = subsonic.New(subsonic.Deps{
		Logger: a.logger, Auth: a.identity, Services: a.catalog.Services(),
		Library: subsonicLibrary{a.catalog}, Media: subsonicMedia{a.media},
		Config: subsonic.Config{PublicURL: a.cfg.Identity.PublicURL, ServerVersion: serverVersion()},
	})
	return nil
}

// serverVersion is the version plyr tells Subsonic apps: the commit it was built from.
func serverVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}

// recordSources are the owners of every collection plyr writes: the catalog's, and
// sharing's teal records.
func (a *App) recordSources() map[string]recordsact.Source {
	sources := a.catalog.RecordSources()
	maps.Copy(sources, a.sharing.RecordSources())
	return sources
}

// scanner is AudD when a token is configured; nil (scans off) otherwise.
func (a *App) scanner() legal.Scanner {
	if a.cfg.Legal.AuddToken == "" {
		return nil
	}
	return audd.New(audd.Config{URL: a.cfg.Legal.AuddURL, Token: a.cfg.Legal.AuddToken, HTTPClient: a.infra.AuddClient})
}

// chatSender sends DMs from the platform account, when one is configured.
func (a *App) chatSender() legal.Sender {
	if a.infra.ChatSender != nil {
		return a.infra.ChatSender
	}
	if a.cfg.Legal.PlatformHandle == "" || a.cfg.Legal.PlatformPassword == "" {
		return nil
	}
	return chatDMs{chat.New(chat.Config{
		Directory: a.infra.ATProto.Directory, HTTPClient: a.infra.ATProto.HTTPClient,
		Identifier: a.cfg.Legal.PlatformHandle, Password: a.cfg.Legal.PlatformPassword,
		ServiceDID: a.cfg.Legal.ChatServiceDID,
	})}
}

// chatDMs is the platform account's chat as legal's Sender.
type chatDMs struct{ s *chat.Sender }

func (c chatDMs) Send(ctx context.Context, recipientDID, text string, dedupeAfter time.Time) (string, error) {
	sent, err := c.s.Send(ctx, recipientDID, text, dedupeAfter)
	return sent.MessageID, err
}

func (c chatDMs) Category(err error) string { return string(chat.CategoryOf(err)) }

// legalCatalog is the catalog as legal's Catalog.
type legalCatalog struct{ catalog *catalog.Module }

func (l legalCatalog) Track(ctx context.Context, id uuid.UUID) (legal.Track, bool, error) {
	t, err := l.catalog.DescribeTrack(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return legal.Track{}, false, nil
	}
	if err != nil {
		return legal.Track{}, false, err
	}
	return legal.Track{
		ID: t.ID, Title: t.Title, ArtistDID: t.ArtistDID, ArtistHandle: t.ArtistHandle, FileID: t.FileID, Public: t.Public,
	}, true, nil
}

// legalWorkflows are the starters of legal's workflows.
type legalWorkflows struct {
	notices   *notice.Starter
	takedowns *takedown.Starter
	*dmca.Starter
}

func (l legalWorkflows) SendNotice(ctx context.Context, key string) error {
	return l.notices.SendNotice(ctx, key)
}

func (l legalWorkflows) ApplyTakedown(ctx context.Context, trackID uuid.UUID) error {
	return l.takedowns.ApplyTakedown(ctx, trackID)
}

// uploadMinRate is the media module's minimum upload rate for PLYR_UPLOAD_MIN_KIBPS,
// where 0 means no minimum (the module reads 0 as its default, and negative as none).
func uploadMinRate(kibps int) int64 {
	if kibps <= 0 {
		return -1
	}
	return int64(kibps) << 10
}

// identityConfig turns the environment's identity settings into the module's.
func identityConfig(c config.Identity, allowLoopbackPDS bool) (identity.Config, error) {
	out := identity.Config{
		PublicURL: c.PublicURL, Namespace: c.Namespace, ClientKeyID: c.OAuthClientKeyID,
		SessionTTL: c.SessionTTL, AdminDIDs: c.AdminDIDs, AccountCreation: c.AccountCreation,
		AllowLoopbackPDS: allowLoopbackPDS, TermsVersion: legal.TermsVersion(), TealNamespaces: c.TealNamespaces,
	}
	for _, o := range c.PDSOptions {
		out.PDSOptions = append(out.PDSOptions, identity.PDSOption{Name: o.Name, URL: o.URL, Recommended: o.Recommended, Description: o.Description})
	}
	if c.OAuthClientKey != "" {
		key, err := atcrypto.ParsePrivateMultibase(c.OAuthClientKey)
		if err != nil {
			return identity.Config{}, fmt.Errorf("PLYR_OAUTH_CLIENT_KEY: %w", err)
		}
		out.ClientKey = key
	}
	return out, nil
}

// startSignInSync starts the sync that follows a sign-in. A failure is logged, not the
// sign-in's: the next sign-in syncs again, and records left pending are resumed by
// housekeeping.
func (a *App) startSignInSync(ctx context.Context, did string) {
	if err := signinsync.Start(ctx, a.infra.Temporal, did); err != nil {
		a.logger.ErrorContext(ctx, "start the sign-in sync", "did", did, "error", err.Error())
	}
}

// catalogAccounts is the identity module as the catalog's Accounts.
type catalogAccounts struct{ identity *identity.Module }

func (c catalogAccounts) Profiles(ctx context.Context, dids []string) (map[string]catalog.AccountProfile, error) {
	profiles, err := c.identity.Profiles(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]catalog.AccountProfile, len(profiles))
	for did, p := range profiles {
		out[did] = catalog.AccountProfile{
			Handle: p.Handle, DisplayName: p.DisplayName, AvatarURL: p.AvatarURL,
			SupportURL: p.SupportURL, ShowLikedOnProfile: p.ShowLikedOnProfile, AllowComments: p.AllowComments,
		}
	}
	return out, nil
}

func (c catalogAccounts) DIDByHandle(ctx context.Context, handle string) (string, bool, error) {
	did, err := c.identity.DIDByHandle(ctx, handle)
	if errors.Is(err, identity.ErrNotFound) {
		return "", false, nil
	}
	return did, err == nil, err
}

func (c catalogAccounts) HiddenTags(ctx context.Context, did string) ([]string, error) {
	return c.identity.HiddenTags(ctx, did)
}

func (c catalogAccounts) SearchAccounts(ctx context.Context, q string, limit int) ([]catalog.AccountMatch, error) {
	found, err := c.identity.SearchAccounts(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	out := make([]catalog.AccountMatch, 0, len(found))
	for _, f := range found {
		out = append(out, catalog.AccountMatch{DID: f.DID, Score: f.Score})
	}
	return out, nil
}

func (c catalogAccounts) ResolveHandle(ctx context.Context, handle string) (string, bool) {
	return c.identity.ResolveHandle(ctx, handle)
}

// catalogImages is the media module as the catalog's Images. The media module is built
// after the catalog, hence the function.
type catalogImages struct{ media func() *media.Module }

func (c catalogImages) Image(ctx context.Context, id uuid.UUID) (catalog.Image, bool, error) {
	img, err := c.media().Image(ctx, id)
	if errors.Is(err, media.ErrImageNotFound) {
		return catalog.Image{}, false, nil
	}
	if err != nil {
		return catalog.Image{}, false, err
	}
	return catalog.Image{OwnerDID: img.OwnerDID, URL: img.URL, ThumbURL: img.ThumbURL}, true, nil
}

// mediaTracks is the catalog as the media module's PDSTracks.
type mediaTracks struct{ catalog *catalog.Module }

func (m mediaTracks) PDSTracks(ctx context.Context, artist string, ids []uuid.UUID) ([]uuid.UUID, error) {
	candidates, err := m.catalog.PDSCandidates(ctx, artist, ids)
	out := make([]uuid.UUID, 0, len(candidates))
	for _, c := range candidates {
		out = append(out, c.TrackID)
	}
	return out, err
}

func (m mediaTracks) ExportTracks(ctx context.Context, artist string) ([]mediaact.ExportItem, error) {
	list, err := m.catalog.ExportTracks(ctx, artist)
	out := make([]mediaact.ExportItem, 0, len(list))
	for _, t := range list {
		out = append(out, mediaact.ExportItem{FileID: t.FileID, Title: t.Title})
	}
	return out, err
}

// catalogCleanup is the media module as the catalog's Cleanup (built after the catalog).
type catalogCleanup struct{ media func() *media.Module }

func (c catalogCleanup) RemoveFile(ctx context.Context, id uuid.UUID) error {
	return c.media().RemoveFile(ctx, id)
}

func (c catalogCleanup) DeleteImage(ctx context.Context, id uuid.UUID) error {
	return c.media().DeleteImage(ctx, id)
}

// catalogPlays is the sharing module as the catalog's PlayObserver (built after it).
type catalogPlays struct{ sharing func() *sharing.Module }

func (c catalogPlays) PlayCounted(ctx context.Context, p catalog.CountedPlay) error {
	return c.sharing().PlayCounted(ctx, sharing.CountedPlay{
		TrackID: p.TrackID, ListenerDID: p.ListenerDID, Visitor: p.Visitor, Ref: p.Ref,
		ListenedMs: p.ListenedMs, CountedAt: p.CountedAt,
	})
}

// sharingCatalog is the catalog as sharing's Catalog.
type sharingCatalog struct{ *catalog.Module }

func (s sharingCatalog) PageCounts(ctx context.Context) (map[sharing.PageKind]int64, error) {
	counts, err := s.SitemapCounts(ctx)
	out := make(map[sharing.PageKind]int64, len(counts))
	for k, n := range counts {
		out[sharing.PageKind(k)] = n
	}
	return out, err
}

func (s sharingCatalog) Pages(ctx context.Context, kind sharing.PageKind, skip, limit int) ([]sharing.PageEntry, error) {
	entries, err := s.SitemapPage(ctx, catalog.SitemapKind(kind), skip, limit)
	out := make([]sharing.PageEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, sharing.PageEntry{ID: e.ID, ArtistDID: e.ArtistDID, Slug: e.Slug, UpdatedAt: e.UpdatedAt})
	}
	return out, err
}

// sharingAccounts is identity as sharing's Accounts.
type sharingAccounts struct{ identity *identity.Module }

func (s sharingAccounts) TealTarget(ctx context.Context, did string) (bool, string, error) {
	return s.identity.TealTarget(ctx, did)
}

func (s sharingAccounts) People(ctx context.Context, dids []string) (map[string]sharing.Person, error) {
	profiles, err := s.identity.Profiles(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]sharing.Person, len(profiles))
	for did, p := range profiles {
		out[did] = sharing.Person{Handle: p.Handle, DisplayName: p.DisplayName, AvatarURL: p.AvatarURL}
	}
	return out, nil
}

// subsonicLibrary is the catalog's library as subsonic's Library.
type subsonicLibrary struct{ catalog *catalog.Module }

func (s subsonicLibrary) LibraryTracks(ctx context.Context, q subsonic.TrackQuery) ([]*catalogv1.Track, error) {
	return s.catalog.LibraryTracks(ctx, catalog.LibraryTrackQuery(q))
}

func (s subsonicLibrary) LibrarySingles(ctx context.Context, did string) ([]*catalogv1.Track, error) {
	return s.catalog.LibrarySingles(ctx, did)
}

func (s subsonicLibrary) LibraryRandomTracks(ctx context.Context, tag string, limit int) ([]*catalogv1.Track, error) {
	return s.catalog.LibraryRandomTracks(ctx, tag, limit)
}

func (s subsonicLibrary) LibraryTopTracks(ctx context.Context, did string, limit int) ([]*catalogv1.Track, error) {
	return s.catalog.LibraryTopTracks(ctx, did, limit)
}

func (s subsonicLibrary) LibraryArtists(ctx context.Context, did string) ([]subsonic.Artist, error) {
	list, err := s.catalog.LibraryArtists(ctx, did)
	return convertAll(list, func(a catalog.LibraryArtist) subsonic.Artist { return subsonic.Artist(a) }), err
}

func (s subsonicLibrary) LibraryAlbums(ctx context.Context, q subsonic.AlbumQuery) ([]subsonic.Album, error) {
	list, err := s.catalog.LibraryAlbums(ctx, catalog.LibraryAlbumQuery{
		Order: catalog.LibraryAlbumOrder(q.Order), ArtistDID: q.ArtistDID, Tag: q.Tag,
		FromYear: q.FromYear, ToYear: q.ToYear, Skip: q.Skip, Limit: q.Limit,
	})
	return convertAll(list, func(a catalog.LibraryAlbum) subsonic.Album { return subsonic.Album(a) }), err
}

func (s subsonicLibrary) LibraryGenres(ctx context.Context) ([]subsonic.Genre, error) {
	list, err := s.catalog.LibraryGenres(ctx)
	return convertAll(list, func(g catalog.LibraryGenre) subsonic.Genre { return subsonic.Genre(g) }), err
}

func (s subsonicLibrary) LibraryNowPlaying(ctx context.Context) ([]subsonic.NowPlaying, error) {
	list, err := s.catalog.LibraryNowPlaying(ctx)
	return convertAll(list, func(n catalog.NowPlayingEntry) subsonic.NowPlaying { return subsonic.NowPlaying(n) }), err
}

func (s subsonicLibrary) Queue(ctx context.Context, did string) (subsonic.Queue, error) {
	q, err := s.catalog.Queue(ctx, did)
	return subsonic.Queue(q), err
}

func (s subsonicLibrary) SaveQueue(ctx context.Context, did string, trackIDs []string, current int32, positionMs int64) error {
	return s.catalog.SaveQueue(ctx, did, trackIDs, current, positionMs)
}

// convertAll converts each of list.
func convertAll[From, To any](list []From, convert func(From) To) []To {
	out := make([]To, 0, len(list))
	for _, x := range list {
		out = append(out, convert(x))
	}
	return out
}

// subsonicMedia is the media module as subsonic's Media.
type subsonicMedia struct{ media *media.Module }

func (s subsonicMedia) Playback(ctx context.Context, fileID uuid.UUID) (subsonic.Audio, error) {
	p, err := s.media.Playback(ctx, fileID)
	return subsonic.Audio(p), err
}

func (s subsonicMedia) DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (string, error) {
	return s.media.DownloadURL(ctx, fileID, filename)
}

func (s subsonicMedia) OpenPlayback(ctx context.Context, fileID uuid.UUID, offset int64) (io.ReadCloser, subsonic.Audio, error) {
	r, p, err := s.media.OpenPlayback(ctx, fileID, offset)
	return r, subsonic.Audio(p), err
}
