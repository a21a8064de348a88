package catalog_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
)

// trackRecordRef is the ref of the record of the track artist created at at with id.
func trackRecordRef(t *testing.T, artist, id string, at time.Time) recordsact.Ref {
	t.Helper()
	return recordsact.Ref{DID: artist, Collection: "fm.plyr.track", RKey: atproto.RecordKey(at, uuid.MustParse(id))}
}

// settleTrack reports a write's outcome the way the recordsync workflow's MarkRecord does.
func (f fixture) settleTrack(t *testing.T, ref recordsact.Ref, o recordsact.Outcome) bool {
	t.Helper()
	src, ok := f.module.RecordSources()["fm.plyr.track"]
	require.True(t, ok, "the catalog is the source of fm.plyr.track records")
	newer, err := src.Settle(context.Background(), ref, o)
	require.NoError(t, err)
	return newer
}

// myTracks is one page of ListMyTracks for token.
func (f fixture) myTracks(t *testing.T, token string, req *catalogv1.ListMyTracksRequest) []*catalogv1.Track {
	t.Helper()
	res, err := f.client.ListMyTracks(rpctest.WithToken(context.Background(), token), req)
	require.NoError(t, err)
	return res.GetTracks()
}

func titlesOf(tracks []*catalogv1.Track) []string {
	out := []string{}
	for _, tr := range tracks {
		out = append(out, tr.GetTitle())
	}
	return out
}

func TestListMyTracks(t *testing.T) {
	f := newFixture(t)
	base := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	readyAt := base
	ready := f.addTrack(t, alice, "ready", readyAt, true)
	f.addTrack(t, alice, "processing", base.Add(time.Minute), false)
	syncedAt := base.Add(-time.Minute)
	synced := f.addTrack(t, alice, "synced", syncedAt, true)
	f.addTrack(t, bob, "bob's", base.Add(2*time.Minute), true)

	t.Run("needs a session", func(t *testing.T) {
		_, err := f.client.ListMyTracks(context.Background(), &catalogv1.ListMyTracksRequest{})
		require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
		_, err = f.client.ListMyTracks(rpctest.WithToken(context.Background(), "stolen"), &catalogv1.ListMyTracksRequest{})
		require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	})

	t.Run("the caller's tracks, processing ones too, records pending", func(t *testing.T) {
		got := f.myTracks(t, "alice-token", &catalogv1.ListMyTracksRequest{})
		require.Equal(t, []string{"processing", "ready", "synced"}, titlesOf(got))
		for _, tr := range got {
			require.Equal(t, alice, tr.GetArtistDid())
			require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, tr.GetRecord().GetState(), tr.GetTitle())
			require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_UNSPECIFIED, tr.GetRecord().GetFailure())
			require.Empty(t, tr.GetRecord().GetUri())
		}
		require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_PROCESSING, got[0].GetStatus())
		require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_READY, got[1].GetStatus())
		require.Equal(t, "mp3", got[1].GetFileType())
		require.Equal(t, ready, got[1].GetId())

		require.Equal(t, []string{"bob's"}, titlesOf(f.myTracks(t, "bob-token", &catalogv1.ListMyTracksRequest{})))
	})

	ref := trackRecordRef(t, alice, synced, syncedAt)
	uri := "at://" + alice + "/fm.plyr.track/" + ref.RKey
	require.False(t, f.settleTrack(t, ref, recordsact.Outcome{Revision: 1, URI: uri, CID: "bafyrei-synced"}))

	t.Run("a synced record shows where it is", func(t *testing.T) {
		got := f.myTracks(t, "alice-token", &catalogv1.ListMyTracksRequest{})
		require.Equal(t, []string{"processing", "ready", "synced"}, titlesOf(got))
		rec := got[2].GetRecord()
		require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, rec.GetState())
		require.Equal(t, uri, rec.GetUri())
		require.Equal(t, "bafyrei-synced", rec.GetCid())
	})

	t.Run("unsynced_only keeps the ready tracks not on the PDS", func(t *testing.T) {
		got := f.myTracks(t, "alice-token", &catalogv1.ListMyTracksRequest{UnsyncedOnly: true})
		require.Equal(t, []string{"ready"}, titlesOf(got))
		require.Equal(t, []string{"bob's"}, titlesOf(f.myTracks(t, "bob-token", &catalogv1.ListMyTracksRequest{UnsyncedOnly: true})))
	})

	t.Run("pages", func(t *testing.T) {
		res, err := f.client.ListMyTracks(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.ListMyTracksRequest{PageSize: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"processing", "ready"}, titlesOf(res.GetTracks()))
		require.NotEmpty(t, res.GetNextPageToken())
		res, err = f.client.ListMyTracks(rpctest.WithToken(context.Background(), "alice-token"),
			&catalogv1.ListMyTracksRequest{PageSize: 2, PageToken: res.GetNextPageToken()})
		require.NoError(t, err)
		require.Equal(t, []string{"synced"}, titlesOf(res.GetTracks()))
		require.Empty(t, res.GetNextPageToken())

		_, err = f.client.ListMyTracks(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.ListMyTracksRequest{PageSize: 101})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
		_, err = f.client.ListMyTracks(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.ListMyTracksRequest{PageToken: "forged"})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	})
}

