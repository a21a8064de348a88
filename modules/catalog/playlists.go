package catalog

import (
	"context"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/playlists"
)

func parsePlaylistID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, ErrInvalidInput.Withf("not a playlist id: %q", s)
	}
	return id, nil
}

func (h *handler) CreatePlaylist(ctx context.Context, req *catalogv1.CreatePlaylistRequest) (*catalogv1.CreatePlaylistResponse, error) {
	p, err := h.m.playlists.Create(ctx, viewer(ctx), req.GetName(), req.GetShowOnProfile(), req.GetPrivate())
	if err != nil {
		return nil, err
	}
	out, err := h.playlistProto(ctx, p)
	return &catalogv1.CreatePlaylistResponse{Playlist: out}, err
}

func (h *handler) GetPlaylist(ctx context.Context, req *catalogv1.GetPlaylistRequest) (*catalogv1.GetPlaylistResponse, error) {
	id, err := parsePlaylistID(req.GetId())
	if err != nil {
		return nil, err
	}
	me := viewer(ctx)
	p, err := h.m.playlists.Get(ctx, id, me)
	if err != nil {
		return nil, err
	}
	items, err := h.m.playlists.Items(ctx, id)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(items))
	for _, it := range items {
		if it.TrackID != nil {
			ids = append(ids, *it.TrackID)
		}
	}
	list, err := h.tracks.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	protos, err := h.trackProtos(ctx, list, me)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*catalogv1.Track, len(protos))
	for _, t := range protos {
		byID[t.Id] = t
	}
	out := &catalogv1.GetPlaylistResponse{}
	if out.Playlist, err = h.playlistProto(ctx, p); err != nil {
		return nil, err
	}
	for _, it := range items {
		item := &catalogv1.PlaylistItem{Id: it.ID.String(), Uri: it.URI}
		if it.TrackID != nil {
			item.Track = byID[it.TrackID.String()]
		}
		item.Available = item.Track != nil // deleted, or taken down: listed, not playable
		out.Items = append(out.Items, item)
	}
	return out, nil
}

func (h *handler) ListPlaylists(ctx context.Context, req *catalogv1.ListPlaylistsRequest) (*catalogv1.ListPlaylistsResponse, error) {
	me := viewer(ctx)
	owner := req.GetOwnerDid()
	if owner == "" {
		if me == "" {
			return nil, ErrInvalidInput.Withf("name whose playlists to list (owner_did), or sign in for yours")
		}
		owner = me
	} else if _, err := syntax.ParseDID(owner); err != nil {
		return nil, ErrInvalidInput.Withf("owner_did is not a DID")
	}
	page, err := h.m.playlists.List(ctx, owner, me, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := h.playlistProtos(ctx, page.Playlists)
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListPlaylistsResponse{Playlists: list, NextPageToken: page.Next}, nil
}

func (h *handler) UpdatePlaylist(ctx context.Context, req *catalogv1.UpdatePlaylistRequest) (*catalogv1.UpdatePlaylistResponse, error) {
	id, err := parsePlaylistID(req.GetId())
	if err != nil {
		return nil, err
	}
	p, err := h.m.playlists.Update(ctx, id, viewer(ctx), playlists.Change{
		Name: req.Name, ShowOnProfile: req.ShowOnProfile, Private: req.Private, ImageID: req.ImageId,
	})
	if err != nil {
		return nil, err
	}
	out, err := h.playlistProto(ctx, p)
	return &catalogv1.UpdatePlaylistResponse{Playlist: out}, err
}

func (h *handler) DeletePlaylist(ctx context.Context, req *catalogv1.DeletePlaylistRequest) (*catalogv1.DeletePlaylistResponse, error) {
	id, err := parsePlaylistID(req.GetId())
	if err != nil {
		return nil, err
	}
	return &catalogv1.DeletePlaylistResponse{}, h.m.playlists.Delete(ctx, id, viewer(ctx))
}

func (h *handler) AddPlaylistTrack(ctx context.Context, req *catalogv1.AddPlaylistTrackRequest) (*catalogv1.AddPlaylistTrackResponse, error) {
	id, err := parsePlaylistID(req.GetPlaylistId())
	if err != nil {
		return nil, err
	}
	track, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	p, err := h.m.playlists.AddTrack(ctx, id, viewer(ctx), track)
	if err != nil {
		return nil, err
	}
	out, err := h.playlistProto(ctx, p)
	return &catalogv1.AddPlaylistTrackResponse{Playlist: out}, err
}

func (h *handler) RemovePlaylistTrack(ctx context.Context, req *catalogv1.RemovePlaylistTrackRequest) (*catalogv1.RemovePlaylistTrackResponse, error) {
	id, err := parsePlaylistID(req.GetPlaylistId())
	if err != nil {
		return nil, err
	}
	item, err := uuid.Parse(req.GetItemId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("item_id is not an entry id")
	}
	p, err := h.m.playlists.RemoveItem(ctx, id, viewer(ctx), item)
	if err != nil {
		return nil, err
	}
	out, err := h.playlistProto(ctx, p)
	return &catalogv1.RemovePlaylistTrackResponse{Playlist: out}, err
}

func (h *handler) ReorderPlaylist(ctx context.Context, req *catalogv1.ReorderPlaylistRequest) (*catalogv1.ReorderPlaylistResponse, error) {
	id, err := parsePlaylistID(req.GetPlaylistId())
	if err != nil {
		return nil, err
	}
	items := make([]uuid.UUID, 0, len(req.GetItemIds()))
	for _, s := range req.GetItemIds() {
		item, err := uuid.Parse(s)
		if err != nil {
			return nil, ErrInvalidInput.Withf("item_ids holds %q, not an entry id", s)
		}
		items = append(items, item)
	}
	p, err := h.m.playlists.Reorder(ctx, id, viewer(ctx), items)
	if err != nil {
		return nil, err
	}
	out, err := h.playlistProto(ctx, p)
	return &catalogv1.ReorderPlaylistResponse{Playlist: out}, err
}

func (h *handler) playlistProto(ctx context.Context, p playlists.Playlist) (*catalogv1.Playlist, error) {
	out, err := h.playlistProtos(ctx, []playlists.Playlist{p})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// playlistProtos are playlists as the caller sees them, their owners read once.
func (h *handler) playlistProtos(ctx context.Context, list []playlists.Playlist) ([]*catalogv1.Playlist, error) {
	owners := make([]string, 0, len(list))
	for _, p := range list {
		owners = append(owners, p.OwnerDID)
	}
	people, err := h.people(ctx, owners)
	if err != nil {
		return nil, err
	}
	me := viewer(ctx)
	out := make([]*catalogv1.Playlist, 0, len(list))
	for _, p := range list {
		pp := &catalogv1.Playlist{
			Id: p.ID.String(), OwnerDid: p.OwnerDID, OwnerHandle: people[p.OwnerDID].GetHandle(), Name: p.Name,
			TrackCount: p.TrackCount, ImageUrl: p.ImageURL, ThumbUrl: p.ThumbURL, ShowOnProfile: p.ShowOnProfile,
			Private: p.Private, CreatedAt: timestamppb.New(p.CreatedAt), UpdatedAt: timestamppb.New(p.UpdatedAt),
		}
		if !p.Private {
			pp.Record = recordProto(p.Record, me == p.OwnerDID)
		}
		out = append(out, pp)
	}
	return out, nil
}
