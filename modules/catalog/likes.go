package catalog

import (
	"context"
	"slices"
	"strings"

	"github.com/bluesky-social/indigo/atproto/syntax"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/likes"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

func parseTrackID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, ErrInvalidInput.Withf("track_id is not a track id")
	}
	return id, nil
}

func (h *handler) LikeTrack(ctx context.Context, req *catalogv1.LikeTrackRequest) (*catalogv1.LikeTrackResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	res, err := h.m.likes.Like(ctx, viewer(ctx), id)
	if err != nil {
		return nil, err
	}
	return &catalogv1.LikeTrackResponse{Liked: res.Liked, LikeCount: res.Count}, nil
}

func (h *handler) UnlikeTrack(ctx context.Context, req *catalogv1.UnlikeTrackRequest) (*catalogv1.UnlikeTrackResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	res, err := h.m.likes.Unlike(ctx, viewer(ctx), id)
	if err != nil {
		return nil, err
	}
	return &catalogv1.UnlikeTrackResponse{Liked: res.Liked, LikeCount: res.Count}, nil
}

func (h *handler) ListLikers(ctx context.Context, req *catalogv1.ListLikersRequest) (*catalogv1.ListLikersResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	page, err := h.m.likes.Likers(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	dids := make([]string, 0, len(page.Likers))
	for _, l := range page.Likers {
		dids = append(dids, l.DID)
	}
	people, err := h.people(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.ListLikersResponse{Total: page.Total, NextPageToken: page.Next}
	for _, l := range page.Likers {
		out.Likers = append(out.Likers, &catalogv1.Liker{Person: people[l.DID], LikedAt: timestamppb.New(l.LikedAt)})
	}
	return out, nil
}

func (h *handler) ListLikedTracks(ctx context.Context, req *catalogv1.ListLikedTracksRequest) (*catalogv1.ListLikedTracksResponse, error) {
	me := viewer(ctx)
	whose := me
	if handle := req.GetHandle(); strings.HasPrefix(handle, "did:") {
		whose = handle
	} else if handle != "" {
		did, ok, err := h.m.accts.DIDByHandle(ctx, strings.ToLower(strings.TrimPrefix(handle, "@")))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrArtistNotFound
		}
		whose = did
	}
	if whose == "" {
		return nil, ErrInvalidInput.Withf("name whose likes to list (handle), or sign in for yours")
	}
	profiles, err := h.m.accts.Profiles(ctx, []string{whose})
	if err != nil {
		return nil, err
	}
	if whose != me && !profiles[whose].ShowLikedOnProfile {
		return nil, likes.ErrNotShown
	}
	people, err := h.people(ctx, []string{whose})
	if err != nil {
		return nil, err
	}
	page, err := h.m.likes.Liked(ctx, whose, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := h.tracks.ByIDs(ctx, page.TrackIDs)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.ListLikedTracksResponse{Total: page.Total, NextPageToken: page.Next, Person: people[whose]}
	if out.Tracks, err = h.trackProtos(ctx, list, me); err != nil {
		return nil, err
	}
	if whose == me {
		out.ListRecord = recordProto(page.List, true)
	}
	return out, nil
}

func (h *handler) ReorderLikedTracks(ctx context.Context, req *catalogv1.ReorderLikedTracksRequest) (*catalogv1.ReorderLikedTracksResponse, error) {
	ids := make([]uuid.UUID, 0, len(req.GetTrackIds()))
	for _, s := range req.GetTrackIds() {
		id, err := parseTrackID(s)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := h.m.likes.Reorder(ctx, viewer(ctx), ids); err != nil {
		return nil, err
	}
	return &catalogv1.ReorderLikedTracksResponse{}, nil
}

// people returns each DID among dids as a Person: by the name they set in plyr, else
// their Bluesky name, else their handle; a DID plyr does not know shows itself.
func (h *handler) people(ctx context.Context, dids []string) (map[string]*catalogv1.Person, error) {
	dids = slices.Compact(slices.Sorted(slices.Values(dids)))
	out := make(map[string]*catalogv1.Person, len(dids))
	for batch := range slices.Chunk(dids, artists.MaxBatch) {
		known, err := h.artists.GetMany(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, a := range known {
			out[a.DID] = &catalogv1.Person{Did: a.DID, Handle: a.Handle, DisplayName: a.DisplayName, AvatarUrl: a.AvatarURL}
		}
	}
	var rest []string
	for _, d := range dids {
		if out[d] == nil {
			rest = append(rest, d)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	profiles, err := h.m.accts.Profiles(ctx, rest) // listeners who never became artists
	if err != nil {
		return nil, err
	}
	for _, d := range rest {
		p, ok := profiles[d]
		if !ok {
			out[d] = &catalogv1.Person{Did: d, Handle: syntax.HandleInvalid.String(), DisplayName: d}
			continue
		}
		out[d] = &catalogv1.Person{Did: d, Handle: p.Handle, DisplayName: artists.DisplayName("", p), AvatarUrl: p.AvatarURL}
	}
	return out, nil
}

// trackProtos are tracks as viewer sees them, with whether they like each.
func (h *handler) trackProtos(ctx context.Context, list []tracks.Track, viewer string) ([]*catalogv1.Track, error) {
	ids := make([]uuid.UUID, 0, len(list))
	for _, t := range list {
		ids = append(ids, t.ID)
	}
	liked, err := h.m.likes.LikedAmong(ctx, viewer, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*catalogv1.Track, 0, len(list))
	for _, t := range list {
		p := trackProtoFor(t, viewer)
		p.Liked = liked[t.ID]
		out = append(out, p)
	}
	return out, nil
}
