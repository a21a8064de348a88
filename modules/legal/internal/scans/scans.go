// Package scans stores copyright scans: one per track, with the segments the recogniser
// matched and the dominant-match verdict. A flag is a note for a human, never a verdict:
// it stays flagged, whatever a later scan says, until an admin resolves it; a scan that
// could not be made is stored as failed, never as clear.
package scans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
)

// Statuses of a scan.
const (
	StatusClear   = "clear"
	StatusFlagged = "flagged"
	StatusFailed  = "failed"
)

// Decisions on a flag (and on a report).
const (
	FalsePositive = "false_positive"
	TakeDown      = "take_down"
	Dismiss       = "dismiss"
)

// Match is one recognised segment, as stored.
type Match struct {
	Artist   string `json:"artist"`
	Title    string `json:"title"`
	Album    string `json:"album,omitempty"`
	ISRC     string `json:"isrc,omitempty"`
	OffsetMs int64  `json:"offsetMs"`
	SongLink string `json:"songLink,omitempty"`
}

// Verdict is the dominant-match rule's answer.
type Verdict struct {
	Flagged               bool
	Artist, Title         string
	Count, Pct, Threshold int
}

// Scan is what a scan found.
type Scan struct {
	TrackID   uuid.UUID
	ArtistDID string
	Matches   []Match
	Verdict   Verdict
}

// Scans is the feature.
type Scans struct {
	q *db.Queries
}

// New returns the feature.
func New(q *db.Queries) *Scans { return &Scans{q: q} }

// maxMatches bounds the segments kept for one track (a long mix may match hundreds).
const maxMatches = 500

// Record stores a scan and returns the track's scan as it now stands: an open flag is
// kept as it was (the scan is then not stored).
func (s *Scans) Record(ctx context.Context, sc Scan) (db.Scan, error) {
	status := StatusClear
	if sc.Verdict.Flagged {
		status = StatusFlagged
	}
	kept := sc.Matches
	if len(kept) > maxMatches {
		kept = kept[:maxMatches]
	}
	if kept == nil {
		kept = []Match{}
	}
	matches, err := json.Marshal(kept)
	if err != nil {
		return db.Scan{}, fmt.Errorf("encode matches: %w", err)
	}
	return s.record(ctx, db.RecordScanParams{
		TrackID: sc.TrackID, ArtistDid: sc.ArtistDID, Status: status, Matches: matches,
		MatchCount: int32(len(sc.Matches)), DominantArtist: sc.Verdict.Artist, DominantTitle: sc.Verdict.Title,
		DominantCount: int32(sc.Verdict.Count), DominantPct: int32(sc.Verdict.Pct), ThresholdPct: int32(sc.Verdict.Threshold),
	})
}

// RecordFailure stores a scan that could not be made, with why (for the admin).
func (s *Scans) RecordFailure(ctx context.Context, trackID uuid.UUID, artistDID string, threshold int, reason string) (db.Scan, error) {
	return s.record(ctx, db.RecordScanParams{
		TrackID: trackID, ArtistDid: artistDID, Status: StatusFailed, Matches: []byte("[]"),
		ThresholdPct: int32(threshold), Error: reason,
	})
}

func (s *Scans) record(ctx context.Context, p db.RecordScanParams) (db.Scan, error) {
	row, err := s.q.RecordScan(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.Get(ctx, p.TrackID) // an open flag, kept
	}
	if err != nil {
		return db.Scan{}, fmt.Errorf("record the scan of %s: %w", p.TrackID, err)
	}
	return row, nil
}

// Get returns a track's scan; lerr.NotFound when it has none.
func (s *Scans) Get(ctx context.Context, trackID uuid.UUID) (db.Scan, error) {
	row, err := s.q.GetScan(ctx, trackID)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Scan{}, lerr.NotFound.Withf("this track has no copyright scan")
	}
	if err != nil {
		return db.Scan{}, fmt.Errorf("load the scan of %s: %w", trackID, err)
	}
	return row, nil
}

// Matches decodes a stored scan's segments.
func Matches(row db.Scan) []Match {
	var out []Match
	_ = json.Unmarshal(row.Matches, &out) // written by Record only
	return out
}

// Filters of List.
const (
	FilterOpen    = "open"
	FilterFlagged = "flagged"
	FilterFailed  = "failed"
	FilterAll     = "all"
)

// List pages scans newest first, after (at, id).
func (s *Scans) List(ctx context.Context, filter string, afterAt time.Time, afterID uuid.UUID, limit int32) ([]db.Scan, error) {
	rows, err := s.q.ListScans(ctx, db.ListScansParams{Filter: filter, AfterAt: &afterAt, AfterID: &afterID, MaxRows: limit})
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return rows, nil
}

// Resolve records a decision on an open flag through q (a transaction's);
// lerr.AlreadyResolved when the flag is resolved, lerr.NotFound when there is none.
func Resolve(ctx context.Context, q *db.Queries, trackID uuid.UUID, decision, by, note string) (db.Scan, error) {
	row, err := q.ResolveScan(ctx, db.ResolveScanParams{TrackID: trackID, Resolution: &decision, ResolvedBy: &by, Note: note})
	if errors.Is(err, pgx.ErrNoRows) {
		cur, gerr := q.GetScan(ctx, trackID)
		switch {
		case errors.Is(gerr, pgx.ErrNoRows):
			return db.Scan{}, lerr.NotFound.Withf("this track has no copyright scan")
		case gerr != nil:
			return db.Scan{}, fmt.Errorf("load the scan of %s: %w", trackID, gerr)
		case cur.Status != StatusFlagged:
			return db.Scan{}, lerr.NotInForce.Withf("this track's scan is %s, not flagged", cur.Status)
		default:
			return db.Scan{}, lerr.AlreadyResolved
		}
	}
	if err != nil {
		return db.Scan{}, fmt.Errorf("resolve the flag on %s: %w", trackID, err)
	}
	return row, nil
}

// MarkNotified records that the artist was told about the flag.
func (s *Scans) MarkNotified(ctx context.Context, trackID uuid.UUID) error {
	if err := s.q.MarkScanNotified(ctx, trackID); err != nil {
		return fmt.Errorf("mark the scan of %s notified: %w", trackID, err)
	}
	return nil
}

// Counts are what awaits review.
func (s *Scans) Counts(ctx context.Context) (openFlags, failed int, err error) {
	row, err := s.q.CountScans(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("count scans: %w", err)
	}
	return int(row.OpenFlags), int(row.Failed), nil
}
