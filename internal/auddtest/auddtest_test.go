package auddtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/auddtest"
	"github.com/plyrfm/plyr/internal/platform/audd"
)

const (
	token    = "fake-token"
	audioURL = "https://audio.example/tracks/1.mp3"
)

var salt = auddtest.Song{
	Artist: "Dune Choir", Title: "Salt", Album: "Salt", ReleaseDate: "2016-07-01", Label: "Dry Lake",
	ISRC: "QZAAA1600001", UPC: "00198765432109", SongLink: "https://lis.tn/Salt", Score: 83,
	Timecode: 48 * time.Second, StartOffset: 2500 * time.Millisecond, EndOffset: 12 * time.Second,
}

// post sends form to s and returns the status, the content type and the body decoded as
// JSON (nil when it is not JSON), without execution_time, whose value varies.
func post(t *testing.T, s *auddtest.Server, form url.Values) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL(), strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	if json.Unmarshal(b, &body) == nil {
		delete(body, "execution_time")
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func form(tok, audio, accurate string) url.Values {
	f := url.Values{}
	for k, v := range map[string]string{"api_token": tok, "url": audio, "accurate_offsets": accurate} {
		if v != "" {
			f.Set(k, v)
		}
	}
	return f
}

func auddError(code int, message string, params map[string]any) map[string]any {
	return map[string]any{
		"status":                "error",
		"error":                 map[string]any{"error_code": float64(code), "error_message": message},
		"requested_params":      params,
		"see api documentation": "https://docs.audd.io",
		"contact us":            "api@audd.io",
	}
}

func TestServer_answers(t *testing.T) {
	saltJSON := map[string]any{
		"score": float64(83), "artist": "Dune Choir", "title": "Salt", "album": "Salt",
		"release_date": "2016-07-01", "label": "Dry Lake", "timecode": "00:48", "isrc": "QZAAA1600001",
		"upc": "00198765432109", "song_link": "https://lis.tn/Salt",
	}
	withOffsets := map[string]any{"start_offset": float64(2500), "end_offset": float64(12000)}
	for k, v := range saltJSON {
		withOffsets[k] = v
	}
	bare := auddtest.Song{Artist: "A", Title: "T"}
	bareJSON := map[string]any{"score": float64(0), "artist": "A", "title": "T", "timecode": "00:00"}

	tests := []struct {
		name       string
		answer     auddtest.Answer
		form       url.Values
		wantStatus int
		wantBody   map[string]any // nil: not JSON
	}{
		{name: "groups with accurate offsets",
			answer: auddtest.Matches(
				auddtest.Group{Offset: 0, Songs: []auddtest.Song{salt, bare}},
				auddtest.Group{Offset: 62*time.Minute + 3*time.Second, Songs: []auddtest.Song{salt}},
			),
			form: form(token, audioURL, "1"), wantStatus: 200,
			wantBody: map[string]any{"status": "success", "result": []any{
				map[string]any{"offset": "00:00", "songs": []any{withOffsets, map[string]any{
					"score": float64(0), "artist": "A", "title": "T", "timecode": "00:00",
					"start_offset": float64(0), "end_offset": float64(0),
				}}},
				map[string]any{"offset": "01:02:03", "songs": []any{withOffsets}},
			}}},
		{name: "groups without accurate offsets",
			answer: auddtest.Matches(auddtest.Group{Offset: 65 * time.Second, Songs: []auddtest.Song{salt, bare}}),
			form:   form(token, audioURL, ""), wantStatus: 200,
			wantBody: map[string]any{"status": "success", "result": []any{
				map[string]any{"offset": "01:05", "songs": []any{saltJSON, bareJSON}},
			}}},
		{name: "single song", answer: auddtest.SingleSong(salt), form: form(token, audioURL, "1"), wantStatus: 200,
			wantBody: map[string]any{"status": "success", "result": map[string]any{
				"artist": "Dune Choir", "title": "Salt", "album": "Salt", "release_date": "2016-07-01",
				"label": "Dry Lake", "timecode": "00:48", "isrc": "QZAAA1600001", "upc": "00198765432109",
				"song_link": "https://lis.tn/Salt",
			}}},
		{name: "no match", answer: auddtest.NoMatch(), form: form(token, audioURL, "1"), wantStatus: 200,
			wantBody: map[string]any{"status": "success", "result": []any{}}},
		{name: "scripted error", answer: auddtest.Error(611, "slow down"), form: form(token, audioURL, "1"), wantStatus: 200,
			wantBody: auddError(611, "slow down", map[string]any{"url": audioURL, "accurate_offsets": "1"})},
		{name: "http status", answer: auddtest.HTTPStatus(503), form: form(token, audioURL, "1"), wantStatus: 503},
		{name: "wrong token", answer: auddtest.SingleSong(salt), form: form("other", audioURL, "1"), wantStatus: 200,
			wantBody: auddError(auddtest.CodeWrongToken,
				"Recognition failed: authorization failed: the provided api_token is incorrect, invalid, or inactive.",
				map[string]any{"url": audioURL, "accurate_offsets": "1"})},
		{name: "no token", answer: auddtest.SingleSong(salt), form: form("", audioURL, ""), wantStatus: 200,
			wantBody: auddError(auddtest.CodeNoToken,
				"Recognition failed: authorization failed: no api_token passed and the limit was reached.",
				map[string]any{"url": audioURL})},
		{name: "no url", answer: auddtest.SingleSong(salt), form: form(token, "", "1"), wantStatus: 200,
			wantBody: auddError(auddtest.CodeNoFile,
				"Recognition failed: you haven't sent a file via POST or a file URL in the `url` parameter.",
				map[string]any{"accurate_offsets": "1"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := auddtest.New(t, token)
			s.Default(tt.answer)
			status, contentType, body := post(t, s, tt.form)
			require.Equal(t, tt.wantStatus, status)
			require.Equal(t, tt.wantBody, body)
			if tt.wantBody != nil {
				require.Equal(t, "application/json", contentType)
			}
		})
	}
}

func TestServer_Script(t *testing.T) {
	s := auddtest.New(t, token)
	s.Script("https://audio.example/", auddtest.Error(500, "prefix"))
	s.Script("https://audio.example/tracks/", auddtest.Error(500, "longer prefix"))
	s.Script(audioURL, auddtest.Error(500, "exact"))

	tests := []struct {
		url  string
		want string // the error message answered; "" for the default (no match)
	}{
		{audioURL, "exact"},
		{"https://audio.example/tracks/2.mp3", "longer prefix"},
		{"https://audio.example/other.mp3", "prefix"},
		{"https://elsewhere.example/1.mp3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, _, body := post(t, s, form(token, tt.url, "1"))
			if tt.want == "" {
				require.Equal(t, map[string]any{"status": "success", "result": []any{}}, body)
				return
			}
			require.Equal(t, tt.want, body["error"].(map[string]any)["error_message"])
		})
	}

	s.Default(auddtest.Error(500, "default"))
	_, _, body := post(t, s, form(token, "https://elsewhere.example/1.mp3", "1"))
	require.Equal(t, "default", body["error"].(map[string]any)["error_message"])
}

func TestServer_FailingFirst(t *testing.T) {
	s := auddtest.New(t, token)
	s.Script(audioURL, auddtest.NoMatch().FailingFirst(2, http.StatusBadGateway))

	statuses := func(n int) []int {
		var out []int
		for range n {
			status, _, _ := post(t, s, form(token, audioURL, "1"))
			out = append(out, status)
		}
		return out
	}
	require.Equal(t, []int{502, 502, 200, 200}, statuses(4))
	s.Script(audioURL, auddtest.NoMatch().FailingFirst(1, http.StatusServiceUnavailable))
	require.Equal(t, []int{503, 200}, statuses(2))
}

func TestServer_Delayed(t *testing.T) {
	s := auddtest.New(t, token)
	s.Script("https://slow.example/", auddtest.NoMatch().Delayed(time.Hour))
	s.Script("https://brief.example/", auddtest.NoMatch().Delayed(50*time.Millisecond))

	c := audd.New(audd.Config{URL: s.URL(), Token: token})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Scan(ctx, "https://slow.example/1.mp3")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	start := time.Now()
	_, err = c.Scan(t.Context(), "https://brief.example/1.mp3")
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
}

func TestServer_FetchAudio(t *testing.T) {
	var fetched []string
	audio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched = append(fetched, r.Method+" "+r.URL.Path)
		if r.URL.Path != "/ok.mp3" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(bytes.Repeat([]byte{0xff}, 4096))
	}))
	t.Cleanup(audio.Close)

	s := auddtest.New(t, token, auddtest.FetchAudio())
	s.Default(auddtest.Matches(auddtest.Group{Songs: []auddtest.Song{salt}}))

	status, _, body := post(t, s, form(token, audio.URL+"/ok.mp3", "1"))
	require.Equal(t, 200, status)
	require.Equal(t, "success", body["status"])

	_, _, body = post(t, s, form(token, audio.URL+"/missing.mp3", "1"))
	require.Equal(t, "error", body["status"])
	require.Equal(t, float64(auddtest.CodeDownloadFailed), body["error"].(map[string]any)["error_code"])

	require.Equal(t, []string{"GET /ok.mp3", "GET /missing.mp3"}, fetched)
	require.Equal(t, []auddtest.Request{
		{URL: audio.URL + "/ok.mp3", TokenOK: true, AccurateOffsets: true, Fetched: true},
		{URL: audio.URL + "/missing.mp3", TokenOK: true, AccurateOffsets: true},
	}, s.Requests())
}

