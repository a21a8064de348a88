package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/catalog"
)

// hiding is the identity module with each account's hidden tags (nil: the account has
// not chosen; the identity module answers with the defaults then, here nothing).
type hiding struct {
	*people
	hidden map[string][]string
}

func (h hiding) HiddenTags(_ context.Context, did string) ([]string, error) {
	return h.hidden[did], nil
}

var tagsConfig = catalog.Config{
	Namespace: "fm.plyr", PublicURL: "https://plyr.example",
	DefaultHiddenTags: []string{"ai"},
	Public: catalog.PublicConfig{
		MaxUploadBytes: 123 << 20, MaxImageBytes: 7 << 20,
		ContactEmail: "hello@plyr.example", PrivacyEmail: "privacy@plyr.example", DMCAEmail: "dmca@plyr.example",
	},
}

func newTagsFixture(t *testing.T) albumFixture {
	t.Helper()
	ppl := &people{profiles: map[string]catalog.AccountProfile{
		alice: {Handle: "alice.test", DisplayName: "Alice"},
		bob:   {Handle: "bob.test", DisplayName: "Bob B"},
		carol: {Handle: "carol.test"},
	}}
	accts := hiding{people: ppl, hidden: map[string][]string{bob: {"ai"}, carol: {}}}
	return newAlbumFixtureWith(t, tagsConfig, accts, ppl)
}

func (f albumFixture) tag(t *testing.T, trackID string, tags ...string) {
	t.Helper()
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: trackID, SetTags: true, Tags: tags})
}

func (f albumFixture) tags(t *testing.T, req *catalogv1.ListTagsRequest) map[string]int64 {
	t.Helper()
	res, err := f.client.ListTags(context.Background(), req)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, tg := range res.GetTags() {
		out[tg.GetName()] = tg.GetTrackCount()
	}
	require.Len(t, out, len(res.GetTags()), "each tag once")
	return out
}

func tagNames(res *catalogv1.ListTagsResponse) []string {
	out := []string{}
	for _, tg := range res.GetTags() {
		out = append(out, tg.GetName())
	}
	return out
}

func TestListTags_CountsAndOrder(t *testing.T) {
	f := newTagsFixture(t)
	a := f.ready(t, alice, "a", 0, cid1)
	b := f.ready(t, alice, "b", 1, cid2)
	c := f.ready(t, bob, "c", 2, cid3)
	d := f.ready(t, alice, "d", 3, cid4)
	f.addTrack(t, alice, "processing", editBase.Add(10*time.Minute), false)
	f.tag(t, a.id, "rock", "jazz", "funk")
	f.tag(t, b.id, "Rock", "#Jazz", "blues")
	_, err := f.client.UpdateTrack(as("bob-token"), &catalogv1.UpdateTrackRequest{Id: c.id, SetTags: true, Tags: []string{"ROCK", "soul"}})
	require.NoError(t, err)
	// d is being deleted: its tags count for nothing (and "gone" is on no other track).
	f.tag(t, d.id, "rock", "jazz", "gone")
	_, err = f.client.DeleteTrack(as("alice-token"), &catalogv1.DeleteTrackRequest{Id: d.id})
	require.NoError(t, err)

	res, err := f.client.ListTags(context.Background(), &catalogv1.ListTagsRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{"rock", "jazz", "blues", "funk", "soul"}, tagNames(res), "most used first, then by name")
	require.Equal(t, map[string]int64{"rock": 3, "jazz": 2, "blues": 1, "funk": 1, "soul": 1}, f.tags(t, &catalogv1.ListTagsRequest{}))

	// A tag taken off a track counts one less; one on no ready track is not listed. (Tags
	// cleared first; TestListTags_RetagKeepingATag keeps one.)
	f.tag(t, b.id)
	f.tag(t, b.id, "rock")
	require.Equal(t, map[string]int64{"rock": 3, "jazz": 1, "funk": 1, "soul": 1}, f.tags(t, &catalogv1.ListTagsRequest{}))
}

// A track's tags replaced by a set that keeps one of them: the counts follow.
func TestListTags_RetagKeepingATag(t *testing.T) {
	f := newTagsFixture(t)
	a := f.ready(t, alice, "a", 0, cid1)
	f.tag(t, a.id, "rock", "jazz")
	_, err := f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: a.id, SetTags: true, Tags: []string{"rock", "blues"}})
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"rock": 1, "blues": 1}, f.tags(t, &catalogv1.ListTagsRequest{}))
	require.ElementsMatch(t, []string{"rock", "blues"}, f.get(t, a.id).GetTags())
}

