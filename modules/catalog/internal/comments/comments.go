// Package comments is the catalog's timed comments: a text of 1 to 300 characters at a
// moment of a track, an fm.plyr.comment record on its author's PDS. The author edits
// (the record keeps createdAt and gets updatedAt) or deletes; the track's artist can turn
// comments off, which hides the existing ones and refuses new ones. A track holds at most
// MaxPerTrack comments, and an author may have at most RatePerWindow comments made within
// a window (counted from the comments table, so every server process agrees).
package comments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/subject"
	"github.com/plyrfm/plyr/modules/catalog/internal/text"
	"github.com/plyrfm/plyr/modules/catalog/internal/txn"
)

// KindComment is the comment record's kind.
const KindComment records.Kind = "comment"

// MaxTextRunes bounds a comment's text (the lexicon allows 1000; plyr asks for less).
const MaxTextRunes = 300

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	ErrNotFound     = rpc.NewError(connect.CodeNotFound, "comment not found")
	ErrNotAuthor    = rpc.NewError(connect.CodePermissionDenied, "only its author can change a comment")
	ErrTurnedOff    = rpc.NewError(connect.CodePermissionDenied, "the artist turned comments off for their tracks")
	ErrTrackFull    = rpc.NewError(connect.CodeFailedPrecondition, "this track has all the comments it can take")
	ErrTooOften     = rpc.NewError(connect.CodeResourceExhausted, "you are commenting too often; wait a little")
)

// Limits are the feature's bounds.
type Limits struct {
	// MaxPerTrack bounds a track's comments (default 20).
	MaxPerTrack int
	// RatePerWindow comments per Window per author (default 10 per 10 minutes).
	RatePerWindow int
	Window        time.Duration
}

// WithDefaults fills what is unset.
func (l Limits) WithDefaults() Limits {
	if l.MaxPerTrack <= 0 {
		l.MaxPerTrack = 20
	}
	if l.RatePerWindow <= 0 {
		l.RatePerWindow = 10
	}
	if l.Window <= 0 {
		l.Window = 10 * time.Minute
	}
	return l
}

// Settings says whether an artist takes comments (the identity module's preference).
type Settings interface {
	AllowsComments(ctx context.Context, artistDID string) (bool, error)
}

// Comments is the feature.
type Comments struct {
	db       txn.Beginner
	q        *db.Queries
	records  *records.Store
	settings Settings
	limits   Limits
	now      func() time.Time
}

// New returns the feature.
func New(conn txn.Beginner, q *db.Queries, recs *records.Store, settings Settings, limits Limits) *Comments {
	return &Comments{db: conn, q: q, records: recs, settings: settings, limits: limits.WithDefaults(), now: time.Now}
}

// Limits are the feature's bounds.
func (c *Comments) Limits() Limits { return c.limits }

// Comment is a comment as views show it.
type Comment struct {
	ID          uuid.UUID
	TrackID     uuid.UUID
	AuthorDID   string
	Text        string
	TimestampMs int32
	CreatedAt   time.Time
	UpdatedAt   *time.Time
	RecordKey   string
	Record      records.Status
}

func key(did, rkey string) records.Key { return records.Key{DID: did, Kind: KindComment, RKey: rkey} }

func view(r db.CatalogComment) Comment {
	return Comment{
		ID: r.ID, TrackID: r.TrackID, AuthorDID: r.Did, Text: r.Text, TimestampMs: r.TimestampMs,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, RecordKey: r.RecordRkey,
	}
}

func cleanText(value string) (string, error) {
	v, err := text.Clean(ErrInvalidInput, text.Rule{Field: "text", MaxBytes: 4 * MaxTextRunes, MaxGraphemes: MaxTextRunes, Multiline: true}, value)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", ErrInvalidInput.Withf("text is empty")
	}
	return v, nil
}

// List returns a track's comments by timestamp, and whether its artist takes comments
// (when not, none are returned).
func (c *Comments) List(ctx context.Context, trackID uuid.UUID) ([]Comment, bool, error) {
	track, err := c.q.GetTrackSubject(ctx, trackID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (track.Status != "ready" || track.Deleting || track.TakenDown)) {
		return nil, false, subject.ErrTrackNotFound
	}
	if err != nil {
		return nil, false, fmt.Errorf("load track: %w", err)
	}
	allowed, err := c.settings.AllowsComments(ctx, track.ArtistDid)
	if err != nil {
		return nil, false, err
	}
	if !allowed {
		return []Comment{}, false, nil
	}
	rows, err := c.q.ListComments(ctx, trackID)
	if err != nil {
		return nil, false, fmt.Errorf("list comments: %w", err)
	}
	out := make([]Comment, 0, len(rows))
	for _, r := range rows {
		out = append(out, view(r))
	}
	return out, true, c.withRecords(ctx, out)
}

// withRecords fills in each comment's record status.
func (c *Comments) withRecords(ctx context.Context, list []Comment) error {
	for i := range list {
		st, err := c.records.Get(ctx, c.q, key(list[i].AuthorDID, list[i].RecordKey))
		if errors.Is(err, recordsact.ErrNotTracked) {
			continue
		}
		if err != nil {
			return err
		}
		list[i].Record = records.StatusOf(&st.State, st.Failure, st.FailureReason, st.Uri, st.Cid)
	}
	return nil
}

