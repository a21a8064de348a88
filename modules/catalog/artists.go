package catalog

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
)

func (h *handler) GetArtist(ctx context.Context, req *catalogv1.GetArtistRequest) (*catalogv1.GetArtistResponse, error) {
	var a artists.Artist
	var err error
	switch {
	case req.GetDid() != "":
		a, err = h.artists.Get(ctx, req.GetDid())
	case req.GetHandle() != "":
		a, err = h.artists.GetByHandle(ctx, req.GetHandle())
	default:
		return nil, ErrInvalidInput.Withf("name the artist by did or handle")
	}
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetArtistResponse{Artist: artistProto(a, viewer(ctx))}, nil
}

func (h *handler) GetArtists(ctx context.Context, req *catalogv1.GetArtistsRequest) (*catalogv1.GetArtistsResponse, error) {
	list, err := h.artists.GetMany(ctx, req.GetDids())
	if err != nil {
		return nil, err
	}
	me := viewer(ctx)
	out := make([]*catalogv1.Artist, 0, len(list))
	for _, a := range list {
		out = append(out, artistProto(a, me))
	}
	return &catalogv1.GetArtistsResponse{Artists: out}, nil
}

func (h *handler) UpdateMyProfile(ctx context.Context, req *catalogv1.UpdateMyProfileRequest) (*catalogv1.UpdateMyProfileResponse, error) {
	me := viewer(ctx)
	a, err := h.artists.UpdateProfile(ctx, me, artists.Update{DisplayName: req.DisplayName, Bio: req.Bio})
	if err != nil {
		return nil, err
	}
	return &catalogv1.UpdateMyProfileResponse{Artist: artistProto(a, me)}, nil
}

func (h *handler) GetArtistAnalytics(ctx context.Context, req *catalogv1.GetArtistAnalyticsRequest) (*catalogv1.GetArtistAnalyticsResponse, error) {
	an, err := h.artists.Analytics(ctx, req.GetDid())
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetArtistAnalyticsResponse{
		TotalPlays: an.Plays, TotalItems: an.Items, TotalDurationSeconds: an.DurationSeconds,
	}
	if t := an.TopPlayed; t != nil {
		out.TopPlayed = &catalogv1.TrackCount{TrackId: t.ID.String(), Title: t.Title, Count: t.Count}
	}
	if t := an.TopLiked; t != nil {
		out.TopLiked = &catalogv1.TrackCount{TrackId: t.ID.String(), Title: t.Title, Count: t.Count}
	}
	return out, nil
}

// artistProto is an artist as viewer sees them: why their profile record failed is theirs
// to know.
func artistProto(a artists.Artist, viewer string) *catalogv1.Artist {
	links := make([]*catalogv1.Link, 0, len(a.BioLinks))
	for _, l := range a.BioLinks {
		links = append(links, &catalogv1.Link{ByteStart: int32(l.Start), ByteEnd: int32(l.End), Uri: l.URI})
	}
	return &catalogv1.Artist{
		Did: a.DID, Handle: a.Handle, DisplayName: a.DisplayName, AvatarUrl: a.AvatarURL,
		Bio: a.Bio, BioLinks: links, SupportUrl: a.SupportURL, ShowLikedOnProfile: a.ShowLikedOnProfile,
		CreatedAt: timestamppb.New(a.CreatedAt), ProfileRecord: recordProto(a.Profile, viewer != "" && viewer == a.DID),
	}
}
