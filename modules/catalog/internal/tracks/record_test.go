package tracks_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

// newTracksTx is newTracks that also hands out its transaction, for tests that look at
// the rows themselves.
func newTracksTx(t *testing.T) (*tracks.Tracks, *starts, pgx.Tx) {
	t.Helper()
	tx := testenv.NewTx(t)
	s := &starts{}
	return tracks.New(tx, db.New(tx), records.New("fm.plyr", s), handles{}, "https://plyr.example"), s, tx
}

// started is a copy of the refs started so far.
func (s *starts) started() []recordsact.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordsact.Ref(nil), s.refs...)
}

// idWithTail is a random id whose last two bytes are tail.
func idWithTail(tail uint16) uuid.UUID {
	id := uuid.New()
	id[14], id[15] = byte(tail>>8), byte(tail)
	return id
}

// publishTrack creates a draft at at and publishes it; it returns the track's id and the
// key of its record.
func publishTrack(t *testing.T, tr *tracks.Tracks, artist, title string, at time.Time, p tracks.Publication) (uuid.UUID, string) {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: id, ArtistDID: artist, Title: title, CreatedAt: at}))
	require.NoError(t, tr.Publish(ctx, id, p))
	got, err := tr.Get(ctx, id, artist)
	require.NoError(t, err)
	return id, got.RecordKey
}

// recordRow reads a track record's bookkeeping row.
func recordRow(t *testing.T, tx pgx.Tx, did, rkey string) db.CatalogRecord {
	t.Helper()
	row, err := db.New(tx).GetRecord(context.Background(), db.GetRecordParams{Did: did, Kind: string(records.KindTrack), Rkey: rkey})
	require.NoError(t, err)
	return row
}

func TestRecordKey_MatchesSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, tx := newTracksTx(t)
	const artist = "did:plc:keys"
	times := []time.Time{
		time.Now(), // nanoseconds: the key and the column both keep whole microseconds
		time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 25, 10, 0, 0, 999_999_999, time.UTC),
		time.Date(2001, 2, 3, 4, 5, 6, 123_456_789, time.FixedZone("east", 5*3600+1800)),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_500, time.UTC), // before PostgreSQL's epoch
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC), // before Unix's
	}
	// Distinct in their low 10 bits: an artist's record keys are unique.
	tails := []uint16{0x0000, 0x03FF, 0x1234, 0xFC01}
	for i, at := range times {
		for _, tail := range tails {
			id := idWithTail(tail)
			require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: id, ArtistDID: artist, Title: "t", CreatedAt: at}))
			var stored, sqlKey string
			var same bool
			require.NoError(t, tx.QueryRow(ctx,
				`SELECT record_rkey, catalog.record_key(created_at, id), record_rkey = catalog.record_key(created_at, id)
				 FROM catalog.tracks WHERE id = $1`, id).Scan(&stored, &sqlKey, &same))
			require.True(t, same, "time %d (%s), tail %#04x: stored %s, SQL %s", i, at, tail, stored, sqlKey)
			require.Equal(t, atproto.RecordKey(at, id), stored)
			_, err := syntax.ParseTID(stored)
			require.NoError(t, err, stored)

			// The function agrees with Go on values that never were a row, too.
			require.NoError(t, tx.QueryRow(ctx, `SELECT catalog.record_key($1::timestamptz, $2::uuid)`, at, id).Scan(&sqlKey))
			require.Equal(t, atproto.RecordKey(at, id), sqlKey, "time %d (%s), tail %#04x", i, at, tail)
		}
	}
}

func TestRecordKey_DeterministicAndDistinctByIDTail(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_456_000, time.UTC)
	a, b := idWithTail(0x0001), idWithTail(0x0002)

	require.Equal(t, atproto.RecordKey(at, a), atproto.RecordKey(at, a))
	require.Equal(t, atproto.RecordKey(at, a), atproto.RecordKey(at.In(time.FixedZone("west", -7*3600)), a), "the zone does not matter")
	require.NotEqual(t, atproto.RecordKey(at, a), atproto.RecordKey(at, b), "ids whose last 10 bits differ")

	// Only the low 10 bits of the id's last two bytes count: the rest of the id does not.
	c := idWithTail(0xFC01)
	require.Equal(t, atproto.RecordKey(at, a), atproto.RecordKey(at, c))

	// Keys sort like their times, and the key carries the time to the microsecond.
	later := at.Add(time.Microsecond)
	require.Less(t, atproto.RecordKey(at, b), atproto.RecordKey(later, a))
	tid, err := syntax.ParseTID(atproto.RecordKey(at, b))
	require.NoError(t, err)
	require.True(t, tid.Time().Equal(at), "%s", tid.Time())
	require.Equal(t, uint(2), tid.ClockID())
}

