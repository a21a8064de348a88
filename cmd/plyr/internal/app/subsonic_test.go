package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/atprotofanstest"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/subsonictest"
	"github.com/plyrfm/plyr/modules/media"
)

// subsonicAnswer is one JSON answer's subsonic-response object.
type subsonicAnswer map[string]any

// rest calls a Subsonic method with params (GET, or a form POST when post is set) and
// returns the answer's status and body.
func (s *stack) rest(t testing.TB, method string, params url.Values, post bool) (*http.Response, []byte) {
	t.Helper()
	var req *http.Request
	if post {
		req, _ = http.NewRequest(http.MethodPost, s.url+"/rest/"+method+".view", strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(http.MethodGet, s.url+"/rest/"+method+".view?"+params.Encode(), nil)
	}
	res, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, body
}

// sub calls a method as key's account, in XML and then in JSON, checks both answers
// against the OpenSubsonic schema of the method, and returns the JSON one.
func (s *stack) sub(t testing.TB, key, method string, kv ...string) subsonicAnswer {
	t.Helper()
	return s.call(t, true, key, method, kv...)
}

// call is sub, asking in XML first only when both is set (a change is made once, in
// JSON).
func (s *stack) call(t testing.TB, both bool, key, method string, kv ...string) subsonicAnswer {
	t.Helper()
	params := url.Values{"v": {"1.16.1"}, "c": {"test"}}
	if key != "" {
		params.Set("apiKey", key)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		params.Add(kv[i], kv[i+1])
	}
	if both {
		res, body := s.rest(t, method, params, false)
		require.Equal(t, http.StatusOK, res.StatusCode, "Subsonic answers 200 whatever happened")
		require.Contains(t, res.Header.Get("Content-Type"), "xml")
		require.NoError(t, subsonictest.ValidateXML(method, body), "%s", body)
	}

	params.Set("f", "json")
	res, body := s.rest(t, method, params, false)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Type"), "json")
	require.NoError(t, subsonictest.ValidateJSON(method, body), "%s", body)
	var out struct {
		R subsonicAnswer `json:"subsonic-response"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	require.Equal(t, "plyr", out.R["type"])
	require.Equal(t, "1.16.1", out.R["version"])
	require.Equal(t, true, out.R["openSubsonic"])
	require.NotEmpty(t, out.R["serverVersion"])
	return out.R
}

// ok calls a method that must succeed.
func (s *stack) ok(t testing.TB, key, method string, kv ...string) subsonicAnswer {
	t.Helper()
	a := s.sub(t, key, method, kv...)
	require.Equal(t, "ok", a["status"], "%s: %v", method, a["error"])
	return a
}

// once calls a method that changes something, once (in JSON), and checks that it
// succeeded.
func (s *stack) once(t testing.TB, key, method string, kv ...string) subsonicAnswer {
	t.Helper()
	a := s.call(t, false, key, method, kv...)
	require.Equal(t, "ok", a["status"], "%s: %v", method, a["error"])
	return a
}

// fails calls a method that must fail with code.
func (s *stack) fails(t testing.TB, key string, code int, method string, kv ...string) string {
	t.Helper()
	a := s.sub(t, key, method, kv...)
	require.Equal(t, "failed", a["status"], "%s", method)
	e := a.obj("error")
	require.EqualValues(t, code, e["code"], "%s: %v", method, e["message"])
	msg, _ := e["message"].(string)
	return msg
}

func (a subsonicAnswer) obj(name string) subsonicAnswer {
	v, _ := a[name].(map[string]any)
	return v
}

func (a subsonicAnswer) list(name string) []subsonicAnswer {
	raw, _ := a[name].([]any)
	out := make([]subsonicAnswer, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

func (a subsonicAnswer) ids(name string) []string {
	var out []string
	for _, x := range a.list(name) {
		out = append(out, x["id"].(string))
	}
	return out
}

func (a subsonicAnswer) str(name string) string { s, _ := a[name].(string); return s }

// subsonicCatalog is a small catalog: an artist's album of two tracks and a single, with
// tags.
type subsonicCatalog struct {
	alpha, beta, gamma string // track ids
	album              string // the album's id
	gammaFile          string
}

// seedSubsonic uploads the catalog as the artist whose token is given.
func seedSubsonic(t *testing.T, s *stack, artist string) subsonicCatalog {
	t.Helper()
	ctx := rpctest.WithToken(context.Background(), artist)
	var c subsonicCatalog
	c.alpha, _ = s.uploadTrack(t, artist, "Alpha")
	c.beta, _ = s.uploadTrack(t, artist, "Beta")
	c.gamma, c.gammaFile = s.uploadTrack(t, artist, "Gamma")
	album := "First Album"
	for id, tags := range map[string][]string{c.alpha: {"ambient"}, c.beta: {"ambient", "drone"}} {
		res, err := s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: id, Album: &album, SetTags: true, Tags: tags})
		require.NoError(t, err)
		c.album = res.Track.Album.Id
	}
	_, err := s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: c.gamma, SetTags: true, Tags: []string{"techno"}})
	require.NoError(t, err)
	return c
}

// TestSubsonicAuthentication: every way an app signs in, and every way it can go wrong,
// each with its Subsonic error.
func TestSubsonicAuthentication(t *testing.T) {
	s := newStack(t, 16<<20)
	ctx := context.Background()
	alice := s.token

	t.Run("the extensions answer before any sign-in", func(t *testing.T) {
		a := s.ok(t, "", "getOpenSubsonicExtensions")
		var names []string
		for _, e := range a.list("openSubsonicExtensions") {
			names = append(names, e.str("name"))
		}
		require.Subset(t, names, []string{"apiKeyAuthentication", "formPost", "indexBasedQueue", "transcodeOffset"})
	})
	t.Run("an API key", func(t *testing.T) {
		require.Equal(t, "alice.test", s.ok(t, alice, "getUser").obj("user").str("username"))
	})
	t.Run("u and p, plain and hex", func(t *testing.T) {
		s.ok(t, "", "ping", "u", "alice.test", "p", alice)
		s.ok(t, "", "ping", "u", "Alice.Test", "p", "enc:"+hex.EncodeToString([]byte(alice)))
		s.ok(t, "", "ping", "u", aliceDID, "p", alice)
	})
	t.Run("wrong password, or someone else's token", func(t *testing.T) {
		s.fails(t, "", 40, "ping", "u", "alice.test", "p", "not-a-token")
		s.fails(t, "", 40, "ping", "u", "alice.test", "p", "enc:zz")
		bob := s.account(t, "did:plc:bob", "bob.test")
		s.fails(t, "", 40, "ping", "u", "alice.test", "p", bob)
	})
	t.Run("a wrong API key", func(t *testing.T) {
		msg := s.fails(t, "nope", 44, "ping")
		require.Contains(t, msg, "developer token")
	})
	t.Run("a revoked developer token", func(t *testing.T) {
		tok := s.account(t, "did:plc:dave", "dave.test")
		s.ok(t, tok, "ping")
		identity := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
		_, err := identity.RevokeDeveloperToken(rpctest.WithToken(ctx, tok), &identityv1.RevokeDeveloperTokenRequest{Prefix: tok[:16]})
		require.NoError(t, err)
		s.fails(t, tok, 44, "ping")
	})
	t.Run("token authentication is not supported", func(t *testing.T) {
		a := s.sub(t, "", "ping", "u", "alice.test", "t", "26719a1196d2a940705a59634eb18eab", "s", "c19b2d")
		e := a.obj("error")
		require.EqualValues(t, 41, e["code"])
		require.NotEmpty(t, e.str("helpUrl"), "the app can show where to get a key")
	})
	t.Run("conflicting or missing credentials", func(t *testing.T) {
		s.fails(t, alice, 43, "ping", "u", "alice.test")
		s.fails(t, "", 10, "ping")
		s.fails(t, "", 10, "ping", "u", "alice.test")
	})
	t.Run("a form POST signs in from its body", func(t *testing.T) {
		res, body := s.rest(t, "ping", url.Values{"apiKey": {alice}, "f": {"json"}}, true)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, string(body), `"status":"ok"`)
	})
	t.Run("a browser session is no key, and a cookie signs nothing in", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/rest/ping.view?f=json", nil)
		req.AddCookie(&http.Cookie{Name: "plyr_session", Value: alice})
		res, err := s.http.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Contains(t, string(body), `"code":10`)
	})
	t.Run("unknown methods are Subsonic errors, not 404 pages", func(t *testing.T) {
		res, body := s.rest(t, "getPodcasts", url.Values{"apiKey": {alice}, "f": {"json"}}, false)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NoError(t, subsonictest.ValidateJSON("getPodcasts", body))
		require.Contains(t, string(body), `"code":70`)
	})
}

// TestSubsonicBrowsing: every browsing method against a seeded catalog, each answer in
// XML and JSON checked against the OpenSubsonic schema, and what it says checked too.
func TestSubsonicBrowsing(t *testing.T) {
	s := newStack(t, 16<<20)
	c := seedSubsonic(t, s, s.token)
	key := s.account(t, "did:plc:bob", "bob.test") // a listener browses
	tr := func(id string) string { return "tr-" + id }
	albumID, singlesID, artistID := "al-"+c.album, "si-"+aliceDID, "ar-"+aliceDID

	for _, m := range []string{"ping", "getLicense", "getMusicFolders", "getScanStatus", "startScan", "getUser", "getLyrics"} {
		s.ok(t, key, m)
	}
	require.Equal(t, true, s.ok(t, key, "getLicense").obj("license")["valid"])
	require.Equal(t, false, s.ok(t, key, "getScanStatus").obj("scanStatus")["scanning"])

	t.Run("artists and their albums, Singles included", func(t *testing.T) {
		index := s.ok(t, key, "getArtists").obj("artists").list("index")
		require.Len(t, index, 1)
		artists := index[0].list("artist")
		require.Len(t, artists, 1)
		require.Equal(t, artistID, artists[0].str("id"))
		require.EqualValues(t, 2, artists[0]["albumCount"], "First Album, and Singles")

		artist := s.ok(t, key, "getArtist", "id", artistID).obj("artist")
		albums := artist.list("album")
		require.ElementsMatch(t, []string{albumID, singlesID}, artist.ids("album"))
		for _, a := range albums {
			if a.str("id") == albumID {
				require.Equal(t, "First Album", a.str("name"))
				require.EqualValues(t, 2, a["songCount"])
			} else {
				require.Equal(t, "Singles", a.str("name"))
				require.EqualValues(t, 1, a["songCount"])
			}
		}
		s.fails(t, key, 70, "getArtist", "id", "ar-did:plc:nobody")
		s.fails(t, key, 10, "getArtist")
	})

	t.Run("an album and a song", func(t *testing.T) {
		album := s.ok(t, key, "getAlbum", "id", albumID).obj("album")
		require.ElementsMatch(t, []string{tr(c.alpha), tr(c.beta)}, album.ids("song"))
		song := album.list("song")[0]
		require.Equal(t, albumID, song.str("albumId"))
		require.Equal(t, artistID, song.str("artistId"))
		require.Equal(t, "audio/mpeg", song.str("contentType"))
		require.Equal(t, "mp3", song.str("suffix"))
		require.EqualValues(t, 1, song["track"])
		require.EqualValues(t, 3, song["duration"])

		singles := s.ok(t, key, "getAlbum", "id", singlesID).obj("album")
		require.Equal(t, []string{tr(c.gamma)}, singles.ids("song"))

		got := s.ok(t, key, "getSong", "id", tr(c.gamma)).obj("song")
		require.Equal(t, "Gamma", got.str("title"))
		require.Equal(t, singlesID, got.str("parent"))
		require.Equal(t, "techno", got.str("genre"))
		s.fails(t, key, 70, "getSong", "id", "tr-00000000-0000-4000-8000-000000000000")
		s.fails(t, key, 70, "getAlbum", "id", "bogus")
	})

	t.Run("the folder tree", func(t *testing.T) {
		index := s.ok(t, key, "getIndexes").obj("indexes").list("index")
		require.Equal(t, artistID, index[0].list("artist")[0].str("id"))
		dir := s.ok(t, key, "getMusicDirectory", "id", artistID).obj("directory")
		require.ElementsMatch(t, []string{albumID, singlesID}, dir.ids("child"))
		require.Equal(t, true, dir.list("child")[0]["isDir"])
		dir = s.ok(t, key, "getMusicDirectory", "id", albumID).obj("directory")
		require.ElementsMatch(t, []string{tr(c.alpha), tr(c.beta)}, dir.ids("child"))
	})

	t.Run("album lists of every type", func(t *testing.T) {
		for _, kind := range []string{"newest", "random", "frequent", "highest", "alphabeticalByName", "alphabeticalByArtist"} {
			list := s.ok(t, key, "getAlbumList2", "type", kind, "size", "10").obj("albumList2")
			require.ElementsMatch(t, []string{albumID, singlesID}, list.ids("album"), kind)
		}
		require.Empty(t, s.ok(t, key, "getAlbumList2", "type", "recent").obj("albumList2").list("album"), "bob played nothing yet")
		require.Empty(t, s.ok(t, key, "getAlbumList2", "type", "starred").obj("albumList2").list("album"))
		year := strconv.Itoa(timeNowYear())
		require.Len(t, s.ok(t, key, "getAlbumList2", "type", "byYear", "fromYear", year, "toYear", year).obj("albumList2").list("album"), 2)
		require.Empty(t, s.ok(t, key, "getAlbumList2", "type", "byYear", "fromYear", "1990", "toYear", "1999").obj("albumList2").list("album"))
		require.Equal(t, []string{albumID}, s.ok(t, key, "getAlbumList2", "type", "byGenre", "genre", "ambient").obj("albumList2").ids("album"))
		require.Len(t, s.ok(t, key, "getAlbumList2", "type", "newest", "size", "1", "offset", "1").obj("albumList2").list("album"), 1)
		require.Len(t, s.ok(t, key, "getAlbumList", "type", "newest").obj("albumList").list("album"), 2)
		s.fails(t, key, 10, "getAlbumList2")
		s.fails(t, key, 10, "getAlbumList2", "type", "byYear")
		s.fails(t, key, 0, "getAlbumList2", "type", "sideways")
	})

	t.Run("genres and songs", func(t *testing.T) {
		genres := s.ok(t, key, "getGenres").obj("genres").list("genre")
		counts := map[string]float64{}
		for _, g := range genres {
			counts[g.str("value")] = g["songCount"].(float64)
		}
		require.Equal(t, map[string]float64{"ambient": 2, "drone": 1, "techno": 1}, counts)
		byGenre := s.ok(t, key, "getSongsByGenre", "genre", "ambient").obj("songsByGenre")
		require.ElementsMatch(t, []string{tr(c.alpha), tr(c.beta)}, byGenre.ids("song"))
		require.Len(t, s.ok(t, key, "getSongsByGenre", "genre", "ambient", "count", "1", "offset", "1").obj("songsByGenre").list("song"), 1)
		require.Len(t, s.ok(t, key, "getRandomSongs", "size", "2").obj("randomSongs").list("song"), 2)
		require.Equal(t, []string{tr(c.gamma)}, s.ok(t, key, "getRandomSongs", "genre", "techno").obj("randomSongs").ids("song"))
		require.Len(t, s.ok(t, key, "getTopSongs", "artist", "alice.test").obj("topSongs").list("song"), 3)
		require.Empty(t, s.ok(t, key, "getTopSongs", "artist", "nobody").obj("topSongs").list("song"))
		similar := s.ok(t, key, "getSimilarSongs2", "id", tr(c.alpha)).obj("similarSongs2").ids("song")
		require.ElementsMatch(t, []string{tr(c.beta), tr(c.gamma)}, similar, "the artist's other songs, not the one asked about")
		s.ok(t, key, "getSimilarSongs", "id", artistID)
		s.ok(t, key, "getArtistInfo2", "id", artistID)
		s.ok(t, key, "getArtistInfo", "id", artistID)
		s.ok(t, key, "getAlbumInfo2", "id", albumID)
		s.ok(t, key, "getAlbumInfo", "id", singlesID)
		require.Empty(t, s.ok(t, key, "getLyricsBySongId", "id", tr(c.alpha)).obj("lyricsList").list("structuredLyrics"))
	})

	t.Run("search3: a query, and the empty query a full sync pages through", func(t *testing.T) {
		found := s.ok(t, key, "search3", "query", "Gamma").obj("searchResult3")
		require.Equal(t, []string{tr(c.gamma)}, found.ids("song"))
		var synced []string
		for off := 0; off < 10; off += 2 {
			page := s.ok(t, key, "search3", "query", "", "songCount", "2", "songOffset", strconv.Itoa(off),
				"artistCount", "0", "albumCount", "0").obj("searchResult3")
			synced = append(synced, page.ids("song")...)
			require.Empty(t, page.list("artist"))
		}
		require.Equal(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, synced, "every song once, oldest first")
		all := s.ok(t, key, "search3", "query", `""`).obj("searchResult3")
		require.Len(t, all.list("artist"), 1)
		require.Len(t, all.list("album"), 2)
		s.ok(t, key, "search2", "query", "Alpha")
	})
}

func timeNowYear() int { return time.Now().UTC().Year() }

// restRaw calls a method that answers with bytes (or a redirect to them) as key's account.
func (s *stack) restRaw(t testing.TB, key, method string, kv ...string) *http.Response {
	t.Helper()
	params := url.Values{"apiKey": {key}}
	for i := 0; i+1 < len(kv); i += 2 {
		params.Add(kv[i], kv[i+1])
	}
	res, err := noRedirects.Get(s.url + "/rest/" + method + "?" + params.Encode())
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// subsonicError reads a failed answer's code from an XML body.
func subsonicError(t testing.TB, res *http.Response) int {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var out struct {
		Status string `xml:"status,attr"`
		Error  struct {
			Code int `xml:"code,attr"`
		} `xml:"error"`
	}
	require.NoError(t, xml.Unmarshal(body, &out), "%s", body)
	require.Equal(t, "failed", out.Status, "%s", body)
	return out.Error.Code
}

// TestSubsonicMedia: stream (a redirect that honours Range, a start part-way, the
// original on request), download (the original), cover art, and supporters-only tracks
// for someone signed out, a listener, a supporter and the artist.
func TestSubsonicMedia(t *testing.T) {
	fans := atprotofanstest.New(t)
	s := newStackWith(t, stackOptions{maxUpload: 64 << 20, atprotofans: fans.URL})
	s.setFlag(t, aliceDID, media.FlagLossless)
	const carolDID = "did:plc:carol"
	carol, bob := s.account(t, carolDID, "carol.test"), s.account(t, "did:plc:bob", "bob.test")
	fans.AddSupporter(carolDID, aliceDID)
	ctx := rpctest.WithToken(context.Background(), s.token)

	mp3Track, mp3File := s.uploadTrack(t, s.token, "Plain")
	code, accepted := s.postUpload(t, s.token, "Lossless", "lossless.flac", audiotest.Make(t, "flac", 4))
	require.Equal(t, http.StatusAccepted, code)
	last := lastMessage(t, s, accepted["uploadId"])
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
	flacTrack := accepted["trackId"]

	t.Run("a lossless track describes its original and streams its MP3", func(t *testing.T) {
		got := s.ok(t, bob, "getSong", "id", "tr-"+flacTrack).obj("song")
		require.Equal(t, "flac", got.str("suffix"))
		require.Equal(t, "audio/flac", got.str("contentType"))
		require.Equal(t, "mp3", got.str("transcodedSuffix"))
		require.Equal(t, "audio/mpeg", got.str("transcodedContentType"))
	})

	t.Run("stream redirects to the audio, and storage answers ranges", func(t *testing.T) {
		res := s.restRaw(t, bob, "stream", "id", "tr-"+mp3Track)
		require.Equal(t, http.StatusFound, res.StatusCode)
		req, _ := http.NewRequest(http.MethodGet, s.url+"/rest/stream.view?id=tr-"+mp3Track+"&apiKey="+url.QueryEscape(bob), nil)
		req.Header.Set("Range", "bytes=0-1023")
		ranged, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(ranged.Body)
		ranged.Body.Close()
		require.Equal(t, http.StatusPartialContent, ranged.StatusCode)
		require.Len(t, body, 1024)

		whole := s.audioBytes(t, mp3File)
		require.Equal(t, whole[:1024], body, "the same bytes as /audio")
	})

	t.Run("timeOffset starts the MP3 part-way", func(t *testing.T) {
		whole := s.audioBytes(t, mp3File)
		req, _ := http.NewRequest(http.MethodGet, s.url+"/rest/stream.view?id=tr-"+mp3Track+"&timeOffset=1&apiKey="+url.QueryEscape(bob), nil)
		res, err := noRedirects.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))
		require.Less(t, len(body), len(whole)*3/4, "about a third of a three-second track is skipped")
		require.Greater(t, len(body), len(whole)/2)
		require.Equal(t, whole[len(whole)-len(body):], body, "the tail of the file, byte for byte")
	})

	t.Run("format=raw streams the original, download gives it", func(t *testing.T) {
		raw := s.restRaw(t, bob, "stream", "id", "tr-"+flacTrack, "format", "raw")
		require.Equal(t, http.StatusFound, raw.StatusCode)
		plain := s.restRaw(t, bob, "stream", "id", "tr-"+flacTrack)
		require.NotEqual(t, raw.Header.Get("Location"), plain.Header.Get("Location"), "the MP3 unless asked")

		dl := s.restRaw(t, bob, "download", "id", "tr-"+flacTrack)
		require.Equal(t, http.StatusFound, dl.StatusCode)
		got, err := http.Get(dl.Header.Get("Location"))
		require.NoError(t, err)
		got.Body.Close()
		require.Equal(t, http.StatusOK, got.StatusCode)
		require.Contains(t, got.Header.Get("Content-Disposition"), "Lossless.flac")
	})

	t.Run("cover art: the thumbnail for small sizes, the image otherwise", func(t *testing.T) {
		require.Equal(t, 70, subsonicError(t, s.restRaw(t, bob, "getCoverArt", "id", "tr-"+mp3Track)), "none yet")
		require.Equal(t, 70, subsonicError(t, s.restRaw(t, bob, "stream", "id", "tr-00000000-0000-4000-8000-000000000000")))

		img := s.postPNG(t, s.token)
		res, err := s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: mp3Track, ImageId: &img})
		require.NoError(t, err)
		require.Equal(t, "tr-"+mp3Track, s.ok(t, bob, "getSong", "id", "tr-"+mp3Track).obj("song").str("coverArt"))
		small := s.restRaw(t, bob, "getCoverArt", "id", "tr-"+mp3Track, "size", "64")
		require.Equal(t, http.StatusFound, small.StatusCode)
		require.Equal(t, res.Track.ThumbUrl, small.Header.Get("Location"))
		large := s.restRaw(t, bob, "getCoverArt", "id", "tr-"+mp3Track, "size", "600")
		require.Equal(t, res.Track.ImageUrl, large.Header.Get("Location"))
		got, err := http.Get(absolute(s.url, large.Header.Get("Location")))
		require.NoError(t, err)
		got.Body.Close()
		require.Equal(t, http.StatusOK, got.StatusCode)
		require.Contains(t, got.Header.Get("Content-Type"), "image/")
	})

	identity := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
	support := "atprotofans"
	_, err := identity.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{SupportUrl: &support})
	require.NoError(t, err)
	on := true
	_, err = s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: flacTrack, SupportersOnly: &on})
	require.NoError(t, err)
	waitForObjects(t, s.private, 2, s.store, 1) // the plain track's MP3 stays

	t.Run("supporters only: signed out, listener, supporter, artist", func(t *testing.T) {
		for _, method := range []string{"stream", "download"} {
			res, err := noRedirects.Get(s.url + "/rest/" + method + "?id=tr-" + flacTrack)
			require.NoError(t, err)
			require.Equal(t, 10, subsonicError(t, res), "signed out: no credentials at all")
			res.Body.Close()

			require.Equal(t, 50, subsonicError(t, s.restRaw(t, bob, method, "id", "tr-"+flacTrack)), "a listener who is no supporter")
			for who, key := range map[string]string{"supporter": carol, "artist": s.token} {
				res := s.restRaw(t, key, method, "id", "tr-"+flacTrack)
				require.Equal(t, http.StatusFound, res.StatusCode, "%s %s", who, method)
				require.Equal(t, "private, no-store", res.Header.Get("Cache-Control"))
				require.Contains(t, res.Header.Get("Location"), "/"+s.private.Bucket()+"/", who)
			}
		}
		require.Equal(t, 50, subsonicError(t, s.restRaw(t, bob, "stream", "id", "tr-"+flacTrack, "timeOffset", "1")))
		// The song still shows: an app can say why it does not play.
		s.ok(t, bob, "getSong", "id", "tr-"+flacTrack)
	})
}

// audioBytes reads a file through /audio.
func (s *stack) audioBytes(t testing.TB, fileID string) []byte {
	t.Helper()
	res, err := http.Get(s.url + "/audio/" + fileID)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	return body
}

// claimDeveloperToken makes a developer token the way a person does for their phone: a
// sign-in of its own from their browser session, then the claim.
func (s *stack) claimDeveloperToken(t *testing.T, net *devpds.Network, acct devpds.Account, session string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	asBrowser := connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Cookie", rpc.SessionCookie+"="+session)
			req.Header().Set("Origin", s.url)
			return next(ctx, req)
		}
	}))
	identity := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON(), asBrowser)
	start, err := identity.StartDeveloperToken(ctx, &identityv1.StartDeveloperTokenRequest{Name: "phone", ReturnTo: "/settings"})
	require.NoError(t, err)
	callback, err := devpds.NewBrowser(net.Transport(nil)).Authorize(ctx, start.AuthUrl, devpds.Credentials{Handle: acct.Handle, Password: acct.Password})
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, callback.String(), nil)
	req.AddCookie(&http.Cookie{Name: rpc.SessionCookie, Value: session})
	res, err := noRedirects.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	landing, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	claimed, err := identity.ClaimDeveloperToken(ctx, &identityv1.ClaimDeveloperTokenRequest{Code: landing.Query().Get("developer_token")})
	require.NoError(t, err)
	return claimed.Token
}

// TestSubsonicSession replays an app's session on the reference PDS: sign in with an API
// key (a developer token made as a person makes one), a full sync through search3, an
// album, a stream with a Range, stars that are like records on the listener's PDS,
// scrobbles counted once however often the app retries, now playing, a playlist made and
// reordered, and one play queue shared with the web player.
func TestSubsonicSession(t *testing.T) {
	s, net := newPDSStack(t, nil)
	artist, artistSession := s.signIn(t, net, "sonia")
	c := seedSubsonic(t, s, artistSession)
	uris := map[string]string{}
	for _, id := range []string{c.alpha, c.beta, c.gamma} {
		uris[id] = s.awaitRecord(t, artistSession, id, catalogv1.RecordState_RECORD_STATE_SYNCED).Record.Uri
	}
	listener, listenerSession := s.signIn(t, net, "lukas")
	bob := s.claimDeveloperToken(t, net, listener, listenerSession)
	bobCtx := rpctest.WithToken(context.Background(), bob)
	tr := func(id string) string { return "tr-" + id }
	artistAlbums := "si-" + artist.DID

	t.Run("sync, browse, stream", func(t *testing.T) {
		require.Equal(t, listener.Handle, s.ok(t, bob, "getUser").obj("user").str("username"))
		var synced []string
		for off := 0; ; off += 2 {
			page := s.ok(t, bob, "search3", "query", "", "songCount", "2", "songOffset", strconv.Itoa(off), "artistCount", "0", "albumCount", "0")
			songs := page.obj("searchResult3").ids("song")
			synced = append(synced, songs...)
			if len(songs) < 2 {
				break
			}
		}
		require.Equal(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, synced)
		album := s.ok(t, bob, "getAlbum", "id", "al-"+c.album).obj("album")
		require.ElementsMatch(t, []string{tr(c.alpha), tr(c.beta)}, album.ids("song"))
		require.Equal(t, "ar-"+artist.DID, album.str("artistId"))

		req, _ := http.NewRequest(http.MethodGet, s.url+"/rest/stream?id="+tr(c.alpha)+"&apiKey="+url.QueryEscape(bob), nil)
		req.Header.Set("Range", "bytes=100-199")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusPartialContent, res.StatusCode)
		require.Len(t, body, 100)
	})

	t.Run("star and unstar are likes", func(t *testing.T) {
		s.ok(t, bob, "star", "id", tr(c.gamma))
		s.ok(t, bob, "star", "id", tr(c.gamma)) // again: still one like
		got, err := s.catalog.GetTrack(bobCtx, &catalogv1.GetTrackRequest{Id: c.gamma})
		require.NoError(t, err)
		require.True(t, got.Track.Liked)
		require.EqualValues(t, 1, got.Track.LikeCount)
		for _, rec := range awaitLikeRecords(t, net, listener.DID, uris[c.gamma]) {
			valid(t, likeCollection, rec)
		}

		starred := s.ok(t, bob, "getStarred2").obj("starred2")
		require.Equal(t, []string{tr(c.gamma)}, starred.ids("song"))
		require.NotEmpty(t, starred.list("song")[0].str("starred"))
		require.Equal(t, []string{artistAlbums}, starred.ids("album"), "every one of the artist's singles is liked")
		s.ok(t, bob, "getStarred")

		s.once(t, bob, "star", "albumId", "al-"+c.album)
		starred = s.ok(t, bob, "getStarred2").obj("starred2")
		require.ElementsMatch(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, starred.ids("song"), "starring an album likes its tracks")
		require.Len(t, starred.list("album"), 2)
		require.Len(t, s.ok(t, bob, "getAlbumList2", "type", "starred").obj("albumList2").list("album"), 2)

		s.once(t, bob, "unstar", "id", tr(c.alpha))
		starred = s.ok(t, bob, "getStarred2").obj("starred2")
		require.ElementsMatch(t, []string{tr(c.beta), tr(c.gamma)}, starred.ids("song"))
		require.Equal(t, []string{artistAlbums}, starred.ids("album"))
		awaitLikeRecords(t, net, listener.DID, uris[c.beta], uris[c.gamma]) // one per liked track, none for the unstarred
		s.fails(t, bob, 0, "star", "artistId", "ar-"+artist.DID)
		s.fails(t, bob, 10, "star")
		s.fails(t, bob, 70, "star", "id", "tr-00000000-0000-4000-8000-000000000000")
	})

	t.Run("a scrobble counts once however often it is sent", func(t *testing.T) {
		for range 5 {
			s.ok(t, bob, "scrobble", "id", tr(c.alpha), "submission", "true", "time", strconv.FormatInt(time.Now().UnixMilli(), 10))
		}
		got, err := s.catalog.GetTrack(bobCtx, &catalogv1.GetTrackRequest{Id: c.alpha})
		require.NoError(t, err)
		require.EqualValues(t, 1, got.Track.PlayCount)
		require.Equal(t, []string{"al-" + c.album}, s.ok(t, bob, "getAlbumList2", "type", "recent").obj("albumList2").ids("album"))
		s.fails(t, bob, 10, "scrobble")
	})

	t.Run("now playing", func(t *testing.T) {
		s.ok(t, bob, "scrobble", "id", tr(c.beta), "submission", "false")
		entries := s.ok(t, bob, "getNowPlaying").obj("nowPlaying").list("entry")
		require.Len(t, entries, 1)
		require.Equal(t, tr(c.beta), entries[0].str("id"))
		require.Equal(t, listener.Handle, entries[0].str("username"))
		got, err := s.catalog.GetTrack(bobCtx, &catalogv1.GetTrackRequest{Id: c.beta})
		require.NoError(t, err)
		require.EqualValues(t, 0, got.Track.PlayCount, "now playing is no play")
	})

	t.Run("playlists: create, reorder, update, delete", func(t *testing.T) {
		made := s.once(t, bob, "createPlaylist", "name", "Road trip", "songId", tr(c.alpha), "songId", tr(c.beta), "songId", tr(c.gamma)).obj("playlist")
		id := made.str("id")
		require.Equal(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, made.ids("entry"))
		require.Equal(t, false, made["public"], "private until made public, as in Subsonic")
		require.EqualValues(t, 3, made["songCount"])
		require.EqualValues(t, 9, made["duration"])

		reordered := s.once(t, bob, "createPlaylist", "playlistId", id, "songId", tr(c.gamma), "songId", tr(c.alpha), "songId", tr(c.beta)).obj("playlist")
		require.Equal(t, []string{tr(c.gamma), tr(c.alpha), tr(c.beta)}, reordered.ids("entry"))
		require.Equal(t, []string{tr(c.gamma), tr(c.alpha), tr(c.beta)}, s.ok(t, bob, "getPlaylist", "id", id).obj("playlist").ids("entry"))

		s.once(t, bob, "updatePlaylist", "playlistId", id, "name", "Night drive", "public", "true", "songIndexToRemove", "0")
		got := s.ok(t, bob, "getPlaylist", "id", id).obj("playlist")
		require.Equal(t, "Night drive", got.str("name"))
		require.Equal(t, true, got["public"])
		require.Equal(t, []string{tr(c.alpha), tr(c.beta)}, got.ids("entry"))
		s.once(t, bob, "updatePlaylist", "playlistId", id, "songIdToAdd", tr(c.gamma))
		require.Equal(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, s.ok(t, bob, "getPlaylist", "id", id).obj("playlist").ids("entry"))

		require.Equal(t, []string{id}, s.ok(t, bob, "getPlaylists").obj("playlists").ids("playlist"))
		s.fails(t, s.token, 50, "updatePlaylist", "playlistId", id, "name", "Mine now")
		s.fails(t, bob, 50, "getPlaylists", "username", artist.Handle)
		s.once(t, bob, "deletePlaylist", "id", id)
		require.Empty(t, s.ok(t, bob, "getPlaylists").obj("playlists").list("playlist"))
		s.fails(t, bob, 70, "getPlaylist", "id", id)
	})

	t.Run("one play queue for the phone and the web player", func(t *testing.T) {
		q := s.ok(t, bob, "getPlayQueue").obj("playQueue")
		require.Empty(t, q.list("entry"))
		s.ok(t, bob, "savePlayQueue", "id", tr(c.alpha), "id", tr(c.beta), "id", tr(c.gamma), "current", tr(c.beta), "position", "1500")
		q = s.ok(t, bob, "getPlayQueue").obj("playQueue")
		require.Equal(t, []string{tr(c.alpha), tr(c.beta), tr(c.gamma)}, q.ids("entry"))
		require.Equal(t, tr(c.beta), q.str("current"))
		require.EqualValues(t, 1500, q["position"])
		require.Equal(t, listener.Handle, q.str("username"))

		// The web player reads the same queue.
		req, _ := http.NewRequest(http.MethodGet, s.url+"/queue", nil)
		req.Header.Set("Authorization", "Bearer "+bob)
		res, err := s.http.Do(req)
		require.NoError(t, err)
		var web struct {
			State struct {
				TrackIDs     []string `json:"trackIds"`
				CurrentIndex int      `json:"currentIndex"`
				PositionMs   int64    `json:"positionMs"`
			} `json:"state"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&web))
		res.Body.Close()
		require.Equal(t, []string{c.alpha, c.beta, c.gamma}, web.State.TrackIDs)
		require.Equal(t, 1, web.State.CurrentIndex)
		require.EqualValues(t, 1500, web.State.PositionMs)

		s.ok(t, bob, "savePlayQueueByIndex", "id", tr(c.gamma), "id", tr(c.alpha), "currentIndex", "1", "position", "20")
		byIndex := s.ok(t, bob, "getPlayQueueByIndex").obj("playQueueByIndex")
		require.Equal(t, []string{tr(c.gamma), tr(c.alpha)}, byIndex.ids("entry"))
		require.EqualValues(t, 1, byIndex["currentIndex"])
		s.fails(t, bob, 0, "savePlayQueueByIndex", "id", tr(c.gamma), "currentIndex", "5")
		s.fails(t, bob, 0, "savePlayQueue", "id", tr(c.gamma), "current", tr(c.beta))

		s.ok(t, bob, "savePlayQueue")
		require.Empty(t, s.ok(t, bob, "getPlayQueue").obj("playQueue").list("entry"), "no ids clears the queue")
	})
}

