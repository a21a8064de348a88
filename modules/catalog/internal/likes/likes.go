// Package likes is the catalog's likes feature. A like is an fm.plyr.like record on the
// listener's PDS pointing at the track's record; the listener's likes in order also make
// their "Liked" list record (an fm.plyr.list of listType liked), kept in step with every
// like and unlike (plyr.fm rebuilt it only at sign-in) and reorderable.
//
// Like and unlike answer at once: the row and the counter change in one transaction with
// the records' bookkeeping (the like's record, the list's record), and the recordsync
// workflow writes them after. An unlike deletes the row and revises the record to
// absent, so like-then-unlike ends with neither, however the writes interleave, and
// unlike-then-like ends with one of each (the new like has a new record key).
package likes

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
	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/listrecord"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/subject"
	"github.com/plyrfm/plyr/modules/catalog/internal/txn"
)

// KindLike is the like record's kind.
const KindLike records.Kind = "like"

// ListName is the name of every listener's "Liked" list record.
const ListName = "Liked Tracks"

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// ErrNotShown marks the likes of a listener who keeps them off their profile.
	ErrNotShown = rpc.NewError(connect.CodePermissionDenied, "their likes are private")
)

// Likes is the feature.
type Likes struct {
	db      txn.Beginner
	q       *db.Queries
	records *records.Store
	now     func() time.Time
}

// New returns the feature.
func New(conn txn.Beginner, q *db.Queries, recs *records.Store) *Likes {
	return &Likes{db: conn, q: q, records: recs, now: time.Now}
}

// Result is a track's like state for the caller after a change.
type Result struct {
	Liked bool
	Count int64
}

func likeKey(did, rkey string) records.Key { return records.Key{DID: did, Kind: KindLike, RKey: rkey} }

func listKey(l db.CatalogLikedList) records.Key {
	return records.Key{DID: l.Did, Kind: records.KindList, RKey: l.RecordRkey}
}

