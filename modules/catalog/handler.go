package catalog

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordsact "github.com/plyrfm/plyr/activities/records"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

// handler adapts the CatalogService to the tracks feature: decode, call, encode. Errors
// are returned as they are: the service's error interceptor maps them (rpc.ConnectError)
// and logs what clients must not see.
type handler struct {
	m       *Module
	tracks  *tracks.Tracks
	artists *artists.Artists
}

// viewer is the signed-in caller's DID, or "".
func viewer(ctx context.Context) string {
	if c := rpc.CallerFrom(ctx); c != nil {
		return c.DID
	}
	return ""
}

// takenDownForAdmin shows an administrator a track a moderation decision took down (to
// review it and restore it); anyone else, and any other hidden track, is not found.
func (h *handler) takenDownForAdmin(ctx context.Context, id uuid.UUID) (tracks.Track, error) {
	if c := rpc.CallerFrom(ctx); c == nil || !c.Admin {
		return tracks.Track{}, tracks.ErrNotFound
	}
	t, err := h.tracks.Describe(ctx, id)
	if err != nil || !t.TakenDown || t.Status != tracks.StatusReady {
		return tracks.Track{}, tracks.ErrNotFound
	}
	return t, nil
}

func (h *handler) ListTracks(ctx context.Context, req *catalogv1.ListTracksRequest) (*catalogv1.ListTracksResponse, error) {
	q := tracks.ListQuery{
		ArtistDID: req.GetArtistDid(), Viewer: viewer(ctx), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		Tag: req.GetTag(),
	}
	if q.ArtistDID == "" && q.Tag == "" { // the discovery feed hides the viewer's hidden tags
		q.HiddenTags = h.m.cfg.DefaultHiddenTags
		if q.Viewer != "" {
			hidden, err := h.m.accts.HiddenTags(ctx, q.Viewer)
			if err != nil {
				return nil, err
			}
			q.HiddenTags = hidden
		}
	}
	page, err := h.tracks.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out, err := h.trackProtos(ctx, page.Tracks, q.Viewer)
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListTracksResponse{Tracks: out, NextPageToken: page.Next}, nil
}

func (h *handler) GetTrack(ctx context.Context, req *catalogv1.GetTrackRequest) (*catalogv1.GetTrackResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a track id")
	}
	me := viewer(ctx)
	t, err := h.tracks.Get(ctx, id, me)
	if errors.Is(err, tracks.ErrNotFound) {
		t, err = h.takenDownForAdmin(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	out, err := h.trackProtos(ctx, []tracks.Track{t}, me)
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetTrackResponse{Track: withWaveforms(out, []tracks.Track{t})[0]}, nil
}

// maxGetTracks bounds GetTracks.
const maxGetTracks = 100

func (h *handler) GetTracks(ctx context.Context, req *catalogv1.GetTracksRequest) (*catalogv1.GetTracksResponse, error) {
	if len(req.GetIds()) > maxGetTracks {
		return nil, ErrInvalidInput.Withf("at most %d ids at once", maxGetTracks)
	}
	ids := make([]uuid.UUID, 0, len(req.GetIds()))
	for _, s := range req.GetIds() {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, ErrInvalidInput.Withf("%q is not a track id", s)
		}
		ids = append(ids, id)
	}
	list, err := h.tracks.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out, err := h.trackProtos(ctx, list, viewer(ctx))
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetTracksResponse{Tracks: withWaveforms(out, list)}, nil
}

func (h *handler) ListMyTracks(ctx context.Context, req *catalogv1.ListMyTracksRequest) (*catalogv1.ListMyTracksResponse, error) {
	me := viewer(ctx)
	page, err := h.tracks.List(ctx, tracks.ListQuery{
		ArtistDID: me, Viewer: me, PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
		UnsyncedOnly: req.GetUnsyncedOnly(),
	})
	if err != nil {
		return nil, err
	}
	out, err := h.trackProtos(ctx, page.Tracks, me)
	if err != nil {
		return nil, err
	}
	return &catalogv1.ListMyTracksResponse{Tracks: out, NextPageToken: page.Next}, nil
}

