package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/queue"
)

// ErrRestarting ends streams when the server shuts down; clients reconnect.
var ErrRestarting = rpc.NewError(connect.CodeUnavailable, "the server is restarting; reconnect")

func queueProto(q queue.Queue) *catalogv1.WatchQueueResponse {
	s := q.State
	return &catalogv1.WatchQueueResponse{Revision: q.Revision, State: &catalogv1.QueueState{
		TrackIds: s.TrackIDs, CurrentIndex: s.CurrentIndex, Shuffle: s.Shuffle, OriginalOrderIds: s.OriginalOrderIDs, PositionMs: int64(s.PositionMs),
	}}
}

// WatchQueue sends the caller's queue, then again whenever any process writes it.
func (h *handler) WatchQueue(ctx context.Context, _ *catalogv1.WatchQueueRequest, stream *connect.ServerStream[catalogv1.WatchQueueResponse]) error {
	me := viewer(ctx)
	h.m.startHub()
	w := h.m.hub.Watch(me) // before the first read: a change in between wakes us
	defer w.Close()
	last := int64(-1)
	for {
		q, err := h.m.queues.Get(ctx, me)
		if err != nil {
			return err
		}
		if q.Revision != last {
			last = q.Revision
			if err := stream.Send(queueProto(q)); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.m.draining:
			return ErrRestarting
		case <-w.Changed():
		}
	}
}

func (h *handler) SetNowPlaying(ctx context.Context, req *catalogv1.SetNowPlayingRequest) (*catalogv1.SetNowPlayingResponse, error) {
	id, err := parseTrackID(req.GetTrackId())
	if err != nil {
		return nil, err
	}
	if _, err := h.tracks.Get(ctx, id, viewer(ctx)); err != nil {
		return nil, err
	}
	err = h.m.queues.SetNowPlaying(ctx, viewer(ctx), queue.NowPlaying{TrackID: id, ProgressMs: req.GetProgressMs(), IsPlaying: req.GetIsPlaying()})
	return &catalogv1.SetNowPlayingResponse{}, err
}

func (h *handler) ClearNowPlaying(ctx context.Context, _ *catalogv1.ClearNowPlayingRequest) (*catalogv1.ClearNowPlayingResponse, error) {
	return &catalogv1.ClearNowPlayingResponse{}, h.m.queues.ClearNowPlaying(ctx, viewer(ctx))
}

// queueBody is the JSON of GET and PUT /queue.
type queueBody struct {
	Revision int64       `json:"revision"`
	State    queue.State `json:"state"`
}

func etag(revision int64) string { return `"` + strconv.FormatInt(revision, 10) + `"` }

// parseETag reads a revision from an ETag ("3", or W/"3").
func parseETag(v string) (int64, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0, false
	}
	n, err := strconv.ParseInt(v[1:len(v)-1], 10, 64)
	return n, err == nil && n >= 0
}

func writeQueue(w http.ResponseWriter, status int, q queue.Queue) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", etag(q.Revision))
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(queueBody{Revision: q.Revision, State: q.State})
}

// handleGetQueue answers GET /queue: the caller's queue with its revision as ETag, or 304
// when If-None-Match names the revision it has.
func (m *Module) handleGetQueue(w http.ResponseWriter, r *http.Request) {
	me := rpc.CallerFrom(r.Context()).DID
	q, err := m.queues.Get(r.Context(), me)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	for _, tag := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if rev, ok := parseETag(tag); ok && rev == q.Revision {
			w.Header().Set("ETag", etag(q.Revision))
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	writeQueue(w, http.StatusOK, q)
}

// handlePutQueue answers PUT /queue: the queue written over the revision If-Match names
// (any revision without one), or 409 with the queue as it is when that revision is stale.
func (m *Module) handlePutQueue(w http.ResponseWriter, r *http.Request) {
	me := rpc.CallerFrom(r.Context()).DID
	expected := int64(-1)
	if v := r.Header.Get("If-Match"); v != "" && strings.TrimSpace(v) != "*" {
		rev, ok := parseETag(v)
		if !ok {
			rpc.WriteHTTPError(w, r, m.logger, queue.ErrInvalidInput.Withf("If-Match is not a queue revision"))
			return
		}
		expected = rev
	}
	var body struct {
		State *queue.State `json:"state"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, queue.MaxStateBytes+1024))
	if err := dec.Decode(&body); err != nil || body.State == nil {
		rpc.WriteHTTPError(w, r, m.logger, queue.ErrInvalidInput.Withf("the body is not {\"state\": {…}}"))
		return
	}
	q, err := m.queues.Put(r.Context(), me, *body.State, expected)
	if errors.Is(err, queue.ErrStale) {
		writeQueue(w, http.StatusConflict, q)
		return
	}
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	writeQueue(w, http.StatusOK, q)
}

// nowPlayingBody is the teal/Piper-compatible now-playing shape.
type nowPlayingBody struct {
	TrackName      string `json:"track_name"`
	ArtistName     string `json:"artist_name"`
	AlbumName      string `json:"album_name,omitempty"`
	DurationMs     int32  `json:"duration_ms"`
	ProgressMs     int64  `json:"progress_ms"`
	IsPlaying      bool   `json:"is_playing"`
	TrackID        string `json:"track_id"`
	FileID         string `json:"file_id"`
	TrackURL       string `json:"track_url"`
	ImageURL       string `json:"image_url,omitempty"`
	ServiceBaseURL string `json:"service_base_url"`
}

func (m *Module) handleNowPlayingByHandle(w http.ResponseWriter, r *http.Request) {
	did, ok, err := m.accts.DIDByHandle(r.Context(), strings.ToLower(r.PathValue("handle")))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	if !ok {
		rpc.WriteHTTPError(w, r, m.logger, ErrArtistNotFound)
		return
	}
	m.writeNowPlaying(w, r, did)
}

func (m *Module) handleNowPlayingByDID(w http.ResponseWriter, r *http.Request) {
	did, err := syntax.ParseDID(r.PathValue("did"))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, ErrInvalidInput.Withf("not a DID"))
		return
	}
	m.writeNowPlaying(w, r, did.String())
}

// writeNowPlaying answers what did plays: 204 when nothing, or paused.
func (m *Module) writeNowPlaying(w http.ResponseWriter, r *http.Request, did string) {
	np, ok, err := m.queues.GetNowPlaying(r.Context(), did)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if !ok || !np.IsPlaying {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	t, err := m.tracks.Get(r.Context(), np.TrackID, "")
	if err != nil {
		w.WriteHeader(http.StatusNoContent) // the track went away meanwhile
		return
	}
	base := strings.TrimRight(m.cfg.PublicURL, "/")
	body := nowPlayingBody{
		TrackName: t.Title, ArtistName: t.ArtistName, DurationMs: t.DurationMs,
		ProgressMs: min(np.Progress(time.Now()), int64(t.DurationMs)), IsPlaying: true,
		TrackID: t.ID.String(), TrackURL: base + "/track/" + t.ID.String(), ImageURL: t.ImageURL, ServiceBaseURL: base,
	}
	if t.Album != nil {
		body.AlbumName = t.Album.Title
	}
	if t.FileID != nil && *t.FileID != uuid.Nil {
		body.FileID = t.FileID.String()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
