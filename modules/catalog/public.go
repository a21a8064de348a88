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
