package catalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/catalog"
)

// fans is how many more accounts a listening fixture knows.
const fans = 120

// listening is a catalog module with the listener side's clients, on its own database;
// record writes are recorded (starts) and settled by hand.
type listening struct {
	fixture
	pool      *pgxpool.Pool
	url       string
	http      *http.Client
	people    *people
	likes     catalogv1connect.LikeServiceClient
	comments  catalogv1connect.CommentServiceClient
	playlists catalogv1connect.PlaylistServiceClient
	plays     catalogv1connect.PlayServiceClient
	search    catalogv1connect.SearchServiceClient
	queue     catalogv1connect.QueueServiceClient
}

func newListening(t *testing.T, cfg catalog.Config) listening {
	t.Helper()
	return newListeningObserved(t, cfg, nil)
}

// newListeningObserved is newListening with observer told of counted plays.
func newListeningObserved(t *testing.T, cfg catalog.Config, observer catalog.PlayObserver) listening {
	t.Helper()
	st := &starts{}
	ppl := &people{profiles: map[string]catalog.AccountProfile{
		alice: {Handle: "alice.test", AllowComments: true},
		bob:   {Handle: "bob.test", AllowComments: true},
		carol: {Handle: "carol.test", AllowComments: true},
	}}
	cfg.Namespace, cfg.PublicURL = "fm.plyr", "https://plyr.example"
	pool := testenv.NewDatabase(t)
	m := catalog.New(catalog.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(),
		Config: cfg, Accounts: ppl, Records: st, Plays: observer,
	})
	t.Cleanup(m.Close)
	tokens := rpctest.Tokens{
		"alice-token": {DID: alice, Handle: "alice.test"},
		"bob-token":   {DID: bob, Handle: "bob.test"},
		"carol-token": {DID: carol, Handle: "carol.test", Admin: true},
	}
	// Fans: fan-<i>-token is did:plc:fan<i>, handle fan<i>.test (i < fans).
	for i := range fans {
		did := fmt.Sprintf("did:plc:fan%03d", i)
		tokens[fmt.Sprintf("fan-%d-token", i)] = rpc.Caller{DID: did}
		ppl.profiles[did] = catalog.AccountProfile{Handle: fmt.Sprintf("fan%03d.test", i), AllowComments: true}
	}
	srv := rpctest.NewServer(t, tokens, m)
	c, o := srv.Client(), connect.WithProtoJSON()
	return listening{
		fixture: fixture{module: m, client: catalogv1connect.NewCatalogServiceClient(c, srv.URL, o), starts: st},
		pool:    pool, url: srv.URL, http: c, people: ppl,
		likes:     catalogv1connect.NewLikeServiceClient(c, srv.URL, o),
		comments:  catalogv1connect.NewCommentServiceClient(c, srv.URL, o),
		playlists: catalogv1connect.NewPlaylistServiceClient(c, srv.URL, o),
		plays:     catalogv1connect.NewPlayServiceClient(c, srv.URL, o),
		search:    catalogv1connect.NewSearchServiceClient(c, srv.URL, o),
		queue:     catalogv1connect.NewQueueServiceClient(c, srv.URL, o),
	}
}

// published is a ready track whose record is on its artist's PDS (settled by hand).
func (l listening) published(t *testing.T, artist, title string) string {
	t.Helper()
	id := l.addTrack(t, artist, title, time.Now(), true)
	var ref recordsact.Ref
	for _, r := range l.starts.started() {
		if r.DID == artist && r.Collection == "fm.plyr.track" {
			ref = r // the latest of the artist's track records
		}
	}
	require.NotEmpty(t, ref.RKey)
	l.settle(t, ref, "bafyrei"+strings.Repeat("a", 52))
	return id
}

// settle tells the catalog a record's current revision is on the PDS.
func (l listening) settle(t *testing.T, ref recordsact.Ref, cid string) {
	t.Helper()
	src := l.module.RecordSources()[ref.Collection]
	want, err := src.Wanted(context.Background(), ref)
	require.NoError(t, err)
	o := recordsact.Outcome{Revision: want.Revision, Absent: want.Absent}
	if !want.Absent {
		o.URI, o.CID = ref.URI(), cid
		o.Record, err = want.Build(nil)
		require.NoError(t, err)
	}
	_, err = src.Settle(context.Background(), ref, o)
	require.NoError(t, err)
}

// wanted is what the catalog wants the record to be now.
func (l listening) wanted(t *testing.T, ref recordsact.Ref) (map[string]any, bool) {
	t.Helper()
	want, err := l.module.RecordSources()[ref.Collection].Wanted(context.Background(), ref)
	if err != nil {
		require.ErrorIs(t, err, recordsact.ErrNotTracked)
		return nil, false
	}
	if want.Absent {
		return nil, false
	}
	rec, err := want.Build(nil)
	require.NoError(t, err)
	return rec, true
}

// startedOf are the records of collection started for did, distinct, in first-start order.
func (l listening) startedOf(did, collection string) []recordsact.Ref {
	var out []recordsact.Ref
	seen := map[string]bool{}
	for _, r := range l.starts.started() {
		if r.DID == did && r.Collection == collection && !seen[r.RKey] {
			seen[r.RKey] = true
			out = append(out, r)
		}
	}
	return out
}

