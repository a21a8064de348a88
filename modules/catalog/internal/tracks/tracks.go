// Package tracks is the catalog's tracks feature: a track appears as processing when its
// upload is accepted, becomes ready when its audio is published, and is listed and read
// by anyone once ready (by its artist alone before). A ready track is a record on its
// artist's PDS (record.go builds it); publishing the track starts the record's write.
// It owns the SQL; the module's handlers only decode requests and encode answers.
package tracks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/albums"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// Errors of the feature, with the Connect code and message a client sees. The module
// re-exports them.
var (
	// ErrNotFound marks a track that does not exist or is not the caller's to see.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "track not found")
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// ErrNotOwner marks a change to a track that is not the caller's.
	ErrNotOwner = rpc.NewError(connect.CodePermissionDenied, "this track is not yours")
	// ErrGateNeedsAtprotofans marks a gate asked for by an artist whose support link is
	// not atprotofans, where supporters are checked.
	ErrGateNeedsAtprotofans = rpc.NewError(connect.CodeFailedPrecondition,
		"to make a track for supporters only, set your support link to atprotofans first (settings)")
	// ErrNotReady marks a change that needs a track whose upload has finished.
	ErrNotReady = rpc.NewError(connect.CodeFailedPrecondition, "this track is still processing")
)

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// Status is where a track is in its life.
type Status string

// Statuses of a track.
const (
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
)

// Track is a track as the catalog shows it.
type Track struct {
	ID           uuid.UUID
	Title        string
	ArtistDID    string
	ArtistHandle string
	// ArtistName is the artist's display name (see artists.DisplayName); ArtistAvatarURL
	// their avatar, or "".
	ArtistName      string
	ArtistAvatarURL string
	Status          Status
	// FileID is the playable audio, once ready, and FileType its format (mp3…).
	FileID     *uuid.UUID
	FileType   string
	DurationMs int32
	CreatedAt  time.Time
	// RecordKey is the rkey of the track's record; Record where that record is.
	RecordKey string
	Record    records.Status
	// Counters (the listener side of the catalog fills them).
	Plays, Likes, Comments int64
	// Tags are the track's tags, by name; Album its album, or nil; Features its featured
	// artists.
	Tags     []string
	Album    *AlbumSummary
	Features []Feature
	// ImageURL and ThumbURL are the track's artwork (512 and 96 px), else its album's,
	// else "".
	ImageURL, ThumbURL string
	// Original is the lossless original kept beside the playable MP3, or nil.
	Original *Original
	// Waveform is the audio's peaks (0–255); empty while processing.
	Waveform []byte
	// SupportersOnly: the audio plays for the artist's supporters and the artist only.
	SupportersOnly bool
	// PDS is where the audio stands with the artist's PDS.
	PDS PDSAudio
	// TakenDown: a moderation decision hides the track from everyone but its artist.
	TakenDown bool
}

// public says whether anyone may see the track: ready, and not taken down.
func public(t db.Track) bool { return Status(t.Status) == StatusReady && !t.TakenDown }

// AlbumSummary is what a track view says of its album.
type AlbumSummary struct {
	ID                 uuid.UUID
	Slug, Title        string
	ImageURL, ThumbURL string
}

// Profiles finds what the identity module knows of accounts: handle, Bluesky display
// name, avatar.
type Profiles interface {
	Profiles(ctx context.Context, dids []string) (map[string]artists.AccountProfile, error)
}

// Beginner starts transactions (a pool, or a transaction for a savepoint in tests).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Tracks is the feature, over the catalog's queries.
type Tracks struct {
	db       Beginner
	q        *db.Queries
	records  *records.Store
	profiles Profiles
	// publicURL is where plyr serves audio: a record's audioUrl is publicURL/audio/<file-id>.
	publicURL string

	// What Edit needs besides (see WithEditing).
	albums   *albums.Albums
	resolver Resolver
	images   Images
	cleanup  Cleanup
	gates    Gates
}

// New returns the feature.
func New(conn Beginner, q *db.Queries, recs *records.Store, profiles Profiles, publicURL string) *Tracks {
	return &Tracks{db: conn, q: q, records: recs, profiles: profiles, publicURL: publicURL}
}

