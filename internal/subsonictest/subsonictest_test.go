package subsonictest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// goodAlbumJSON is a getAlbum answer after the spec's examples (AlbumID3WithSongs, Child).
const goodAlbumJSON = `{
  "subsonic-response": {
    "status": "ok",
    "version": "1.16.1",
    "type": "plyr",
    "serverVersion": "0.1.0",
    "openSubsonic": true,
    "album": {
      "id": "200000021",
      "name": "Forget and Remember",
      "artist": "Comfort Fit",
      "artistId": "100000036",
      "coverArt": "al-200000021",
      "songCount": 2,
      "duration": 461,
      "playCount": 0,
      "created": "2021-07-22T02:09:31+00:00",
      "year": 2005,
      "genre": "Hip-Hop",
      "userRating": 4,
      "recordLabels": [{"name": "Sony"}],
      "musicBrainzId": "189002e7-3285-4e2e-92a3-7f6c30d407a2",
      "genres": [{"name": "Hip-Hop"}, {"name": "East coast"}],
      "artists": [{"id": "100000036", "name": "Comfort Fit"}],
      "displayArtist": "Comfort Fit",
      "releaseTypes": ["Album"],
      "moods": [],
      "sortName": "forget and remember",
      "originalReleaseDate": {"year": 2005, "month": 3, "day": 10},
      "isCompilation": false,
      "explicitStatus": "",
      "discTitles": [{"disc": 1, "title": "Disc 1"}],
      "song": [
        {
          "id": "300000116",
          "parent": "200000021",
          "title": "Can I Help U?",
          "isDir": false,
          "isVideo": false,
          "type": "music",
          "albumId": "200000021",
          "album": "Forget and Remember",
          "artistId": "100000036",
          "artist": "Comfort Fit",
          "coverArt": "300000116",
          "duration": 103,
          "bitRate": 216,
          "bitDepth": 16,
          "samplingRate": 44100,
          "channelCount": 2,
          "track": 1,
          "year": 2005,
          "genre": "Hip-Hop",
          "size": 2811819,
          "discNumber": 1,
          "suffix": "mp3",
          "contentType": "audio/mpeg",
          "path": "Comfort Fit/Forget And Remember/1 - Can I Help U?.mp3",
          "created": "2021-07-22T02:09:31Z",
          "genres": [{"name": "Hip-Hop"}],
          "replayGain": {"trackGain": -6.5, "albumGain": -7.1, "trackPeak": 0.98},
          "explicitStatus": "explicit"
        },
        {
          "id": "300000121",
          "parent": "200000021",
          "title": "Planetary Picknick",
          "isDir": false,
          "type": "music",
          "albumId": "200000021",
          "duration": 358,
          "bitRate": 238,
          "track": 2,
          "size": 10715592,
          "suffix": "mp3",
          "contentType": "audio/mpeg"
        }
      ]
    }
  }
}`

// goodAlbumXML is the same answer in XML, as the Subsonic XML schema lays it out.
const goodAlbumXML = `<?xml version="1.0" encoding="UTF-8"?>
<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <album id="200000021" name="Forget and Remember" artist="Comfort Fit" artistId="100000036" coverArt="al-200000021" songCount="2" duration="461" playCount="0" created="2021-07-22T02:09:31+00:00" year="2005" genre="Hip-Hop" userRating="4" musicBrainzId="189002e7-3285-4e2e-92a3-7f6c30d407a2" displayArtist="Comfort Fit" sortName="forget and remember" isCompilation="false" explicitStatus="">
    <recordLabels name="Sony"/>
    <genres name="Hip-Hop"/>
    <genres name="East coast"/>
    <artists id="100000036" name="Comfort Fit"/>
    <releaseTypes>Album</releaseTypes>
    <originalReleaseDate year="2005" month="3" day="10"/>
    <discTitles disc="1" title="Disc 1"/>
    <song id="300000116" parent="200000021" title="Can I Help U?" isDir="false" isVideo="false" type="music" albumId="200000021" album="Forget and Remember" artistId="100000036" artist="Comfort Fit" coverArt="300000116" duration="103" bitRate="216" bitDepth="16" samplingRate="44100" channelCount="2" track="1" year="2005" genre="Hip-Hop" size="2811819" discNumber="1" suffix="mp3" contentType="audio/mpeg" path="Comfort Fit/Forget And Remember/1 - Can I Help U?.mp3" created="2021-07-22T02:09:31Z" explicitStatus="explicit">
      <genres name="Hip-Hop"/>
      <replayGain trackGain="-6.5" albumGain="-7.1" trackPeak="0.98"/>
    </song>
    <song id="300000121" parent="200000021" title="Planetary Picknick" isDir="false" type="music" albumId="200000021" duration="358" bitRate="238" track="2" size="10715592" suffix="mp3" contentType="audio/mpeg"/>
  </album>
</subsonic-response>`

