// Package subject is what the listener side's records point at: a track's record, by
// strongRef (URI and CID). A like, a comment or a playlist entry takes its track's
// strongRef when it is made and keeps it, so its own record can always be built from its
// row alone.
package subject

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Errors of pointing at a track.
var (
	// ErrTrackNotFound marks a track that does not exist (or is not ready, or is being
	// deleted): nothing to like, comment on or add.
	ErrTrackNotFound = rpc.NewError(connect.CodeNotFound, "track not found")
	// ErrNotPublished marks a track whose own record is not on its artist's PDS yet.
	ErrNotPublished = rpc.NewError(connect.CodeFailedPrecondition, "the track is still being published to its artist's PDS; try again in a moment")
)

// Ref points at one version of a record.
type Ref struct{ URI, CID string }

// Track is a track as a subject.
type Track struct {
	ID         uuid.UUID
	ArtistDID  string
	DurationMs int32
	Ref        Ref
}

// Of returns the track id as a subject, through q (a transaction's, or the pool's).
func Of(ctx context.Context, q *db.Queries, id uuid.UUID) (Track, error) {
	row, err := q.GetTrackSubject(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Track{}, ErrTrackNotFound
	}
	if err != nil {
		return Track{}, fmt.Errorf("load track %s: %w", id, err)
	}
	if row.Status != "ready" || row.Deleting || row.TakenDown {
		return Track{}, ErrTrackNotFound
	}
	if row.RecordUri == nil || row.RecordCid == nil {
		return Track{}, ErrNotPublished
	}
	t := Track{ID: row.ID, ArtistDID: row.ArtistDid, Ref: Ref{URI: *row.RecordUri, CID: *row.RecordCid}}
	if row.DurationMs != nil {
		t.DurationMs = *row.DurationMs
	}
	return t, nil
}

// Record is ref as a record's strongRef field.
func (r Ref) Record() map[string]any { return map[string]any{"uri": r.URI, "cid": r.CID} }