func code(err error) connect.Code { return connect.CodeOf(err) }

func TestLikes_IdempotentCountedAndListed(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.published(t, alice, "Morning")

	for range 2 {
		res, err := l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: track})
		require.NoError(t, err)
		require.True(t, res.Liked)
		require.Equal(t, int64(1), res.LikeCount, "liking twice counts once")
	}
	likeRefs := l.startedOf(bob, "fm.plyr.like")
	require.Len(t, likeRefs, 1)
	rec, ok := l.wanted(t, likeRefs[0])
	require.True(t, ok)
	require.Equal(t, "at://"+alice+"/fm.plyr.track/", rec["subject"].(map[string]any)["uri"].(string)[:len("at://"+alice+"/fm.plyr.track/")])

	// The liked list follows, with its name and type.
	lists := l.startedOf(bob, "fm.plyr.list")
	require.Len(t, lists, 1)
	list, ok := l.wanted(t, lists[0])
	require.True(t, ok)
	require.Equal(t, "Liked Tracks", list["name"])
	require.Equal(t, "liked", list["listType"])
	require.Len(t, list["items"], 1)

	got, err := l.client.GetTrack(as("bob-token"), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	require.True(t, got.Track.Liked)
	require.Equal(t, int64(1), got.Track.LikeCount)
	got, err = l.client.GetTrack(as("alice-token"), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	require.False(t, got.Track.Liked)

	likers, err := l.likes.ListLikers(context.Background(), &catalogv1.ListLikersRequest{TrackId: track})
	require.NoError(t, err)
	require.Equal(t, int64(1), likers.Total)
	require.Equal(t, "bob.test", likers.Likers[0].Person.Handle)

	mine, err := l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{})
	require.NoError(t, err)
	require.Len(t, mine.Tracks, 1)
	require.Equal(t, track, mine.Tracks[0].Id)

	for range 2 {
		res, err := l.likes.UnlikeTrack(as("bob-token"), &catalogv1.UnlikeTrackRequest{TrackId: track})
		require.NoError(t, err)
		require.False(t, res.Liked)
		require.Equal(t, int64(0), res.LikeCount)
	}
	_, present := l.wanted(t, likeRefs[0])
	require.False(t, present, "the like's record is to be deleted")
	list, _ = l.wanted(t, lists[0])
	require.Empty(t, list["items"])

	_, err = l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: uuid.NewString()})
	require.Equal(t, connect.CodeNotFound, code(err))
}

func TestGetTracks_InTheOrderAsked(t *testing.T) {
	l := newListening(t, catalog.Config{})
	one := l.published(t, alice, "One")
	two := l.published(t, alice, "Two")
	processing := l.addTrack(t, alice, "Still processing", time.Now(), false)
	_, err := l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: one})
	require.NoError(t, err)

	res, err := l.client.GetTracks(as("bob-token"), &catalogv1.GetTracksRequest{Ids: []string{two, uuid.NewString(), processing, one}})
	require.NoError(t, err)
	require.Equal(t, []string{two, one}, trackIDs(res.Tracks), "missing and processing tracks are left out")
	require.True(t, res.Tracks[1].Liked)

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	_, err = l.client.GetTracks(context.Background(), &catalogv1.GetTracksRequest{Ids: ids})
	require.Equal(t, connect.CodeInvalidArgument, code(err))
}

func TestLikes_NeedTheTrackRecord(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.addTrack(t, alice, "Unpublished", time.Now(), true) // record still pending
	_, err := l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: track})
	require.Equal(t, connect.CodeFailedPrecondition, code(err))
}

func TestLikes_ProfileShowsThemOnlyWhenAsked(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.published(t, alice, "Shown")
	_, err := l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: track})
	require.NoError(t, err)

	_, err = l.likes.ListLikedTracks(as("alice-token"), &catalogv1.ListLikedTracksRequest{Handle: "bob.test"})
	require.Equal(t, connect.CodePermissionDenied, code(err), "bob keeps his likes private (plyr.fm ignored the setting)")
	own, err := l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{Handle: "bob.test"})
	require.NoError(t, err, "his own are his to see")
	require.Len(t, own.Tracks, 1)

	p := l.people.profiles[bob]
	p.ShowLikedOnProfile = true
	l.people.profiles[bob] = p
	shown, err := l.likes.ListLikedTracks(context.Background(), &catalogv1.ListLikedTracksRequest{Handle: "bob.test"})
	require.NoError(t, err)
	require.Len(t, shown.Tracks, 1)
	require.Nil(t, shown.ListRecord, "the list record's state is its owner's")
}

