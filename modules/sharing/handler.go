package sharing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordsact "github.com/plyrfm/plyr/activities/records"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	sharingv1 "github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1"
	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/sharing/internal/links"
	"github.com/plyrfm/plyr/modules/sharing/internal/scrobbles"
)

// Errors of the module, each with the Connect code and the message a client sees.
var (
	// ErrInvalidInput marks a request refused for what it says.
	ErrInvalidInput = links.ErrInvalidInput
	// ErrTrackNotFound marks a track that is not public.
	ErrTrackNotFound = rpc.NewError(connect.CodeNotFound, "track not found")
)

type handler struct{ m *Module }

func caller(ctx context.Context) string {
	if c := rpc.CallerFrom(ctx); c != nil {
		return c.DID
	}
	return ""
}

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return int(n)
}

func (h *handler) CreateShareLink(ctx context.Context, req *sharingv1.CreateShareLinkRequest) (*sharingv1.CreateShareLinkResponse, error) {
	id, err := uuid.Parse(req.GetTrackId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("track_id is not a track id")
	}
	if _, err := h.m.catalog.PublicTrack(ctx, id); rpc.IsNotFound(err) {
		return nil, ErrTrackNotFound
	} else if err != nil {
		return nil, err
	}
	code, err := h.m.links.Create(ctx, caller(ctx), id)
	if err != nil {
		return nil, err
	}
	return &sharingv1.CreateShareLinkResponse{Code: code, Url: h.m.trackURL(id.String()) + "?ref=" + code}, nil
}

func (h *handler) RecordShareVisit(ctx context.Context, req *sharingv1.RecordShareVisitRequest) (*sharingv1.RecordShareVisitResponse, error) {
	id, err := uuid.Parse(req.GetTrackId())
	if err != nil || !links.ValidCode(req.GetCode()) {
		// Answered like any other visit: the answer says nothing about codes.
		return &sharingv1.RecordShareVisitResponse{}, nil
	}
	who := links.Person{DID: caller(ctx)}
	if who.DID == "" {
		call, ok := connect.CallInfoForHandlerContext(ctx)
		if !ok {
			return &sharingv1.RecordShareVisitResponse{}, nil
		}
		if who.Visitor, err = h.m.catalog.VisitorKey(ctx, call.Peer().Addr, call.RequestHeader()); err != nil {
			return nil, err
		}
	}
	if err := h.m.links.Use(ctx, req.GetCode(), id, links.Visit, who); err != nil {
		return nil, err
	}
	return &sharingv1.RecordShareVisitResponse{}, nil
}

