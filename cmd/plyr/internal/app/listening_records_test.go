package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
)

const (
	likeCollection    = "fm.plyr.like"
	commentCollection = "fm.plyr.comment"
)

// listenerClients are the listener side's services on a stack.
type listenerClients struct {
	likes     catalogv1connect.LikeServiceClient
	comments  catalogv1connect.CommentServiceClient
	playlists catalogv1connect.PlaylistServiceClient
	queue     catalogv1connect.QueueServiceClient
}

func (s *stack) listener() listenerClients {
	o := connect.WithProtoJSON()
	return listenerClients{
		likes:     catalogv1connect.NewLikeServiceClient(s.http, s.url, o),
		comments:  catalogv1connect.NewCommentServiceClient(s.http, s.url, o),
		playlists: catalogv1connect.NewPlaylistServiceClient(s.http, s.url, o),
		queue:     catalogv1connect.NewQueueServiceClient(s.http, s.url, o),
	}
}

// valid checks records against their lexicons, as the PDS would not.
func valid(t *testing.T, collection string, rec map[string]any) {
	t.Helper()
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	clean := map[string]any{}
	for k, val := range rec {
		if k != "_cid" {
			clean[k] = val
		}
	}
	require.NoError(t, v.Validate(collection, clean))
}

// subjectOf is a like's or comment's subject URI and CID.
func subjectOf(rec map[string]any) listItem {
	s, _ := rec["subject"].(map[string]any)
	uri, _ := s["uri"].(string)
	cid, _ := s["cid"].(string)
	return listItem{uri, cid}
}

// listsByType are the account's list records of listType, by URI.
func listsByType(t *testing.T, net *devpds.Network, did, listType string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for uri, rec := range pdsRecords(t, net, did, listCollection) {
		if rec["listType"] == listType {
			out[uri] = rec
		}
	}
	return out
}