// Add comments on a track as did.
func (c *Comments) Add(ctx context.Context, did string, trackID uuid.UUID, value string, timestampMs int32) (Comment, error) {
	body, err := cleanText(value)
	if err != nil {
		return Comment{}, err
	}
	if timestampMs < 0 {
		return Comment{}, ErrInvalidInput.Withf("timestamp_ms is negative")
	}
	// The artist's setting is the identity module's: asked before the transaction, so no
	// connection waits on it.
	track, err := subject.Of(ctx, c.q, trackID)
	if err != nil {
		return Comment{}, err
	}
	if track.DurationMs > 0 && timestampMs > track.DurationMs {
		return Comment{}, ErrInvalidInput.Withf("timestamp_ms is past the end of the track (%d ms)", track.DurationMs)
	}
	allowed, err := c.settings.AllowsComments(ctx, track.ArtistDID)
	if err != nil {
		return Comment{}, err
	}
	if !allowed {
		return Comment{}, ErrTurnedOff
	}
	var out Comment
	err = txn.Run(ctx, c.db, c.q, func(q *db.Queries) error {
		count, err := q.LockTrackForComment(ctx, trackID)
		if err != nil {
			return fmt.Errorf("lock track: %w", err)
		}
		if count >= int64(c.limits.MaxPerTrack) {
			return ErrTrackFull
		}
		now := c.now().UTC().Truncate(time.Microsecond)
		recent, err := q.CountRecentComments(ctx, db.CountRecentCommentsParams{Did: did, Since: now.Add(-c.limits.Window)})
		if err != nil {
			return fmt.Errorf("count recent comments: %w", err)
		}
		if recent >= int64(c.limits.RatePerWindow) {
			return ErrTooOften
		}
		id := uuid.New()
		row, err := q.InsertComment(ctx, db.InsertCommentParams{
			ID: id, TrackID: trackID, Did: did, RecordRkey: atproto.RecordKey(now, id),
			SubjectUri: track.Ref.URI, SubjectCid: track.Ref.CID, Text: body, TimestampMs: timestampMs, CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("insert comment: %w", err)
		}
		if _, err := q.AddToCommentCount(ctx, db.AddToCommentCountParams{ID: trackID, Delta: 1}); err != nil {
			return fmt.Errorf("count comment: %w", err)
		}
		out = view(row)
		return c.records.Add(ctx, q, key(did, row.RecordRkey))
	})
	if err != nil {
		return Comment{}, err
	}
	out.Record = records.Status{State: records.StatePending}
	return out, c.records.Start(ctx, key(did, out.RecordKey))
}

// Edit changes the text of did's comment id.
func (c *Comments) Edit(ctx context.Context, did string, id uuid.UUID, value string) (Comment, error) {
	body, err := cleanText(value)
	if err != nil {
		return Comment{}, err
	}
	var out Comment
	err = txn.Run(ctx, c.db, c.q, func(q *db.Queries) error {
		row, err := q.LockComment(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock comment: %w", err)
		}
		if row.Did != did {
			return ErrNotAuthor
		}
		if row.Text == body {
			out = view(row)
			return nil
		}
		now := c.now().UTC().Truncate(time.Microsecond)
		row, err = q.UpdateCommentText(ctx, db.UpdateCommentTextParams{ID: id, Text: body, UpdatedAt: &now})
		if err != nil {
			return fmt.Errorf("update comment: %w", err)
		}
		out = view(row)
		return c.records.Revise(ctx, q, key(did, row.RecordRkey), false)
	})
	if err != nil {
		return Comment{}, err
	}
	if err := c.records.Start(ctx, key(did, out.RecordKey)); err != nil {
		return Comment{}, err
	}
	list := []Comment{out}
	if err := c.withRecords(ctx, list); err != nil {
		return Comment{}, err
	}
	return list[0], nil
}

// Delete deletes did's comment id; deleting it again changes nothing.
func (c *Comments) Delete(ctx context.Context, did string, id uuid.UUID) error {
	var deleted *records.Key
	err := txn.Run(ctx, c.db, c.q, func(q *db.Queries) error {
		row, err := q.LockComment(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // gone already
		}
		if err != nil {
			return fmt.Errorf("lock comment: %w", err)
		}
		if row.Did != did {
			return ErrNotAuthor
		}
		if _, err := q.DeleteComment(ctx, id); err != nil {
			return fmt.Errorf("delete comment: %w", err)
		}
		if _, err := q.AddToCommentCount(ctx, db.AddToCommentCountParams{ID: row.TrackID, Delta: -1}); err != nil {
			return fmt.Errorf("count comment: %w", err)
		}
		k := key(did, row.RecordRkey)
		deleted = &k
		return c.records.Revise(ctx, q, k, true)
	})
	if err != nil || deleted == nil {
		return err
	}
	return c.records.Start(ctx, *deleted)
}

// WantedRecord is what the comment record did/rkey should be now.
func (c *Comments) WantedRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	state, err := c.records.Get(ctx, c.q, key(did, rkey))
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	row, err := c.q.GetCommentByRecordKey(ctx, db.GetCommentByRecordKeyParams{Did: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("comment %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load comment: %w", err)
	}
	ref := subject.Ref{URI: row.SubjectUri, CID: row.SubjectCid}
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		out := map[string]any{}
		for k, v := range current {
			out[k] = v
		}
		out["subject"] = ref.Record()
		out["text"] = row.Text
		out["timestampMs"] = int64(row.TimestampMs)
		if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
			out["createdAt"] = atproto.Datetime(row.CreatedAt)
		}
		if row.UpdatedAt != nil {
			out["updatedAt"] = atproto.Datetime(*row.UpdatedAt)
		}
		return out, nil
	}}, nil
}

// SettleRecord records how the write of a comment record went.
func (c *Comments) SettleRecord(ctx context.Context, did, rkey string, o recordsact.Outcome) (bool, error) {
	return c.records.Settle(ctx, c.q, key(did, rkey), o)
}