// requireViolation checks that err is a SchemaError with a violation containing each of
// the given strings.
func requireViolation(t *testing.T, err error, want ...string) {
	t.Helper()
	var serr *SchemaError
	require.ErrorAs(t, err, &serr)
	for _, v := range serr.Violations {
		found := true
		for _, w := range want {
			found = found && strings.Contains(v, w)
		}
		if found {
			return
		}
	}
	t.Fatalf("no violation mentions %q in:\n%v", want, err)
}

func TestGoodAlbum(t *testing.T) {
	require.NoError(t, ValidateJSON("getAlbum", []byte(goodAlbumJSON)))
	require.NoError(t, ValidateXML("getAlbum", []byte(goodAlbumXML)))
	// Method names are matched case-insensitively, with or without ".view".
	require.NoError(t, ValidateJSON("getalbum.view", []byte(goodAlbumJSON)))
}

func TestMissingRequiredField(t *testing.T) {
	noName := strings.Replace(goodAlbumJSON, `"name": "Forget and Remember",`, "", 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(noName)), "/subsonic-response/album:", "'name'")

	noID := strings.Replace(goodAlbumJSON, `"id": "300000121",`, "", 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(noID)), "/subsonic-response/album/song/1:", "'id'")

	noNameXML := strings.Replace(goodAlbumXML, `name="Forget and Remember" `, "", 1)
	requireViolation(t, ValidateXML("getAlbum", []byte(noNameXML)), "/subsonic-response/album:", "'name'")

	noIDXML := strings.Replace(goodAlbumXML, `id="300000121" `, "", 1)
	requireViolation(t, ValidateXML("getAlbum", []byte(noIDXML)), "/subsonic-response/album/song/1:", "'id'")

	noOpenSubsonic := strings.Replace(goodAlbumJSON, `"openSubsonic": true,`, "", 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(noOpenSubsonic)), "'openSubsonic'")
}

func TestEveryViolationIsListed(t *testing.T) {
	body := strings.Replace(goodAlbumJSON, `"name": "Forget and Remember",`, "", 1)
	body = strings.Replace(body, `"id": "300000121",`, "", 1)
	var serr *SchemaError
	require.ErrorAs(t, ValidateJSON("getAlbum", []byte(body)), &serr)
	require.Len(t, serr.Violations, 2, serr.Error())
	require.Equal(t, "getAlbum", serr.Method)
	require.Equal(t, "endpoints/getAlbum/GetAlbumSuccessResponse.json", serr.Schema)
}

func TestWrongType(t *testing.T) {
	body := strings.Replace(goodAlbumJSON, `"duration": 103,`, `"duration": "103",`, 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(body)), "/subsonic-response/album/song/0/duration:", "string")

	xmlBody := strings.Replace(goodAlbumXML, `duration="103"`, `duration="1:43"`, 1)
	requireViolation(t, ValidateXML("getAlbum", []byte(xmlBody)), "/subsonic-response/album/song/0/duration:", "string")

	xmlBody = strings.Replace(goodAlbumXML, `isDir="false"`, `isDir="0"`, 1)
	requireViolation(t, ValidateXML("getAlbum", []byte(xmlBody)), "/subsonic-response/album/song/0/isDir:", "string")

	// date-time fields must be RFC 3339 times.
	body = strings.Replace(goodAlbumJSON, `"2021-07-22T02:09:31+00:00"`, `"2021-07-22 02:09:31"`, 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(body)), "/subsonic-response/album/created:", "date-time")
}

