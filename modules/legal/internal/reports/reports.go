// Package reports takes reports from signed-in users about a track, artist, album,
// playlist, tag or comment, for the admins to review. A reporter may file at most Limit
// reports an hour: counted in the database under a lock per reporter, so the limit holds
// across requests and instances alike.
package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
)

// Target types and reasons, as stored.
var (
	TargetTypes = []string{"track", "artist", "album", "playlist", "tag", "comment"}
	Reasons     = []string{"copyright", "abuse", "spam", "explicit", "other"}
)

// Limits of a report.
const (
	MaxTargetID    = 100
	MaxTargetName  = 300
	MaxTargetURL   = 2000
	MaxDescription = 1000
	// DefaultLimit is how many reports one account may file an hour.
	DefaultLimit = 10
)

// Report is a new report.
type Report struct {
	ReporterDID           string
	TargetType, TargetID  string
	TargetName, TargetURL string
	Reason, Description   string
}

// Validate checks a report's fields.
func (r Report) Validate() error {
	switch {
	case !contains(TargetTypes, r.TargetType):
		return lerr.InvalidInput.Withf("say what you report: a track, artist, album, playlist, tag or comment")
	case strings.TrimSpace(r.TargetID) == "" || utf8.RuneCountInString(r.TargetID) > MaxTargetID:
		return lerr.InvalidInput.Withf("the reported item's id must be 1 to %d characters", MaxTargetID)
	case !contains(Reasons, r.Reason):
		return lerr.InvalidInput.Withf("say why: copyright, abuse, spam, explicit or other")
	case utf8.RuneCountInString(r.Description) > MaxDescription:
		return lerr.InvalidInput.Withf("the description is longer than %d characters", MaxDescription)
	case utf8.RuneCountInString(r.TargetName) > MaxTargetName:
		return lerr.InvalidInput.Withf("the reported item's name is longer than %d characters", MaxTargetName)
	case len(r.TargetURL) > MaxTargetURL:
		return lerr.InvalidInput.Withf("the reported item's URL is longer than %d characters", MaxTargetURL)
	case r.TargetURL != "" && !strings.HasPrefix(r.TargetURL, "https://") && !strings.HasPrefix(r.TargetURL, "http://"):
		return lerr.InvalidInput.Withf("the reported item's URL must be an http(s) URL")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Create files a report through q (a transaction's: the caller records the admin's DM
// with it): lerr.TooManyReports when the reporter filed limit reports in the past hour.
func Create(ctx context.Context, q *db.Queries, r Report, limit int, now time.Time) (db.Report, error) {
	if err := r.Validate(); err != nil {
		return db.Report{}, err
	}
	if err := q.LockReporter(ctx, r.ReporterDID); err != nil {
		return db.Report{}, fmt.Errorf("lock reporter: %w", err)
	}
	since := now.Add(-time.Hour)
	n, err := q.CountReportsSince(ctx, db.CountReportsSinceParams{ReporterDid: r.ReporterDID, Since: since})
	if err != nil {
		return db.Report{}, fmt.Errorf("count reports: %w", err)
	}
	if int(n) >= limit {
		oldest, err := q.OldestReportSince(ctx, db.OldestReportSinceParams{ReporterDid: r.ReporterDID, Since: since})
		if err != nil {
			return db.Report{}, fmt.Errorf("count reports: %w", err)
		}
		minutes := max(int(math.Ceil(oldest.Add(time.Hour).Sub(now).Minutes())), 1)
		wait := fmt.Sprintf("%d minutes", minutes)
		if minutes == 1 {
			wait = "a minute"
		}
		return db.Report{}, lerr.TooManyReports.Withf("you can file %d reports an hour; try again in %s", limit, wait)
	}
	row, err := q.CreateReport(ctx, db.CreateReportParams{
		ID: uuid.New(), ReporterDid: r.ReporterDID, TargetType: r.TargetType, TargetID: strings.TrimSpace(r.TargetID),
		TargetName: strings.TrimSpace(r.TargetName), TargetUrl: r.TargetURL, Reason: r.Reason,
		Description: strings.TrimSpace(r.Description),
	})
	if err != nil {
		return db.Report{}, fmt.Errorf("file report: %w", err)
	}
	return row, nil
}

// Get returns a report; lerr.NotFound when there is none.
func Get(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Report, error) {
	row, err := q.GetReport(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Report{}, lerr.NotFound.Withf("no such report")
	}
	if err != nil {
		return db.Report{}, fmt.Errorf("load report %s: %w", id, err)
	}
	return row, nil
}

// Resolve records a decision on an open report through q; lerr.AlreadyResolved when it
// was decided.
func Resolve(ctx context.Context, q *db.Queries, id uuid.UUID, decision, by, note string) (db.Report, error) {
	row, err := q.ResolveReport(ctx, db.ResolveReportParams{ID: id, Resolution: &decision, ResolvedBy: &by, Note: note})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := Get(ctx, q, id); err != nil {
			return db.Report{}, err
		}
		return db.Report{}, lerr.AlreadyResolved
	}
	if err != nil {
		return db.Report{}, fmt.Errorf("resolve report %s: %w", id, err)
	}
	return row, nil
}

// ByReporter pages one reporter's reports, newest first, after (at, id).
func ByReporter(ctx context.Context, q *db.Queries, did string, afterAt time.Time, afterID uuid.UUID, limit int32) ([]db.Report, error) {
	rows, err := q.ListReportsByReporter(ctx, db.ListReportsByReporterParams{ReporterDid: did, AfterAt: &afterAt, AfterID: &afterID, MaxRows: limit})
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return rows, nil
}

// List pages every report (or the open ones), newest first, after (at, id).
func List(ctx context.Context, q *db.Queries, openOnly bool, afterAt time.Time, afterID uuid.UUID, limit int32) ([]db.Report, error) {
	rows, err := q.ListReports(ctx, db.ListReportsParams{OpenOnly: openOnly, AfterAt: &afterAt, AfterID: &afterID, MaxRows: limit})
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return rows, nil
}