// WithEditing gives the feature what Edit and Delete need besides: the albums feature,
// handle resolution for features, artwork images, the removal of a deleted track's media,
// and the gate workflow's starts. It returns t.
func (t *Tracks) WithEditing(a *albums.Albums, resolver Resolver, images Images, cleanup Cleanup, gates Gates) *Tracks {
	t.albums, t.resolver, t.images, t.cleanup, t.gates = a, resolver, images, cleanup, gates
	return t
}

// Gate says whether a track is for supporters only and which files are its audio (the
// playable one and its original); found is false for a track that is gone or going.
func (t *Tracks) Gate(ctx context.Context, id uuid.UUID) (gated bool, files []uuid.UUID, found bool, err error) {
	row, err := t.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil, false, nil
	}
	if err != nil {
		return false, nil, false, fmt.Errorf("get track %s: %w", id, err)
	}
	for _, f := range []*uuid.UUID{row.Track.FileID, row.Track.OriginalFileID} {
		if f != nil {
			files = append(files, *f)
		}
	}
	return row.Track.SupportersOnly, files, true, nil
}

// ListQuery is what List is asked.
type ListQuery struct {
	// ArtistDID lists one artist's tracks; empty lists everyone's ready tracks.
	ArtistDID string
	// Viewer is the signed-in caller's DID, or empty: an artist sees their own tracks
	// still processing.
	Viewer string
	// PageSize is 1 to MaxPageSize; 0 means DefaultPageSize.
	PageSize int
	// PageToken continues a listing from where a previous page ended.
	PageToken string
	// UnsyncedOnly keeps the ready tracks whose record is not on the PDS as it should
	// be (pending or failed); only with ArtistDID = Viewer.
	UnsyncedOnly bool
	// Tag lists the tracks with this tag (not with ArtistDID).
	Tag string
	// HiddenTags leaves out tracks with any of these tags; the discovery feed only (no
	// ArtistDID, no Tag): an artist's page and a tag's page never hide.
	HiddenTags []string
}

// Page is one page of a listing, newest first.
type Page struct {
	Tracks []Track
	// Next continues the listing; empty on the last page.
	Next string
}

// List returns a page of tracks, newest first, by keyset on (created_at, id).
func (t *Tracks) List(ctx context.Context, in ListQuery) (Page, error) {
	size := in.PageSize
	switch {
	case size == 0:
		size = DefaultPageSize
	case size < 0 || size > MaxPageSize:
		return Page{}, ErrInvalidInput.Withf("page_size must be between 1 and %d", MaxPageSize)
	}
	after, err := cursor.Decode(in.PageToken)
	if err != nil {
		return Page{}, ErrInvalidInput.Withf("page_token is not one this service issued")
	}

	var rows []db.GetTrackRow
	switch {
	case in.Tag != "" && in.ArtistDID != "":
		return Page{}, ErrInvalidInput.Withf("list by artist or by tag, not both")
	case in.Tag != "":
		var tagRows []db.ListTagTracksRow
		tagRows, err = t.q.ListTagTracks(ctx, db.ListTagTracksParams{
			Tag: strings.ToLower(strings.TrimSpace(in.Tag)), BeforeCreatedAt: after.CreatedAt, BeforeID: after.ID,
			PageLimit: int32(size + 1),
		})
		for _, r := range tagRows {
			rows = append(rows, db.GetTrackRow(r))
		}
	case in.ArtistDID != "":
		if _, err := syntax.ParseDID(in.ArtistDID); err != nil {
			return Page{}, ErrInvalidInput.Withf("artist_did is not a DID")
		}
		var artistRows []db.ListArtistTracksRow
		artistRows, err = t.q.ListArtistTracks(ctx, db.ListArtistTracksParams{
			ArtistDid:         in.ArtistDID,
			IncludeProcessing: in.Viewer == in.ArtistDID,
			UnsyncedOnly:      in.UnsyncedOnly,
			BeforeCreatedAt:   after.CreatedAt,
			BeforeID:          after.ID,
			PageLimit:         int32(size + 1),
		})
		for _, r := range artistRows {
			rows = append(rows, db.GetTrackRow(r))
		}
	default:
		var feedRows []db.ListReadyTracksRow
		feedRows, err = t.q.ListReadyTracks(ctx, db.ListReadyTracksParams{
			BeforeCreatedAt: after.CreatedAt, BeforeID: after.ID, PageLimit: int32(size + 1),
			HiddenTags: in.HiddenTags,
		})
		for _, r := range feedRows {
			rows = append(rows, db.GetTrackRow(r))
		}
	}
	if err != nil {
		return Page{}, fmt.Errorf("list tracks: %w", err)
	}

	// One row more than the page was asked for: its presence says another page exists.
	var page Page
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1].Track
		page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Tracks, err = t.withArtists(ctx, rows)
	return page, err
}