// awaitLikeRecords waits until did's like records are one for each of subjects (track
// record URIs), and returns them.
func awaitLikeRecords(t *testing.T, net *devpds.Network, did string, subjects ...string) map[string]map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs := pdsRecords(t, net, did, likeCollection)
		var got []string
		for _, rec := range recs {
			got = append(got, subjectOf(rec).URI)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(subjects))
		if slices.Equal(got, want) {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("likes of %s name %v, want %v", did, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// postPNG uploads a small picture as token's account and returns its image id.
func (s *stack) postPNG(t *testing.T, token string) string {
	t.Helper()
	pic := image.NewRGBA(image.Rect(0, 0, 640, 640))
	for i := range pic.Pix {
		pic.Pix[i] = byte(i)
	}
	var data bytes.Buffer
	require.NoError(t, png.Encode(&data, pic))
	req, _ := http.NewRequest(http.MethodPost, s.url+"/images", &data)
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := s.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		ImageID string `json:"imageId"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	require.NotEmpty(t, out.ImageID, "status %d", res.StatusCode)
	return out.ImageID
}

// absolute resolves a Location against base.
func absolute(base, location string) string {
	u, err := url.Parse(base)
	if err != nil {
		return location
	}
	ref, err := url.Parse(location)
	if err != nil {
		return location
	}
	return u.ResolveReference(ref).String()
}