// TestListeningRecords_MatchTheRows: likes, the "Liked" list, comments and playlists on
// the reference PDS are what plyr's rows say after every operation, including likes and
// unlikes sent as fast as a double click.
func TestListeningRecords_MatchTheRows(t *testing.T) {
	s, net := newPDSStack(t, nil)
	_, artistToken := s.signIn(t, net, "ines")
	fan, fanToken := s.signIn(t, net, "otto")
	one, _ := s.uploadTrack(t, artistToken, "Listened one")
	two, _ := s.uploadTrack(t, artistToken, "Listened two")
	trOne := s.awaitRecord(t, artistToken, one, catalogv1.RecordState_RECORD_STATE_SYNCED)
	trTwo := s.awaitRecord(t, artistToken, two, catalogv1.RecordState_RECORD_STATE_SYNCED)
	c := s.listener()
	as := rpctest.WithToken(context.Background(), fanToken)

	likesAre := func(want ...*catalogv1.Track) {
		t.Helper()
		eventually(t, 60*time.Second, func() (bool, string) {
			recs := pdsRecords(t, net, fan.DID, likeCollection)
			got := map[listItem]bool{}
			for _, r := range recs {
				got[subjectOf(r)] = true
			}
			if len(recs) != len(want) {
				return false, fmt.Sprintf("%d like records, want %d", len(recs), len(want))
			}
			var items []listItem
			for _, tr := range want {
				ref := listItem{tr.Record.Uri, tr.Record.Cid}
				if !got[ref] {
					return false, fmt.Sprintf("no like of %s", ref.URI)
				}
				items = append(items, ref)
			}
			liked := listsByType(t, net, fan.DID, "liked")
			if len(liked) != 1 {
				return false, fmt.Sprintf("%d liked lists", len(liked))
			}
			for _, l := range liked {
				if fmt.Sprint(listItemsOf(l)) != fmt.Sprint(append([]listItem{}, items...)) {
					return false, fmt.Sprintf("liked list %v, want %v", listItemsOf(l), items)
				}
				if l["name"] != "Liked Tracks" {
					return false, fmt.Sprintf("liked list named %v", l["name"])
				}
			}
			return true, ""
		})
		for _, r := range pdsRecords(t, net, fan.DID, likeCollection) {
			valid(t, likeCollection, r)
		}
	}

	_, err := c.likes.LikeTrack(as, &catalogv1.LikeTrackRequest{TrackId: one})
	require.NoError(t, err)
	likesAre(trOne)

	// A double click's worth: like and unlike in quick succession, ending unliked.
	for range 5 {
		_, err = c.likes.LikeTrack(as, &catalogv1.LikeTrackRequest{TrackId: two})
		require.NoError(t, err)
		_, err = c.likes.UnlikeTrack(as, &catalogv1.UnlikeTrackRequest{TrackId: two})
		require.NoError(t, err)
	}
	likesAre(trOne)
	// Unlike then like, quickly: exactly one of each.
	_, err = c.likes.UnlikeTrack(as, &catalogv1.UnlikeTrackRequest{TrackId: one})
	require.NoError(t, err)
	_, err = c.likes.LikeTrack(as, &catalogv1.LikeTrackRequest{TrackId: one})
	require.NoError(t, err)
	_, err = c.likes.LikeTrack(as, &catalogv1.LikeTrackRequest{TrackId: two})
	require.NoError(t, err)
	likesAre(trTwo, trOne) // newest like first
	mine, err := c.likes.ListLikedTracks(as, &catalogv1.ListLikedTracksRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(2), mine.Total)

	// Reordered: the list record follows, keeping its name, type and createdAt.
	before := listsByType(t, net, fan.DID, "liked")
	_, err = c.likes.ReorderLikedTracks(as, &catalogv1.ReorderLikedTracksRequest{TrackIds: []string{one, two}})
	require.NoError(t, err)
	likesAre(trOne, trTwo)
	after := listsByType(t, net, fan.DID, "liked")
	for uri, rec := range after {
		require.Equal(t, before[uri]["createdAt"], rec["createdAt"])
		require.Equal(t, "liked", rec["listType"])
		valid(t, listCollection, rec)
	}

	// A timed comment: written, edited (createdAt kept, updatedAt set), deleted.
	added, err := c.comments.AddComment(as, &catalogv1.AddCommentRequest{TrackId: one, Text: "the drop at 0:01", TimestampMs: 1000})
	require.NoError(t, err)
	commentIs := func(text string, edited bool) map[string]any {
		t.Helper()
		var found map[string]any
		eventually(t, 60*time.Second, func() (bool, string) {
			recs := pdsRecords(t, net, fan.DID, commentCollection)
			if text == "" {
				return len(recs) == 0, fmt.Sprintf("%d comment records", len(recs))
			}
			if len(recs) != 1 {
				return false, fmt.Sprintf("%d comment records", len(recs))
			}
			for _, r := range recs {
				found = r
			}
			_, hasUpdated := found["updatedAt"]
			return found["text"] == text && hasUpdated == edited && subjectOf(found) == listItem{trOne.Record.Uri, trOne.Record.Cid},
				fmt.Sprintf("comment record %v", found)
		})
		if found != nil {
			valid(t, commentCollection, found)
		}
		return found
	}
	first := commentIs("the drop at 0:01", false)
	require.Equal(t, float64(1000), first["timestampMs"])
	_, err = c.comments.EditComment(as, &catalogv1.EditCommentRequest{Id: added.Comment.Id, Text: "the drop, really"})
	require.NoError(t, err)
	edited := commentIs("the drop, really", true)
	require.Equal(t, first["createdAt"], edited["createdAt"])
	_, err = c.comments.DeleteComment(as, &catalogv1.DeleteCommentRequest{Id: added.Comment.Id})
	require.NoError(t, err)
	commentIs("", false)

	// A playlist: made, filled, reordered, renamed, made private (its record goes), made
	// public again (it comes back), deleted.
	created, err := c.playlists.CreatePlaylist(as, &catalogv1.CreatePlaylistRequest{Name: "Evening"})
	require.NoError(t, err)
	id := created.Playlist.Id
	for _, tr := range []string{one, two} {
		_, err = c.playlists.AddPlaylistTrack(as, &catalogv1.AddPlaylistTrackRequest{PlaylistId: id, TrackId: tr})
		require.NoError(t, err)
	}
	got, err := c.playlists.GetPlaylist(as, &catalogv1.GetPlaylistRequest{Id: id})
	require.NoError(t, err)
	_, err = c.playlists.ReorderPlaylist(as, &catalogv1.ReorderPlaylistRequest{PlaylistId: id, ItemIds: []string{got.Items[1].Id, got.Items[0].Id}})
	require.NoError(t, err)
	name := "Evening, late"
	_, err = c.playlists.UpdatePlaylist(as, &catalogv1.UpdatePlaylistRequest{Id: id, Name: &name})
	require.NoError(t, err)
	playlistIs := func(name string, items ...listItem) map[string]any {
		t.Helper()
		var found map[string]any
		eventually(t, 60*time.Second, func() (bool, string) {
			recs := listsByType(t, net, fan.DID, "playlist")
			if name == "" {
				return len(recs) == 0, fmt.Sprintf("%d playlist records", len(recs))
			}
			if len(recs) != 1 {
				return false, fmt.Sprintf("%d playlist records", len(recs))
			}
			for _, r := range recs {
				found = r
			}
			return found["name"] == name && fmt.Sprint(listItemsOf(found)) == fmt.Sprint(items), fmt.Sprintf("playlist record %v", found)
		})
		if found != nil {
			valid(t, listCollection, found)
		}
		return found
	}
	rec := playlistIs(name, listItem{trTwo.Record.Uri, trTwo.Record.Cid}, listItem{trOne.Record.Uri, trOne.Record.Cid})
	createdAt := rec["createdAt"]
	private := true
	_, err = c.playlists.UpdatePlaylist(as, &catalogv1.UpdatePlaylistRequest{Id: id, Private: &private})
	require.NoError(t, err)
	playlistIs("")
	private = false
	_, err = c.playlists.UpdatePlaylist(as, &catalogv1.UpdatePlaylistRequest{Id: id, Private: &private})
	require.NoError(t, err)
	rec = playlistIs(name, listItem{trTwo.Record.Uri, trTwo.Record.Cid}, listItem{trOne.Record.Uri, trOne.Record.Cid})
	require.Equal(t, createdAt, rec["createdAt"])
	_, err = c.playlists.DeletePlaylist(as, &catalogv1.DeletePlaylistRequest{Id: id})
	require.NoError(t, err)
	playlistIs("")
}

