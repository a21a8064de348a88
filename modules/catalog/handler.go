package catalog

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

// handler adapts the CatalogService to the tracks feature: decode, call, encode. Errors
// are returned as they are: the service's error interceptor maps them (rpc.ConnectError)
// and logs what clients must not see.
type handler struct{ tracks *tracks.Tracks }

// viewer is the signed-in caller's DID, or "".
func viewer(ctx context.Context) string {
	if c := rpc.CallerFrom(ctx); c != nil {
		return c.DID
	}
	return ""
}

func (h *handler) ListTracks(ctx context.Context, req *catalogv1.ListTracksRequest) (*catalogv1.ListTracksResponse, error) {
	page, err := h.tracks.List(ctx, tracks.ListQuery{
		ArtistDID: req.GetArtistDid(), Viewer: viewer(ctx), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	out := make([]*catalogv1.Track, 0, len(page.Tracks))
	for _, t := range page.Tracks {
		out = append(out, trackProto(t))
	}
	return &catalogv1.ListTracksResponse{Tracks: out, NextPageToken: page.Next}, nil
}

func (h *handler) GetTrack(ctx context.Context, req *catalogv1.GetTrackRequest) (*catalogv1.GetTrackResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a track id")
	}
	t, err := h.tracks.Get(ctx, id, viewer(ctx))
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetTrackResponse{Track: trackProto(t)}, nil
}

func trackProto(t tracks.Track) *catalogv1.Track {
	out := &catalogv1.Track{
		Id: t.ID.String(), Title: t.Title, ArtistDid: t.ArtistDID, ArtistHandle: t.ArtistHandle,
		Status: statusProto(t.Status), DurationMs: t.DurationMs, CreatedAt: timestamppb.New(t.CreatedAt),
	}
	if t.FileID != nil {
		out.FileId = t.FileID.String()
	}
	return out
}

func statusProto(s tracks.Status) catalogv1.TrackStatus {
	switch s {
	case tracks.StatusReady:
		return catalogv1.TrackStatus_TRACK_STATUS_READY
	case tracks.StatusProcessing:
		return catalogv1.TrackStatus_TRACK_STATUS_PROCESSING
	default:
		return catalogv1.TrackStatus_TRACK_STATUS_UNSPECIFIED
	}
}
