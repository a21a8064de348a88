// Package tracks is the catalog's tracks feature: a track appears as processing when its
// upload is accepted, becomes ready when its audio is published, and is listed and read
// by anyone once ready (by its artist alone before). It owns the SQL; the module's
// handlers only decode requests and encode answers.
package tracks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/cursor"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Errors of the feature, with the Connect code and message a client sees. The module
// re-exports them.
var (
	// ErrNotFound marks a track that does not exist or is not the caller's to see.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "track not found")
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
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
	Status       Status
	// FileID is the playable audio, once ready.
	FileID     *uuid.UUID
	DurationMs int32
	CreatedAt  time.Time
}

// Handles finds the current handle of accounts by DID (the identity module).
type Handles interface {
	Handles(ctx context.Context, dids []string) (map[string]string, error)
}

// Tracks is the feature, over the catalog's queries.
type Tracks struct {
	q       *db.Queries
	handles Handles
}

// New returns the feature.
func New(q *db.Queries, handles Handles) *Tracks { return &Tracks{q: q, handles: handles} }

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

	var rows []db.Track
	if in.ArtistDID != "" {
		if _, err := syntax.ParseDID(in.ArtistDID); err != nil {
			return Page{}, ErrInvalidInput.Withf("artist_did is not a DID")
		}
		rows, err = t.q.ListArtistTracks(ctx, db.ListArtistTracksParams{
			ArtistDid:         in.ArtistDID,
			IncludeProcessing: in.Viewer == in.ArtistDID,
			BeforeCreatedAt:   after.CreatedAt,
			BeforeID:          after.ID,
			PageLimit:         int32(size + 1),
		})
	} else {
		rows, err = t.q.ListReadyTracks(ctx, db.ListReadyTracksParams{
			BeforeCreatedAt: after.CreatedAt, BeforeID: after.ID, PageLimit: int32(size + 1),
		})
	}
	if err != nil {
		return Page{}, fmt.Errorf("list tracks: %w", err)
	}

	// One row more than the page was asked for: its presence says another page exists.
	var page Page
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Tracks, err = t.withHandles(ctx, rows)
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
	if Status(row.Status) != StatusReady && viewer != row.ArtistDid {
		return Track{}, ErrNotFound // a track still processing is its artist's business only
	}
	tracks, err := t.withHandles(ctx, []db.Track{row})
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

// CreateDraft records a processing track; doing it again for the same id changes nothing.
func (t *Tracks) CreateDraft(ctx context.Context, d Draft) error {
	err := t.q.CreateDraftTrack(ctx, db.CreateDraftTrackParams{ID: d.ID, ArtistDid: d.ArtistDID, Title: d.Title, CreatedAt: d.CreatedAt})
	if err != nil {
		return fmt.Errorf("create draft track %s: %w", d.ID, err)
	}
	return nil
}

// Publish makes a track ready to play with its audio file and duration.
func (t *Tracks) Publish(ctx context.Context, id, fileID uuid.UUID, durationMs int32) error {
	n, err := t.q.PublishTrack(ctx, db.PublishTrackParams{ID: id, FileID: &fileID, DurationMs: &durationMs})
	if err != nil {
		return fmt.Errorf("publish track %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("publish track %s: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteDraft removes a track that never became ready. A ready track, or none at all, is
// left alone.
func (t *Tracks) DeleteDraft(ctx context.Context, id uuid.UUID) error {
	if _, err := t.q.DeleteDraftTrack(ctx, id); err != nil {
		return fmt.Errorf("delete draft track %s: %w", id, err)
	}
	return nil
}

// withHandles converts rows, looking up all their artists' handles in one call.
func (t *Tracks) withHandles(ctx context.Context, rows []db.Track) ([]Track, error) {
	dids := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ArtistDid] {
			seen[r.ArtistDid] = true
			dids = append(dids, r.ArtistDid)
		}
	}
	handles, err := t.handles.Handles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("artist handles: %w", err)
	}
	out := make([]Track, 0, len(rows))
	for _, r := range rows {
		tr := Track{
			ID: r.ID, Title: r.Title, ArtistDID: r.ArtistDid, ArtistHandle: handles[r.ArtistDid],
			Status: Status(r.Status), FileID: r.FileID, CreatedAt: r.CreatedAt,
		}
		if r.DurationMs != nil {
			tr.DurationMs = *r.DurationMs
		}
		out = append(out, tr)
	}
	return out, nil
}