func TestLikes_ReorderKeepsTheListRecord(t *testing.T) {
	l := newListening(t, catalog.Config{})
	var ids []string
	for i := range 3 {
		id := l.published(t, alice, fmt.Sprintf("Track %d", i))
		_, err := l.likes.LikeTrack(as("bob-token"), &catalogv1.LikeTrackRequest{TrackId: id})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	mine, err := l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{ids[2], ids[1], ids[0]}, trackIDs(mine.Tracks), "newest like first")
	list := l.startedOf(bob, "fm.plyr.list")[0]
	before, _ := l.wanted(t, list)

	order := []string{ids[1], ids[2], ids[0]}
	_, err = l.likes.ReorderLikedTracks(as("bob-token"), &catalogv1.ReorderLikedTracksRequest{TrackIds: order})
	require.NoError(t, err)
	mine, err = l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{})
	require.NoError(t, err)
	require.Equal(t, order, trackIDs(mine.Tracks))
	after, _ := l.wanted(t, list)
	require.Equal(t, "Liked Tracks", after["name"])
	require.Equal(t, "liked", after["listType"])
	require.Equal(t, before["createdAt"], after["createdAt"])

	_, err = l.likes.ReorderLikedTracks(as("bob-token"), &catalogv1.ReorderLikedTracksRequest{TrackIds: order[:2]})
	require.Equal(t, connect.CodeInvalidArgument, code(err), "a reorder names every liked track")

	// Paging walks the same order.
	first, err := l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{PageSize: 2})
	require.NoError(t, err)
	rest, err := l.likes.ListLikedTracks(as("bob-token"), &catalogv1.ListLikedTracksRequest{PageSize: 2, PageToken: first.NextPageToken})
	require.NoError(t, err)
	require.Equal(t, order, append(trackIDs(first.Tracks), trackIDs(rest.Tracks)...))
}

func TestComments_Rules(t *testing.T) {
	l := newListening(t, catalog.Config{Comments: catalog.CommentLimits{MaxPerTrack: 3, RatePerWindow: 4, Window: time.Hour}})
	track := l.published(t, alice, "Talkative")

	for _, ts := range []int32{90_000, 10_000, 50_000} {
		_, err := l.comments.AddComment(as("bob-token"), &catalogv1.AddCommentRequest{TrackId: track, Text: fmt.Sprintf("at %d", ts), TimestampMs: ts})
		require.NoError(t, err)
	}
	list, err := l.comments.ListComments(context.Background(), &catalogv1.ListCommentsRequest{TrackId: track})
	require.NoError(t, err)
	require.True(t, list.CommentsEnabled)
	require.Equal(t, []int32{10_000, 50_000, 90_000}, []int32{list.Comments[0].TimestampMs, list.Comments[1].TimestampMs, list.Comments[2].TimestampMs})
	require.Equal(t, "bob.test", list.Comments[0].Author.Handle)

	_, err = l.comments.AddComment(as("bob-token"), &catalogv1.AddCommentRequest{TrackId: track, Text: "one more", TimestampMs: 1})
	require.Equal(t, connect.CodeFailedPrecondition, code(err), "the track's cap")

	got, err := l.client.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Track.CommentCount)

	// Editing: the author only; the record keeps createdAt and gets updatedAt.
	first := list.Comments[0]
	_, err = l.comments.EditComment(as("alice-token"), &catalogv1.EditCommentRequest{Id: first.Id, Text: "not mine"})
	require.Equal(t, connect.CodePermissionDenied, code(err))
	edited, err := l.comments.EditComment(as("bob-token"), &catalogv1.EditCommentRequest{Id: first.Id, Text: "edited"})
	require.NoError(t, err)
	require.Equal(t, "edited", edited.Comment.Text)
	require.NotNil(t, edited.Comment.UpdatedAt)
	var ref recordsact.Ref
	var rec map[string]any
	for _, r := range l.startedOf(bob, "fm.plyr.comment") {
		if got, ok := l.wanted(t, r); ok && got["text"] == "edited" {
			ref, rec = r, got
		}
	}
	require.NotNil(t, rec, "the edited comment's record")
	require.NotEmpty(t, rec["updatedAt"])
	require.Equal(t, atproto.Datetime(first.CreatedAt.AsTime()), rec["createdAt"])

	// Deleting frees room; deleting again is harmless.
	_, err = l.comments.DeleteComment(as("alice-token"), &catalogv1.DeleteCommentRequest{Id: first.Id})
	require.Equal(t, connect.CodePermissionDenied, code(err))
	for range 2 {
		_, err = l.comments.DeleteComment(as("bob-token"), &catalogv1.DeleteCommentRequest{Id: first.Id})
		require.NoError(t, err)
	}
	_, present := l.wanted(t, ref)
	require.False(t, present)

	// The per-account rate (4 an hour here): bob has 2 comments from the window left; two
	// more are allowed, a fifth is not.
	other := l.published(t, alice, "Another")
	for _, text := range []string{"third", "fourth"} {
		_, err = l.comments.AddComment(as("bob-token"), &catalogv1.AddCommentRequest{TrackId: other, Text: text, TimestampMs: 0})
		require.NoError(t, err)
	}
	_, err = l.comments.AddComment(as("bob-token"), &catalogv1.AddCommentRequest{TrackId: other, Text: "fifth", TimestampMs: 0})
	require.Equal(t, connect.CodeResourceExhausted, code(err), "too often")

	// Bad input.
	for _, text := range []string{"", "   ", strings.Repeat("x", 301)} {
		_, err = l.comments.AddComment(as("alice-token"), &catalogv1.AddCommentRequest{TrackId: other, Text: text})
		require.Equal(t, connect.CodeInvalidArgument, code(err), "%q", text)
	}
	_, err = l.comments.AddComment(as("alice-token"), &catalogv1.AddCommentRequest{TrackId: other, Text: "late", TimestampMs: 181_000})
	require.Equal(t, connect.CodeInvalidArgument, code(err), "past the track's end")

	// The artist turns comments off: existing ones hidden, new ones refused.
	p := l.people.profiles[alice]
	p.AllowComments = false
	l.people.profiles[alice] = p
	off, err := l.comments.ListComments(context.Background(), &catalogv1.ListCommentsRequest{TrackId: other})
	require.NoError(t, err)
	require.False(t, off.CommentsEnabled)
	require.Empty(t, off.Comments)
	_, err = l.comments.AddComment(as("alice-token"), &catalogv1.AddCommentRequest{TrackId: other, Text: "hello"})
	require.Equal(t, connect.CodePermissionDenied, code(err))
}