// Like likes a track for did. Liking again changes nothing (a like whose record write a
// crash interrupted is resumed by housekeeping, as every pending record is).
func (l *Likes) Like(ctx context.Context, did string, trackID uuid.UUID) (Result, error) {
	var started []records.Key
	var count int64
	err := txn.Run(ctx, l.db, l.q, func(q *db.Queries) error {
		track, err := subject.Of(ctx, q, trackID)
		if err != nil {
			return err
		}
		now := l.now().UTC().Truncate(time.Microsecond)
		id := uuid.New()
		row, err := q.InsertLike(ctx, db.InsertLikeParams{
			ID: id, Did: did, TrackID: trackID, RecordRkey: atproto.RecordKey(now, id),
			SubjectUri: track.Ref.URI, SubjectCid: track.Ref.CID, SortKey: -now.UnixMicro(), CreatedAt: now,
		})
		if errors.Is(err, pgx.ErrNoRows) { // liked already
			existing, err := q.LikedAmong(ctx, db.LikedAmongParams{Did: did, Ids: []uuid.UUID{trackID}})
			if err != nil || len(existing) == 0 {
				return fmt.Errorf("find the like: %w", err)
			}
			count, err = q.GetLikeCount(ctx, trackID)
			return err
		}
		if err != nil {
			return fmt.Errorf("insert like: %w", err)
		}
		if count, err = q.AddToLikeCount(ctx, db.AddToLikeCountParams{ID: trackID, Delta: 1}); err != nil {
			return fmt.Errorf("count like: %w", err)
		}
		key := likeKey(did, row.RecordRkey)
		if err := l.records.Add(ctx, q, key); err != nil {
			return err
		}
		list, err := l.reviseList(ctx, q, did, now)
		if err != nil {
			return err
		}
		started = []records.Key{key, list}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Liked: true, Count: count}, l.start(ctx, started)
}

// Unlike takes did's like of a track back; without one it changes nothing.
func (l *Likes) Unlike(ctx context.Context, did string, trackID uuid.UUID) (Result, error) {
	var started []records.Key
	var count int64
	err := txn.Run(ctx, l.db, l.q, func(q *db.Queries) error {
		row, err := q.DeleteLike(ctx, db.DeleteLikeParams{Did: did, TrackID: trackID})
		if errors.Is(err, pgx.ErrNoRows) {
			count, err = q.GetLikeCount(ctx, trackID)
			if errors.Is(err, pgx.ErrNoRows) {
				return subject.ErrTrackNotFound
			}
			return err
		}
		if err != nil {
			return fmt.Errorf("delete like: %w", err)
		}
		if count, err = q.AddToLikeCount(ctx, db.AddToLikeCountParams{ID: trackID, Delta: -1}); err != nil {
			return fmt.Errorf("count unlike: %w", err)
		}
		key := likeKey(did, row.RecordRkey)
		if err := l.records.Revise(ctx, q, key, true); err != nil {
			return err
		}
		list, err := l.reviseList(ctx, q, did, l.now())
		if err != nil {
			return err
		}
		started = []records.Key{key, list}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Liked: false, Count: count}, l.start(ctx, started)
}

// reviseList makes sure did's "Liked" list exists and says its record should change.
func (l *Likes) reviseList(ctx context.Context, q *db.Queries, did string, now time.Time) (records.Key, error) {
	now = now.UTC().Truncate(time.Microsecond)
	list, err := q.EnsureLikedList(ctx, db.EnsureLikedListParams{Did: did, RecordRkey: atproto.RecordKey(now, uuid.New()), CreatedAt: now})
	if err != nil {
		return records.Key{}, fmt.Errorf("liked list: %w", err)
	}
	key := listKey(list)
	return key, l.records.Revise(ctx, q, key, false)
}

// start has the records' workflows write them (after the commit). A start that fails
// leaves the record pending; housekeeping resumes it.
func (l *Likes) start(ctx context.Context, keys []records.Key) error {
	var errs []error
	for _, k := range keys {
		if err := l.records.Start(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LikedAmong returns which of ids did likes.
func (l *Likes) LikedAmong(ctx context.Context, did string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	if did == "" || len(ids) == 0 {
		return out, nil
	}
	rows, err := l.q.LikedAmong(ctx, db.LikedAmongParams{Did: did, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("liked among: %w", err)
	}
	for _, id := range rows {
		out[id] = true
	}
	return out, nil
}

// Liker is one like of a track.
type Liker struct {
	DID     string
	LikedAt time.Time
}

// LikersPage is a page of a track's likers.
type LikersPage struct {
	Likers []Liker
	Total  int64
	Next   string
}

func pageSize(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 100:
		return 100
	}
	return n
}

// Likers returns a page of who likes trackID, newest first.
func (l *Likes) Likers(ctx context.Context, trackID uuid.UUID, size int, token string) (LikersPage, error) {
	size = pageSize(size)
	pos, err := cursor.Decode(token)
	if err != nil {
		return LikersPage{}, ErrInvalidInput.Withf("page_token is not one this server made")
	}
	total, err := l.q.GetLikeCount(ctx, trackID)
	if errors.Is(err, pgx.ErrNoRows) {
		return LikersPage{}, subject.ErrTrackNotFound
	}
	if err != nil {
		return LikersPage{}, fmt.Errorf("like count: %w", err)
	}
	rows, err := l.q.ListLikers(ctx, db.ListLikersParams{TrackID: trackID, BeforeAt: pos.CreatedAt, BeforeID: pos.ID, MaxRows: int32(size + 1)})
	if err != nil {
		return LikersPage{}, fmt.Errorf("list likers: %w", err)
	}
	page := LikersPage{Total: total}
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	for _, r := range rows {
		page.Likers = append(page.Likers, Liker{DID: r.Did, LikedAt: r.CreatedAt})
	}
	return page, nil
}

// LikedPage is a page of a listener's liked tracks, in their list's order.
type LikedPage struct {
	TrackIDs []uuid.UUID
	Total    int64
	Next     string
	// List is the "Liked" list record's status; its zero value when they never liked.
	List records.Status
}

// Liked returns a page of the tracks did likes.
func (l *Likes) Liked(ctx context.Context, did string, size int, token string) (LikedPage, error) {
	size = pageSize(size)
	pos, err := cursor.DecodeKey(token)
	if err != nil {
		return LikedPage{}, ErrInvalidInput.Withf("page_token is not one this server made")
	}
	total, err := l.q.CountLikesBy(ctx, did)
	if err != nil {
		return LikedPage{}, fmt.Errorf("count likes: %w", err)
	}
	rows, err := l.q.ListLikedTracks(ctx, db.ListLikedTracksParams{Did: did, AfterKey: pos.N, AfterID: pos.ID, MaxRows: int32(size + 1)})
	if err != nil {
		return LikedPage{}, fmt.Errorf("list liked: %w", err)
	}
	page := LikedPage{Total: total}
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		page.Next = cursor.EncodeKey(cursor.Key{N: last.SortKey, ID: last.TrackID})
	}
	for _, r := range rows {
		page.TrackIDs = append(page.TrackIDs, r.TrackID)
	}
	if list, err := l.q.GetLikedList(ctx, did); err == nil {
		st, err := l.records.Get(ctx, l.q, listKey(list))
		if err == nil {
			page.List = records.StatusOf(&st.State, st.Failure, st.FailureReason, st.Uri, st.Cid)
		}
	}
	return page, nil
}

// Reorder puts did's likes in the order of trackIDs, which must be exactly the tracks
// they like; the "Liked" list record follows.
func (l *Likes) Reorder(ctx context.Context, did string, trackIDs []uuid.UUID) error {
	var key records.Key
	err := txn.Run(ctx, l.db, l.q, func(q *db.Queries) error {
		have, err := q.ListLikedTrackIDs(ctx, did)
		if err != nil {
			return fmt.Errorf("liked tracks: %w", err)
		}
		if !samePermutation(have, trackIDs) {
			return ErrInvalidInput.Withf("track_ids must be exactly the tracks you like, each once (you like %d)", len(have))
		}
		if _, err := q.SetLikeOrder(ctx, db.SetLikeOrderParams{Did: did, TrackIds: trackIDs}); err != nil {
			return fmt.Errorf("reorder likes: %w", err)
		}
		key, err = l.reviseList(ctx, q, did, l.now())
		return err
	})
	if err != nil {
		return err
	}
	return l.records.Start(ctx, key)
}

func samePermutation(have, want []uuid.UUID) bool {
	if len(have) != len(want) {
		return false
	}
	set := make(map[uuid.UUID]bool, len(have))
	for _, id := range have {
		set[id] = true
	}
	for _, id := range want {
		if !set[id] {
			return false
		}
		delete(set, id) // each once
	}
	return true
}

// WantedRecord is what the like record did/rkey should be now.
func (l *Likes) WantedRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	state, err := l.records.Get(ctx, l.q, likeKey(did, rkey))
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	row, err := l.q.GetLikeByRecordKey(ctx, db.GetLikeByRecordKeyParams{Did: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("like %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load like %s/%s: %w", did, rkey, err)
	}
	ref := subject.Ref{URI: row.SubjectUri, CID: row.SubjectCid}
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		out := map[string]any{}
		for k, v := range current {
			out[k] = v
		}
		out["subject"] = ref.Record()
		if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
			out["createdAt"] = atproto.Datetime(row.CreatedAt)
		}
		return out, nil
	}}, nil
}

// SettleRecord records how the write of a like record went.
func (l *Likes) SettleRecord(ctx context.Context, did, rkey string, o recordsact.Outcome) (bool, error) {
	return l.records.Settle(ctx, l.q, likeKey(did, rkey), o)
}

// WantedListRecord is what did's "Liked" list record (key rkey) should be now.
func (l *Likes) WantedListRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	list, err := l.q.GetLikedListByRecordKey(ctx, db.GetLikedListByRecordKeyParams{Did: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("liked list %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load liked list: %w", err)
	}
	state, err := l.records.Get(ctx, l.q, listKey(list))
	if err != nil {
		return recordsact.Wanted{}, err
	}
	rows, err := l.q.ListLikedSubjects(ctx, did)
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("liked subjects: %w", err)
	}
	items := make([]subject.Ref, 0, len(rows))
	for _, r := range rows {
		items = append(items, subject.Ref{URI: r.SubjectUri, CID: r.SubjectCid})
	}
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		return listrecord.Build(current, ListName, listrecord.TypeLiked, items, list.CreatedAt, state.UpdatedAt), nil
	}}, nil
}
