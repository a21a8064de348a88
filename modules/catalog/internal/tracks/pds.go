package tracks

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// MaxPDSBatch bounds the tracks of one migration of audio to a PDS.
const MaxPDSBatch = 500

// PDSCandidate is a track whose audio may be copied to its artist's PDS.
type PDSCandidate struct {
	TrackID, FileID uuid.UUID
}

// PDSCandidates are the artist's tracks whose audio may be copied to their PDS (ready, not
// for supporters only, not there already): those among ids, or all of them when ids is
// empty; at most MaxPDSBatch, oldest first.
func (t *Tracks) PDSCandidates(ctx context.Context, artist string, ids []uuid.UUID) ([]PDSCandidate, error) {
	if ids == nil {
		ids = []uuid.UUID{}
	}
	rows, err := t.q.ListPDSCandidates(ctx, db.ListPDSCandidatesParams{ArtistDid: artist, TrackIds: ids, PageLimit: MaxPDSBatch})
	if err != nil {
		return nil, fmt.Errorf("tracks for the PDS: %w", err)
	}
	out := make([]PDSCandidate, 0, len(rows))
	for _, r := range rows {
		out = append(out, PDSCandidate{TrackID: r.ID, FileID: *r.FileID})
	}
	return out, nil
}

// PDSTrack is where a track stands for a copy of its audio to its artist's PDS, as a
// migration's step reads it just before copying.
type PDSTrack struct {
	// Skip says why the track is not to be copied ("" when it is).
	Skip      string
	FileID    uuid.UUID
	ArtistDID string
}

// PDSTrack reads a track for a migration's step: gone, gated or already there is a skip.
func (t *Tracks) PDSTrack(ctx context.Context, id uuid.UUID) (PDSTrack, error) {
	row, err := t.q.GetTrack(ctx, id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return PDSTrack{Skip: "the track was deleted"}, nil
	case err != nil:
		return PDSTrack{}, fmt.Errorf("get track %s: %w", id, err)
	case row.Track.SupportersOnly:
		return PDSTrack{Skip: "the track is for supporters only"}, nil
	case row.Track.PdsState == PDSOnPDS:
		return PDSTrack{Skip: "the audio is on your PDS already"}, nil
	case row.Track.FileID == nil || Status(row.Track.Status) != StatusReady:
		return PDSTrack{Skip: "the track is not playable"}, nil
	}
	return PDSTrack{FileID: *row.Track.FileID, ArtistDID: row.Track.ArtistDid}, nil
}

// SetPDSAudio records how a copy of a track's audio to its PDS went. A blob the track's
// record should name (not for a gated track) revises the record and starts its write; the
// revision to wait for is returned (0 when the record does not change).
func (t *Tracks) SetPDSAudio(ctx context.Context, id uuid.UUID, p PDSAudio) (int64, error) {
	blob, state, reason, err := pdsParams(&p)
	if err != nil {
		return 0, err
	}
	var key records.Key
	var revision int64
	err = pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		q := t.q.WithTx(tx)
		row, err := q.SetTrackPDSAudio(ctx, db.SetTrackPDSAudioParams{ID: id, PdsBlob: blob, PdsState: state, PdsReason: reason})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted meanwhile: nothing to name the blob
		}
		if err != nil || p.State != PDSOnPDS || row.SupportersOnly || Status(row.Status) != StatusReady {
			return err
		}
		key = recordKey(row)
		if err := t.records.Revise(ctx, q, key, false); err != nil {
			return err
		}
		rec, err := t.records.Get(ctx, q, key)
		revision = rec.Revision
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record the PDS copy of %s: %w", id, err)
	}
	if revision == 0 {
		return 0, nil
	}
	return revision, t.records.Start(ctx, key)
}

// RecordWritten reports whether the track's record has been written at revision or later
// (done), or has failed (failure says why); neither while it is being written.
func (t *Tracks) RecordWritten(ctx context.Context, id uuid.UUID, revision int64) (done bool, failure string, err error) {
	row, err := t.q.GetTrack(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, "the track was deleted", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("get track %s: %w", id, err)
	}
	rec, err := t.records.Get(ctx, t.q, recordKey(row.Track))
	if errors.Is(err, recordsact.ErrNotTracked) {
		return false, "the track has no record", nil
	}
	if err != nil {
		return false, "", err
	}
	switch {
	case rec.SyncedRevision >= revision:
		return true, "", nil
	case records.State(rec.State) == records.StateFailed:
		reason := "the record could not be written"
		if rec.FailureReason != nil {
			reason += ": " + *rec.FailureReason
		}
		return false, reason, nil
	}
	return false, "", nil
}

// ExportTrack is a track as an export of its artist's tracks names it.
type ExportTrack struct {
	TrackID uuid.UUID
	Title   string
	// FileID is the original where one is kept, else the playable file.
	FileID uuid.UUID
}

// ExportTracks are all of the artist's ready tracks, oldest first, for an export.
func (t *Tracks) ExportTracks(ctx context.Context, artist string) ([]ExportTrack, error) {
	rows, err := t.q.ListExportTracks(ctx, artist)
	if err != nil {
		return nil, fmt.Errorf("tracks to export: %w", err)
	}
	out := make([]ExportTrack, 0, len(rows))
	for _, r := range rows {
		out = append(out, ExportTrack{TrackID: r.ID, Title: r.Title, FileID: r.FileID})
	}
	return out, nil
}