// TestComments_ManyAuthors: a track whose cap is raised past a hundred comments lists them
// all with their authors (whose profiles are read a hundred at a time).
func TestComments_ManyAuthors(t *testing.T) {
	l := newListening(t, catalog.Config{Comments: catalog.CommentLimits{MaxPerTrack: 150, RatePerWindow: 150}})
	track := l.published(t, alice, "Crowded")
	for i := range fans {
		_, err := l.comments.AddComment(as(fmt.Sprintf("fan-%d-token", i)), &catalogv1.AddCommentRequest{TrackId: track, Text: fmt.Sprintf("comment %d", i), TimestampMs: int32(i * 1000)})
		require.NoError(t, err)
	}
	list, err := l.comments.ListComments(context.Background(), &catalogv1.ListCommentsRequest{TrackId: track})
	require.NoError(t, err)
	require.Len(t, list.Comments, 120)
	require.Equal(t, "fan119.test", list.Comments[119].Author.Handle)
}

func TestPlaylists_Lifecycle(t *testing.T) {
	l := newListening(t, catalog.Config{})
	one := l.published(t, alice, "One")
	two := l.published(t, alice, "Two")

	created, err := l.playlists.CreatePlaylist(as("bob-token"), &catalogv1.CreatePlaylistRequest{Name: "Road trip", ShowOnProfile: true})
	require.NoError(t, err)
	id := created.Playlist.Id
	for _, tr := range []string{one, two} {
		_, err = l.playlists.AddPlaylistTrack(as("bob-token"), &catalogv1.AddPlaylistTrackRequest{PlaylistId: id, TrackId: tr})
		require.NoError(t, err)
	}
	_, err = l.playlists.AddPlaylistTrack(as("bob-token"), &catalogv1.AddPlaylistTrackRequest{PlaylistId: id, TrackId: one})
	require.Equal(t, connect.CodeAlreadyExists, code(err))

	got, err := l.playlists.GetPlaylist(context.Background(), &catalogv1.GetPlaylistRequest{Id: id})
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Playlist.TrackCount)
	require.Equal(t, []string{one, two}, []string{got.Items[0].Track.Id, got.Items[1].Track.Id})
	ref := l.startedOf(bob, "fm.plyr.list")[0]
	rec, _ := l.wanted(t, ref)
	require.Equal(t, "Road trip", rec["name"])
	require.Equal(t, "playlist", rec["listType"])
	createdAt := rec["createdAt"]

	// Reordered and renamed: the record keeps name, type and createdAt.
	_, err = l.playlists.ReorderPlaylist(as("bob-token"), &catalogv1.ReorderPlaylistRequest{PlaylistId: id, ItemIds: []string{got.Items[1].Id, got.Items[0].Id}})
	require.NoError(t, err)
	name := "Road trip 2"
	_, err = l.playlists.UpdatePlaylist(as("bob-token"), &catalogv1.UpdatePlaylistRequest{Id: id, Name: &name})
	require.NoError(t, err)
	rec, _ = l.wanted(t, ref)
	require.Equal(t, name, rec["name"])
	require.Equal(t, "playlist", rec["listType"])
	require.Equal(t, createdAt, rec["createdAt"])
	items := rec["items"].([]any)
	require.Len(t, items, 2)
	got, err = l.playlists.GetPlaylist(context.Background(), &catalogv1.GetPlaylistRequest{Id: id})
	require.NoError(t, err)
	require.Equal(t, got.Items[0].Uri, items[0].(map[string]any)["subject"].(map[string]any)["uri"])
	require.Equal(t, two, got.Items[0].Track.Id)

	// On bob's profile; a deleted track stays, unavailable.
	shown, err := l.playlists.ListPlaylists(context.Background(), &catalogv1.ListPlaylistsRequest{OwnerDid: bob})
	require.NoError(t, err)
	require.Len(t, shown.Playlists, 1)
	_, err = l.client.DeleteTrack(as("alice-token"), &catalogv1.DeleteTrackRequest{Id: two})
	require.NoError(t, err)
	got, err = l.playlists.GetPlaylist(context.Background(), &catalogv1.GetPlaylistRequest{Id: id})
	require.NoError(t, err)
	require.Len(t, got.Items, 2)
	require.False(t, got.Items[0].Available)
	require.Nil(t, got.Items[0].Track)
	require.True(t, got.Items[1].Available)

	// Removing the unavailable entry.
	_, err = l.playlists.RemovePlaylistTrack(as("bob-token"), &catalogv1.RemovePlaylistTrackRequest{PlaylistId: id, ItemId: got.Items[0].Id})
	require.NoError(t, err)

	// Private: hidden from others, its record removed; public again, written again.
	private := true
	res, err := l.playlists.UpdatePlaylist(as("bob-token"), &catalogv1.UpdatePlaylistRequest{Id: id, Private: &private})
	require.NoError(t, err)
	require.False(t, res.Playlist.ShowOnProfile)
	_, present := l.wanted(t, ref)
	require.False(t, present)
	_, err = l.playlists.GetPlaylist(as("alice-token"), &catalogv1.GetPlaylistRequest{Id: id})
	require.Equal(t, connect.CodeNotFound, code(err))
	shown, err = l.playlists.ListPlaylists(context.Background(), &catalogv1.ListPlaylistsRequest{OwnerDid: bob})
	require.NoError(t, err)
	require.Empty(t, shown.Playlists)
	private = false
	_, err = l.playlists.UpdatePlaylist(as("bob-token"), &catalogv1.UpdatePlaylistRequest{Id: id, Private: &private})
	require.NoError(t, err)
	rec, present = l.wanted(t, ref)
	require.True(t, present)
	require.Equal(t, createdAt, rec["createdAt"])

	for range 2 {
		_, err = l.playlists.DeletePlaylist(as("bob-token"), &catalogv1.DeletePlaylistRequest{Id: id})
		require.NoError(t, err)
	}
	_, present = l.wanted(t, ref)
	require.False(t, present)

	_, err = l.playlists.CreatePlaylist(as("bob-token"), &catalogv1.CreatePlaylistRequest{Name: "  "})
	require.Equal(t, connect.CodeInvalidArgument, code(err))
}

