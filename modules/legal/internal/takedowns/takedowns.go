// Package takedowns keeps which tracks a moderation decision took down. A takedown in
// force hides its track wherever plyr serves it (the workflow takedown/<track-id> applies
// it to the catalog and media); the artist's records stay on their PDS. At most one is in
// force per track; a lifted one stays for the record.
//
// Copyright takedowns count towards an artist's repeat-infringer tally, unless a
// counter-notice lifted them.
package takedowns

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
)

// Causes of a takedown.
const (
	CauseFlag   = "copyright_flag"
	CauseReport = "report"
	CauseDMCA   = "dmca"
	CauseAdmin  = "admin"
)

// Takedown is a takedown to put in force.
type Takedown struct {
	TrackID   uuid.UUID
	ArtistDID string
	Cause     string
	CauseID   string
	// Copyright says it is for infringing someone's copyright (a flag, a copyright report
	// or a DMCA notice).
	Copyright bool
	By        string
}

// Put puts a takedown in force through q (a transaction's). When the track already has
// one in force, that one is returned with created false.
func Put(ctx context.Context, q *db.Queries, t Takedown) (row db.Takedown, created bool, err error) {
	row, err = q.CreateTakedown(ctx, db.CreateTakedownParams{
		ID: uuid.New(), TrackID: t.TrackID, ArtistDid: t.ArtistDID, Cause: t.Cause, CauseID: t.CauseID,
		Copyright: t.Copyright, TakenBy: t.By,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		row, _, err = InForce(ctx, q, t.TrackID)
		return row, false, err
	}
	if err != nil {
		return db.Takedown{}, false, fmt.Errorf("take down %s: %w", t.TrackID, err)
	}
	return row, true, nil
}

// InForce returns the track's takedown in force; found false when there is none.
func InForce(ctx context.Context, q *db.Queries, trackID uuid.UUID) (row db.Takedown, found bool, err error) {
	row, err = q.TakedownInForce(ctx, trackID)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Takedown{}, false, nil
	}
	if err != nil {
		return db.Takedown{}, false, fmt.Errorf("load the takedown of %s: %w", trackID, err)
	}
	return row, true, nil
}

// Lift lifts the track's takedown in force through q; countered says a counter-notice
// lifted it, which takes it off the artist's tally. lifted false when none was in force.
func Lift(ctx context.Context, q *db.Queries, trackID uuid.UUID, by, reason string, countered bool) (row db.Takedown, lifted bool, err error) {
	row, err = q.RestoreTakedown(ctx, db.RestoreTakedownParams{TrackID: trackID, RestoredBy: &by, Reason: reason, Countered: countered})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Takedown{}, false, nil
	}
	if err != nil {
		return db.Takedown{}, false, fmt.Errorf("restore %s: %w", trackID, err)
	}
	return row, true, nil
}

// CopyrightCount is the artist's repeat-infringer tally.
func CopyrightCount(ctx context.Context, q *db.Queries, artistDID string) (int, error) {
	n, err := q.CountCopyrightTakedowns(ctx, artistDID)
	if err != nil {
		return 0, fmt.Errorf("count %s's copyright takedowns: %w", artistDID, err)
	}
	return int(n), nil
}