func (h *handler) ListMyShareLinks(ctx context.Context, req *sharingv1.ListMyShareLinksRequest) (*sharingv1.ListMyShareLinksResponse, error) {
	used, next, err := h.m.links.ListUsed(ctx, caller(ctx), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	var dids []string
	for _, u := range used {
		for _, c := range append(append([]links.Count{}, u.Visitors...), u.Listeners...) {
			dids = append(dids, c.DID)
		}
	}
	people, err := h.m.accounts.People(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := &sharingv1.ListMyShareLinksResponse{NextPageToken: next}
	for _, u := range used {
		link := &sharingv1.ShareLink{
			Code: u.Code, Url: h.m.trackURL(u.TrackID.String()) + "?ref=" + u.Code, TrackId: u.TrackID.String(),
			CreatedAt: timestamppb.New(u.CreatedAt), LastUsedAt: timestamppb.New(u.LastUsedAt),
			VisitorCount: u.VisitorCount, ListenerCount: u.ListenerCount,
			AnonymousVisits: u.AnonymousVisits, AnonymousPlays: u.AnonymousPlays,
			Visitors: personProtos(u.Visitors, people), Listeners: personProtos(u.Listeners, people),
		}
		// A track that is gone (or hidden) leaves its link listed without a title.
		if t, err := h.m.catalog.PublicTrack(ctx, u.TrackID); err == nil {
			link.TrackTitle, link.TrackArtworkUrl = t.GetTitle(), t.GetThumbUrl()
		} else if !rpc.IsNotFound(err) {
			return nil, err
		}
		out.Links = append(out.Links, link)
	}
	return out, nil
}

func personProtos(counts []links.Count, people map[string]Person) []*sharingv1.SharePerson {
	out := make([]*sharingv1.SharePerson, 0, len(counts))
	for _, c := range counts {
		p := people[c.DID]
		out = append(out, &sharingv1.SharePerson{
			Did: c.DID, Handle: p.Handle, DisplayName: p.DisplayName, AvatarUrl: p.AvatarURL, Count: c.Count,
		})
	}
	return out
}

func (h *handler) GetScrobbleStatus(ctx context.Context, _ *sharingv1.GetScrobbleStatusRequest) (*sharingv1.GetScrobbleStatusResponse, error) {
	did := caller(ctx)
	enabled, ns, err := h.m.accounts.TealTarget(ctx, did)
	if err != nil {
		return nil, err
	}
	out := &sharingv1.GetScrobbleStatusResponse{Enabled: enabled, NeedsPermission: enabled && ns == ""}
	if ns != "" {
		out.Collection, _ = scrobbles.Collections(ns)
	}
	last, err := h.m.scrobbles.Page(ctx, did, cursor.FirstMark.At, cursor.FirstMark.Name, 1)
	if err != nil {
		return nil, err
	}
	if len(last) == 1 {
		out.Last = scrobbleProto(last[0])
	}
	return out, nil
}

func (h *handler) ListMyScrobbles(ctx context.Context, req *sharingv1.ListMyScrobblesRequest) (*sharingv1.ListMyScrobblesResponse, error) {
	mark, err := cursor.DecodeMark(req.GetPageToken())
	if err != nil {
		return nil, ErrInvalidInput.Withf("page_token is not one plyr gave")
	}
	size := pageSize(req.GetPageSize())
	rows, err := h.m.scrobbles.Page(ctx, caller(ctx), mark.At, mark.Name, size+1)
	if err != nil {
		return nil, err
	}
	out := &sharingv1.ListMyScrobblesResponse{}
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		out.NextPageToken = cursor.EncodeMark(cursor.Mark{At: last.PlayedAt, Name: last.Rkey})
	}
	for _, r := range rows {
		out.Scrobbles = append(out.Scrobbles, scrobbleProto(r))
	}
	return out, nil
}

func scrobbleProto(s scrobbles.Scrobble) *sharingv1.Scrobble {
	out := &sharingv1.Scrobble{
		Uri:     recordsact.Ref{DID: s.Did, Collection: s.Collection, RKey: s.Rkey}.URI(),
		TrackId: s.TrackID.String(), TrackTitle: s.TrackName, PlayedAt: timestamppb.New(s.PlayedAt),
		State: sharingv1.ScrobbleState_SCROBBLE_STATE_PENDING,
	}
	if len(s.Artists) > 0 {
		out.ArtistName = s.Artists[0]
	}
	switch s.State {
	case "written":
		out.State = sharingv1.ScrobbleState_SCROBBLE_STATE_WRITTEN
	case "failed":
		out.State = sharingv1.ScrobbleState_SCROBBLE_STATE_FAILED
		if s.Reason != nil {
			out.Failure = *s.Reason
		}
	}
	return out
}

// scrobble records a signed-in listener's counted play for teal.fm and starts its
// records' writes, when they asked for scrobbles and their grant allows them.
func (m *Module) scrobble(ctx context.Context, p CountedPlay) error {
	enabled, ns, err := m.accounts.TealTarget(ctx, p.ListenerDID)
	if err != nil {
		return fmt.Errorf("teal target: %w", err)
	}
	if !enabled || ns == "" {
		return nil
	}
	t, err := m.catalog.PublicTrack(ctx, p.TrackID)
	if rpc.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	play := scrobbles.Play{
		DID: p.ListenerDID, Namespace: ns, TrackID: p.TrackID, TrackName: t.GetTitle(),
		Artists: artistNames(t), Release: t.GetAlbum().GetTitle(), OriginURL: m.trackURL(t.GetId()),
		StartedAt: startOf(p, t.GetDurationMs()),
	}
	if d := t.GetDurationMs(); d > 0 {
		s := (d + 500) / 1000
		play.DurationS = &s
	}
	refs, err := m.scrobbles.Record(ctx, play)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range refs {
		// A start that fails leaves the scrobble pending: housekeeping starts it later.
		errs = append(errs, m.records.Start(ctx, ref))
	}
	return errors.Join(errs...)
}

// startOf is when a counted play began: its report's arrival less what was heard (at most
// the track's length), all as the catalog recorded it.
func startOf(p CountedPlay, durationMs int32) time.Time {
	heard := p.ListenedMs
	if durationMs > 0 && heard > int64(durationMs) {
		heard = int64(durationMs)
	}
	if heard < 0 {
		heard = 0
	}
	return p.CountedAt.Add(-time.Duration(heard) * time.Millisecond)
}

// artistNames are the track's artist and its featured artists, by display name (or
// handle).
func artistNames(t *catalogv1.Track) []string {
	name := func(display, handle string) string {
		if display != "" {
			return display
		}
		return handle
	}
	out := []string{name(t.GetArtistDisplayName(), t.GetArtistHandle())}
	for _, f := range t.GetFeatures() {
		if n := name(f.GetDisplayName(), f.GetHandle()); n != "" {
			out = append(out, n)
		}
	}
	if out[0] == "" {
		out[0] = t.GetArtistDid()
	}
	return out
}