// Get returns a track; one still processing only to its artist (viewer).
func (t *Tracks) Get(ctx context.Context, id uuid.UUID, viewer string) (Track, error) {
	row, err := t.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Track{}, ErrNotFound
	}
	if err != nil {
		return Track{}, fmt.Errorf("get track %s: %w", id, err)
	}
	if !public(row.Track) && viewer != row.Track.ArtistDid {
		return Track{}, ErrNotFound // a track processing or taken down is its artist's business only
	}
	tracks, err := t.withArtists(ctx, []db.GetTrackRow{row})
	if err != nil {
		return Track{}, err
	}
	return tracks[0], nil
}

// Draft is a track an accepted upload will become.
type Draft struct {
	ID        uuid.UUID
	ArtistDID string
	Title     string
	// CreatedAt is when the upload was accepted (never the time of a retry).
	CreatedAt time.Time
}

// CreateDraft records a processing track, with the key its record will have, and makes
// sure its artist exists (an operator token's account never signed in); doing it again
// for the same id changes nothing.
func (t *Tracks) CreateDraft(ctx context.Context, d Draft) error {
	err := pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		q := t.q.WithTx(tx)
		if err := q.EnsureArtist(ctx, d.ArtistDID); err != nil {
			return err
		}
		return q.CreateDraftTrack(ctx, db.CreateDraftTrackParams{
			ID: d.ID, ArtistDid: d.ArtistDID, Title: d.Title, CreatedAt: d.CreatedAt,
			RecordRkey: atproto.RecordKey(d.CreatedAt, d.ID),
		})
	})
	if err != nil {
		return fmt.Errorf("create draft track %s: %w", d.ID, err)
	}
	return nil
}

// Publication is a track's playable audio.
type Publication struct {
	FileID     uuid.UUID
	FileType   string
	DurationMs int32
	// Original is the lossless original the playable file was made from, or nil.
	Original *Original
	// Waveform is the audio's peaks, 0–255.
	Waveform []byte
	// PDS is how the copy of the audio to the artist's PDS went, or nil (none made).
	PDS *PDSAudio
}

// PDSAudio is a track's audio as a blob on its artist's PDS: State is PDSOnPDS (Blob is
// the blob as the PDS described it), PDSTooLarge, PDSFailed (Reason says how) or PDSNone.
type PDSAudio struct {
	State  string
	Blob   map[string]any
	Reason string
}

// The states of PDSAudio.
const (
	PDSNone     = "none"
	PDSOnPDS    = "on_pds"
	PDSTooLarge = "too_large"
	PDSFailed   = "failed"
)

// pdsParams are a PDSAudio's columns.
func pdsParams(p *PDSAudio) (blob []byte, state, reason string, err error) {
	if p == nil {
		return nil, PDSNone, "", nil
	}
	if p.State == PDSOnPDS {
		if blob, err = json.Marshal(p.Blob); err != nil {
			return nil, "", "", fmt.Errorf("encode blob: %w", err)
		}
	}
	return blob, p.State, p.Reason, nil
}

// Original is a track's lossless original, kept as uploaded beside its MP3.
type Original struct {
	FileID                uuid.UUID
	FileType, ContentType string
	SizeBytes             int64
}

// Publish makes a track ready to play with its audio, and starts the write of its record
// (pending until written). Again for the same track sets the same values, and starts the
// write again, which writes nothing new.
func (t *Tracks) Publish(ctx context.Context, id uuid.UUID, p Publication) error {
	var key records.Key
	var gated bool
	err := pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		q := t.q.WithTx(tx)
		params := db.PublishTrackParams{ID: id, FileID: &p.FileID, DurationMs: &p.DurationMs, FileType: &p.FileType, Waveform: p.Waveform}
		var perr error
		if params.PdsBlob, params.PdsState, params.PdsReason, perr = pdsParams(p.PDS); perr != nil {
			return perr
		}
		if o := p.Original; o != nil {
			params.OriginalFileID, params.OriginalFileType = &o.FileID, &o.FileType
			params.OriginalContentType = &o.ContentType
			params.OriginalSizeBytes = pgtype.Int8{Int64: o.SizeBytes, Valid: true}
		}
		row, err := q.PublishTrack(ctx, params)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		key, gated = recordKey(row), row.SupportersOnly
		return t.records.Add(ctx, q, key)
	})
	if err != nil {
		return fmt.Errorf("publish track %s: %w", id, err)
	}
	// Gated while it was processing: its files, public as uploaded, move now.
	if gated && t.gates != nil {
		if err := t.gates.StartGate(ctx, id); err != nil {
			return err
		}
	}
	return t.records.Start(ctx, key)
}