func TestServer_Requests(t *testing.T) {
	s := auddtest.New(t, token)
	post(t, s, form(token, audioURL, "1"))
	post(t, s, form("wrong", audioURL, "true"))
	post(t, s, form(token, audioURL, ""))

	// A multipart form, as AudD's SDKs send it.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("api_token", token))
	require.NoError(t, mw.WriteField("url", "https://audio.example/multipart.mp3"))
	require.NoError(t, mw.WriteField("accurate_offsets", "true"))
	require.NoError(t, mw.Close())
	resp, err := http.Post(s.URL(), mw.FormDataContentType(), &buf)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	require.Equal(t, []auddtest.Request{
		{URL: audioURL, TokenOK: true, AccurateOffsets: true},
		{URL: audioURL, TokenOK: false, AccurateOffsets: true},
		{URL: audioURL, TokenOK: true, AccurateOffsets: false},
		{URL: "https://audio.example/multipart.mp3", TokenOK: true, AccurateOffsets: true},
	}, s.Requests())

	resp, err = http.Post(strings.TrimSuffix(s.URL(), "/")+"/elsewhere", "application/x-www-form-urlencoded", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestServer_withClient checks that plyr's AudD client reads what the fake writes.
func TestServer_withClient(t *testing.T) {
	s := auddtest.New(t, token)
	s.Script("https://audio.example/flagged/", auddtest.Matches(
		auddtest.Group{Offset: 0, Songs: []auddtest.Song{salt, {Artist: "Other", Title: "Song", Score: 20}}},
		auddtest.Group{Offset: 12 * time.Second, Songs: []auddtest.Song{salt}},
	))
	s.Script("https://audio.example/single/", auddtest.SingleSong(salt))
	s.Script("https://audio.example/broken/", auddtest.Error(700, "no file"))
	s.Script("https://audio.example/down/", auddtest.HTTPStatus(http.StatusServiceUnavailable))
	s.Script("https://audio.example/flaky/", auddtest.NoMatch().FailingFirst(1, http.StatusBadGateway))

	c := audd.New(audd.Config{URL: s.URL(), Token: token})
	saltMatch := func(offsetMs int64, score int) audd.Match {
		return audd.Match{
			Artist: "Dune Choir", Title: "Salt", Album: "Salt", ISRC: "QZAAA1600001", Label: "Dry Lake",
			ReleaseDate: "2016-07-01", SongLink: "https://lis.tn/Salt", OffsetMs: offsetMs, TimecodeMs: 48_000, Score: score,
		}
	}

	res, err := c.Scan(t.Context(), "https://audio.example/flagged/1.mp3")
	require.NoError(t, err)
	require.Equal(t, []audd.Match{
		saltMatch(2500, 83),
		{Artist: "Other", Title: "Song", Score: 20},
		saltMatch(14_500, 83),
	}, res.Matches)
	require.Equal(t, audd.Verdict{Flagged: true, Artist: "Dune Choir", Title: "Salt", Count: 2, Total: 3, Pct: 66},
		audd.Dominant(res.Matches, audd.DefaultThresholdPct))

	res, err = c.Scan(t.Context(), "https://audio.example/single/1.mp3")
	require.NoError(t, err)
	require.Equal(t, []audd.Match{saltMatch(0, 0)}, res.Matches)

	res, err = c.Scan(t.Context(), "https://audio.example/none/1.mp3")
	require.NoError(t, err)
	require.Empty(t, res.Matches)

	_, err = c.Scan(t.Context(), "https://audio.example/broken/1.mp3")
	var apiErr *audd.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 700, apiErr.Code)
	require.False(t, audd.Retryable(err))

	_, err = audd.New(audd.Config{URL: s.URL(), Token: "wrong"}).Scan(t.Context(), audioURL)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, auddtest.CodeWrongToken, apiErr.Code)
	require.False(t, audd.Retryable(err))

	_, err = c.Scan(t.Context(), "https://audio.example/down/1.mp3")
	require.True(t, audd.Retryable(err))

	_, err = c.Scan(t.Context(), "https://audio.example/flaky/1.mp3")
	require.True(t, audd.Retryable(err))
	_, err = c.Scan(t.Context(), "https://audio.example/flaky/1.mp3")
	require.NoError(t, err)

	for _, r := range s.Requests() {
		require.True(t, r.AccurateOffsets, "the client asks for accurate offsets: %+v", r)
	}
}
