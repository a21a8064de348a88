// Package scrobbles turns a listener's counted plays into teal.fm records on their PDS: a
// play record (<ns>.feed.play) per play, and their status record (<ns>.actor.status, key
// self) showing the latest play.
//
// # Idempotence
//
// A play's record key is a TID of the play's own start, made from what the catalog
// recorded when the play counted (atproto.RecordKey of the start and the track id), never
// from the time of writing. The same play arriving twice is one row (the insert does
// nothing the second time), and the record is written by the recordsync workflow, one per
// record and put on its fixed key: a retry, a duplicated start or a worker that died after
// the PDS write all end with one record. (plyr.fm took the time inside its background
// task, so a retried task wrote a second record.)
//
// The status shows the latest play by play time: its revision is that time in
// microseconds, so a play arriving late never replaces a newer one.
package scrobbles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/modules/sharing/internal/db"

	"github.com/google/uuid"
)

// StatusKey is the status record's key.
const StatusKey = "self"

// StatusTTL is how long a status stays current after the play began.
const StatusTTL = 10 * time.Minute

// Collections are a teal namespace's play and status collections.
func Collections(namespace string) (play, status string) {
	return namespace + ".feed.play", namespace + ".actor.status"
}

// alpha reports whether namespace is teal's older one (fm.teal.alpha), whose records name
// the page and the service differently (originUrl and musicServiceBaseDomain, where the
// stable namespace has originUri and musicServiceUri).
func alpha(namespace string) bool { return strings.HasSuffix(namespace, ".alpha") }

// Play is a counted play to scrobble.
type Play struct {
	DID       string
	Namespace string
	TrackID   uuid.UUID
	TrackName string
	// Artists are the track's artist then its featured artists, by display name.
	Artists   []string
	DurationS *int32
	Release   string
	// OriginURL is the track's page on plyr.
	OriginURL string
	// StartedAt is when playback began, as recorded when the play counted.
	StartedAt time.Time
}

// Service says how records name plyr: its public URL and its client agent.
type Service struct {
	PublicURL   string
	ClientAgent string
}

// Scrobbles is the feature.
type Scrobbles struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	service Service
}

// New returns the feature.
func New(pool *pgxpool.Pool, q *db.Queries, service Service) *Scrobbles {
	return &Scrobbles{pool: pool, q: q, service: service}
}

