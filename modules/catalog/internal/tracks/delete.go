package tracks

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// Cleanup removes what a deleted track leaves in the media module.
type Cleanup interface {
	// RemoveFile deletes an audio file's bytes and row; a missing one is fine.
	RemoveFile(ctx context.Context, fileID uuid.UUID) error
	// DeleteImage deletes an artwork image; a missing one is fine.
	DeleteImage(ctx context.Context, id uuid.UUID) error
}

// Delete starts the deletion of the caller's track and answers at once. The record on the
// PDS goes first, through recordsync: until it is gone the track is hidden from everyone
// but its artist, and if the PDS refuses (anything but "not found", which counts as gone)
// nothing is deleted and the track comes back with its record failed and the reason. Once
// the record is gone, FinishDelete removes the audio (unless another track plays it), the
// artwork (unless another track or an album shows it) and the row.
func (t *Tracks) Delete(ctx context.Context, id uuid.UUID, caller string) error {
	var starts []records.Key
	err := pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		q := t.q.WithTx(tx)
		row, err := q.LockTrack(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch {
		case row.ArtistDid != caller && (!public(row) || row.Deleting):
			return ErrNotFound
		case row.ArtistDid != caller:
			return ErrNotOwner
		case Status(row.Status) != StatusReady:
			return ErrNotReady
		}
		key := recordKey(row)
		starts = append(starts, key)
		if row.Deleting {
			return nil // under way: start its workflow again
		}
		if err := q.MarkTrackDeleting(ctx, id); err != nil {
			return err
		}
		if err := t.records.Revise(ctx, q, key, true); err != nil {
			return err
		}
		if row.AlbumID != nil && t.albums != nil {
			album, err := t.albums.Revise(ctx, q, *row.AlbumID)
			if err != nil {
				return err
			}
			starts = append(starts, album)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete track %s: %w", id, err)
	}
	for _, key := range starts {
		if err := t.records.Start(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// settleDelete follows up a deletion's outcome: the record gone, the track goes
// (finishDelete); the deletion failed, the track comes back.
func (t *Tracks) settleDelete(ctx context.Context, did, rkey string, failed bool) error {
	row, err := t.q.GetTrackByRecordKey(ctx, db.GetTrackByRecordKeyParams{ArtistDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !row.Deleting) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load track %s/%s: %w", did, rkey, err)
	}
	if failed {
		return pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
			q := t.q.WithTx(tx)
			if err := q.CancelTrackDelete(ctx, row.ID); err != nil {
				return err
			}
			return q.KeepRecord(ctx, db.KeepRecordParams{Did: did, Kind: string(records.KindTrack), Rkey: rkey})
		})
	}
	return t.finishDelete(ctx, row)
}

// finishDelete removes what a track whose record is gone leaves: its audio (the playable
// file and a lossless original) and artwork
// unless something else uses them, then its row. Each step may be repeated: a failure is
// retried by the workflow step that called it, and finds done what was done.
func (t *Tracks) finishDelete(ctx context.Context, row db.Track) error {
	for _, file := range []*uuid.UUID{row.FileID, row.OriginalFileID} {
		if t.cleanup == nil || file == nil {
			continue
		}
		others, err := t.q.CountOtherFileUsers(ctx, db.CountOtherFileUsersParams{FileID: file, TrackID: row.ID})
		if err != nil {
			return err
		}
		if others == 0 {
			if err := t.cleanup.RemoveFile(ctx, *file); err != nil {
				return fmt.Errorf("remove the audio of %s: %w", row.ID, err)
			}
		}
	}
	if t.cleanup != nil && row.ImageID != nil {
		others, err := t.q.CountOtherImageUsers(ctx, db.CountOtherImageUsersParams{ImageID: row.ImageID, TrackID: row.ID})
		if err != nil {
			return err
		}
		if others == 0 {
			if err := t.cleanup.DeleteImage(ctx, *row.ImageID); err != nil {
				return fmt.Errorf("delete the artwork of %s: %w", row.ID, err)
			}
		}
	}
	if _, err := t.q.DeleteTrackRow(ctx, row.ID); err != nil {
		return fmt.Errorf("delete track %s: %w", row.ID, err)
	}
	return nil
}