// RestoreRecord writes a track's record again, as the track is now: for its artist alone,
// for a ready track. The record shows pending until written.
func (t *Tracks) RestoreRecord(ctx context.Context, id uuid.UUID, caller string) (Track, error) {
	row, err := t.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Track{}, ErrNotFound
	}
	if err != nil {
		return Track{}, fmt.Errorf("get track %s: %w", id, err)
	}
	switch {
	case row.Track.ArtistDid != caller && !public(row.Track):
		return Track{}, ErrNotFound
	case row.Track.ArtistDid != caller:
		return Track{}, ErrNotOwner
	case Status(row.Track.Status) != StatusReady:
		return Track{}, ErrNotReady
	}
	key := recordKey(row.Track)
	err = pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		return t.records.Revise(ctx, t.q.WithTx(tx), key, false)
	})
	if err != nil {
		return Track{}, fmt.Errorf("restore record of %s: %w", id, err)
	}
	if err := t.records.Start(ctx, key); err != nil {
		return Track{}, err
	}
	return t.Get(ctx, id, caller)
}

// recordKey is the key of a track's record.
func recordKey(row db.Track) records.Key {
	return records.Key{DID: row.ArtistDid, Kind: records.KindTrack, RKey: row.RecordRkey}
}

// DeleteDraft removes a track that never became ready. A ready track, or none at all, is
// left alone.
func (t *Tracks) DeleteDraft(ctx context.Context, id uuid.UUID) error {
	if _, err := t.q.DeleteDraftTrack(ctx, id); err != nil {
		return fmt.Errorf("delete draft track %s: %w", id, err)
	}
	return nil
}

// withArtists converts rows, looking up all their artists' profiles in one call.
func (t *Tracks) withArtists(ctx context.Context, rows []db.GetTrackRow) ([]Track, error) {
	dids := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Track.ArtistDid] {
			seen[r.Track.ArtistDid] = true
			dids = append(dids, r.Track.ArtistDid)
		}
	}
	profiles, err := t.profiles.Profiles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("artist profiles: %w", err)
	}
	tags, albumsByID, err := t.tagsAndAlbums(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]Track, 0, len(rows))
	for _, row := range rows {
		r := row.Track
		p := profiles[r.ArtistDid]
		own := ""
		if row.ArtistDisplayName != nil {
			own = *row.ArtistDisplayName
		}
		handle := p.Handle
		if handle == "" {
			handle = syntax.HandleInvalid.String()
		}
		tr := Track{
			ID: r.ID, Title: r.Title, ArtistDID: r.ArtistDid, ArtistHandle: handle,
			ArtistName: artists.DisplayName(own, p), ArtistAvatarURL: p.AvatarURL,
			Status: Status(r.Status), FileID: r.FileID, CreatedAt: r.CreatedAt, RecordKey: r.RecordRkey,
			Record: records.StatusOf(row.RecordState, row.RecordFailure, row.RecordFailureReason, row.RecordUri, row.RecordCid),
			Plays:  r.PlayCount, Likes: r.LikeCount, Comments: r.CommentCount,
		}
		if r.DurationMs != nil {
			tr.DurationMs = *r.DurationMs
		}
		if r.FileType != nil {
			tr.FileType = *r.FileType
		}
		tr.Tags = tags[r.ID]
		if tr.Tags == nil {
			tr.Tags = []string{}
		}
		if r.AlbumID != nil {
			tr.Album = albumsByID[*r.AlbumID]
		}
		tr.Features = features(r.Features)
		tr.Waveform, tr.SupportersOnly, tr.TakenDown = r.Waveform, r.SupportersOnly, r.TakenDown
		tr.PDS = PDSAudio{State: r.PdsState, Reason: r.PdsReason}
		if r.PdsBlob != nil {
			_ = json.Unmarshal(r.PdsBlob, &tr.PDS.Blob)
		}
		if r.OriginalFileID != nil && r.OriginalFileType != nil && r.OriginalContentType != nil {
			tr.Original = &Original{FileID: *r.OriginalFileID, FileType: *r.OriginalFileType,
				ContentType: *r.OriginalContentType, SizeBytes: r.OriginalSizeBytes.Int64}
		}
		tr.ImageURL, tr.ThumbURL = r.ImageUrl, r.ImageThumbUrl
		if tr.ImageURL == "" && tr.Album != nil {
			tr.ImageURL, tr.ThumbURL = tr.Album.ImageURL, tr.Album.ThumbURL
		}
		out = append(out, tr)
	}
	return out, nil
}