func TestPlays_ReplayingOneReportCountsOnce(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.published(t, alice, "Replay me")

	replay := func(token string) (counted int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				res, err := l.plays.RecordPlay(as(token), &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 31_000})
				require.NoError(t, err)
				if res.Counted {
					mu.Lock()
					counted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return counted
	}
	require.Equal(t, 1, replay("bob-token"), "a hundred replays of one report")
	require.Equal(t, 1, replay(""), "an anonymous visitor's, too")

	res, err := l.plays.RecordPlay(as("alice-token"), &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 5_000})
	require.NoError(t, err)
	require.False(t, res.Counted, "five seconds of a three-minute track is not a play")
	res, err = l.plays.RecordPlay(as("alice-token"), &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 90_000})
	require.NoError(t, err)
	require.True(t, res.Counted)
	require.Equal(t, int64(3), res.PlayCount)

	got, err := l.client.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Track.PlayCount)

	top, err := l.plays.ListTopTracks(context.Background(), &catalogv1.ListTopTracksRequest{By: catalogv1.TopBy_TOP_BY_PLAYS, Window: catalogv1.TopWindow_TOP_WINDOW_WEEK})
	require.NoError(t, err)
	require.Len(t, top.Tracks, 1)
	require.Equal(t, int64(3), top.Tracks[0].Count)
	stats, err := l.plays.GetPlatformStats(context.Background(), &catalogv1.GetPlatformStatsRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(3), stats.TotalPlays)
	require.Equal(t, int64(1), stats.TotalTracks)

	_, err = l.plays.RecordPlay(context.Background(), &catalogv1.RecordPlayRequest{TrackId: uuid.NewString(), ListenedMs: 60_000})
	require.Equal(t, connect.CodeNotFound, code(err))
}

// handOffs is a PlayObserver that records what it is told and fails while failing says.
type handOffs struct {
	mu      sync.Mutex
	told    []catalog.CountedPlay
	failing bool
}

func (h *handOffs) PlayCounted(_ context.Context, p catalog.CountedPlay) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.told = append(h.told, p)
	if h.failing {
		return fmt.Errorf("sharing is down")
	}
	return nil
}

func (h *handOffs) take() []catalog.CountedPlay {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.told
	h.told = nil
	return out
}

func (h *handOffs) fail(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failing = on
}

