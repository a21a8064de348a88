package catalog

import (
	"context"
	"fmt"
	"net"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog/internal/plays"
)

func (h *handler) RecordPlay(ctx context.Context, req *catalogv1.RecordPlayRequest) (*catalogv1.RecordPlayResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	listener := plays.Listener{DID: viewer(ctx)}
	if listener.DID == "" {
		if call, ok := connect.CallInfoForHandlerContext(ctx); ok {
			listener.Addr = h.m.clientAddr(call.Peer().Addr, call.RequestHeader())
			listener.UserAgent = call.RequestHeader().Get("User-Agent")
		}
	}
	res, err := h.m.plays.Record(ctx, plays.Report{TrackID: id, ListenedMs: req.GetListenedMs(), Ref: req.GetRef(), Listener: listener})
	if err != nil {
		return nil, err
	}
	if res.Counted {
		h.m.playCounted(ctx, res.Play)
	}
	return &catalogv1.RecordPlayResponse{Counted: res.Counted, PlayCount: res.Count}, nil
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

// hostOf is the address part of host:port (the default client address: no proxy).
func hostOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func (h *handler) ListTopTracks(ctx context.Context, req *catalogv1.ListTopTracksRequest) (*catalogv1.ListTopTracksResponse, error) {
	limit := int(req.GetLimit())
	switch {
	case limit <= 0:
		limit = 10
	case limit > 50:
		limit = 50
	}
	by := plays.ByLikes
	if req.GetBy() == catalogv1.TopBy_TOP_BY_PLAYS {
		by = plays.ByPlays
	}
	var window time.Duration // all time
	switch req.GetWindow() {
	case catalogv1.TopWindow_TOP_WINDOW_DAY:
		window = 24 * time.Hour
	case catalogv1.TopWindow_TOP_WINDOW_WEEK:
		window = 7 * 24 * time.Hour
	case catalogv1.TopWindow_TOP_WINDOW_MONTH:
		window = 30 * 24 * time.Hour
	}
	ranked, err := h.m.plays.Top(ctx, by, window, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(ranked))
	for _, r := range ranked {
		ids = append(ids, r.TrackID)
	}
	list, err := h.tracks.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	protos, err := h.trackProtos(ctx, list, viewer(ctx))
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int64, len(ranked))
	for _, r := range ranked {
		counts[r.TrackID.String()] = r.Count
	}
	out := &catalogv1.ListTopTracksResponse{}
	for _, t := range protos {
		out.Tracks = append(out.Tracks, &catalogv1.TopTrack{Track: t, Count: counts[t.Id]})
	}
	return out, nil
}

func (h *handler) GetPlatformStats(ctx context.Context, _ *catalogv1.GetPlatformStatsRequest) (*catalogv1.GetPlatformStatsResponse, error) {
	s, err := h.m.plays.Stats(ctx)
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetPlatformStatsResponse{
		TotalPlays: s.TotalPlays, TotalTracks: s.TotalTracks, TotalArtists: s.TotalArtists, TotalDurationSeconds: s.TotalDurationSeconds,
	}, nil
}