func (h *handler) RestoreRecord(ctx context.Context, req *catalogv1.RestoreRecordRequest) (*catalogv1.RestoreRecordResponse, error) {
	id, err := uuid.Parse(req.GetTrackId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("track_id is not a track id")
	}
	me := viewer(ctx)
	t, err := h.tracks.RestoreRecord(ctx, id, me)
	if err != nil {
		return nil, err
	}
	return &catalogv1.RestoreRecordResponse{Track: trackProtoFor(t, me)}, nil
}

func (h *handler) UpdateTrack(ctx context.Context, req *catalogv1.UpdateTrackRequest) (*catalogv1.UpdateTrackResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a track id")
	}
	e := tracks.Edit{Title: req.Title, Album: req.Album, ImageID: req.ImageId, SupportersOnly: req.SupportersOnly}
	if req.GetSetTags() {
		tags := req.GetTags()
		e.Tags = &tags
	}
	if req.GetSetFeatures() {
		features := req.GetFeatures()
		e.Features = &features
	}
	me := viewer(ctx)
	t, err := h.tracks.Edit(ctx, id, me, e)
	if err != nil {
		return nil, err
	}
	return &catalogv1.UpdateTrackResponse{Track: trackProtoFor(t, me)}, nil
}

func (h *handler) DeleteTrack(ctx context.Context, req *catalogv1.DeleteTrackRequest) (*catalogv1.DeleteTrackResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, ErrInvalidInput.Withf("id is not a track id")
	}
	if err := h.tracks.Delete(ctx, id, viewer(ctx)); err != nil {
		return nil, err
	}
	return &catalogv1.DeleteTrackResponse{}, nil
}

