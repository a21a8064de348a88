package tracks

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// SetTakenDown hides the track from everyone but its artist (a moderation decision), or
// shows it again, and returns its audio files (the playable one and its original) for
// media to close or open too. found is false for a track that is gone or going. Again
// with the same value changes nothing.
func (t *Tracks) SetTakenDown(ctx context.Context, id uuid.UUID, down bool) (files []uuid.UUID, found bool, err error) {
	row, err := t.q.SetTrackTakenDown(ctx, db.SetTrackTakenDownParams{ID: id, TakenDown: down})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("set track %s taken down: %w", id, err)
	}
	for _, f := range []*uuid.UUID{row.FileID, row.OriginalFileID} {
		if f != nil {
			files = append(files, *f)
		}
	}
	return files, true, nil
}

// TakedownMismatches returns the tracks whose takedown state differs from inForce (the
// takedowns in force): those of inForce still shown, and tracks down that inForce does
// not hold (at most limit of those are looked at).
func (t *Tracks) TakedownMismatches(ctx context.Context, inForce []uuid.UUID, limit int) ([]uuid.UUID, error) {
	shown, err := t.q.ShownAmong(ctx, inForce)
	if err != nil {
		return nil, fmt.Errorf("tracks shown despite a takedown: %w", err)
	}
	down, err := t.q.ListTakenDownTrackIDs(ctx, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("tracks taken down: %w", err)
	}
	held := make(map[uuid.UUID]bool, len(inForce))
	for _, id := range inForce {
		held[id] = true
	}
	out := shown
	for _, id := range down {
		if !held[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// Describe returns a track as moderation sees it, whatever its state: its title, artist
// and files; ErrNotFound when there is none.
func (t *Tracks) Describe(ctx context.Context, id uuid.UUID) (Track, error) {
	row, err := t.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Track{}, ErrNotFound
	}
	if err != nil {
		return Track{}, fmt.Errorf("get track %s: %w", id, err)
	}
	tracks, err := t.withArtists(ctx, []db.GetTrackRow{row})
	if err != nil {
		return Track{}, err
	}
	return tracks[0], nil
}
