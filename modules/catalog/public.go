package catalog

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// The catalog's public reads, for pages other modules render (link previews, embeds,
// oEmbed, the sitemap) and for scrobbles: each answers exactly what GetTrack, GetAlbum,
// GetPlaylist and GetArtist answer someone who is not signed in, so nothing private can
// leak through them. A thing that is not public is an error for which rpc.IsNotFound holds.

// reader is a handler for the module's own reads.
func (m *Module) reader() *handler { return &handler{m: m, tracks: m.tracks, artists: m.artists} }

// PublicTrack is a public track.
func (m *Module) PublicTrack(ctx context.Context, id uuid.UUID) (*catalogv1.Track, error) {
	res, err := m.reader().GetTrack(rpc.Anonymous(ctx), &catalogv1.GetTrackRequest{Id: id.String()})
	if err != nil {
		return nil, err
	}
	return res.Track, nil
}

// PublicAlbum is an album with its tracks, by id or by artist (handle or DID) and slug.
func (m *Module) PublicAlbum(ctx context.Context, req *catalogv1.GetAlbumRequest) (*catalogv1.GetAlbumResponse, error) {
	return m.reader().GetAlbum(rpc.Anonymous(ctx), req)
}

// PublicPlaylist is a playlist that is not private, with its tracks.
func (m *Module) PublicPlaylist(ctx context.Context, id uuid.UUID) (*catalogv1.GetPlaylistResponse, error) {
	return m.reader().GetPlaylist(rpc.Anonymous(ctx), &catalogv1.GetPlaylistRequest{Id: id.String()})
}

// PublicArtist is an artist, by handle or DID.
func (m *Module) PublicArtist(ctx context.Context, handleOrDID string) (*catalogv1.Artist, error) {
	req := &catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Handle{Handle: handleOrDID}}
	if strings.HasPrefix(handleOrDID, "did:") {
		req = &catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Did{Did: handleOrDID}}
	}
	res, err := m.reader().GetArtist(rpc.Anonymous(ctx), req)
	if err != nil {
		return nil, err
	}
	return res.Artist, nil
}

// VisitorKey is an anonymous visitor's hash for today, the one their plays are counted
// under: a share link's visits and plays by the same visitor agree.
func (m *Module) VisitorKey(ctx context.Context, remoteAddr string, h http.Header) (string, error) {
	return m.plays.VisitorKey(ctx, m.clientAddr(remoteAddr, h), h.Get("User-Agent"))
}

// playCounted tells the observer of a counted play. The play is committed whatever the
// observer makes of it: a failure there is logged, never the listener's, and the play
// stays pending for ResumePlayHandOffs.
func (m *Module) playCounted(ctx context.Context, p CountedPlay) {
	if m.observer == nil || !p.Pending {
		return
	}
	if err := m.handOff(ctx, p); err != nil {
		m.logger.ErrorContext(ctx, "a counted play's follow-up failed", "track", p.TrackID.String(), "error", err.Error())
	}
}

func (m *Module) handOff(ctx context.Context, p CountedPlay) error {
	if err := m.observer.PlayCounted(ctx, p); err != nil {
		return err
	}
	return m.plays.HandedOff(ctx, p.ID)
}

// maxHandOffAge is how long a counted play's failing hand-off is tried again: a
// scrobble or a listen receipt a day late is given up.
const maxHandOffAge = 24 * time.Hour

// ResumePlayHandOffs hands the observer again at most limit counted plays whose hand-off
// has not succeeded since before stalledSince (housekeeping): a process that died between
// a play's commit and its hand-off. It returns how many it handed off; a play that still
// fails is tried on the next run, until it is maxHandOffAge old.
func (m *Module) ResumePlayHandOffs(ctx context.Context, stalledSince time.Time, limit int) (int, error) {
	if m.observer == nil {
		return 0, nil
	}
	pending, err := m.plays.PendingHandOffs(ctx, stalledSince, limit)
	if err != nil {
		return 0, err
	}
	handed, failed, tooOld := 0, 0, time.Now().Add(-maxHandOffAge)
	var firstErr error
	for _, p := range pending {
		err := m.handOff(ctx, p)
		switch {
		case err == nil:
			handed++
		case p.CountedAt.Before(tooOld):
			m.logger.WarnContext(ctx, "a counted play's follow-up given up", "play", p.ID, "track", p.TrackID.String(), "error", err.Error())
			if err := m.plays.HandedOff(ctx, p.ID); err != nil {
				return handed, err
			}
		default:
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		return handed, fmt.Errorf("%d of %d counted plays not handed off, the first: %w", failed, len(pending), firstErr)
	}
	return handed, nil
}

// SitemapKind is a kind of public page.
type SitemapKind string

// The kinds of page in the sitemap.
const (
	SitemapTracks    SitemapKind = "tracks"
	SitemapArtists   SitemapKind = "artists"
	SitemapAlbums    SitemapKind = "albums"
	SitemapPlaylists SitemapKind = "playlists"
)

// SitemapEntry is one public page: ID for tracks and playlists, ArtistDID for artists,
// ArtistDID and Slug for albums.
type SitemapEntry struct {
	ID        uuid.UUID
	ArtistDID string
	Slug      string
	UpdatedAt time.Time
}

// SitemapCounts counts the public pages of each kind.
func (m *Module) SitemapCounts(ctx context.Context) (map[SitemapKind]int64, error) {
	c, err := m.q.SitemapCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("count public pages: %w", err)
	}
	return map[SitemapKind]int64{
		SitemapTracks: c.Tracks, SitemapArtists: c.Artists, SitemapAlbums: c.Albums, SitemapPlaylists: c.Playlists,
	}, nil
}

// SitemapPage returns up to limit public pages of kind, skipping the first skip.
func (m *Module) SitemapPage(ctx context.Context, kind SitemapKind, skip, limit int) ([]SitemapEntry, error) {
	var out []SitemapEntry
	switch kind {
	case SitemapTracks:
		rows, err := m.q.SitemapTracks(ctx, db.SitemapTracksParams{Skip: int32(skip), PageSize: int32(limit)})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SitemapEntry{ID: r.ID, UpdatedAt: r.UpdatedAt})
		}
	case SitemapArtists:
		rows, err := m.q.SitemapArtists(ctx, db.SitemapArtistsParams{Skip: int32(skip), PageSize: int32(limit)})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SitemapEntry{ArtistDID: r.ArtistDid, UpdatedAt: r.UpdatedAt})
		}
	case SitemapAlbums:
		rows, err := m.q.SitemapAlbums(ctx, db.SitemapAlbumsParams{Skip: int32(skip), PageSize: int32(limit)})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SitemapEntry{ArtistDID: r.ArtistDid, Slug: r.Slug, UpdatedAt: r.UpdatedAt})
		}
	case SitemapPlaylists:
		rows, err := m.q.SitemapPlaylists(ctx, db.SitemapPlaylistsParams{Skip: int32(skip), PageSize: int32(limit)})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, SitemapEntry{ID: r.ID, UpdatedAt: r.UpdatedAt})
		}
	default:
		return nil, fmt.Errorf("no sitemap of %q", kind)
	}
	return out, nil
}