func TestRestoreRecord(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC)
	ready := f.addTrack(t, alice, "ready", at, true)
	processing := f.addTrack(t, alice, "processing", at.Add(time.Minute), false)
	ref := trackRecordRef(t, alice, ready, at)
	require.Equal(t, []recordsact.Ref{ref}, f.starts.started(), "publishing started the record")
	require.False(t, f.settleTrack(t, ref, recordsact.Outcome{Revision: 1, URI: "at://" + alice + "/fm.plyr.track/" + ref.RKey, CID: "c1"}))

	refused := []struct {
		name, token, id string
		want            connect.Code
	}{
		{"anonymous", "", ready, connect.CodeUnauthenticated},
		{"someone else's ready track", "bob-token", ready, connect.CodePermissionDenied},
		{"someone else's processing track", "bob-token", processing, connect.CodeNotFound},
		{"one's own processing track", "alice-token", processing, connect.CodeFailedPrecondition},
		{"an unknown track", "alice-token", uuid.NewString(), connect.CodeNotFound},
		{"not an id", "alice-token", "42", connect.CodeInvalidArgument},
		{"no id", "alice-token", "", connect.CodeInvalidArgument},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.RestoreRecord(rpctest.WithToken(context.Background(), tt.token), &catalogv1.RestoreRecordRequest{TrackId: tt.id})
			require.Equal(t, tt.want, connect.CodeOf(err), "%v", err)
		})
	}
	require.Len(t, f.starts.started(), 1, "a refused restore starts nothing")

	// Her own ready track: its record is pending again, and its workflow started.
	res, err := f.client.RestoreRecord(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.RestoreRecordRequest{TrackId: ready})
	require.NoError(t, err)
	require.Equal(t, ready, res.GetTrack().GetId())
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, res.GetTrack().GetRecord().GetState())
	require.Equal(t, []recordsact.Ref{ref, ref}, f.starts.started())

	got, err := f.client.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: ready})
	require.NoError(t, err)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, got.GetTrack().GetRecord().GetState())

	// The late outcome of the first write does not hide the restore.
	require.True(t, f.settleTrack(t, ref, recordsact.Outcome{Revision: 1, URI: "at://" + alice + "/fm.plyr.track/" + ref.RKey, CID: "c1"}))
	got, err = f.client.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: ready})
	require.NoError(t, err)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, got.GetTrack().GetRecord().GetState())

	// Again is harmless.
	res, err = f.client.RestoreRecord(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.RestoreRecordRequest{TrackId: ready})
	require.NoError(t, err)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, res.GetTrack().GetRecord().GetState())
	require.Len(t, f.starts.started(), 3)
}

