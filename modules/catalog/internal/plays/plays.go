// Package plays counts plays and answers charts. A play report counts when the listener
// heard at least MinListen or half the track, and only once per listener per track per
// Window: the first report in a window counts, replays of it count nothing (plyr.fm
// counted every request). A listener is an account, or an anonymous visitor known by a
// hash of their address and browser with a salt that changes daily (so no address is
// kept, and a visitor cannot be followed from one day to the next).
//
// Each counted play is an append-only row (who, what, when, how long, from which share
// link), and the track's play counter and its per-day count move in the same
// transaction: views read counters, never count. When counted plays are handed off (to
// sharing: scrobbles, listen receipts), a play that has someone to hand it to (a signed-in
// listener or a share link) is marked pending in that transaction until HandedOff, so a
// hand-off lost to a crash is found again by PendingHandOffs.
package plays

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/singleflight"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/txn"
)

// Defaults of the counting rule.
const (
	MinListen     = 30 * time.Second
	DefaultWindow = 30 * time.Minute
	maxRefBytes   = 32
)

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	ErrNotFound     = rpc.NewError(connect.CodeNotFound, "track not found")
)

// Plays is the feature.
type Plays struct {
	db     txn.Beginner
	q      *db.Queries
	window time.Duration
	now    func() time.Time
	// handOff says whether counted plays are handed off after they commit.
	handOff bool

	mu    sync.Mutex
	salts map[string][]byte // by day (YYYY-MM-DD)

	chartsMu     sync.Mutex
	charts       map[chartKey]chart
	chartsFlight singleflight.Group
}

// New returns the feature; window is how long one listener's play of a track counts once
// (DefaultWindow when 0); handOff, whether counted plays are handed off after they commit
// (then marked pending until HandedOff).
func New(conn txn.Beginner, q *db.Queries, window time.Duration, handOff bool) *Plays {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Plays{db: conn, q: q, window: window, now: time.Now, handOff: handOff, salts: map[string][]byte{}, charts: map[chartKey]chart{}}
}

// Listener is who played: an account's DID, or an anonymous visitor's address and
// browser (used once, for the day's hash).
type Listener struct {
	DID       string
	Addr      string
	UserAgent string
}

// Report is one play report.
type Report struct {
	TrackID    uuid.UUID
	ListenedMs int64
	Ref        string
	Listener   Listener
}

// Result says whether the report counted, and the track's play count now; Play is the
// counted play (zero when it did not count).
type Result struct {
	Counted bool
	Count   int64
	Play    Counted
}

// Counted is a play that counted, as it was recorded.
type Counted struct {
	// ID is the play's row; Pending, whether it waits for its hand-off.
	ID      int64
	Pending bool
	TrackID uuid.UUID
	// ListenerDID is the account that played; "" for an anonymous visitor, whose day's
	// hash is Visitor.
	ListenerDID string
	Visitor     string
	Ref         string
	ListenedMs  int64
	// CountedAt is when the play counted (the report's arrival).
	CountedAt time.Time
}