func TestListTags_Prefix(t *testing.T) {
	f := newTagsFixture(t)
	a := f.ready(t, alice, "a", 0, cid1)
	b := f.ready(t, alice, "b", 1, cid2)
	f.tag(t, a.id, "a%b", "a_c", "abc", "alpha", `a\d`)
	f.tag(t, b.id, "abc", "électro", "Bass")

	tests := []struct {
		prefix string
		want   map[string]int64
	}{
		{"a", map[string]int64{"a%b": 1, "a_c": 1, "abc": 2, "alpha": 1, `a\d`: 1}},
		{"A", map[string]int64{"a%b": 1, "a_c": 1, "abc": 2, "alpha": 1, `a\d`: 1}},
		{"AB", map[string]int64{"abc": 2}},
		{"a%", map[string]int64{"a%b": 1}},
		{"a_", map[string]int64{"a_c": 1}},
		{`a\`, map[string]int64{`a\d`: 1}},
		{"%", map[string]int64{}},
		{"_", map[string]int64{}},
		{"  al ", map[string]int64{"alpha": 1}},
		{"ÉL", map[string]int64{"électro": 1}},
		{"bass", map[string]int64{"bass": 1}},
		{"bassoon", map[string]int64{}},
		{strings.Repeat("x", 50), map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			require.Equal(t, tt.want, f.tags(t, &catalogv1.ListTagsRequest{Prefix: tt.prefix}))
		})
	}
}

func TestListTags_Limits(t *testing.T) {
	f := newTagsFixture(t)
	var tracks []editTrack
	for i := range 3 {
		tracks = append(tracks, f.ready(t, alice, fmt.Sprintf("t%d", i), i, ""))
	}
	// 25 tags: t00 on three tracks, t01 on two, the rest on one.
	f.tag(t, tracks[0].id, "t00", "t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09")
	f.tag(t, tracks[1].id, "t00", "t01", "t10", "t11", "t12", "t13", "t14", "t15", "t16", "t17")
	f.tag(t, tracks[2].id, "t00", "t18", "t19", "t20", "t21", "t22", "t23", "t24")

	res, err := f.client.ListTags(context.Background(), &catalogv1.ListTagsRequest{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"t00", "t01"}, tagNames(res))
	res, err = f.client.ListTags(context.Background(), &catalogv1.ListTagsRequest{})
	require.NoError(t, err)
	require.Len(t, res.GetTags(), 20, "20 by default")
	require.Equal(t, "t00", res.GetTags()[0].GetName())
	require.Equal(t, "t19", res.GetTags()[19].GetName())
	res, err = f.client.ListTags(context.Background(), &catalogv1.ListTagsRequest{Limit: 100})
	require.NoError(t, err)
	require.Len(t, res.GetTags(), 25)
	res, err = f.client.ListTags(context.Background(), &catalogv1.ListTagsRequest{Limit: 1, Prefix: "t2"})
	require.NoError(t, err)
	require.Equal(t, []string{"t20"}, tagNames(res))

	for name, req := range map[string]*catalogv1.ListTagsRequest{
		"limit 101":           {Limit: 101},
		"negative limit":      {Limit: -1},
		"51-character prefix": {Prefix: strings.Repeat("x", 51)},
		"51 accented":         {Prefix: strings.Repeat("é", 51)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.client.ListTags(context.Background(), req)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
		})
	}
}

func TestListTracks_ByTag(t *testing.T) {
	f := newTagsFixture(t)
	var want []string // newest first
	for i := range 7 {
		artist := alice
		if i%3 == 2 {
			artist = bob
		}
		tr := f.ready(t, artist, fmt.Sprintf("chill %d", i), i, "")
		token := map[string]string{alice: "alice-token", bob: "bob-token"}[artist]
		_, err := f.client.UpdateTrack(as(token), &catalogv1.UpdateTrackRequest{Id: tr.id, SetTags: true, Tags: []string{"Chill", "mood"}})
		require.NoError(t, err)
		want = append([]string{tr.id}, want...)
	}
	for i := range 3 {
		other := f.ready(t, alice, fmt.Sprintf("loud %d", i), 10+i, "")
		f.tag(t, other.id, "loud", "mood")
	}

	for _, tag := range []string{"chill", "CHILL", " Chill "} {
		t.Run(tag, func(t *testing.T) {
			var got []string
			seen := map[string]bool{}
			req := &catalogv1.ListTracksRequest{Tag: tag, PageSize: 3}
			pages := 0
			for {
				res, err := f.client.ListTracks(context.Background(), req)
				require.NoError(t, err)
				pages++
				for _, tr := range res.GetTracks() {
					require.False(t, seen[tr.GetId()], "repeated")
					seen[tr.GetId()] = true
					require.Contains(t, tr.GetTags(), "chill")
					got = append(got, tr.GetId())
				}
				if res.GetNextPageToken() == "" {
					break
				}
				req.PageToken = res.GetNextPageToken()
				require.Less(t, pages, 10)
			}
			require.Equal(t, 3, pages)
			require.Equal(t, want, got, "only the tag's tracks, newest first, without gaps")
		})
	}

	mood, _ := f.listAll(t, "", &catalogv1.ListTracksRequest{Tag: "mood", PageSize: 4})
	require.Len(t, mood, 10)
	require.Equal(t, []string{"loud 2", "loud 1", "loud 0", "chill 6"}, mood[:4])

	res, err := f.client.ListTracks(context.Background(), &catalogv1.ListTracksRequest{Tag: "unheard-of"})
	require.NoError(t, err)
	require.Empty(t, res.GetTracks())
	require.Empty(t, res.GetNextPageToken())

	_, err = f.client.ListTracks(context.Background(), &catalogv1.ListTracksRequest{Tag: "chill", ArtistDid: alice})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "by tag or by artist, not both")
}

// The discovery feed hides the viewer's hidden tags (the defaults for anonymous
// visitors); an artist's page and a tag's page never hide.
func TestListTracks_HiddenTags(t *testing.T) {
	f := newTagsFixture(t)
	human := f.ready(t, alice, "human", 0, cid1)
	robot := f.ready(t, alice, "robot", 1, cid2)
	robot2 := f.ready(t, bob, "robot two", 2, cid3)
	f.tag(t, human.id, "folk")
	f.tag(t, robot.id, "AI", "folk")
	_, err := f.client.UpdateTrack(as("bob-token"), &catalogv1.UpdateTrackRequest{Id: robot2.id, SetTags: true, Tags: []string{"ai"}})
	require.NoError(t, err)

	tests := []struct {
		name, token string
		req         *catalogv1.ListTracksRequest
		want        []string
	}{
		{"feed, anonymous (defaults)", "", &catalogv1.ListTracksRequest{}, []string{"human"}},
		{"feed, a viewer hiding ai", "bob-token", &catalogv1.ListTracksRequest{}, []string{"human"}},
		{"feed, a viewer hiding nothing", "carol-token", &catalogv1.ListTracksRequest{}, []string{"robot two", "robot", "human"}},
		{"artist page, anonymous", "", &catalogv1.ListTracksRequest{ArtistDid: alice}, []string{"robot", "human"}},
		{"artist page, a viewer hiding ai", "bob-token", &catalogv1.ListTracksRequest{ArtistDid: bob}, []string{"robot two"}},
		{"tag page ai, anonymous", "", &catalogv1.ListTracksRequest{Tag: "ai"}, []string{"robot two", "robot"}},
		{"tag page AI, a viewer hiding ai", "bob-token", &catalogv1.ListTracksRequest{Tag: "AI"}, []string{"robot two", "robot"}},
		{"tag page folk, anonymous", "", &catalogv1.ListTracksRequest{Tag: "folk"}, []string{"robot", "human"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := f.listAll(t, tt.token, tt.req)
			require.Equal(t, tt.want, got)
		})
	}

	// Pages of the feed skip hidden tracks without gaps.
	for i := range 5 {
		tr := f.ready(t, alice, fmt.Sprintf("more %d", i), 10+i, "")
		if i%2 == 0 {
			f.tag(t, tr.id, "ai")
		}
	}
	titles, pages := f.listAll(t, "", &catalogv1.ListTracksRequest{PageSize: 1})
	require.Equal(t, []string{"more 3", "more 1", "human"}, titles)
	require.Equal(t, 3, pages)
}

func TestGetConfig(t *testing.T) {
	f := newTagsFixture(t)
	for _, token := range []string{"", "alice-token"} {
		res, err := f.client.GetConfig(as(token), &catalogv1.GetConfigRequest{})
		require.NoError(t, err)
		require.Equal(t, int64(123<<20), res.GetMaxUploadBytes())
		require.Equal(t, int64(7<<20), res.GetMaxImageBytes())
		require.Equal(t, []string{"ai"}, res.GetDefaultHiddenTags())
		require.Equal(t, "hello@plyr.example", res.GetContactEmail())
		require.Equal(t, "privacy@plyr.example", res.GetPrivacyEmail())
		require.Equal(t, "dmca@plyr.example", res.GetDmcaEmail())
		require.Equal(t, int32(10), res.GetMaxTags())
		require.Equal(t, int32(50), res.GetMaxTagLength())
		require.Equal(t, int32(5), res.GetMaxFeatures())
	}
}

// SearchAccounts: nobody is found.
func (hiding) SearchAccounts(context.Context, string, int) ([]catalog.AccountMatch, error) {
	return nil, nil
}
