package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	sharingv1 "github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/sharing"
	"github.com/plyrfm/plyr/workflows/recordsync"
)

const (
	tealPlay   = "fm.teal.feed.play"
	tealStatus = "fm.teal.actor.status"
)

// TestScrobbles: a listener without teal's permission gets no scrobble and a clear state;
// once they grant it, a counted play is one teal play record (and their status) on the
// reference PDS, valid against its lexicon, however it is repeated: the worker killed
// after the PDS write, the play handed over again, the write started twice.
func TestScrobbles(t *testing.T) {
	tap := newTap()
	tap.collection = tealPlay
	t.Cleanup(func() { close(tap.release) })
	s, net := newPDSStack(t, tap)
	_, artistToken := s.signIn(t, net, "mira")
	fan, fanToken := s.signIn(t, net, "otto")
	ctx := context.Background()
	asFan := rpctest.WithToken(ctx, fanToken)
	first, _ := s.uploadTrack(t, artistToken, "Before permission")
	second, _ := s.uploadTrack(t, artistToken, "Scrobbled through a crash")
	third, _ := s.uploadTrack(t, artistToken, "Handed over twice")

	share, plays := s.sharingClient(), s.playClient()
	status := func() *sharingv1.GetScrobbleStatusResponse {
		st, err := share.GetScrobbleStatus(asFan, &sharingv1.GetScrobbleStatusRequest{})
		require.NoError(t, err)
		return st
	}
	play := func(track string) {
		res, err := plays.RecordPlay(asFan, &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 3000})
		require.NoError(t, err)
		require.True(t, res.Counted)
	}

	// Off by default: a play is just a play.
	require.False(t, status().Enabled)
	play(first)

	// Turned on without the permission: nothing is written, and the state says why.
	ids := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
	prefs, err := ids.UpdatePreferences(asFan, &identityv1.UpdatePreferencesRequest{EnableTealScrobbling: ptr(true)})
	require.NoError(t, err)
	require.True(t, prefs.Preferences.TealNeedsReauth)
	st := status()
	require.True(t, st.Enabled)
	require.True(t, st.NeedsPermission)
	require.Empty(t, st.Collection)
	res, err := plays.RecordPlay(asFan, &catalogv1.RecordPlayRequest{TrackId: third, ListenedMs: 3000})
	require.NoError(t, err)
	require.True(t, res.Counted)
	list, err := share.ListMyScrobbles(asFan, &sharingv1.ListMyScrobblesRequest{})
	require.NoError(t, err)
	require.Empty(t, list.Scrobbles, "no permission, no scrobble")
	require.Empty(t, pdsRecords(t, net, fan.DID, tealPlay))

	// Signing in again asks for teal's scopes (the account scrobbles): the grant has them.
	fanToken = s.signInAs(t, net, fan)
	asFan = rpctest.WithToken(ctx, fanToken)
	st = status()
	require.False(t, st.NeedsPermission)
	require.Equal(t, tealPlay, st.Collection)

	// The play's record reaches the PDS; the worker dies before hearing back.
	tap.stall.Store(true)
	before := time.Now()
	play(second)
	select {
	case <-tap.stalled:
	case <-time.After(time.Minute):
		t.Fatal("the play record was never written")
	}
	require.Len(t, pdsRecords(t, net, fan.DID, tealPlay), 1, "the PDS has the record")
	s.stopWorkers()
	tap.stall.Store(false)
	fresh, err := app.New(s.cfg, s.infra, logging.Discard(), metrics.New())
	require.NoError(t, err)
	t.Cleanup(fresh.Close)
	stop := s.runWorkers(t, fresh)
	t.Cleanup(stop)

	written := func(n int) []*sharingv1.Scrobble {
		var out []*sharingv1.Scrobble
		eventually(t, 60*time.Second, func() (bool, string) {
			list, err := share.ListMyScrobbles(asFan, &sharingv1.ListMyScrobblesRequest{})
			require.NoError(t, err)
			out = list.Scrobbles
			if len(out) != n {
				return false, "scrobbles: " + list.String()
			}
			for _, sc := range out {
				if sc.State != sharingv1.ScrobbleState_SCROBBLE_STATE_WRITTEN {
					return false, sc.String()
				}
			}
			return true, ""
		})
		return out
	}
	got := written(1)
	require.Equal(t, int32(1), tap.puts.Load(), "the second worker found the record already right")
	recs := pdsRecords(t, net, fan.DID, tealPlay)
	require.Len(t, recs, 1)
	sc := got[0]
	require.Equal(t, "Scrobbled through a crash", sc.TrackTitle)
	for uri, rec := range recs {
		require.Equal(t, sc.Uri, uri, "the record is the scrobble's")
		valid(t, tealPlay, rec)
		require.Equal(t, "Scrobbled through a crash", rec["trackName"])
		require.Equal(t, s.url+"/track/"+second, rec["originUri"])
		require.Equal(t, s.url, rec["musicServiceUri"])
		require.Equal(t, "fm.plyr/1.0", rec["submissionClientAgent"])
		played, err := time.Parse(time.RFC3339, rec["playedTime"].(string))
		require.NoError(t, err)
		// The play began when it was reported less what was heard (3 s).
		require.WithinDuration(t, before.Add(-3*time.Second), played, 5*time.Second)
		require.Equal(t, "at://"+fan.DID+"/"+tealPlay+"/"+atproto.RecordKey(played, mustUUID(t, second)), uri,
			"the key is the play's own start, as the record says it")
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		statuses := pdsRecords(t, net, fan.DID, tealStatus)
		self, ok := statuses["at://"+fan.DID+"/"+tealStatus+"/self"]
		if !ok {
			return false, "no status yet"
		}
		valid(t, tealStatus, self)
		item, _ := self["item"].(map[string]any)
		return item["trackName"] == "Scrobbled through a crash", "status shows " + item["trackName"].(string)
	})

	// The same play handed over twice (a retried hand-off), and its write started twice:
	// one row, one record.
	p := sharing.CountedPlay{
		TrackID: mustUUID(t, third), ListenerDID: fan.DID, ListenedMs: 3000,
		CountedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	require.NoError(t, s.app.Sharing().PlayCounted(ctx, p))
	require.NoError(t, s.app.Sharing().PlayCounted(ctx, p))
	got = written(2)
	require.Equal(t, "Handed over twice", got[0].TrackTitle, "newest first")
	key := atproto.RecordKey(p.CountedAt.Add(-3*time.Second), p.TrackID)
	require.NoError(t, recordsync.NewStarter(s.temporal).Start(ctx, records.Ref{DID: fan.DID, Collection: tealPlay, RKey: key}))
	eventually(t, 30*time.Second, func() (bool, string) {
		n := tap.puts.Load()
		return n == 2, fmt.Sprint("puts: ", n)
	})
	time.Sleep(2 * time.Second) // the duplicated start, if it wrote, would have by now
	require.Equal(t, int32(2), tap.puts.Load(), "a duplicated start finds the record right and writes nothing")
	recs = pdsRecords(t, net, fan.DID, tealPlay)
	require.Len(t, recs, 2)
	require.Contains(t, recs, "at://"+fan.DID+"/"+tealPlay+"/"+key)

	// Turned off: plays are plays again.
	_, err = ids.UpdatePreferences(asFan, &identityv1.UpdatePreferencesRequest{EnableTealScrobbling: ptr(false)})
	require.NoError(t, err)
	require.NoError(t, s.app.Sharing().PlayCounted(ctx, sharing.CountedPlay{TrackID: mustUUID(t, first), ListenerDID: fan.DID, ListenedMs: 3000, CountedAt: time.Now()}))
	require.Len(t, written(2), 2)
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	require.NoError(t, err)
	return id
}
