package catalog

import (
	"context"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/playlists"
	"github.com/plyrfm/plyr/modules/catalog/internal/search"
)

var searchKinds = map[catalogv1.SearchKind]search.Kind{
	catalogv1.SearchKind_SEARCH_KIND_TRACK:    search.Track,
	catalogv1.SearchKind_SEARCH_KIND_ARTIST:   search.Artist,
	catalogv1.SearchKind_SEARCH_KIND_ALBUM:    search.Album,
	catalogv1.SearchKind_SEARCH_KIND_TAG:      search.Tag,
	catalogv1.SearchKind_SEARCH_KIND_PLAYLIST: search.Playlist,
}

func searchKindProto(k search.Kind) catalogv1.SearchKind {
	for p, kind := range searchKinds {
		if kind == k {
			return p
		}
	}
	return catalogv1.SearchKind_SEARCH_KIND_UNSPECIFIED
}

func (h *handler) Search(ctx context.Context, req *catalogv1.SearchRequest) (*catalogv1.SearchResponse, error) {
	var kinds []search.Kind
	for _, k := range req.GetKinds() {
		kind, ok := searchKinds[k]
		if !ok {
			return nil, ErrInvalidInput.Withf("kinds holds an unknown kind (%d)", k)
		}
		kinds = append(kinds, kind)
	}
	ans, err := h.m.search.Find(ctx, req.GetQ(), kinds, int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	// Hydrate each kind in one call, then answer in relevance order.
	var trackIDs, albumIDs, playlistIDs []uuid.UUID
	var dids []string
	for _, r := range ans.Results {
		switch r.Kind {
		case search.Track:
			trackIDs = append(trackIDs, uuid.MustParse(r.ID))
		case search.Album:
			albumIDs = append(albumIDs, uuid.MustParse(r.ID))
		case search.Playlist:
			playlistIDs = append(playlistIDs, uuid.MustParse(r.ID))
		case search.Artist:
			dids = append(dids, r.ID)
		}
	}
	me := viewer(ctx)
	list, err := h.tracks.ByIDs(ctx, trackIDs)
	if err != nil {
		return nil, err
	}
	trackProtos, err := h.trackProtos(ctx, list, me)
	if err != nil {
		return nil, err
	}
	tracksByID := map[string]*catalogv1.Track{}
	for _, t := range trackProtos {
		tracksByID[t.Id] = t
	}
	people, err := h.people(ctx, dids)
	if err != nil {
		return nil, err
	}
	found, err := h.m.albums.GetMany(ctx, albumIDs) // those deleted since they matched are left out
	if err != nil {
		return nil, err
	}
	albumProtos, err := h.albumProtos(ctx, found, me)
	if err != nil {
		return nil, err
	}
	albumsByID := map[string]*catalogv1.Album{}
	for _, a := range albumProtos {
		albumsByID[a.Id] = a
	}
	var foundPlaylists []playlists.Playlist
	for _, id := range playlistIDs {
		if p, err := h.m.playlists.Get(ctx, id, me); err == nil { // one deleted since it matched is left out
			foundPlaylists = append(foundPlaylists, p)
		}
	}
	playlistProtos, err := h.playlistProtos(ctx, foundPlaylists)
	if err != nil {
		return nil, err
	}
	playlistsByID := map[string]*catalogv1.Playlist{}
	for _, p := range playlistProtos {
		playlistsByID[p.Id] = p
	}

	out := &catalogv1.SearchResponse{Query: ans.Query}
	for _, r := range ans.Results {
		res := &catalogv1.SearchResult{Kind: searchKindProto(r.Kind), Relevance: r.Relevance}
		switch r.Kind {
		case search.Track:
			t := tracksByID[r.ID]
			if t == nil {
				continue
			}
			res.Item = &catalogv1.SearchResult_Track{Track: t}
		case search.Artist:
			res.Item = &catalogv1.SearchResult_Artist{Artist: people[r.ID]}
		case search.Album:
			a := albumsByID[r.ID]
			if a == nil {
				continue
			}
			res.Item = &catalogv1.SearchResult_Album{Album: a}
		case search.Tag:
			res.Item = &catalogv1.SearchResult_Tag{Tag: &catalogv1.TagCount{Name: r.ID, TrackCount: r.TagTracks}}
		case search.Playlist:
			p := playlistsByID[r.ID]
			if p == nil {
				continue
			}
			res.Item = &catalogv1.SearchResult_Playlist{Playlist: p}
		}
		out.Results = append(out.Results, res)
	}
	for _, k := range []search.Kind{search.Track, search.Artist, search.Album, search.Tag, search.Playlist} {
		if n, ok := ans.Counts[k]; ok {
			out.Counts = append(out.Counts, &catalogv1.SearchCount{Kind: searchKindProto(k), Count: n})
		}
	}
	return out, nil
}

func (h *handler) SearchHandles(ctx context.Context, req *catalogv1.SearchHandlesRequest) (*catalogv1.SearchHandlesResponse, error) {
	dids, err := h.m.search.Handles(ctx, req.GetQ(), int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	people, err := h.people(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.SearchHandlesResponse{}
	for _, d := range dids {
		out.People = append(out.People, people[d])
	}
	return out, nil
}