// A counted play is handed to sharing after it commits; one whose hand-off failed (or
// whose process died first) is handed off again by housekeeping, the same play, until it
// succeeds or is a day old.
func TestPlays_AHandOffThatFailedIsResumed(t *testing.T) {
	observer := &handOffs{}
	l := newListeningObserved(t, catalog.Config{}, observer)
	track := l.published(t, alice, "Hand me off")
	ctx := context.Background()
	play := func(token, ref string) {
		t.Helper()
		res, err := l.plays.RecordPlay(as(token), &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 31_000, Ref: ref})
		require.NoError(t, err)
		require.True(t, res.Counted)
	}
	resume := func() (int, error) {
		return l.module.ResumePlayHandOffs(ctx, time.Now().Add(time.Minute), 10)
	}

	// Handed off at once: nothing is left to resume.
	play("bob-token", "")
	require.Len(t, observer.take(), 1)
	n, err := resume()
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, observer.take())

	// An anonymous play without a share link has no one to be handed to.
	play("", "")
	require.Empty(t, observer.take())

	// The hand-off fails: the play stays pending, and is handed off again as it was.
	observer.fail(true)
	play("fan-1-token", "AbCdEf12")
	first := observer.take()
	require.Len(t, first, 1)
	observer.fail(false)
	n, err = resume()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	again := observer.take()
	require.Len(t, again, 1)
	require.Equal(t, first[0], again[0], "the same play: its id, listener, code and time")
	require.Equal(t, "did:plc:fan001", again[0].ListenerDID)
	require.Equal(t, "AbCdEf12", again[0].Ref)
	n, err = resume()
	require.NoError(t, err)
	require.Zero(t, n, "handed off once it succeeded")
	require.Empty(t, observer.take())

	// A hand-off that keeps failing is tried on every run, and given up a day on.
	observer.fail(true)
	play("fan-2-token", "")
	observer.take()
	_, err = resume()
	require.ErrorContains(t, err, "sharing is down")
	require.Len(t, observer.take(), 1)
	_, err = l.pool.Exec(ctx, "UPDATE catalog.plays SET played_at = now() - interval '25 hours' WHERE listener_did = 'did:plc:fan002'")
	require.NoError(t, err)
	n, err = resume()
	require.NoError(t, err, "given up, not failed")
	require.Zero(t, n)
	require.Len(t, observer.take(), 1, "one last try")
	_, err = resume()
	require.NoError(t, err)
	require.Empty(t, observer.take(), "given up for good")
}

func TestSearch_FuzzyAndTyped(t *testing.T) {
	l := newListening(t, catalog.Config{})
	l.published(t, alice, "Midnight City")
	l.published(t, alice, "Sunrise over the midnight sea")
	unrelated := l.published(t, alice, "Unrelated")
	album := "Midnight sessions"
	_, err := l.client.UpdateTrack(as("alice-token"), &catalogv1.UpdateTrackRequest{Id: unrelated, Album: &album})
	require.NoError(t, err)
	_, err = l.playlists.CreatePlaylist(as("bob-token"), &catalogv1.CreatePlaylistRequest{Name: "Midnight drive"})
	require.NoError(t, err)

	res, err := l.search.Search(context.Background(), &catalogv1.SearchRequest{Q: "midnight"})
	require.NoError(t, err)
	var titles, albums []string
	counts := map[catalogv1.SearchKind]int64{}
	for _, c := range res.Counts {
		counts[c.Kind] = c.Count
	}
	for _, r := range res.Results {
		if tr := r.GetTrack(); tr != nil {
			titles = append(titles, tr.Title)
		}
		if a := r.GetAlbum(); a != nil {
			albums = append(albums, a.Title)
		}
	}
	require.Equal(t, []string{album}, albums)
	require.Equal(t, int64(1), counts[catalogv1.SearchKind_SEARCH_KIND_ALBUM])
	require.Equal(t, []string{"Midnight City", "Sunrise over the midnight sea"}, titles, "best match first")
	require.Equal(t, int64(2), counts[catalogv1.SearchKind_SEARCH_KIND_TRACK])
	require.Equal(t, int64(1), counts[catalogv1.SearchKind_SEARCH_KIND_PLAYLIST])

	fuzzy, err := l.search.Search(context.Background(), &catalogv1.SearchRequest{Q: "midnite city", Kinds: []catalogv1.SearchKind{catalogv1.SearchKind_SEARCH_KIND_TRACK}})
	require.NoError(t, err)
	require.NotEmpty(t, fuzzy.Results)
	require.Equal(t, "Midnight City", fuzzy.Results[0].GetTrack().GetTitle(), "a misspelling still finds it")
	require.Equal(t, "midnight city", fuzzy.Query, "spelt as the titles spell it")
	require.Equal(t, "midnight", res.Query, "a word titles have stays as typed")

	// A common word is searched through the trigram index, best first, the same.
	_, err = l.pool.Exec(context.Background(), "UPDATE catalog.title_words SET tracks = 100000 WHERE word = 'midnight'")
	require.NoError(t, err)
	common, err := l.search.Search(context.Background(), &catalogv1.SearchRequest{Q: "midnight", Kinds: []catalogv1.SearchKind{catalogv1.SearchKind_SEARCH_KIND_TRACK}})
	require.NoError(t, err)
	require.Equal(t, []string{"Midnight City", "Sunrise over the midnight sea"},
		[]string{common.Results[0].GetTrack().GetTitle(), common.Results[1].GetTrack().GetTitle()})

	// A title changed: its new words are known at once.
	renamed := "Nocturne for strings"
	_, err = l.client.UpdateTrack(as("alice-token"), &catalogv1.UpdateTrackRequest{Id: unrelated, Title: &renamed})
	require.NoError(t, err)
	noct, err := l.search.Search(context.Background(), &catalogv1.SearchRequest{Q: "nocturn"})
	require.NoError(t, err)
	require.Equal(t, "nocturne", noct.Query)
	require.Equal(t, renamed, noct.Results[0].GetTrack().GetTitle())
	wordCount := func(word string) (n int64) {
		require.NoError(t, l.pool.QueryRow(context.Background(), "SELECT tracks FROM catalog.title_words WHERE word = $1", word).Scan(&n))
		return n
	}
	require.Equal(t, int64(0), wordCount("unrelated"), "the old title's words are counted off")
	require.Equal(t, int64(1), wordCount("nocturne"))
	require.Equal(t, int64(100000), wordCount("midnight"), "unchanged by a title that does not hold it")

	for _, q := range []string{"m", strings.Repeat("m", 101)} {
		_, err = l.search.Search(context.Background(), &catalogv1.SearchRequest{Q: q})
		require.Equal(t, connect.CodeInvalidArgument, code(err))
	}
	handles, err := l.search.SearchHandles(context.Background(), &catalogv1.SearchHandlesRequest{Q: "ali"})
	require.NoError(t, err)
	require.Equal(t, "alice.test", handles.People[0].Handle)
}