// Record stores a play to scrobble and points the listener's status at it when it is
// their latest, in one transaction, and returns the records to write (the play's, then
// the status's). Recording the same play again changes nothing and returns the same
// records: starting their writes again is harmless.
func (s *Scrobbles) Record(ctx context.Context, p Play) ([]recordsact.Ref, error) {
	if p.TrackName == "" || len(p.Artists) == 0 {
		return nil, errors.New("a scrobble needs a track name and an artist")
	}
	// Milliseconds, as playedTime is written: the key follows from the record itself.
	started := p.StartedAt.UTC().Truncate(time.Millisecond)
	playColl, statusColl := Collections(p.Namespace)
	rkey := atproto.RecordKey(started, p.TrackID)
	var release *string
	if p.Release != "" {
		release = &p.Release
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	q := s.q.WithTx(tx)
	if _, err := q.InsertScrobble(ctx, db.InsertScrobbleParams{
		Did: p.DID, Collection: playColl, Rkey: rkey, TrackID: p.TrackID, TrackName: truncate(p.TrackName, 256),
		ArtistNames: p.Artists, DurationS: p.DurationS, ReleaseName: release, OriginUrl: p.OriginURL, PlayedAt: started,
	}); err != nil {
		return nil, fmt.Errorf("insert scrobble: %w", err)
	}
	if _, err := q.AdvanceStatus(ctx, db.AdvanceStatusParams{
		Did: p.DID, Collection: statusColl, Revision: started.UnixMicro(), PlayCollection: playColl, PlayRkey: rkey,
	}); err != nil {
		return nil, fmt.Errorf("advance status: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return []recordsact.Ref{
		{DID: p.DID, Collection: playColl, RKey: rkey},
		{DID: p.DID, Collection: statusColl, RKey: StatusKey},
	}, nil
}

// truncate cuts s to at most n bytes, at a character's boundary: teal's lexicons bound
// strings in UTF-8 bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Scrobble is a recorded play, for its listener.
type Scrobble = db.Scrobble

// Page returns a page of did's scrobbles, newest first, before (at, rkey).
func (s *Scrobbles) Page(ctx context.Context, did string, beforeAt time.Time, beforeRKey string, size int) ([]Scrobble, error) {
	return s.q.ListScrobbles(ctx, db.ListScrobblesParams{Did: did, BeforeAt: beforeAt, BeforeRkey: beforeRKey, PageSize: int32(size)})
}

// Stalled are the records of scrobbles and statuses still pending that were recorded
// before since: their writes' starts were lost (the process died) or are very late.
func (s *Scrobbles) Stalled(ctx context.Context, since time.Time, limit int) ([]recordsact.Ref, error) {
	plays, err := s.q.PendingScrobbles(ctx, db.PendingScrobblesParams{StalledSince: since, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("pending scrobbles: %w", err)
	}
	statuses, err := s.q.PendingStatuses(ctx, db.PendingStatusesParams{StalledSince: since, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("pending statuses: %w", err)
	}
	refs := make([]recordsact.Ref, 0, len(plays)+len(statuses))
	for _, p := range plays {
		refs = append(refs, recordsact.Ref{DID: p.Did, Collection: p.Collection, RKey: p.Rkey})
	}
	for _, st := range statuses {
		refs = append(refs, recordsact.Ref{DID: st.Did, Collection: st.Collection, RKey: StatusKey})
	}
	return refs, nil
}

// playView is the play as teal's records carry it: the play record itself, and the
// status record's item.
func (s *Scrobbles) playView(namespace string, p db.Scrobble) map[string]any {
	artists := make([]any, 0, len(p.Artists))
	for _, a := range p.Artists {
		artists = append(artists, map[string]any{"artistName": truncate(a, 256)})
	}
	v := map[string]any{
		"trackName":             truncate(p.TrackName, 256),
		"artists":               artists,
		"playedTime":            atproto.Datetime(p.PlayedAt),
		"submissionClientAgent": s.service.ClientAgent,
	}
	if p.DurationS != nil {
		v["duration"] = int64(*p.DurationS)
	}
	if p.ReleaseName != nil && *p.ReleaseName != "" {
		v["releaseName"] = truncate(*p.ReleaseName, 256)
	}
	if alpha(namespace) {
		v["originUrl"] = p.OriginUrl
		v["musicServiceBaseDomain"] = host(s.service.PublicURL)
	} else {
		v["originUri"] = p.OriginUrl
		v["musicServiceUri"] = s.service.PublicURL
	}
	return v
}

// playRecord is the play record of a scrobble.
func (s *Scrobbles) playRecord(namespace string, play db.Scrobble) map[string]any {
	return s.playView(namespace, play)
}

// statusRecord is the listener's status showing play.
func (s *Scrobbles) statusRecord(namespace string, play db.Scrobble) map[string]any {
	return map[string]any{
		"time":   atproto.Datetime(play.PlayedAt),
		"expiry": atproto.Datetime(play.PlayedAt.Add(StatusTTL)),
		"item":   s.playView(namespace, play),
	}
}

// host is the host of a URL (plyr.fm for https://plyr.fm).
func host(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// namespaceOf is the teal namespace of a collection (fm.teal for fm.teal.feed.play).
func namespaceOf(collection string) string {
	for _, suffix := range []string{".feed.play", ".actor.status"} {
		if ns, ok := strings.CutSuffix(collection, suffix); ok {
			return ns
		}
	}
	return collection
}

// PlaySource is the records.Source of play records.
type PlaySource struct{ s *Scrobbles }

// PlaySource returns the source of play records.
func (s *Scrobbles) PlaySource() PlaySource { return PlaySource{s} }

// Wanted is the play record; ErrNotTracked for a play plyr did not record.
func (p PlaySource) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	row, err := p.s.q.GetScrobble(ctx, db.GetScrobbleParams{Did: ref.DID, Collection: ref.Collection, Rkey: ref.RKey})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, recordsact.ErrNotTracked
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load scrobble: %w", err)
	}
	record := p.s.playRecord(namespaceOf(ref.Collection), row)
	return recordsact.Wanted{
		// A play record never changes: one revision.
		Revision: 1,
		Build:    func(map[string]any) (map[string]any, error) { return record, nil },
	}, nil
}

// Settle records how writing the play went.
func (p PlaySource) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	params := db.SettleScrobbleParams{Did: ref.DID, Collection: ref.Collection, Rkey: ref.RKey, State: "written"}
	if o.Failure != "" {
		failure, reason := string(o.Failure), o.Reason
		params.State, params.Failure, params.Reason = "failed", &failure, &reason
	} else {
		params.Uri, params.Cid = &o.URI, &o.CID
	}
	if err := p.s.q.SettleScrobble(ctx, params); err != nil {
		return false, fmt.Errorf("settle scrobble: %w", err)
	}
	return false, nil
}

// StatusSource is the records.Source of status records.
type StatusSource struct{ s *Scrobbles }

// StatusSource returns the source of status records.
func (s *Scrobbles) StatusSource() StatusSource { return StatusSource{s} }

// Wanted is the listener's status: their latest play.
func (st StatusSource) Wanted(ctx context.Context, ref recordsact.Ref) (recordsact.Wanted, error) {
	if ref.RKey != StatusKey {
		return recordsact.Wanted{}, recordsact.ErrNotTracked
	}
	row, err := st.s.q.GetStatus(ctx, db.GetStatusParams{Did: ref.DID, Collection: ref.Collection})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, recordsact.ErrNotTracked
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load status: %w", err)
	}
	play := db.Scrobble{
		Did: row.Did, Collection: row.Collection, Rkey: row.Rkey, TrackID: row.TrackID, TrackName: row.TrackName,
		Artists: row.Artists, DurationS: row.DurationS, ReleaseName: row.ReleaseName, OriginUrl: row.OriginUrl, PlayedAt: row.PlayedAt,
	}
	record := st.s.statusRecord(namespaceOf(ref.Collection), play)
	return recordsact.Wanted{
		Revision: row.Revision,
		Build:    func(map[string]any) (map[string]any, error) { return record, nil },
	}, nil
}

// Settle records how writing the status went, and whether a newer play waits.
func (st StatusSource) Settle(ctx context.Context, ref recordsact.Ref, o recordsact.Outcome) (bool, error) {
	if o.Failure != "" {
		failure, reason := string(o.Failure), o.Reason
		err := st.s.q.StatusFailed(ctx, db.StatusFailedParams{Did: ref.DID, Collection: ref.Collection, Failure: &failure, Reason: &reason})
		return false, err
	}
	current, err := st.s.q.StatusWritten(ctx, db.StatusWrittenParams{Did: ref.DID, Collection: ref.Collection, Revision: o.Revision})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("settle status: %w", err)
	}
	return current > o.Revision, nil
}