// AlbumTracks returns an album's ready tracks in the album's order: the items of its list
// record as last written (order, by record URI), then the tracks it does not list yet, by
// creation time.
func (t *Tracks) AlbumTracks(ctx context.Context, albumID uuid.UUID, order []string) ([]Track, error) {
	rows, err := t.q.ListAlbumTracks(ctx, &albumID)
	if err != nil {
		return nil, fmt.Errorf("album tracks: %w", err)
	}
	conv := make([]db.GetTrackRow, 0, len(rows))
	for _, r := range rows {
		conv = append(conv, db.GetTrackRow(r))
	}
	list, err := t.withArtists(ctx, conv)
	if err != nil {
		return nil, err
	}
	position := make(map[string]int, len(order))
	for i, uri := range order {
		if _, seen := position[uri]; !seen {
			position[uri] = i
		}
	}
	rank := func(tr Track) int {
		if i, ok := position[tr.Record.URI]; ok && tr.Record.URI != "" {
			return i
		}
		return len(order) // unlisted ones after, in creation order (the rows' order)
	}
	slices.SortStableFunc(list, func(a, b Track) int { return rank(a) - rank(b) })
	return list, nil
}

// tagsAndAlbums loads the tags and album summaries of a page of tracks, one query each.
func (t *Tracks) tagsAndAlbums(ctx context.Context, rows []db.GetTrackRow) (map[uuid.UUID][]string, map[uuid.UUID]*AlbumSummary, error) {
	ids := make([]uuid.UUID, 0, len(rows))
	var albumIDs []uuid.UUID
	for _, r := range rows {
		ids = append(ids, r.Track.ID)
		if r.Track.AlbumID != nil {
			albumIDs = append(albumIDs, *r.Track.AlbumID)
		}
	}
	tagRows, err := t.q.ListTrackTags(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("track tags: %w", err)
	}
	tags := make(map[uuid.UUID][]string, len(rows))
	for _, r := range tagRows {
		tags[r.TrackID] = append(tags[r.TrackID], r.Name)
	}
	albumsByID := map[uuid.UUID]*AlbumSummary{}
	if len(albumIDs) > 0 {
		albumRows, err := t.q.ListAlbumsByID(ctx, albumIDs)
		if err != nil {
			return nil, nil, fmt.Errorf("track albums: %w", err)
		}
		for _, a := range albumRows {
			albumsByID[a.ID] = &AlbumSummary{ID: a.ID, Slug: a.Slug, Title: a.Title, ImageURL: a.ImageUrl, ThumbURL: a.ImageThumbUrl}
		}
	}
	return tags, albumsByID, nil
}

// features decodes a track's stored featured artists.
func features(raw []byte) []Feature {
	out := []Feature{}
	_ = json.Unmarshal(raw, &out) // the column is only ever written from []Feature
	return out
}

// ByIDs returns the ready tracks among ids, in the order of ids; tracks that do not exist
// (or are not ready) are left out.
func (t *Tracks) ByIDs(ctx context.Context, ids []uuid.UUID) ([]Track, error) {
	if len(ids) == 0 {
		return []Track{}, nil
	}
	rows, err := t.q.ListTracksByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("tracks by id: %w", err)
	}
	conv := make([]db.GetTrackRow, 0, len(rows))
	for _, r := range rows {
		conv = append(conv, db.GetTrackRow(r))
	}
	list, err := t.withArtists(ctx, conv)
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]Track, len(list))
	for _, tr := range list {
		byID[tr.ID] = tr
	}
	out := make([]Track, 0, len(ids))
	for _, id := range ids {
		if tr, ok := byID[id]; ok {
			out = append(out, tr)
		}
	}
	return out, nil
}
