// Package queue keeps each account's play queue and what it is playing now, shared by
// every server process through PostgreSQL.
//
// The queue is a JSON state with a revision bumped by every write. A write names the
// revision it saw (If-Match): a stale one is refused, so two tabs cannot silently undo each
// other. Every write sends a NOTIFY in its transaction; each process LISTENs on one
// dedicated connection (Hub) and wakes the streams of that account, which read the queue
// again. A lost listening connection is re-established, and every stream is woken then,
// so a change made while it was down is not missed.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Bounds of a queue.
const (
	MaxTracks = 1000
	// MaxStateBytes bounds a queue's JSON.
	MaxStateBytes = 128 << 10
)

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid queue")
	// ErrStale marks a write made over a revision that is no longer the queue's.
	ErrStale = rpc.NewError(connect.CodeAborted, "the queue changed meanwhile")
)

// State is a play queue.
type State struct {
	TrackIDs         []string `json:"trackIds"`
	CurrentIndex     int32    `json:"currentIndex"`
	Shuffle          bool     `json:"shuffle"`
	OriginalOrderIDs []string `json:"originalOrderIds"`
	PositionMs       Millis   `json:"positionMs"`
}

// Millis is a count of milliseconds. It reads a JSON number or, as protobuf's JSON writes
// 64-bit integers, a string of digits; it writes a number.
type Millis int64

// UnmarshalJSON reads 1500 or "1500".
func (m *Millis) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*m = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return ErrInvalidInput.Withf("positionMs is not a whole number of milliseconds")
	}
	*m = Millis(n)
	return nil
}

// Queue is a state at a revision (0: the account never wrote one), written at UpdatedAt.
type Queue struct {
	Revision  int64
	State     State
	UpdatedAt time.Time
}

// Validate checks a state a client sent.
func (s *State) Validate() error {
	if s.TrackIDs == nil {
		s.TrackIDs = []string{}
	}
	if s.OriginalOrderIDs == nil {
		s.OriginalOrderIDs = []string{}
	}
	if len(s.TrackIDs) > MaxTracks || len(s.OriginalOrderIDs) > MaxTracks {
		return ErrInvalidInput.Withf("a queue holds at most %d tracks", MaxTracks)
	}
	for _, list := range [][]string{s.TrackIDs, s.OriginalOrderIDs} {
		for _, id := range list {
			if _, err := uuid.Parse(id); err != nil {
				return ErrInvalidInput.Withf("%q is not a track id", id)
			}
		}
	}
	if s.CurrentIndex < 0 || (len(s.TrackIDs) > 0 && int(s.CurrentIndex) >= len(s.TrackIDs)) || (len(s.TrackIDs) == 0 && s.CurrentIndex != 0) {
		return ErrInvalidInput.Withf("currentIndex %d is outside the queue", s.CurrentIndex)
	}
	if s.PositionMs < 0 {
		return ErrInvalidInput.Withf("positionMs is negative")
	}
	return nil
}

// Store reads and writes queues.
type Store struct{ q *db.Queries }

// NewStore returns a Store.
func NewStore(q *db.Queries) *Store { return &Store{q: q} }

// Get returns did's queue; revision 0 and an empty state when they have none.
func (s *Store) Get(ctx context.Context, did string) (Queue, error) {
	row, err := s.q.GetQueue(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return Queue{State: State{TrackIDs: []string{}, OriginalOrderIDs: []string{}}}, nil
	}
	if err != nil {
		return Queue{}, fmt.Errorf("get queue: %w", err)
	}
	var st State
	if err := json.Unmarshal(row.State, &st); err != nil {
		return Queue{}, fmt.Errorf("queue of %s: %w", did, err)
	}
	_ = st.Validate() // fills nil lists
	return Queue{Revision: row.Revision, State: st, UpdatedAt: row.UpdatedAt}, nil
}

// Put writes did's queue over revision expected (any revision when expected is -1). On a
// stale revision it returns ErrStale with the queue as it is.
func (s *Store) Put(ctx context.Context, did string, st State, expected int64) (Queue, error) {
	if err := st.Validate(); err != nil {
		return Queue{}, err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return Queue{}, err
	}
	if len(raw) > MaxStateBytes {
		return Queue{}, ErrInvalidInput.Withf("the queue is larger than %d bytes", MaxStateBytes)
	}
	row, err := s.q.PutQueue(ctx, db.PutQueueParams{Did: did, State: raw, Expected: expected})
	if errors.Is(err, pgx.ErrNoRows) {
		current, err := s.Get(ctx, did)
		if err != nil {
			return Queue{}, err
		}
		return current, ErrStale
	}
	if err != nil {
		return Queue{}, fmt.Errorf("put queue: %w", err)
	}
	return Queue{Revision: row.Revision, State: st, UpdatedAt: row.UpdatedAt}, nil
}

// NowPlaying is what an account is playing.
type NowPlaying struct {
	TrackID    uuid.UUID
	ProgressMs int64
	IsPlaying  bool
	ReportedAt time.Time
}

// Progress is where playback is at now: the reported progress, moved on by the time since
// when it is playing.
func (n NowPlaying) Progress(now time.Time) int64 {
	if !n.IsPlaying {
		return n.ProgressMs
	}
	return n.ProgressMs + now.Sub(n.ReportedAt).Milliseconds()
}

// NowPlayingTTL is how long a report lasts without being renewed (clients renew it every
// ten seconds or so).
const NowPlayingTTL = 2 * time.Minute

// SetNowPlaying records what did plays.
func (s *Store) SetNowPlaying(ctx context.Context, did string, n NowPlaying) error {
	if n.ProgressMs < 0 {
		return ErrInvalidInput.Withf("progress_ms is negative")
	}
	now := time.Now().UTC()
	return s.q.SetNowPlaying(ctx, db.SetNowPlayingParams{
		Did: did, TrackID: n.TrackID, ProgressMs: n.ProgressMs, IsPlaying: n.IsPlaying, ReportedAt: now, ExpiresAt: now.Add(NowPlayingTTL),
	})
}

// ClearNowPlaying says did stopped.
func (s *Store) ClearNowPlaying(ctx context.Context, did string) error {
	return s.q.ClearNowPlaying(ctx, did)
}

// GetNowPlaying returns what did plays; ok is false when nothing (or it expired).
func (s *Store) GetNowPlaying(ctx context.Context, did string) (NowPlaying, bool, error) {
	row, err := s.q.GetNowPlaying(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return NowPlaying{}, false, nil
	}
	if err != nil {
		return NowPlaying{}, false, fmt.Errorf("now playing: %w", err)
	}
	return NowPlaying{TrackID: row.TrackID, ProgressMs: row.ProgressMs, IsPlaying: row.IsPlaying, ReportedAt: row.ReportedAt}, true, nil
}

// ForgetExpired drops expired now-playing reports (housekeeping).
func (s *Store) ForgetExpired(ctx context.Context) (int64, error) {
	return s.q.ForgetNowPlaying(ctx)
}