func TestPublish_StartsTheTrackRecordOnceTrackedAndIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, started, tx := newTracksTx(t)
	const artist = "did:plc:publisher"
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	id, file := uuid.New(), uuid.New()
	pub := tracks.Publication{FileID: file, FileType: "flac", DurationMs: 61_000}
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: id, ArtistDID: artist, Title: "once", CreatedAt: at}))
	require.Empty(t, started.started(), "a draft has no record to write")

	require.NoError(t, tr.Publish(ctx, id, pub))
	ref := recordsact.Ref{DID: artist, Collection: "fm.plyr.track", RKey: atproto.RecordKey(at, id)}
	require.Equal(t, []recordsact.Ref{ref}, started.started())
	first, err := tr.Get(ctx, id, "")
	require.NoError(t, err)
	require.Equal(t, ref.RKey, first.RecordKey)
	require.Equal(t, records.StatePending, first.Record.State)

	require.NoError(t, tr.Publish(ctx, id, pub))
	require.Equal(t, []recordsact.Ref{ref, ref}, started.started(), "publishing again starts the same record again")
	again, err := tr.Get(ctx, id, "")
	require.NoError(t, err)
	require.Equal(t, first.FileID, again.FileID)
	require.Equal(t, first.FileType, again.FileType)
	require.Equal(t, first.DurationMs, again.DurationMs)
	require.Equal(t, first.Record, again.Record)

	var rows int
	require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM catalog.records WHERE did = $1`, artist).Scan(&rows))
	require.Equal(t, 1, rows)
	row := recordRow(t, tx, artist, ref.RKey)
	require.Equal(t, int64(1), row.Revision, "publishing again asks for no new revision")
	require.Equal(t, int64(0), row.SyncedRevision)
}

func TestWantedRecord_BuildsTheTrackRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, _ := newTracksTx(t)
	const artist = "did:plc:wanted"
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	file := uuid.New()
	_, rkey := publishTrack(t, tr, artist, "Wanted", at, tracks.Publication{FileID: file, FileType: "mp3", DurationMs: 1500})

	w, err := tr.WantedRecord(ctx, artist, rkey)
	require.NoError(t, err)
	require.Equal(t, int64(1), w.Revision)
	require.False(t, w.Absent)
	require.NotNil(t, w.Build)

	fresh, err := w.Build(nil)
	require.NoError(t, err)
	created, ok := fresh["createdAt"].(string)
	require.True(t, ok, "createdAt is a string: %#v", fresh["createdAt"])
	delete(fresh, "createdAt")
	require.Equal(t, map[string]any{
		"title":    "Wanted",
		"artist":   artist + ".test",
		"audioUrl": "https://plyr.example/audio/" + file.String(),
		"fileType": "mp3",
		"duration": int64(2), // 1.5 s rounds to 2
	}, fresh)
	_, err = syntax.ParseDatetime(created)
	require.NoError(t, err, created)
	parsed, err := time.Parse(time.RFC3339Nano, created)
	require.NoError(t, err)
	require.True(t, parsed.Equal(at), "createdAt %s is the track's creation", created)

	// The record on the PDS keeps what plyr does not manage, and its createdAt; plyr
	// manages the gate (this track is open: a supportGate on the PDS goes).
	blob := map[string]any{"$type": "blob", "ref": map[string]any{"$link": "bafkreiabc"}, "mimeType": "audio/mpeg", "size": int64(1234)}
	gate := map[string]any{"type": "any"}
	current := map[string]any{
		"$type":       "fm.plyr.track",
		"title":       "Old title",
		"artist":      "old name",
		"audioUrl":    "https://old.example/audio/x",
		"fileType":    "wav",
		"duration":    int64(9),
		"album":       "Old album",
		"audioBlob":   blob,
		"supportGate": gate,
		"x.other":     "another app's",
		"createdAt":   "2020-01-02T03:04:05.678Z",
	}
	before := maps.Clone(current)
	got, err := w.Build(current)
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"$type":     "fm.plyr.track",
		"title":     "Wanted",
		"artist":    artist + ".test",
		"audioUrl":  "https://plyr.example/audio/" + file.String(),
		"fileType":  "mp3",
		"duration":  int64(2),
		"audioBlob": blob,
		"x.other":   "another app's",
		"createdAt": "2020-01-02T03:04:05.678Z",
	}, got)
	require.Equal(t, before, current, "Build leaves the current record alone")

	// A createdAt that is no datetime is replaced by the track's.
	got, err = w.Build(map[string]any{"createdAt": "yesterday"})
	require.NoError(t, err)
	require.Equal(t, created, got["createdAt"])
	got, err = w.Build(map[string]any{"createdAt": int64(12)})
	require.NoError(t, err)
	require.Equal(t, created, got["createdAt"])
}

func TestWantedRecord_CreatedAtHasMillisecondPrecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, _ := newTracksTx(t)
	const artist = "did:plc:datetime"
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 10, 0, 0, 123_456_000, time.UTC), "2026-11-25T10:00:00.123Z"},
		{time.Date(2026, 11, 25, 11, 0, 0, 123_456_000, time.FixedZone("CET", 3600)), "2026-11-25T10:00:00.123Z"},
		{time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), "2026-11-25T10:00:00.000Z"},
		{time.Date(2026, 11, 25, 10, 0, 0, 120_000_000, time.UTC), "2026-11-25T10:00:00.120Z"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, rkey := publishTrack(t, tr, artist, "t", tt.at, tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})
			w, err := tr.WantedRecord(ctx, artist, rkey)
			require.NoError(t, err)
			got, err := w.Build(nil)
			require.NoError(t, err)
			require.Equal(t, tt.want, got["createdAt"], "%s", tt.at)
		})
	}
}

func TestWantedRecord_DurationInWholeSecondsRounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, _ := newTracksTx(t)
	const artist = "did:plc:durations"
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i, tt := range []struct {
		ms   int32
		want int64
	}{{1, 0}, {499, 0}, {500, 1}, {1499, 1}, {1500, 2}, {180_000, 180}, {180_499, 180}, {180_500, 181}} {
		_, rkey := publishTrack(t, tr, artist, "t", at.Add(time.Duration(i)*time.Second), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: tt.ms})
		w, err := tr.WantedRecord(ctx, artist, rkey)
		require.NoError(t, err)
		got, err := w.Build(nil)
		require.NoError(t, err)
		require.Equal(t, tt.want, got["duration"], "%d ms", tt.ms)
	}
}

// noHandles knows no account.
type noHandles struct{}

func (noHandles) Profiles(context.Context, []string) (map[string]artists.AccountProfile, error) {
	return map[string]artists.AccountProfile{}, nil
}

func TestWantedRecord_ArtistWithoutHandle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx := testenv.NewTx(t)
	tr := tracks.New(tx, db.New(tx), records.New("fm.plyr", &starts{}), noHandles{}, "https://plyr.example")
	const artist = "did:plc:nameless"
	_, rkey := publishTrack(t, tr, artist, "t", time.Now(), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})
	w, err := tr.WantedRecord(ctx, artist, rkey)
	require.NoError(t, err)
	got, err := w.Build(nil)
	require.NoError(t, err)
	require.Equal(t, "handle.invalid", got["artist"], "an account plyr knows nothing of shows as handle.invalid, never as its DID")
}

func TestWantedRecord_NotTracked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, _ := newTracksTx(t)
	const artist = "did:plc:untracked"
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	processing := uuid.New()
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: processing, ArtistDID: artist, Title: "processing", CreatedAt: at}))
	_, ready := publishTrack(t, tr, artist, "ready", at.Add(time.Second), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})

	tests := []struct{ name, did, rkey string }{
		{"a track still processing", artist, atproto.RecordKey(at, processing)},
		{"an unknown key", artist, atproto.RecordKey(at.Add(time.Hour), uuid.New())},
		{"another artist's key", "did:plc:someone-else", ready},
	}
	for _, tt := range tests {
		_, err := tr.WantedRecord(ctx, tt.did, tt.rkey)
		require.ErrorIs(t, err, recordsact.ErrNotTracked, tt.name)
	}
}

func TestSettleRecord_StatesAndRevisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, started, tx := newTracksTx(t)
	const artist = "did:plc:settler"
	id, rkey := publishTrack(t, tr, artist, "settled", time.Now(), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1000})
	uri := "at://" + artist + "/fm.plyr.track/" + rkey
	view := func() records.Status {
		t.Helper()
		got, err := tr.Get(ctx, id, "")
		require.NoError(t, err)
		return got.Record
	}
	settle := func(o recordsact.Outcome) bool {
		t.Helper()
		newer, err := tr.SettleRecord(ctx, artist, rkey, o)
		require.NoError(t, err)
		return newer
	}
	revisions := func() (revision, synced int64) {
		t.Helper()
		row := recordRow(t, tx, artist, rkey)
		return row.Revision, row.SyncedRevision
	}

	// Revision 1 written.
	require.False(t, settle(recordsact.Outcome{Revision: 1, URI: uri, CID: "cid-1"}))
	require.Equal(t, records.Status{State: records.StateSynced, URI: uri, CID: "cid-1"}, view())

	// The artist restores it: revision 2, pending, and the workflow is started.
	restored, err := tr.RestoreRecord(ctx, id, artist)
	require.NoError(t, err)
	require.Equal(t, records.StatePending, restored.Record.State)
	require.Equal(t, recordsact.Ref{DID: artist, Collection: "fm.plyr.track", RKey: rkey}, started.started()[len(started.started())-1])
	rev, synced := revisions()
	require.Equal(t, [2]int64{2, 1}, [2]int64{rev, synced})

	// A late outcome of revision 1 (a retried step) does not make it synced; revision 1 is
	// as new as what was synced, so its URI and CID are taken.
	require.True(t, settle(recordsact.Outcome{Revision: 1, URI: uri, CID: "cid-1b"}), "revision 2 still waits")
	require.Equal(t, records.Status{State: records.StatePending, URI: uri, CID: "cid-1b"}, view())
	rev, synced = revisions()
	require.Equal(t, [2]int64{2, 1}, [2]int64{rev, synced})

	// Revision 2 fails.
	require.False(t, settle(recordsact.Outcome{Failure: recordsact.FailureNetwork, Reason: "the PDS timed out"}))
	require.Equal(t, records.Status{
		State: records.StateFailed, Failure: recordsact.FailureNetwork, Reason: "the PDS timed out", URI: uri, CID: "cid-1b",
	}, view())

	// A late outcome of revision 1 leaves it failed.
	require.True(t, settle(recordsact.Outcome{Revision: 1, URI: uri, CID: "cid-1c"}))
	require.Equal(t, records.StateFailed, view().State)
	require.Equal(t, recordsact.FailureNetwork, view().Failure)

	// Revision 2 written after all: synced, the failure cleared.
	require.False(t, settle(recordsact.Outcome{Revision: 2, URI: uri, CID: "cid-2"}))
	require.Equal(t, records.Status{State: records.StateSynced, URI: uri, CID: "cid-2"}, view())
	rev, synced = revisions()
	require.Equal(t, [2]int64{2, 2}, [2]int64{rev, synced})
	row := recordRow(t, tx, artist, rkey)
	require.Nil(t, row.Failure)
	require.Nil(t, row.FailureReason)

	// Outcomes older than what is synced change nothing: neither a write of revision 1...
	require.False(t, settle(recordsact.Outcome{Revision: 1, URI: uri, CID: "cid-stale"}))
	require.Equal(t, records.Status{State: records.StateSynced, URI: uri, CID: "cid-2"}, view())
	rev, synced = revisions()
	require.Equal(t, [2]int64{2, 2}, [2]int64{rev, synced})

	// ...nor a failure arriving once the current revision is synced.
	require.False(t, settle(recordsact.Outcome{Failure: recordsact.FailureAuth, Reason: "no grant"}))
	require.Equal(t, records.Status{State: records.StateSynced, URI: uri, CID: "cid-2"}, view())

	// Restoring again after a failure asks for revision 3 and clears the failure at once.
	_, err = tr.RestoreRecord(ctx, id, artist)
	require.NoError(t, err)
	require.False(t, settle(recordsact.Outcome{Failure: recordsact.FailureScope, Reason: "no scope"}))
	require.Equal(t, records.StateFailed, view().State)
	restored, err = tr.RestoreRecord(ctx, id, artist)
	require.NoError(t, err)
	require.Equal(t, records.Status{State: records.StatePending, URI: uri, CID: "cid-2"}, restored.Record)
	rev, synced = revisions()
	require.Equal(t, [2]int64{4, 2}, [2]int64{rev, synced})
}

func TestSettleRecord_UnknownRecordIsNoError(t *testing.T) {
	t.Parallel()
	tr, _, _ := newTracksTx(t)
	for _, o := range []recordsact.Outcome{
		{Revision: 1, URI: "at://did:plc:x/fm.plyr.track/3kabc", CID: "c"},
		{Failure: recordsact.FailureRejected, Reason: "no"},
	} {
		newer, err := tr.SettleRecord(context.Background(), "did:plc:x", "3kabcdefghijk", o)
		require.NoError(t, err)
		require.False(t, newer)
	}
}

func TestRestoreRecord_Rules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, started, _ := newTracksTx(t)
	const artist, other = "did:plc:owner", "did:plc:other"
	at := time.Now()
	processing := uuid.New()
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: processing, ArtistDID: artist, Title: "processing", CreatedAt: at}))
	ready, _ := publishTrack(t, tr, artist, "ready", at, tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})
	before := len(started.started())

	_, err := tr.RestoreRecord(ctx, ready, other)
	require.ErrorIs(t, err, tracks.ErrNotOwner)
	_, err = tr.RestoreRecord(ctx, processing, other)
	require.ErrorIs(t, err, tracks.ErrNotFound)
	_, err = tr.RestoreRecord(ctx, processing, artist)
	require.ErrorIs(t, err, tracks.ErrNotReady)
	_, err = tr.RestoreRecord(ctx, uuid.New(), artist)
	require.ErrorIs(t, err, tracks.ErrNotFound)
	_, err = tr.RestoreRecord(ctx, ready, "")
	require.ErrorIs(t, err, tracks.ErrNotOwner)
	require.Len(t, started.started(), before, "a refused restore starts nothing")
}

func TestRestoreRecord_TracksARecordThatWasNot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, started, tx := newTracksTx(t)
	const artist = "did:plc:lost"
	id, rkey := publishTrack(t, tr, artist, "lost", time.Now(), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})
	_, err := tx.Exec(ctx, `DELETE FROM catalog.records WHERE did = $1`, artist)
	require.NoError(t, err)

	restored, err := tr.RestoreRecord(ctx, id, artist)
	require.NoError(t, err)
	require.Equal(t, records.StatePending, restored.Record.State)
	require.Equal(t, recordsact.Ref{DID: artist, Collection: "fm.plyr.track", RKey: rkey}, started.started()[len(started.started())-1])
	row := recordRow(t, tx, artist, rkey)
	require.Equal(t, "pending", row.State)
	require.False(t, row.Absent)
}

func TestList_UnsyncedOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, tx := newTracksTx(t)
	const artist = "did:plc:unsynced"
	base := time.Now().Add(-time.Hour)
	pub := func(i int) tracks.Publication {
		return tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: int32(i + 1)}
	}
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: uuid.New(), ArtistDID: artist, Title: "processing", CreatedAt: base}))
	publishTrack(t, tr, artist, "pending", base.Add(1*time.Second), pub(1))
	_, syncedKey := publishTrack(t, tr, artist, "synced", base.Add(2*time.Second), pub(2))
	_, failedKey := publishTrack(t, tr, artist, "failed", base.Add(3*time.Second), pub(3))
	_, untrackedKey := publishTrack(t, tr, artist, "untracked", base.Add(4*time.Second), pub(4))
	_, resyncKey := publishTrack(t, tr, artist, "synced then revised", base.Add(5*time.Second), pub(5))
	publishTrack(t, tr, "did:plc:someone-else", "not theirs", base.Add(6*time.Second), pub(6))

	settle := func(rkey string, o recordsact.Outcome) {
		t.Helper()
		_, err := tr.SettleRecord(ctx, artist, rkey, o)
		require.NoError(t, err)
	}
	settle(syncedKey, recordsact.Outcome{Revision: 1, URI: "at://" + artist + "/fm.plyr.track/" + syncedKey, CID: "c"})
	settle(failedKey, recordsact.Outcome{Failure: recordsact.FailureRejected, Reason: "bad record"})
	settle(resyncKey, recordsact.Outcome{Revision: 1, URI: "at://" + artist + "/fm.plyr.track/" + resyncKey, CID: "c"})
	_, err := tx.Exec(ctx, `UPDATE catalog.records SET revision = 2, state = 'pending' WHERE did = $1 AND rkey = $2`, artist, resyncKey)
	require.NoError(t, err)
	// A ready track whose row went missing is not on its PDS as it should be either.
	_, err = tx.Exec(ctx, `DELETE FROM catalog.records WHERE did = $1 AND rkey = $2`, artist, untrackedKey)
	require.NoError(t, err)

	titles := func(q tracks.ListQuery) (out []string, states []records.State) {
		t.Helper()
		page, err := tr.List(ctx, q)
		require.NoError(t, err)
		for _, track := range page.Tracks {
			out = append(out, track.Title)
			states = append(states, track.Record.State)
		}
		return out, states
	}
	got, states := titles(tracks.ListQuery{ArtistDID: artist, Viewer: artist, UnsyncedOnly: true})
	require.Equal(t, []string{"synced then revised", "untracked", "failed", "pending"}, got)
	require.Equal(t, []records.State{records.StatePending, records.StatePending, records.StateFailed, records.StatePending}, states)

	got, _ = titles(tracks.ListQuery{ArtistDID: artist, Viewer: artist})
	require.Equal(t, []string{"synced then revised", "untracked", "failed", "synced", "pending", "processing"}, got)

	// Paging through the unsynced ones keeps the filter.
	page, err := tr.List(ctx, tracks.ListQuery{ArtistDID: artist, Viewer: artist, UnsyncedOnly: true, PageSize: 3})
	require.NoError(t, err)
	require.Len(t, page.Tracks, 3)
	require.NotEmpty(t, page.Next)
	page, err = tr.List(ctx, tracks.ListQuery{ArtistDID: artist, Viewer: artist, UnsyncedOnly: true, PageSize: 3, PageToken: page.Next})
	require.NoError(t, err)
	require.Len(t, page.Tracks, 1)
	require.Equal(t, "pending", page.Tracks[0].Title)
	require.Empty(t, page.Next)
}

// A track for supporters only says so in its record (fm.plyr.track's supportGate), and
// the record of a lossless track plays its MP3.
func TestWantedRecord_CarriesTheGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _, tx := newTracksTx(t)
	const artist = "did:plc:gated"
	mp3, original := uuid.New(), uuid.New()
	id, rkey := publishTrack(t, tr, artist, "Fans", time.Now(), tracks.Publication{
		FileID: mp3, FileType: "mp3", DurationMs: 1000,
		Original: &tracks.Original{FileID: original, FileType: "flac", ContentType: "audio/flac", SizeBytes: 10},
	})
	blob := `{"$type": "blob", "ref": {"$link": "bafkreiabc"}, "mimeType": "audio/mpeg", "size": 1234}`
	_, err := tx.Exec(ctx, `UPDATE catalog.tracks SET pds_blob = $2, pds_state = 'on_pds' WHERE id = $1`, id, blob)
	require.NoError(t, err)
	w, err := tr.WantedRecord(ctx, artist, rkey)
	require.NoError(t, err)
	rec, err := w.Build(map[string]any{"audioBlob": "an older blob"})
	require.NoError(t, err)
	require.Equal(t, "bafkreiabc", rec["audioBlob"].(map[string]any)["ref"].(map[string]any)["$link"], "plyr's blob")
	require.NotContains(t, rec, "supportGate")

	_, err = tx.Exec(ctx, `UPDATE catalog.tracks SET supporters_only = true WHERE id = $1`, id)
	require.NoError(t, err)
	w, err = tr.WantedRecord(ctx, artist, rkey)
	require.NoError(t, err)
	rec, err = w.Build(map[string]any{"audioBlob": "an older blob"})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"type": "any"}, rec["supportGate"])
	require.NotContains(t, rec, "audioBlob", "a gated track's audio is not on the PDS")
	require.Equal(t, "https://plyr.example/audio/"+mp3.String(), rec["audioUrl"])
	require.Equal(t, "mp3", rec["fileType"])

	gated, files, found, err := tr.Gate(ctx, id)
	require.NoError(t, err)
	require.True(t, found && gated)
	require.Equal(t, []uuid.UUID{mp3, original}, files)
}