func TestFailure(t *testing.T) {
	failed := `{"subsonic-response":{"status":"failed","version":"1.16.1","type":"plyr","serverVersion":"x","openSubsonic":true,"error":{"code":40,"message":"Wrong username or password"}}}`
	require.NoError(t, ValidateJSON("getAlbum", []byte(failed)))
	// Methods that answer with binary data answer errors like any other.
	require.NoError(t, ValidateJSON("stream", []byte(failed)))

	failedXML := `<subsonic-response xmlns="http://subsonic.org/restapi" status="failed" version="1.16.1" type="plyr" serverVersion="x" openSubsonic="true">
  <error code="70" message="Album not found"/>
</subsonic-response>`
	require.NoError(t, ValidateXML("getAlbum", []byte(failedXML)))

	badCode := strings.Replace(failed, `"code":40`, `"code":404`, 1)
	requireViolation(t, ValidateJSON("getAlbum", []byte(badCode)), "/subsonic-response/error/code:")

	noError := `{"subsonic-response":{"status":"failed","version":"1.16.1","type":"plyr","serverVersion":"x","openSubsonic":true}}`
	requireViolation(t, ValidateJSON("getAlbum", []byte(noError)), "'error'")
}

func TestXMLOneSongIsAList(t *testing.T) {
	s, err := loadSpec()
	require.NoError(t, err)
	m, err := s.schemaFor("getAlbum", "ok")
	require.NoError(t, err)
	root, err := parseXML([]byte(`<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <album id="1" name="One" songCount="1" duration="60" created="2024-01-02T03:04:05Z">
    <song id="2" title="Only" isDir="false" duration="60"/>
  </album>
</subsonic-response>`))
	require.NoError(t, err)
	converted := s.convert(root, m.root).(map[string]any)
	require.Equal(t, true, converted["openSubsonic"])
	album := converted["album"].(map[string]any)
	require.IsType(t, map[string]any{}, album, "album is an object, not a list")
	songs, ok := album["song"].([]any)
	require.True(t, ok, "song is a list: %#v", album["song"])
	require.Len(t, songs, 1)
	require.Equal(t, false, songs[0].(map[string]any)["isDir"])
	require.Equal(t, json.Number("60"), songs[0].(map[string]any)["duration"])
	require.NoError(t, m.validate(converted))
}

func TestXMLEmptyRequiredListIsEmpty(t *testing.T) {
	// ArtistWithAlbumsID3 requires album; an artist without albums has no <album> at all.
	body := `<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <artist id="100000036" name="Comfort Fit" albumCount="0"/>
</subsonic-response>`
	require.NoError(t, ValidateXML("getArtist", []byte(body)))
	require.Error(t, ValidateJSON("getArtist", []byte(`{"subsonic-response":{"status":"ok","version":"1.16.1","type":"plyr","serverVersion":"0.1.0","openSubsonic":true,"artist":{"id":"100000036","name":"Comfort Fit","albumCount":0}}}`)))
}

func TestXMLTextBecomesValue(t *testing.T) {
	// From the spec's structuredLyrics example; a cue's text can be a single space.
	body := `<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <lyricsList>
    <structuredLyrics displayArtist="Muse" displayTitle="Hysteria" lang="eng" offset="-100" synced="true">
      <line start="0">It's bugging me</line>
      <line start="2000">Grating me</line>
      <cueLine index="0" start="0" end="2000" value="It's bugging me">
        <cue start="0" end="500" byteStart="0" byteEnd="3">It's</cue>
        <cue start="500" end="600" byteStart="4" byteEnd="4"> </cue>
      </cueLine>
    </structuredLyrics>
  </lyricsList>
</subsonic-response>`
	require.NoError(t, ValidateXML("getLyricsBySongId", []byte(body)))

	s, err := loadSpec()
	require.NoError(t, err)
	m, err := s.schemaFor("getLyricsBySongId", "ok")
	require.NoError(t, err)
	root, err := parseXML([]byte(body))
	require.NoError(t, err)
	lyrics := s.convert(root, m.root).(map[string]any)["lyricsList"].(map[string]any)["structuredLyrics"].([]any)[0].(map[string]any)
	require.Equal(t, "Grating me", lyrics["line"].([]any)[1].(map[string]any)["value"])
	cues := lyrics["cueLine"].([]any)[0].(map[string]any)["cue"].([]any)
	require.Equal(t, " ", cues[1].(map[string]any)["value"])

	genres := `<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <genres><genre songCount="28" albumCount="6">Electronic</genre></genres>
</subsonic-response>`
	require.NoError(t, ValidateXML("getGenres", []byte(genres)))
}