// queueReq sends a request to the queue's HTTP routes as token.
func (l listening) queueReq(t *testing.T, method, token string, headers map[string]string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, l.url+"/queue", r)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := l.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	if res.StatusCode != http.StatusNotModified {
		_ = json.NewDecoder(res.Body).Decode(&out)
	}
	return res.StatusCode, res.Header, out
}

func TestQueue_ConditionalReadsAndWrites(t *testing.T) {
	l := newListening(t, catalog.Config{})
	a, b := uuid.NewString(), uuid.NewString()

	status, h, body := l.queueReq(t, http.MethodGet, "bob-token", nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, `"0"`, h.Get("ETag"), "no queue yet: revision 0")
	require.Equal(t, float64(0), body["revision"])

	// A stream watching bob's queue sees every write.
	ctx, cancel := context.WithCancel(as("bob-token"))
	defer cancel()
	stream, err := l.queue.WatchQueue(ctx, &catalogv1.WatchQueueRequest{})
	require.NoError(t, err)
	require.True(t, stream.Receive(), stream.Err())
	require.Equal(t, int64(0), stream.Msg().Revision)

	status, h, _ = l.queueReq(t, http.MethodPut, "bob-token", map[string]string{"If-Match": `"0"`},
		fmt.Sprintf(`{"state":{"trackIds":[%q,%q],"currentIndex":1,"positionMs":"1500"}}`, a, b))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, `"1"`, h.Get("ETag"))
	received := make(chan *catalogv1.WatchQueueResponse, 1)
	go func() {
		if stream.Receive() {
			received <- stream.Msg()
		}
	}()
	select {
	case msg := <-received:
		require.Equal(t, int64(1), msg.Revision)
		require.Equal(t, []string{a, b}, msg.State.TrackIds)
		require.Equal(t, int32(1), msg.State.CurrentIndex)
		require.Equal(t, int64(1500), msg.State.PositionMs, "protobuf JSON's string for an int64 is read")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream never saw the write")
	}

	status, _, _ = l.queueReq(t, http.MethodGet, "bob-token", map[string]string{"If-None-Match": `"1"`}, "")
	require.Equal(t, http.StatusNotModified, status)
	status, _, _ = l.queueReq(t, http.MethodGet, "bob-token", map[string]string{"If-None-Match": `"0"`}, "")
	require.Equal(t, http.StatusOK, status)

	// A write over a stale revision is refused with the queue as it is.
	status, h, body = l.queueReq(t, http.MethodPut, "bob-token", map[string]string{"If-Match": `"0"`}, `{"state":{"trackIds":[]}}`)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, `"1"`, h.Get("ETag"))
	require.Equal(t, float64(1), body["revision"])

	// Alice's queue is hers: bob's revision means nothing there.
	status, _, body = l.queueReq(t, http.MethodGet, "alice-token", nil, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, float64(0), body["revision"])

	for _, bad := range []string{`{"state":{"trackIds":["nope"]}}`, `{"state":{"trackIds":[],"currentIndex":3}}`, `not json`} {
		status, _, _ = l.queueReq(t, http.MethodPut, "bob-token", nil, bad)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}
	status, _, _ = l.queueReq(t, http.MethodGet, "", nil, "")
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestNowPlaying_SharedAndExpiring(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.published(t, alice, "On air")
	get := func(path string) (int, map[string]any) {
		res, err := l.http.Get(l.url + path)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	status, _ := get("/now-playing/by-did/" + bob)
	require.Equal(t, http.StatusNoContent, status)

	_, err := l.queue.SetNowPlaying(as("bob-token"), &catalogv1.SetNowPlayingRequest{TrackId: track, ProgressMs: 12_000, IsPlaying: true})
	require.NoError(t, err)
	status, body := get("/now-playing/by-handle/bob.test")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "On air", body["track_name"])
	require.Equal(t, "alice.test", body["artist_name"])
	require.Equal(t, "https://plyr.example/track/"+track, body["track_url"])
	require.GreaterOrEqual(t, body["progress_ms"], float64(12_000))

	_, err = l.queue.SetNowPlaying(as("bob-token"), &catalogv1.SetNowPlayingRequest{TrackId: track, ProgressMs: 20_000, IsPlaying: false})
	require.NoError(t, err)
	status, _ = get("/now-playing/by-did/" + bob)
	require.Equal(t, http.StatusNoContent, status, "paused")
	_, err = l.queue.ClearNowPlaying(as("bob-token"), &catalogv1.ClearNowPlayingRequest{})
	require.NoError(t, err)
	status, _ = get("/now-playing/by-did/" + bob)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = get("/now-playing/by-handle/nobody.test")
	require.Equal(t, http.StatusNotFound, status)
}

