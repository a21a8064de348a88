package catalog

import (
	"context"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/albums"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
)

func (h *handler) ListAlbums(ctx context.Context, req *catalogv1.ListAlbumsRequest) (*catalogv1.ListAlbumsResponse, error) {
	if d := req.GetArtistDid(); d != "" {
		if _, err := syntax.ParseDID(d); err != nil {
			return nil, ErrInvalidInput.Withf("artist_did is not a DID")
		}
	}
	page, err := h.m.albums.List(ctx, req.GetArtistDid(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out, err := h.albumProtos(ctx, page.Albums, viewer(ctx))
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListAlbumsResponse{Albums: out, NextPageToken: page.Next}, nil
}

func (h *handler) GetAlbum(ctx context.Context, req *catalogv1.GetAlbumRequest) (*catalogv1.GetAlbumResponse, error) {
	var album albums.Album
	var err error
	switch {
	case req.GetId() != "":
		id, perr := uuid.Parse(req.GetId())
		if perr != nil {
			return nil, ErrInvalidInput.Withf("id is not an album id")
		}
		album, err = h.m.albums.Get(ctx, id)
	case req.GetArtist() != "" && req.GetSlug() != "":
		did := req.GetArtist()
		if _, perr := syntax.ParseDID(did); perr != nil {
			a, aerr := h.artists.GetByHandle(ctx, did)
			if aerr != nil {
				return nil, ErrAlbumNotFound
			}
			did = a.DID
		}
		album, err = h.m.albums.GetBySlug(ctx, did, req.GetSlug())
	default:
		return nil, ErrInvalidInput.Withf("name the album by id, or by artist and slug")
	}
	if err != nil {
		return nil, err
	}
	me := viewer(ctx)
	list, err := h.tracks.AlbumTracks(ctx, album.ID, album.ItemURIs)
	if err != nil {
		return nil, err
	}
	protos, err := h.albumProtos(ctx, []albums.Album{album}, me)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetAlbumResponse{Album: protos[0]}
	for _, t := range list {
		out.Tracks = append(out.Tracks, trackProtoFor(t, me))
	}
	return out, nil
}

func (h *handler) UpdateAlbum(ctx context.Context, req *catalogv1.UpdateAlbumRequest) (*catalogv1.UpdateAlbumResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not an album id")
	}
	me := viewer(ctx)
	album, err := h.m.albums.Update(ctx, id, me, albums.Edit{Title: req.Title, Description: req.Description, ImageID: req.ImageId})
	if err != nil {
		return nil, err
	}
	protos, err := h.albumProtos(ctx, []albums.Album{album}, me)
	if err != nil {
		return nil, err
	}
	return &catalogv1.UpdateAlbumResponse{Album: protos[0]}, nil
}

func (h *handler) RemoveAlbumTrack(ctx context.Context, req *catalogv1.RemoveAlbumTrackRequest) (*catalogv1.RemoveAlbumTrackResponse, error) {
	albumID, err1 := uuid.Parse(req.GetAlbumId())
	trackID, err2 := uuid.Parse(req.GetTrackId())
	if err1 != nil || err2 != nil {
		return nil, ErrInvalidInput.Withf("album_id and track_id must be ids")
	}
	if err := h.m.albums.RemoveTrack(ctx, albumID, trackID, viewer(ctx)); err != nil {
		return nil, err
	}
	return &catalogv1.RemoveAlbumTrackResponse{}, nil
}

func (h *handler) DeleteAlbum(ctx context.Context, req *catalogv1.DeleteAlbumRequest) (*catalogv1.DeleteAlbumResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not an album id")
	}
	if err := h.m.albums.Delete(ctx, id, viewer(ctx), req.GetCascade(), h.tracks.Delete); err != nil {
		return nil, err
	}
	return &catalogv1.DeleteAlbumResponse{}, nil
}

// albumProtos are albums as viewer sees them, with their artists' names.
func (h *handler) albumProtos(ctx context.Context, list []albums.Album, viewer string) ([]*catalogv1.Album, error) {
	var dids []string
	seen := map[string]bool{}
	for _, a := range list {
		if !seen[a.ArtistDID] {
			seen[a.ArtistDID] = true
			dids = append(dids, a.ArtistDID)
		}
	}
	people, err := h.artists.GetMany(ctx, dids)
	if err != nil {
		return nil, err
	}
	byDID := make(map[string]artists.Artist, len(people))
	for _, p := range people {
		byDID[p.DID] = p
	}
	out := make([]*catalogv1.Album, 0, len(list))
	for _, a := range list {
		artist := byDID[a.ArtistDID]
		out = append(out, &catalogv1.Album{
			Id: a.ID.String(), ArtistDid: a.ArtistDID, ArtistHandle: artist.Handle, ArtistDisplayName: artist.DisplayName,
			Slug: a.Slug, Title: a.Title, Description: a.Description, ImageUrl: a.ImageURL, ThumbUrl: a.ThumbURL,
			TrackCount: a.Tracks, TotalPlays: a.Plays, CreatedAt: timestamppb.New(a.CreatedAt),
			Record: recordProto(a.Record, viewer != "" && viewer == a.ArtistDID),
		})
	}
	return out, nil
}
