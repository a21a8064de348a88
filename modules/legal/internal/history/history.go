// Package history is the legal module's record: every decision about a flag, a report, a
// takedown, an image or a DMCA notice, and every step the workflows take, with who acted
// (a DID, or "plyr") and when. It is written in the same transaction as the change it
// records, and never edited.
package history

import (
	"context"
	"fmt"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
)

// Subjects of the record.
const (
	Flag     = "flag"
	Report   = "report"
	Takedown = "takedown"
	DMCA     = "dmca"
	Image    = "image"
)

// System is the actor of what plyr does by itself.
const System = "plyr"

// Event is one entry.
type Event struct {
	SubjectType, SubjectID string
	Kind                   string
	Actor                  string
	Detail                 string
}

// Log records e through q (a transaction's, with the change it records).
func Log(ctx context.Context, q *db.Queries, e Event) error {
	err := q.LogEvent(ctx, db.LogEventParams{
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, Kind: e.Kind, Actor: e.Actor, Detail: e.Detail,
	})
	if err != nil {
		return fmt.Errorf("record %s %s: %w", e.SubjectType, e.Kind, err)
	}
	return nil
}

// Of returns the record of one subject, oldest first.
func Of(ctx context.Context, q *db.Queries, subjectType, subjectID string) ([]db.Event, error) {
	rows, err := q.ListEvents(ctx, db.ListEventsParams{SubjectType: subjectType, SubjectID: subjectID})
	if err != nil {
		return nil, fmt.Errorf("read the record of %s %s: %w", subjectType, subjectID, err)
	}
	return rows, nil
}
