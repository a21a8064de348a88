package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/cursor"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Page sizes of ListTracks.
const (
	defaultPageSize = 50
	maxPageSize     = 100
)

// handler adapts the CatalogService to the module. Errors are returned as they are: the
// service's error interceptor maps them (rpc.ConnectError) and logs what clients must not see.
type handler struct{ m *Module }

func (h *handler) ListTracks(ctx context.Context, req *catalogv1.ListTracksRequest) (*catalogv1.ListTracksResponse, error) {
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size < 0 || size > maxPageSize:
		return nil, invalid("page_size must be between 1 and %d", maxPageSize)
	}
	after, err := cursor.Decode(req.GetPageToken())
	if err != nil {
		return nil, invalid("page_token is not one this service issued")
	}

	var rows []db.Track
	if artist := req.GetArtistDid(); artist != "" {
		if _, err := syntax.ParseDID(artist); err != nil {
			return nil, invalid("artist_did is not a DID")
		}
		caller := rpc.CallerFrom(ctx)
		rows, err = h.m.q.ListArtistTracks(ctx, db.ListArtistTracksParams{
			ArtistDid:         artist,
			IncludeProcessing: caller != nil && caller.DID == artist,
			BeforeCreatedAt:   after.CreatedAt,
			BeforeID:          after.ID,
			PageLimit:         int32(size + 1),
		})
	} else {
		rows, err = h.m.q.ListReadyTracks(ctx, db.ListReadyTracksParams{
			BeforeCreatedAt: after.CreatedAt, BeforeID: after.ID, PageLimit: int32(size + 1),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list tracks: %w", err)
	}

	// One row more than the page was asked for: its presence says another page exists.
	var next string
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	tracks, err := h.toProto(ctx, rows)
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListTracksResponse{Tracks: tracks, NextPageToken: next}, nil
}

func (h *handler) GetTrack(ctx context.Context, req *catalogv1.GetTrackRequest) (*catalogv1.GetTrackResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, invalid("id is not a track id")
	}
	row, err := h.m.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get track %s: %w", id, err)
	}
	if row.Status != "ready" {
		// A track still processing is its artist's business only.
		if caller := rpc.CallerFrom(ctx); caller == nil || caller.DID != row.ArtistDid {
			return nil, ErrNotFound
		}
	}
	tracks, err := h.toProto(ctx, []db.Track{row})
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetTrackResponse{Track: tracks[0]}, nil
}

// toProto converts rows, looking up all their artists' handles in one call.
func (h *handler) toProto(ctx context.Context, rows []db.Track) ([]*catalogv1.Track, error) {
	dids := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ArtistDid] {
			seen[r.ArtistDid] = true
			dids = append(dids, r.ArtistDid)
		}
	}
	handles, err := h.m.handles.Handles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("artist handles: %w", err)
	}
	out := make([]*catalogv1.Track, 0, len(rows))
	for _, r := range rows {
		t := &catalogv1.Track{
			Id:           r.ID.String(),
			Title:        r.Title,
			ArtistDid:    r.ArtistDid,
			ArtistHandle: handles[r.ArtistDid],
			Status:       statusToProto(r.Status),
			CreatedAt:    timestamppb.New(r.CreatedAt),
		}
		if r.FileID != nil {
			t.FileId = r.FileID.String()
		}
		if r.DurationMs != nil {
			t.DurationMs = *r.DurationMs
		}
		out = append(out, t)
	}
	return out, nil
}

func statusToProto(s string) catalogv1.TrackStatus {
	switch s {
	case "ready":
		return catalogv1.TrackStatus_TRACK_STATUS_READY
	case "processing":
		return catalogv1.TrackStatus_TRACK_STATUS_PROCESSING
	default:
		return catalogv1.TrackStatus_TRACK_STATUS_UNSPECIFIED
	}
}

func invalid(format string, args ...any) error { return ErrInvalidInput.Withf(format, args...) }