func (h *handler) ListTags(ctx context.Context, req *catalogv1.ListTagsRequest) (*catalogv1.ListTagsResponse, error) {
	list, err := h.m.tags.List(ctx, req.GetPrefix(), int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	out := make([]*catalogv1.TagCount, 0, len(list))
	for _, t := range list {
		out = append(out, &catalogv1.TagCount{Name: t.Name, TrackCount: t.Tracks})
	}
	return &catalogv1.ListTagsResponse{Tags: out}, nil
}

func (h *handler) GetConfig(context.Context, *catalogv1.GetConfigRequest) (*catalogv1.GetConfigResponse, error) {
	c := h.m.cfg
	return &catalogv1.GetConfigResponse{
		MaxUploadBytes: c.Public.MaxUploadBytes, MaxImageBytes: c.Public.MaxImageBytes,
		DefaultHiddenTags: c.DefaultHiddenTags, ContactEmail: c.Public.ContactEmail,
		PrivacyEmail: c.Public.PrivacyEmail, DmcaEmail: c.Public.DMCAEmail,
		MaxTags: tracks.MaxTags, MaxTagLength: tracks.MaxTagRunes, MaxFeatures: tracks.MaxFeatures,
	}, nil
}

// trackProtoFor is a track as viewer sees it.
func trackProtoFor(t tracks.Track, viewer string) *catalogv1.Track {
	out := &catalogv1.Track{
		Id: t.ID.String(), Title: t.Title, ArtistDid: t.ArtistDID, ArtistHandle: t.ArtistHandle,
		Status: statusProto(t.Status), DurationMs: t.DurationMs, CreatedAt: timestamppb.New(t.CreatedAt),
		FileType: t.FileType, Record: recordProto(t.Record, viewer != "" && viewer == t.ArtistDID),
		ArtistDisplayName: t.ArtistName, ArtistAvatarUrl: t.ArtistAvatarURL,
		PlayCount: t.Plays, LikeCount: t.Likes, CommentCount: t.Comments,
		Tags: t.Tags, ImageUrl: t.ImageURL, ThumbUrl: t.ThumbURL,
	}
	if a := t.Album; a != nil {
		out.Album = &catalogv1.AlbumSummary{Id: a.ID.String(), Slug: a.Slug, Title: a.Title, ImageUrl: a.ImageURL, ThumbUrl: a.ThumbURL}
	}
	for _, f := range t.Features {
		out.Features = append(out.Features, &catalogv1.FeaturedArtist{Did: f.DID, Handle: f.Handle, DisplayName: f.DisplayName})
	}
	if t.FileID != nil {
		out.FileId = t.FileID.String()
		out.ContentType = audioContentType(t.FileType)
	}
	if o := t.Original; o != nil {
		out.Original = &catalogv1.AudioFile{FileId: o.FileID.String(), FileType: o.FileType, ContentType: o.ContentType, SizeBytes: o.SizeBytes}
	}
	out.SupportersOnly = t.SupportersOnly
	out.TakenDown = t.TakenDown
	if viewer != "" && viewer == t.ArtistDID {
		out.PdsAudio = pdsAudioProto(t.PDS)
	}
	return out
}

// pdsAudioProto is where a track's audio stands with its artist's PDS.
func pdsAudioProto(p tracks.PDSAudio) *catalogv1.PdsAudio {
	out := &catalogv1.PdsAudio{Reason: p.Reason}
	switch p.State {
	case tracks.PDSOnPDS:
		out.State = catalogv1.PdsAudioState_PDS_AUDIO_STATE_ON_PDS
	case tracks.PDSTooLarge:
		out.State = catalogv1.PdsAudioState_PDS_AUDIO_STATE_TOO_LARGE
	case tracks.PDSFailed:
		out.State = catalogv1.PdsAudioState_PDS_AUDIO_STATE_FAILED
	}
	if ref, ok := p.Blob["ref"].(map[string]any); ok {
		out.BlobCid, _ = ref["$link"].(string)
	}
	if size, ok := p.Blob["size"].(float64); ok {
		out.SizeBytes = int64(size)
	}
	return out
}

// audioContentType is the media type of a playable file of type fileType: MP3 for every
// track since lossless originals are kept beside one, the lossless formats for tracks
// uploaded before that.
func audioContentType(fileType string) string {
	switch fileType {
	case "mp3":
		return "audio/mpeg"
	case "flac":
		return "audio/flac"
	case "wav":
		return "audio/wav"
	case "aif", "aiff":
		return "audio/aiff"
	case "m4a":
		return "audio/mp4"
	default:
		return "application/octet-stream"
	}
}

// withWaveforms fills the waveforms of out (the protos of list, in order): single-track
// reads only, so that lists stay small.
func withWaveforms(out []*catalogv1.Track, list []tracks.Track) []*catalogv1.Track {
	for i := range out {
		out[i].Waveform = list[i].Waveform
	}
	return out
}

// recordProto is a record's status; why it failed only for its owner.
func recordProto(s records.Status, owner bool) *catalogv1.RecordStatus {
	out := &catalogv1.RecordStatus{
		State: recordStateProto(s.State), Failure: recordFailureProto(s.Failure), Uri: s.URI, Cid: s.CID,
	}
	if owner {
		out.FailureReason = s.Reason
	}
	return out
}

func recordStateProto(s records.State) catalogv1.RecordState {
	switch s {
	case records.StatePending:
		return catalogv1.RecordState_RECORD_STATE_PENDING
	case records.StateSynced:
		return catalogv1.RecordState_RECORD_STATE_SYNCED
	case records.StateFailed:
		return catalogv1.RecordState_RECORD_STATE_FAILED
	default:
		return catalogv1.RecordState_RECORD_STATE_UNSPECIFIED
	}
}

func recordFailureProto(f recordsact.Failure) catalogv1.RecordFailure {
	switch f {
	case recordsact.FailureNetwork:
		return catalogv1.RecordFailure_RECORD_FAILURE_NETWORK
	case recordsact.FailureAuth:
		return catalogv1.RecordFailure_RECORD_FAILURE_AUTH
	case recordsact.FailureRejected:
		return catalogv1.RecordFailure_RECORD_FAILURE_REJECTED
	case recordsact.FailureScope:
		return catalogv1.RecordFailure_RECORD_FAILURE_SCOPE
	default:
		return catalogv1.RecordFailure_RECORD_FAILURE_UNSPECIFIED
	}
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