func TestRecordFailureReason_IsTheArtistsOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	id := f.addTrack(t, alice, "failing", at, true)
	ref := trackRecordRef(t, alice, id, at)
	require.False(t, f.settleTrack(t, ref, recordsact.Outcome{Failure: recordsact.FailureAuth, Reason: "no grant"}))

	for _, token := range []string{"", "bob-token"} {
		res, err := f.client.GetTrack(rpctest.WithToken(ctx, token), &catalogv1.GetTrackRequest{Id: id})
		require.NoError(t, err)
		rec := res.GetTrack().GetRecord()
		require.Equal(t, catalogv1.RecordState_RECORD_STATE_FAILED, rec.GetState(), "token %q", token)
		require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_AUTH, rec.GetFailure(), "token %q", token)
		require.Empty(t, rec.GetFailureReason(), "token %q", token)

		list, err := f.client.ListTracks(rpctest.WithToken(ctx, token), &catalogv1.ListTracksRequest{ArtistDid: alice})
		require.NoError(t, err)
		require.Len(t, list.GetTracks(), 1)
		require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_AUTH, list.GetTracks()[0].GetRecord().GetFailure())
		require.Empty(t, list.GetTracks()[0].GetRecord().GetFailureReason(), "token %q", token)
	}

	mine := f.myTracks(t, "alice-token", &catalogv1.ListMyTracksRequest{})
	require.Len(t, mine, 1)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_FAILED, mine[0].GetRecord().GetState())
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_AUTH, mine[0].GetRecord().GetFailure())
	require.Equal(t, "no grant", mine[0].GetRecord().GetFailureReason())
	require.Equal(t, []string{"failing"}, titlesOf(f.myTracks(t, "alice-token", &catalogv1.ListMyTracksRequest{UnsyncedOnly: true})))

	// Restoring clears the failure at once.
	res, err := f.client.RestoreRecord(rpctest.WithToken(ctx, "alice-token"), &catalogv1.RestoreRecordRequest{TrackId: id})
	require.NoError(t, err)
	rec := res.GetTrack().GetRecord()
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, rec.GetState())
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_UNSPECIFIED, rec.GetFailure())
	require.Empty(t, rec.GetFailureReason())
}

func TestRecordSources_WantedThroughTheModule(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC)
	id := f.addTrack(t, alice, "wanted", at, true)
	srcs := f.module.RecordSources()
	require.Len(t, srcs, 5, "tracks, profiles, lists, likes and comments")
	src := srcs["fm.plyr.track"]
	require.NotNil(t, src)

	w, err := src.Wanted(ctx, trackRecordRef(t, alice, id, at))
	require.NoError(t, err)
	require.Equal(t, int64(1), w.Revision)
	rec, err := w.Build(nil)
	require.NoError(t, err)
	require.Equal(t, "wanted", rec["title"])
	require.Equal(t, "alice.test", rec["artist"])
	require.Equal(t, int64(180), rec["duration"])

	_, err = src.Wanted(ctx, trackRecordRef(t, bob, id, at))
	require.ErrorIs(t, err, recordsact.ErrNotTracked)
}

func TestTrackRecord_PassesTheLexicon(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	src := f.module.RecordSources()["fm.plyr.track"]
	at := time.Date(2026, 11, 7, 9, 0, 0, 0, time.UTC)
	// Titles are at most 256 bytes of UTF-8, as the lexicon's maxLength (uploads refuse
	// more, modules/media: maxTitleBytes; the table refuses more).
	tests := []struct{ name, title string }{
		{"a short title", "Song"},
		{"256 ASCII characters", strings.Repeat("a", 256)},
		{"128 two-byte characters", strings.Repeat("é", 128)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := at.Add(time.Duration(i) * time.Minute)
			id := f.addTrack(t, alice, tt.title, created, true)
			w, err := src.Wanted(ctx, trackRecordRef(t, alice, id, created))
			require.NoError(t, err)
			rec, err := w.Build(nil)
			require.NoError(t, err)
			rec["$type"] = "fm.plyr.track"
			require.NoError(t, v.Validate("fm.plyr.track", rec))
		})
	}
}

// Records pending for longer than the stall age get their workflows started again, each
// once per sweep however many sweeps run at once; records pending for less are left to
// the workflow already writing them.
func TestResumeStalledRecords(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addTrack(t, alice, "a", time.Now().Add(-time.Hour), true)
	f.addTrack(t, alice, "b", time.Now(), true)
	before := len(f.starts.started())

	// Nothing is older than the cutoff yet.
	n, err := f.module.ResumeStalledRecords(ctx, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	require.Zero(t, n)

	// Both are older than a cutoff taken now; two sweeps at once start each once (a
	// claimed record is touched, so it is newer than the cutoff for the other sweep).
	time.Sleep(10 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(10 * time.Millisecond)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			n, err := f.module.ResumeStalledRecords(ctx, cutoff, 10)
			require.NoError(t, err)
			counts[i] = n
		})
	}
	wg.Wait()
	require.Equal(t, 2, counts[0]+counts[1])
	require.Len(t, f.starts.started(), before+2)

	// Claimed records were touched: the next sweep with the same cutoff leaves them.
	n, err = f.module.ResumeStalledRecords(ctx, cutoff, 10)
	require.NoError(t, err)
	require.Zero(t, n)
}
