package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	sharingv1 "github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1/sharingv1connect"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

// browserAgent sets a User-Agent on every call: an anonymous visitor is known by their
// address and browser.
func browserAgent(ua string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("User-Agent", ua)
			return next(ctx, req)
		}
	}))
}

func (s *stack) sharingClient(opts ...connect.ClientOption) sharingv1connect.SharingServiceClient {
	return sharingv1connect.NewSharingServiceClient(s.http, s.url, append([]connect.ClientOption{connect.WithProtoJSON()}, opts...)...)
}

func (s *stack) playClient(opts ...connect.ClientOption) catalogv1connect.PlayServiceClient {
	return catalogv1connect.NewPlayServiceClient(s.http, s.url, append([]connect.ClientOption{connect.WithProtoJSON()}, opts...)...)
}

// TestShareLinks: a link opened and played by an anonymous visitor, a signed-in listener
// and its creator reports each as it should; a hundred replays count as one visit and one
// play per person; codes that are not the link's tell nothing.
func TestShareLinks(t *testing.T) {
	s := newStack(t, 16<<20)
	ctx := context.Background()
	alice := rpctest.WithToken(ctx, s.token)
	bob := rpctest.WithToken(ctx, s.account(t, "did:plc:bob", "bob.test"))
	carol := rpctest.WithToken(ctx, s.account(t, "did:plc:carol", "carol.test"))
	track, _ := s.uploadTrack(t, s.token, "Shared song")
	other, _ := s.uploadTrack(t, s.token, "Another song")

	share := s.sharingClient()
	link, err := share.CreateShareLink(alice, &sharingv1.CreateShareLinkRequest{TrackId: track})
	require.NoError(t, err)
	require.Regexp(t, `^[A-Za-z0-9_-]{8}$`, link.Code)
	require.Equal(t, s.url+"/track/"+track+"?ref="+link.Code, link.Url)
	again, err := share.CreateShareLink(alice, &sharingv1.CreateShareLinkRequest{TrackId: track})
	require.NoError(t, err)
	require.NotEqual(t, link.Code, again.Code, "each share is a link of its own")

	_, err = share.CreateShareLink(ctx, &sharingv1.CreateShareLinkRequest{TrackId: track})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "signed out, people copy the plain URL")
	_, err = share.CreateShareLink(alice, &sharingv1.CreateShareLinkRequest{TrackId: "00000000-0000-4000-8000-000000000000"})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))

	anonShare := s.sharingClient(browserAgent("Firefox/1"))
	anonPlays := s.playClient(browserAgent("Firefox/1"))
	plays := s.playClient()
	visitAndPlay := func(visitor context.Context, sh sharingv1connect.SharingServiceClient, pl catalogv1connect.PlayServiceClient, times int) {
		for range times {
			_, err := sh.RecordShareVisit(visitor, &sharingv1.RecordShareVisitRequest{TrackId: track, Code: link.Code})
			require.NoError(t, err)
			_, err = pl.RecordPlay(visitor, &catalogv1.RecordPlayRequest{TrackId: track, ListenedMs: 3000, Ref: link.Code})
			require.NoError(t, err)
		}
	}
	visitAndPlay(ctx, anonShare, anonPlays, 100)
	visitAndPlay(bob, share, plays, 100)
	visitAndPlay(alice, share, plays, 5) // the creator is never counted

	// Nothing that is not the link counts, and every answer is the same empty one.
	for _, req := range []*sharingv1.RecordShareVisitRequest{
		{TrackId: track, Code: "zzzzzzzz"},
		{TrackId: track, Code: "not a code at all"},
		{TrackId: other, Code: link.Code}, // a code applies to its own track only
		{TrackId: "nope", Code: link.Code},
	} {
		res, err := share.RecordShareVisit(carol, req)
		require.NoError(t, err)
		require.Empty(t, res.String())
	}
	_, err = plays.RecordPlay(carol, &catalogv1.RecordPlayRequest{TrackId: other, ListenedMs: 3000, Ref: link.Code})
	require.NoError(t, err)

	list, err := share.ListMyShareLinks(alice, &sharingv1.ListMyShareLinksRequest{})
	require.NoError(t, err)
	require.Len(t, list.Links, 1, "the second link, which nobody used, is not listed")
	got := list.Links[0]
	require.Equal(t, link.Code, got.Code)
	require.Equal(t, link.Url, got.Url)
	require.Equal(t, "Shared song", got.TrackTitle)
	require.Equal(t, int64(1), got.VisitorCount)
	require.Equal(t, int64(1), got.ListenerCount)
	require.Len(t, got.Visitors, 1)
	require.Equal(t, "did:plc:bob", got.Visitors[0].Did)
	require.Equal(t, "bob.test", got.Visitors[0].Handle)
	require.Equal(t, int64(1), got.Visitors[0].Count, "a hundred reloads are one visit")
	require.Len(t, got.Listeners, 1)
	require.Equal(t, int64(1), got.Listeners[0].Count, "a hundred replays are one play")
	require.Equal(t, int64(1), got.AnonymousVisits, "people not signed in are their own number")
	require.Equal(t, int64(1), got.AnonymousPlays)

	// Another anonymous browser is another visitor.
	visitAndPlay(ctx, s.sharingClient(browserAgent("Chrome/2")), s.playClient(browserAgent("Chrome/2")), 3)
	list, err = share.ListMyShareLinks(alice, &sharingv1.ListMyShareLinksRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(2), list.Links[0].AnonymousVisits)
	require.Equal(t, int64(2), list.Links[0].AnonymousPlays)
	require.Equal(t, int64(1), list.Links[0].VisitorCount, "anonymous visits never add to the people")

	// Bob's own list is empty; a page token from elsewhere is refused.
	mine, err := share.ListMyShareLinks(bob, &sharingv1.ListMyShareLinksRequest{})
	require.NoError(t, err)
	require.Empty(t, mine.Links)
	_, err = share.ListMyShareLinks(alice, &sharingv1.ListMyShareLinksRequest{PageToken: "garbage"})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))

	// Pages: four used links, two a page, most recently used first.
	for range 3 {
		l, err := share.CreateShareLink(alice, &sharingv1.CreateShareLinkRequest{TrackId: track})
		require.NoError(t, err)
		_, err = share.RecordShareVisit(carol, &sharingv1.RecordShareVisitRequest{TrackId: track, Code: l.Code})
		require.NoError(t, err)
	}
	var codes []string
	token := ""
	for {
		page, err := share.ListMyShareLinks(alice, &sharingv1.ListMyShareLinksRequest{PageSize: 2, PageToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Links), 2)
		for _, l := range page.Links {
			codes = append(codes, l.Code)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	require.Len(t, codes, 4)
	require.Equal(t, link.Code, codes[3], "the first link was used longest ago")
}

// TestPublicPages: oEmbed answers for tracks, albums and playlists and refuses anything
// else; pages carry their preview tags; the sitemap lists what is public; robots.txt
// points at it.
func TestPublicPages(t *testing.T) {
	s := newStack(t, 16<<20)
	ctx := context.Background()
	alice := rpctest.WithToken(ctx, s.token)
	track, _ := s.uploadTrack(t, s.token, "Open <Song>")
	_, err := s.catalog.UpdateTrack(alice, &catalogv1.UpdateTrackRequest{Id: track, Album: ptr("First Light")})
	require.NoError(t, err)
	lists := s.listener().playlists
	public, err := lists.CreatePlaylist(alice, &catalogv1.CreatePlaylistRequest{Name: "Road trip"})
	require.NoError(t, err)
	private, err := lists.CreatePlaylist(alice, &catalogv1.CreatePlaylistRequest{Name: "Secret", Private: true})
	require.NoError(t, err)
	tr, err := s.catalog.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	albumID := tr.Track.Album.GetId()
	require.NotEmpty(t, albumID)

	oembed := func(target string, extra string) (int, map[string]any) {
		res, body := s.get(t, s.url+"/oembed?url="+url.QueryEscape(target)+extra, "")
		var out map[string]any
		if res.StatusCode == http.StatusOK {
			require.Equal(t, "application/json", res.Header.Get("Content-Type"))
			require.NoError(t, json.Unmarshal(body, &out))
		}
		return res.StatusCode, out
	}
	code, o := oembed(s.url+"/track/"+track+"?ref=abcdefgh&t=30", "&format=json")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "rich", o["type"])
	require.Equal(t, "1.0", o["version"])
	require.Equal(t, "Open <Song> - alice.test", o["title"])
	require.EqualValues(t, 400, o["width"])
	require.EqualValues(t, 165, o["height"])
	require.Contains(t, o["html"], `<iframe src="`+s.url+`/embed/track/`+track+`"`)
	require.NotContains(t, o["html"], "<Song>", "the title is escaped inside the markup")

	_, o = oembed(s.url+"/track/"+track, "&maxwidth=320&maxheight=100")
	require.EqualValues(t, 320, o["width"])
	require.EqualValues(t, 100, o["height"])

	code, o = oembed(s.url+"/u/alice.test/album/first-light", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, o["html"], "/embed/album/"+albumID)
	require.EqualValues(t, 380, o["height"])
	code, o = oembed(s.url+"/playlist/"+public.Playlist.Id, "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, o["html"], "/embed/playlist/"+public.Playlist.Id)

	for _, refused := range []string{
		s.url + "/playlist/" + private.Playlist.Id, // private: not public, not embeddable
		s.url + "/u/alice.test",                    // an artist has no embed
		s.url + "/track/00000000-0000-4000-8000-000000000000",
		"https://elsewhere.example/track/" + track,
		s.url + "/upload",
		"",
	} {
		code, _ := oembed(refused, "")
		require.Equal(t, http.StatusNotFound, code, refused)
	}
	code, _ = oembed(s.url+"/track/"+track, "&format=xml")
	require.Equal(t, http.StatusNotImplemented, code)

	// Link previews: the page's head as crawlers get it.
	sharing := s.app.Sharing()
	head, ok := sharing.PageHead(ctx, "/track/"+track)
	require.True(t, ok)
	require.Contains(t, head, `<meta property="og:title" content="Open &lt;Song&gt;">`)
	require.Contains(t, head, `<meta property="og:type" content="music.song">`)
	require.Contains(t, head, `<meta property="og:url" content="`+s.url+`/track/`+track+`">`)
	require.Contains(t, head, `<meta name="twitter:card"`)
	require.Contains(t, head, `type="application/json+oembed"`)
	head, ok = sharing.PageHead(ctx, "/u/alice.test")
	require.True(t, ok)
	require.Contains(t, head, `<meta property="og:type" content="profile">`)
	_, ok = sharing.PageHead(ctx, "/u/alice.test/album/first-light")
	require.True(t, ok)
	_, ok = sharing.PageHead(ctx, "/playlist/"+private.Playlist.Id)
	require.False(t, ok, "a private playlist has no preview")
	_, ok = sharing.PageHead(ctx, "/embed/track/"+track)
	require.False(t, ok)
	_, ok = sharing.PageHead(ctx, "/settings")
	require.False(t, ok)

	// The sitemap: an index, then the pages of each kind; nothing private.
	res, body := s.get(t, s.url+"/sitemap.xml", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	for _, kind := range []string{"tracks", "artists", "albums", "playlists"} {
		require.Contains(t, string(body), s.url+"/sitemaps/"+kind+"-1.xml")
	}
	all := ""
	for _, kind := range []string{"tracks", "artists", "albums", "playlists"} {
		res, body := s.get(t, s.url+"/sitemaps/"+kind+"-1.xml", "")
		require.Equal(t, http.StatusOK, res.StatusCode, kind)
		all += string(body)
	}
	require.Contains(t, all, "<loc>"+s.url+"/track/"+track+"</loc>")
	require.Contains(t, all, "<loc>"+s.url+"/u/alice.test</loc>")
	require.Contains(t, all, "<loc>"+s.url+"/u/alice.test/album/first-light</loc>")
	require.Contains(t, all, "<loc>"+s.url+"/playlist/"+public.Playlist.Id+"</loc>")
	require.NotContains(t, all, private.Playlist.Id)
	res, _ = s.get(t, s.url+"/sitemaps/tracks-0.xml", "")
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	res, body = s.get(t, s.url+"/robots.txt", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain"))
	require.Contains(t, string(body), "Sitemap: "+s.url+"/sitemap.xml")
	require.Contains(t, string(body), "Disallow: /settings")
}

func ptr[T any](v T) *T { return &v }