// TestListeningRecords_WorkerKilledMidLike: the worker dies after the PDS committed a
// like record and before plyr heard back; another worker finishes with exactly one
// record and writes it no second time.
func TestListeningRecords_WorkerKilledMidLike(t *testing.T) {
	tap := newTap()
	tap.collection = likeCollection
	t.Cleanup(func() { close(tap.release) })
	s, net := newPDSStack(t, tap)
	_, artistToken := s.signIn(t, net, "ravi")
	fan, fanToken := s.signIn(t, net, "lena")
	track, _ := s.uploadTrack(t, artistToken, "Liked through a crash")
	tr := s.awaitRecord(t, artistToken, track, catalogv1.RecordState_RECORD_STATE_SYNCED)

	tap.stall.Store(true)
	_, err := s.listener().likes.LikeTrack(rpctest.WithToken(context.Background(), fanToken), &catalogv1.LikeTrackRequest{TrackId: track})
	require.NoError(t, err)
	select {
	case <-tap.stalled:
	case <-time.After(time.Minute):
		t.Fatal("the like record was never written")
	}
	require.Len(t, pdsRecords(t, net, fan.DID, likeCollection), 1, "the PDS has the record")

	s.stopWorkers()
	tap.stall.Store(false)
	fresh, err := app.New(s.cfg, s.infra, logging.Discard(), metrics.New())
	require.NoError(t, err)
	t.Cleanup(fresh.Close)
	stop := s.runWorkers(t, fresh)
	t.Cleanup(stop)

	eventually(t, 60*time.Second, func() (bool, string) {
		res, err := s.listener().likes.ListLikedTracks(rpctest.WithToken(context.Background(), fanToken), &catalogv1.ListLikedTracksRequest{})
		require.NoError(t, err)
		return res.ListRecord.GetState() == catalogv1.RecordState_RECORD_STATE_SYNCED, "liked list " + res.ListRecord.GetState().String()
	})
	recs := pdsRecords(t, net, fan.DID, likeCollection)
	require.Len(t, recs, 1)
	for _, r := range recs {
		require.Equal(t, listItem{tr.Record.Uri, tr.Record.Cid}, subjectOf(r))
	}
	require.Equal(t, int32(1), tap.puts.Load(), "the second worker found the like already right")
}

// TestQueue_AcrossServerProcesses: a queue written through one server process reaches a
// stream held by another within a second, and a stale write to either is refused.
func TestQueue_AcrossServerProcesses(t *testing.T) {
	s := newStack(t, 1<<20)
	second, err := app.New(s.cfg, s.infra, logging.Discard(), metrics.New())
	require.NoError(t, err)
	srv2 := httptest.NewServer(second.Handler())
	t.Cleanup(func() { srv2.Close(); second.Close() })
	track, _ := s.uploadTrack(t, s.token, "Queued")

	ctx, cancel := context.WithCancel(rpctest.WithToken(context.Background(), s.token))
	defer cancel()
	watch := catalogv1connect.NewQueueServiceClient(s.http, srv2.URL, connect.WithProtoJSON())
	stream, err := watch.WatchQueue(ctx, &catalogv1.WatchQueueRequest{})
	require.NoError(t, err)
	require.True(t, stream.Receive(), stream.Err())
	rev := stream.Msg().Revision
	msgs := make(chan *catalogv1.WatchQueueResponse, 8)
	go func() {
		for stream.Receive() {
			msgs <- stream.Msg()
		}
	}()

	put := func(base string, ifMatch int64) int {
		body := fmt.Sprintf(`{"state":{"trackIds":[%q],"currentIndex":0}}`, track)
		req, _ := http.NewRequest(http.MethodPut, base+"/queue", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, ifMatch))
		res, err := s.http.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	start := time.Now()
	require.Equal(t, http.StatusOK, put(s.url, rev))
	select {
	case msg := <-msgs:
		require.Equal(t, rev+1, msg.Revision)
		require.Equal(t, []string{track}, msg.State.TrackIds)
		t.Logf("queue change reached the other process's stream in %s", time.Since(start))
	case <-time.After(time.Second):
		t.Fatal("the other process's stream did not see the write within a second")
	}
	require.Equal(t, http.StatusConflict, put(srv2.URL, rev), "the revision moved on")
	require.Equal(t, http.StatusConflict, put(s.url, rev))
}
