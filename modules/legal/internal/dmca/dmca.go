// Package dmca keeps DMCA notices and their counter-notices. A notice an admin enters
// takes its track down at once; the artist may counter it; a countered notice's track
// comes back RestoreAfter business days later unless an admin reports that the
// complainant went to court. The timer is the workflow dmca/<notice-id>'s; this package
// keeps the notice's state, which decides: every step moves the notice from the states
// that allow it, so a step that lost a race (court action reported as the timer fires)
// changes nothing.
package dmca

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
)

// Statuses of a notice.
const (
	StatusTakenDown   = "taken_down"
	StatusCountered   = "countered"
	StatusCourtAction = "court_action"
	StatusRestored    = "restored"
	StatusWithdrawn   = "withdrawn"
)

// Limits of a notice's fields.
const (
	maxName      = 200
	maxContact   = 500
	maxWork      = 1000
	maxStatement = 5000
	maxURLs      = 20
	maxURL       = 2000
)

// Notice is a notice as received.
type Notice struct {
	TrackID            uuid.UUID
	ArtistDID          string
	ComplainantName    string
	ComplainantContact string
	Work               string
	URLs               []string
	Statement          string
	ReceivedBy         string
}

// Validate checks a notice's fields.
func (n *Notice) Validate() error {
	n.ComplainantName, n.ComplainantContact = strings.TrimSpace(n.ComplainantName), strings.TrimSpace(n.ComplainantContact)
	n.Work, n.Statement = strings.TrimSpace(n.Work), strings.TrimSpace(n.Statement)
	if err := text("the complainant's name", n.ComplainantName, maxName); err != nil {
		return err
	}
	if err := text("the complainant's contact", n.ComplainantContact, maxContact); err != nil {
		return err
	}
	if err := text("the work", n.Work, maxWork); err != nil {
		return err
	}
	if err := text("the statement", n.Statement, maxStatement); err != nil {
		return err
	}
	if len(n.URLs) == 0 || len(n.URLs) > maxURLs {
		return lerr.InvalidInput.Withf("a notice names 1 to %d URLs of the material", maxURLs)
	}
	for i, u := range n.URLs {
		n.URLs[i] = strings.TrimSpace(u)
		p, err := url.Parse(n.URLs[i])
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(n.URLs[i]) > maxURL {
			return lerr.InvalidInput.Withf("%q is not an http(s) URL", clip(u))
		}
	}
	return nil
}

func text(what, s string, max int) error {
	if s == "" || utf8.RuneCountInString(s) > max {
		return lerr.InvalidInput.Withf("%s must be 1 to %d characters", what, max)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Create records a notice, in force, through q (a transaction's: the caller takes the
// track down with it).
func Create(ctx context.Context, q *db.Queries, n Notice) (db.DmcaNotice, error) {
	if err := n.Validate(); err != nil {
		return db.DmcaNotice{}, err
	}
	row, err := q.CreateDmcaNotice(ctx, db.CreateDmcaNoticeParams{
		ID: uuid.New(), TrackID: n.TrackID, ArtistDid: n.ArtistDID, ComplainantName: n.ComplainantName,
		ComplainantContact: n.ComplainantContact, Work: n.Work, Urls: n.URLs, Statement: n.Statement, ReceivedBy: n.ReceivedBy,
	})
	if err != nil {
		return db.DmcaNotice{}, fmt.Errorf("record the notice: %w", err)
	}
	return row, nil
}

// Get returns a notice; lerr.NotFound when there is none.
func Get(ctx context.Context, q *db.Queries, id uuid.UUID) (db.DmcaNotice, error) {
	row, err := q.GetDmcaNotice(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.DmcaNotice{}, lerr.NotFound.Withf("no such notice")
	}
	if err != nil {
		return db.DmcaNotice{}, fmt.Errorf("load notice %s: %w", id, err)
	}
	return row, nil
}

// Counter is an artist's counter-notice.
type Counter struct {
	Name, Contact, Statement string
}

// File records a counter-notice on a notice in force, and when its track is due back,
// through q; lerr.NotInForce when the notice is not in force.
func File(ctx context.Context, q *db.Queries, id uuid.UUID, c Counter) (db.DmcaNotice, error) {
	c.Name, c.Contact, c.Statement = strings.TrimSpace(c.Name), strings.TrimSpace(c.Contact), strings.TrimSpace(c.Statement)
	if err := text("your name", c.Name, maxName); err != nil {
		return db.DmcaNotice{}, err
	}
	if err := text("your contact", c.Contact, maxContact); err != nil {
		return db.DmcaNotice{}, err
	}
	if err := text("your statement", c.Statement, maxStatement); err != nil {
		return db.DmcaNotice{}, err
	}
	row, err := q.CounterDmcaNotice(ctx, db.CounterDmcaNoticeParams{ID: id, CounterName: c.Name, CounterContact: c.Contact, CounterStatement: c.Statement})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := Get(ctx, q, id); err != nil {
			return db.DmcaNotice{}, err
		}
		return db.DmcaNotice{}, lerr.NotInForce.Withf("this notice can no longer be countered")
	}
	if err != nil {
		return db.DmcaNotice{}, fmt.Errorf("record the counter-notice: %w", err)
	}
	due := BusinessDaysAfter(*row.CounteredAt, RestoreAfter)
	if err := q.SetDmcaRestoreDue(ctx, db.SetDmcaRestoreDueParams{ID: id, RestoreDue: &due}); err != nil {
		return db.DmcaNotice{}, fmt.Errorf("record when the track is due back: %w", err)
	}
	row.RestoreDue = &due
	return row, nil
}

// Close moves an open notice to status from one of from, through q; closed false when it
// was not in one of them (another step got there first).
func Close(ctx context.Context, q *db.Queries, id uuid.UUID, status string, from ...string) (row db.DmcaNotice, closed bool, err error) {
	row, err = q.CloseDmcaNotice(ctx, db.CloseDmcaNoticeParams{ID: id, Status: status, FromStatuses: from})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.DmcaNotice{}, false, nil
	}
	if err != nil {
		return db.DmcaNotice{}, false, fmt.Errorf("close notice %s: %w", id, err)
	}
	return row, true, nil
}

// List pages notices newest first, after (at, id): the artist's only when artist is set.
func List(ctx context.Context, q *db.Queries, artist string, afterAt time.Time, afterID uuid.UUID, limit int32) ([]db.DmcaNotice, error) {
	p := db.ListDmcaNoticesParams{AfterAt: &afterAt, AfterID: &afterID, MaxRows: limit}
	if artist != "" {
		p.ArtistDid = &artist
	}
	rows, err := q.ListDmcaNotices(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return rows, nil
}
