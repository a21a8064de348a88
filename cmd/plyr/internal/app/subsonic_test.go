package app_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/subsonictest"
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

// sub calls a method as key's account, in JSON and in XML, checks both answers against
// the OpenSubsonic schema of the method, and returns the JSON one.
func (s *stack) sub(t testing.TB, key, method string, kv ...string) subsonicAnswer {
	t.Helper()
	params := url.Values{"v": {"1.16.1"}, "c": {"test"}}
	if key != "" {
		params.Set("apiKey", key)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		params.Add(kv[i], kv[i+1])
	}
	res, body := s.rest(t, method, params, false)
	require.Equal(t, http.StatusOK, res.StatusCode, "Subsonic answers 200 whatever happened")
	require.Contains(t, res.Header.Get("Content-Type"), "xml")
	require.NoError(t, subsonictest.ValidateXML(method, body), "%s", body)

	params.Set("f", "json")
	res, body = s.rest(t, method, params, false)
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

// subsonicCatalog is a small catalog: Alice's album of two tracks and a single, with tags.
type subsonicCatalog struct {
	alpha, beta, gamma string // track ids
	album              string // the album's id
	gammaFile          string
}

func seedSubsonic(t *testing.T, s *stack) subsonicCatalog {
	t.Helper()
	ctx := rpctest.WithToken(context.Background(), s.token)
	var c subsonicCatalog
	c.alpha, _ = s.uploadTrack(t, s.token, "Alpha")
	c.beta, _ = s.uploadTrack(t, s.token, "Beta")
	c.gamma, c.gammaFile = s.uploadTrack(t, s.token, "Gamma")
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
	c := seedSubsonic(t, s)
	key := s.account(t, "did:plc:bob", "bob.test") // a listener browses
	tr := func(id string) string { return "tr-" + id }
	albumID, singlesID, artistID := "al-"+c.album, "si-"+aliceDID, "ar-"+aliceDID

	for _, m := range []string{"ping", "getLicense", "getMusicFolders", "getScanStatus", "getUser"} {
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