// Record applies the counting rule to a report.
func (p *Plays) Record(ctx context.Context, r Report) (Result, error) {
	if r.ListenedMs < 0 {
		return Result{}, ErrInvalidInput.Withf("listened_ms is negative")
	}
	if len(r.Ref) > maxRefBytes {
		r.Ref = "" // not a code plyr made; the play still counts
	}
	track, err := p.q.GetPlayable(ctx, r.TrackID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (track.Status != "ready" || track.Deleting || track.TakenDown)) {
		return Result{}, ErrNotFound
	}
	if err != nil {
		return Result{}, fmt.Errorf("load track: %w", err)
	}
	if !heardEnough(r.ListenedMs, track.DurationMs) {
		return Result{Count: track.PlayCount}, nil
	}
	now := p.now().UTC().Truncate(time.Microsecond)
	var listener string
	var listenerDID, visitor *string
	if r.Listener.DID != "" {
		listenerDID = &r.Listener.DID
		listener = r.Listener.DID
	} else {
		v, err := p.visitor(ctx, now, r.Listener)
		if err != nil {
			return Result{}, err
		}
		visitor = &v
		listener = "visitor:" + v
	}
	var ref *string
	if r.Ref != "" {
		ref = &r.Ref
	}
	out := Result{Count: track.PlayCount}
	err = txn.Run(ctx, p.db, p.q, func(q *db.Queries) error {
		_, err := q.GuardPlay(ctx, db.GuardPlayParams{Listener: listener, TrackID: r.TrackID, CountedAt: now, CountedSince: now.Add(-p.window)})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // counted within the window already
		}
		if err != nil {
			return fmt.Errorf("guard play: %w", err)
		}
		pending := p.handOff && (listenerDID != nil || ref != nil)
		id, err := q.InsertPlay(ctx, db.InsertPlayParams{
			TrackID: r.TrackID, ListenerDid: listenerDID, Visitor: visitor, ListenedMs: r.ListenedMs, ShareRef: ref, PlayedAt: now,
			HandoffPending: pending,
		})
		if err != nil {
			return fmt.Errorf("insert play: %w", err)
		}
		count, err := q.AddPlay(ctx, r.TrackID)
		if err != nil {
			return fmt.Errorf("count play: %w", err)
		}
		if err := q.AddPlayDay(ctx, db.AddPlayDayParams{Day: pgtype.Date{Time: now, Valid: true}, TrackID: r.TrackID}); err != nil {
			return fmt.Errorf("count play day: %w", err)
		}
		out = Result{Counted: true, Count: count, Play: Counted{
			ID: id, Pending: pending, TrackID: r.TrackID, ListenerDID: r.Listener.DID, Ref: r.Ref, ListenedMs: r.ListenedMs, CountedAt: now,
		}}
		if visitor != nil {
			out.Play.Visitor = *visitor
		}
		return nil
	})
	return out, err
}

// HandedOff marks a counted play's hand-off done.
func (p *Plays) HandedOff(ctx context.Context, id int64) error {
	if err := p.q.SetPlayHandedOff(ctx, id); err != nil {
		return fmt.Errorf("mark play %d handed off: %w", id, err)
	}
	return nil
}