func TestXMLScalarElements(t *testing.T) {
	// User folders are <folder> elements whose text is an integer.
	body := `<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true">
  <user username="sindre" email="sindre@activeobjects.no" scrobblingEnabled="true" adminRole="false" settingsRole="true" downloadRole="true" uploadRole="false" playlistRole="true" coverArtRole="true" commentRole="true" podcastRole="true" streamRole="true" jukeboxRole="true" shareRole="false" videoConversionRole="false">
    <folder>0</folder>
    <folder>3</folder>
  </user>
</subsonic-response>`
	require.NoError(t, ValidateXML("getUser", []byte(body)))
	bad := strings.Replace(body, "<folder>3</folder>", "<folder>three</folder>", 1)
	requireViolation(t, ValidateXML("getUser", []byte(bad)), "/subsonic-response/user/folder/1:")
}

func TestXMLNamespace(t *testing.T) {
	noNS := strings.Replace(goodAlbumXML, ` xmlns="http://subsonic.org/restapi"`, "", 1)
	require.ErrorContains(t, ValidateXML("getAlbum", []byte(noNS)), "namespace")
	otherNS := strings.Replace(goodAlbumXML, `http://subsonic.org/restapi`, `http://example.org/restapi`, 1)
	require.ErrorContains(t, ValidateXML("getAlbum", []byte(otherNS)), "namespace")
	require.Error(t, ValidateXML("getAlbum", []byte(`<subsonic-response xmlns="http://subsonic.org/restapi" status="ok"`)))
}

func TestEmptyAnswers(t *testing.T) {
	ok := `{"subsonic-response":{"status":"ok","version":"1.16.1","type":"plyr","serverVersion":"0.1.0","openSubsonic":true}}`
	for _, method := range []string{"ping", "star", "scrobble", "savePlayQueue"} {
		require.NoError(t, ValidateJSON(method, []byte(ok)), method)
	}
	require.NoError(t, ValidateXML("ping", []byte(`<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="true"/>`)))
	requireViolation(t, ValidateXML("ping", []byte(`<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1" type="plyr" serverVersion="0.1.0" openSubsonic="yes"/>`)), "/subsonic-response/openSubsonic:")

	// createPlaylist answers the playlist it made.
	requireViolation(t, ValidateJSON("createPlaylist", []byte(ok)), "'playlist'")
}

func TestMethods(t *testing.T) {
	methods := Methods()
	for _, m := range []string{"getAlbum", "getAlbumInfo2", "createShare", "getTranscodeDecision", "tokenInfo", "ping", "star"} {
		require.Contains(t, methods, m)
	}
	for _, m := range []string{"stream", "download", "getCoverArt", "getAvatar", "getCaptions", "hls.m3u8", "getTranscodeStream"} {
		require.NotContains(t, methods, m)
		require.ErrorContains(t, ValidateJSON(m, []byte(`{"subsonic-response":{"status":"ok","version":"1.16.1","type":"plyr","serverVersion":"0.1.0","openSubsonic":true}}`)), "binary")
	}
	require.ErrorContains(t, ValidateJSON("getAlbm", []byte(goodAlbumJSON)), "no such method")
}

func TestTranscodeDecision(t *testing.T) {
	// getTranscodeDecision's payload schema comes without the subsonic-response around it.
	body := `{"subsonic-response":{"status":"ok","version":"1.16.1","type":"plyr","serverVersion":"0.1.0","openSubsonic":true,
  "transcodeDecision":{"canDirectPlay":true,"canTranscode":false}}}`
	require.NoError(t, ValidateJSON("getTranscodeDecision", []byte(body)))
	bad := strings.Replace(body, `"canDirectPlay":true,`, "", 1)
	requireViolation(t, ValidateJSON("getTranscodeDecision", []byte(bad)), "/subsonic-response/transcodeDecision:", "'canDirectPlay'")
	requireViolation(t, ValidateJSON("getTranscodeDecision", []byte(`{"subsonic-response":{"transcodeDecision":{"canDirectPlay":true,"canTranscode":false}}}`)), "'status'")
}

func TestNotAnAnswer(t *testing.T) {
	require.Error(t, ValidateJSON("ping", []byte(`{"status":"ok"}`)))
	require.Error(t, ValidateJSON("ping", []byte(`[]`)))
	require.Error(t, ValidateJSON("ping", []byte(`{"subsonic-response":{}} x`)))
	require.ErrorContains(t, ValidateXML("ping", []byte(`<response xmlns="http://subsonic.org/restapi"/>`)), "subsonic-response")
}