// TestAuthorization_Matrix: every mutating procedure of the listener side, called
// anonymously, by another account, by an administrator who does not own the thing, and
// by its owner.
func TestAuthorization_Matrix(t *testing.T) {
	l := newListening(t, catalog.Config{})
	track := l.published(t, alice, "Owned")
	extra := l.published(t, alice, "Extra")
	pl, err := l.playlists.CreatePlaylist(as("bob-token"), &catalogv1.CreatePlaylistRequest{Name: "Bob's"})
	require.NoError(t, err)
	_, err = l.playlists.AddPlaylistTrack(as("bob-token"), &catalogv1.AddPlaylistTrackRequest{PlaylistId: pl.Playlist.Id, TrackId: track})
	require.NoError(t, err)
	got, err := l.playlists.GetPlaylist(as("bob-token"), &catalogv1.GetPlaylistRequest{Id: pl.Playlist.Id})
	require.NoError(t, err)
	item := got.Items[0].Id
	cm, err := l.comments.AddComment(as("bob-token"), &catalogv1.AddCommentRequest{TrackId: track, Text: "mine", TimestampMs: 1})
	require.NoError(t, err)
	name := "Renamed"

	type call func(ctx context.Context) error
	cases := []struct {
		name string
		do   call
		// others is what anyone but the owner gets; "" means they may (the action is theirs).
		others connect.Code
	}{
		{"LikeTrack", func(ctx context.Context) error {
			_, err := l.likes.LikeTrack(ctx, &catalogv1.LikeTrackRequest{TrackId: track})
			return err
		}, 0},
		{"UnlikeTrack", func(ctx context.Context) error {
			_, err := l.likes.UnlikeTrack(ctx, &catalogv1.UnlikeTrackRequest{TrackId: track})
			return err
		}, 0},
		{"ReorderLikedTracks", func(ctx context.Context) error {
			_, err := l.likes.ReorderLikedTracks(ctx, &catalogv1.ReorderLikedTracksRequest{})
			return err
		}, 0},
		{"AddComment", func(ctx context.Context) error {
			_, err := l.comments.AddComment(ctx, &catalogv1.AddCommentRequest{TrackId: track, Text: "hi"})
			return err
		}, 0},
		{"EditComment", func(ctx context.Context) error {
			_, err := l.comments.EditComment(ctx, &catalogv1.EditCommentRequest{Id: cm.Comment.Id, Text: "changed"})
			return err
		}, connect.CodePermissionDenied},
		{"CreatePlaylist", func(ctx context.Context) error {
			_, err := l.playlists.CreatePlaylist(ctx, &catalogv1.CreatePlaylistRequest{Name: "x"})
			return err
		}, 0},
		{"UpdatePlaylist", func(ctx context.Context) error {
			_, err := l.playlists.UpdatePlaylist(ctx, &catalogv1.UpdatePlaylistRequest{Id: pl.Playlist.Id, Name: &name})
			return err
		}, connect.CodePermissionDenied},
		{"ReorderPlaylist", func(ctx context.Context) error {
			_, err := l.playlists.ReorderPlaylist(ctx, &catalogv1.ReorderPlaylistRequest{PlaylistId: pl.Playlist.Id, ItemIds: []string{item}})
			return err
		}, connect.CodePermissionDenied},
		{"AddPlaylistTrack", func(ctx context.Context) error {
			_, err := l.playlists.AddPlaylistTrack(ctx, &catalogv1.AddPlaylistTrackRequest{PlaylistId: pl.Playlist.Id, TrackId: extra})
			return err
		}, connect.CodePermissionDenied},
		{"RemovePlaylistTrack", func(ctx context.Context) error {
			_, err := l.playlists.RemovePlaylistTrack(ctx, &catalogv1.RemovePlaylistTrackRequest{PlaylistId: pl.Playlist.Id, ItemId: item})
			return err
		}, connect.CodePermissionDenied},
		{"DeleteComment", func(ctx context.Context) error {
			_, err := l.comments.DeleteComment(ctx, &catalogv1.DeleteCommentRequest{Id: cm.Comment.Id})
			return err
		}, connect.CodePermissionDenied},
		{"DeletePlaylist", func(ctx context.Context) error {
			_, err := l.playlists.DeletePlaylist(ctx, &catalogv1.DeletePlaylistRequest{Id: pl.Playlist.Id})
			return err
		}, connect.CodePermissionDenied},
		{"SetNowPlaying", func(ctx context.Context) error {
			_, err := l.queue.SetNowPlaying(ctx, &catalogv1.SetNowPlayingRequest{TrackId: track, IsPlaying: true})
			return err
		}, 0},
		{"ClearNowPlaying", func(ctx context.Context) error {
			_, err := l.queue.ClearNowPlaying(ctx, &catalogv1.ClearNowPlayingRequest{})
			return err
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, connect.CodeUnauthenticated, code(c.do(context.Background())), "anonymous")
			for _, other := range []string{"alice-token", "carol-token"} {
				err := c.do(as(other))
				if c.others == 0 {
					require.NoError(t, err, other)
				} else {
					require.Equal(t, c.others, code(err), "%s: %v", other, err)
				}
			}
			require.NoError(t, c.do(as("bob-token")), "the owner")
		})
	}
}