// PendingHandOffs are at most limit counted plays still waiting for their hand-off since
// before before, oldest first, as Record reported them.
func (p *Plays) PendingHandOffs(ctx context.Context, before time.Time, limit int) ([]Counted, error) {
	rows, err := p.q.PendingPlayHandoffs(ctx, db.PendingPlayHandoffsParams{Before: before, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("pending play hand-offs: %w", err)
	}
	out := make([]Counted, len(rows))
	for i, r := range rows {
		out[i] = Counted{ID: r.ID, Pending: true, TrackID: r.TrackID, ListenedMs: r.ListenedMs, CountedAt: r.PlayedAt.UTC()}
		if r.ListenerDid != nil {
			out[i].ListenerDID = *r.ListenerDid
		}
		if r.Visitor != nil {
			out[i].Visitor = *r.Visitor
		}
		if r.ShareRef != nil {
			out[i].Ref = *r.ShareRef
		}
	}
	return out, nil
}

// heardEnough is the rule: MinListen, or half the track when it is shorter than twice that.
func heardEnough(listenedMs int64, durationMs *int32) bool {
	need := MinListen.Milliseconds()
	if durationMs != nil && int64(*durationMs)/2 < need {
		need = int64(*durationMs) / 2
	}
	return listenedMs >= need
}

// VisitorKey is an anonymous visitor's hash for today: the same for their visits and their
// plays, and unrelated to tomorrow's.
func (p *Plays) VisitorKey(ctx context.Context, addr, userAgent string) (string, error) {
	return p.visitor(ctx, p.now().UTC(), Listener{Addr: addr, UserAgent: userAgent})
}

// visitor is an anonymous listener's hash for the day.
func (p *Plays) visitor(ctx context.Context, now time.Time, l Listener) (string, error) {
	salt, err := p.salt(ctx, now)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(l.Addr))
	h.Write([]byte{0})
	h.Write([]byte(l.UserAgent))
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// salt returns the day's salt, shared by every process through the database.
func (p *Plays) salt(ctx context.Context, now time.Time) ([]byte, error) {
	day := now.Format(time.DateOnly)
	p.mu.Lock()
	s, ok := p.salts[day]
	p.mu.Unlock()
	if ok {
		return s, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	s, err := p.q.GetVisitorSalt(ctx, db.GetVisitorSaltParams{Day: pgtype.Date{Time: now, Valid: true}, Salt: fresh})
	if err != nil {
		return nil, fmt.Errorf("visitor salt: %w", err)
	}
	p.mu.Lock()
	p.salts = map[string][]byte{day: s} // yesterday's is no longer needed
	p.mu.Unlock()
	return s, nil
}

// Forget drops what the counting rule no longer needs: guards older than the window and
// salts older than today (housekeeping). It returns how many guards it dropped.
func (p *Plays) Forget(ctx context.Context) (int64, error) {
	now := p.now().UTC()
	n, err := p.q.ForgetPlayGuards(ctx, now.Add(-p.window))
	if err != nil {
		return 0, fmt.Errorf("forget play guards: %w", err)
	}
	if _, err := p.q.ForgetVisitorSalts(ctx, pgtype.Date{Time: now, Valid: true}); err != nil {
		return n, fmt.Errorf("forget visitor salts: %w", err)
	}
	return n, nil
}

// By is what a chart ranks by.
type By int

// The charts.
const (
	ByLikes By = iota
	ByPlays
)

// Ranked is a track in a chart with its count in the window.
type Ranked struct {
	TrackID uuid.UUID
	Count   int64
}

// Charts are computed for everyone at once and kept for ChartTTL: a chart over a week is
// the same for every listener, and ranking a week of plays or likes costs the week's rows,
// which grow with plyr; a minute's staleness does not matter to a chart.
const (
	ChartTTL  = time.Minute
	ChartSize = 50
)

type chartKey struct {
	by     By
	window time.Duration
}

type chart struct {
	at     time.Time
	ranked []Ranked
}

// Top returns the limit (at most ChartSize) most liked or played tracks over the last
// window (all time when 0).
func (p *Plays) Top(ctx context.Context, by By, window time.Duration, limit int) ([]Ranked, error) {
	key := chartKey{by, window}
	p.chartsMu.Lock()
	c, ok := p.charts[key]
	p.chartsMu.Unlock()
	if !ok || p.now().Sub(c.at) > ChartTTL {
		v, err, _ := p.chartsFlight.Do(fmt.Sprint(key), func() (any, error) {
			ranked, err := p.rank(ctx, by, window)
			if err != nil {
				return nil, err
			}
			fresh := chart{at: p.now(), ranked: ranked}
			p.chartsMu.Lock()
			p.charts[key] = fresh
			p.chartsMu.Unlock()
			return fresh, nil
		})
		if err != nil {
			return nil, err
		}
		c = v.(chart)
	}
	return c.ranked[:min(limit, len(c.ranked))], nil
}

// rank computes a chart.
func (p *Plays) rank(ctx context.Context, by By, window time.Duration) ([]Ranked, error) {
	out := []Ranked{}
	add := func(id uuid.UUID, n int64) { out = append(out, Ranked{TrackID: id, Count: n}) }
	n := int32(ChartSize)
	since := p.now().UTC().Add(-window)
	switch {
	case by == ByLikes && window == 0:
		rows, err := p.q.TopTracksByLikes(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r.ID, r.Count)
		}
	case by == ByPlays && window == 0:
		rows, err := p.q.TopTracksByPlays(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r.ID, r.Count)
		}
	case by == ByLikes:
		rows, err := p.q.TopTracksByRecentLikes(ctx, db.TopTracksByRecentLikesParams{Since: since, MaxRows: n})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r.ID, r.Count)
		}
	default:
		rows, err := p.q.TopTracksByRecentPlays(ctx, db.TopTracksByRecentPlaysParams{Since: pgtype.Date{Time: since, Valid: true}, MaxRows: n})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r.ID, r.Count)
		}
	}
	return out, nil
}

// Stats are plyr's totals.
type Stats = db.PlatformStatsRow

// Stats returns plyr's totals.
func (p *Plays) Stats(ctx context.Context) (Stats, error) {
	return p.q.PlatformStats(ctx)
}
