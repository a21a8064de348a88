package audd_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/audd"
)

// The answers under testdata/ are written in the shapes AudD documents and ships as
// captured fixtures (github.com/AudDMusic/audd-openapi, fixtures/): the enterprise list of
// groups, the standard endpoint's single song and null, and the enterprise error body, with
// invented songs. numeric_offsets.json is the millisecond form plyr's earlier service also
// accepted.

const (
	token    = "secret-token-1234"
	audioURL = "https://audio.example/track.mp3"
)

// newClient starts a server running h and returns a client of it.
func newClient(t *testing.T, h http.HandlerFunc, maxBytes int64) *audd.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return audd.New(audd.Config{URL: srv.URL + "/", Token: token, MaxResponseBytes: maxBytes})
}

// answerWith returns a handler answering status with body as JSON.
func answerWith(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestClient_Scan_answers(t *testing.T) {
	lanternKeepers := audd.Match{
		Artist: "The Lantern Keepers", Title: "Harbour Lights", Album: "Night Crossing",
		ISRC: "QZAAA1900001", Label: "Tidewater Records", ReleaseDate: "2019-03-08",
		SongLink: "https://lis.tn/HarbourLights",
	}
	at := func(m audd.Match, offsetMs, timecodeMs int64, score int) audd.Match {
		m.OffsetMs, m.TimecodeMs, m.Score = offsetMs, timecodeMs, score
		return m
	}
	tests := []struct {
		name     string
		file     string
		want     []audd.Match
		wantCode int // an APIError with this code instead of a result
	}{
		{name: "groups with several songs each", file: "groups.json", want: []audd.Match{
			at(lanternKeepers, 1500, 74_000, 92),
			{Artist: "Mira Okonjo", Title: "Glass Orchard", Album: "Glass Orchard", Label: "Independent",
				ReleaseDate: "2021-11-19", SongLink: "https://lis.tn/GlassOrchard", OffsetMs: 0, TimecodeMs: 160_000, Score: 61},
			at(lanternKeepers, 12_000, 86_000, 95),
			{Artist: "the lantern keepers ", Title: "HARBOUR LIGHTS", Album: "Night Crossing (Deluxe)",
				Label: "Tidewater Records", ReleaseDate: "2020-01-10", SongLink: "https://lis.tn/HarbourLightsDeluxe",
				OffsetMs: 24_250, TimecodeMs: 98_000, Score: 88},
			{Artist: "Dune Choir", Title: "Salt", Album: "Salt", Label: "Dry Lake", ReleaseDate: "2016-07-01",
				SongLink: "https://lis.tn/Salt", OffsetMs: 28_000, TimecodeMs: 33_000, Score: 40},
		}},
		{name: "timecode offsets mm:ss and h:mm:ss", file: "timecodes.json", want: []audd.Match{
			{Artist: "Mira Okonjo", Title: "Glass Orchard", SongLink: "https://lis.tn/GlassOrchard",
				OffsetMs: 65_000, TimecodeMs: 185_000, Score: 70},
			{Artist: "Dune Choir", Title: "Salt", SongLink: "https://lis.tn/Salt",
				OffsetMs: 3_723_000, TimecodeMs: 48_000, Score: 83},
		}},
		{name: "numeric millisecond offsets", file: "numeric_offsets.json", want: []audd.Match{
			{Artist: "Dune Choir", Title: "Salt", OffsetMs: 38_500, TimecodeMs: 48_000, Score: 77},
			{Artist: "Dune Choir", Title: "Salt", OffsetMs: 48_000, TimecodeMs: 60_000, Score: 80},
		}},
		{name: "single song", file: "single.json", want: []audd.Match{
			{Artist: "Mira Okonjo", Title: "Glass Orchard", Album: "Glass Orchard", Label: "Independent",
				ReleaseDate: "2021-11-19", SongLink: "https://lis.tn/GlassOrchard", TimecodeMs: 56_000},
		}},
		{name: "null result", file: "null.json"},
		{name: "empty list", file: "empty_list.json"},
		{name: "wrong token", file: "error_900.json", wantCode: 900},
		{name: "enterprise not in plan", file: "error_904.json", wantCode: 904},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := readTestdata(t, tt.file)
			c := newClient(t, answerWith(http.StatusOK, body), 0)

			res, err := c.Scan(t.Context(), audioURL)
			if tt.wantCode != 0 {
				var apiErr *audd.APIError
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, tt.wantCode, apiErr.Code)
				require.NotEmpty(t, apiErr.Message)
				require.False(t, audd.Retryable(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, res.Matches)
			require.JSONEq(t, string(body), string(res.Raw))
		})
	}
}

func TestClient_Scan_form(t *testing.T) {
	var (
		method, contentType, rawQuery string
		form                          url.Values
	)
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		method, contentType, rawQuery = r.Method, r.Header.Get("Content-Type"), r.URL.RawQuery
		require.NoError(t, r.ParseForm())
		form = r.PostForm
		_, _ = w.Write([]byte(`{"status":"success","result":[]}`))
	}, 0)

	_, err := c.Scan(t.Context(), audioURL)
	require.NoError(t, err)
	require.Equal(t, http.MethodPost, method)
	require.Equal(t, "application/x-www-form-urlencoded", contentType)
	require.Empty(t, rawQuery, "the token travels in the body, never in the URL")
	require.Equal(t, url.Values{
		"api_token":        {token},
		"url":              {audioURL},
		"accurate_offsets": {"1"},
	}, form)
}

func TestClient_Scan_responseCap(t *testing.T) {
	const limit = 1024
	// padded is a valid answer of exactly n bytes.
	padded := func(n int) []byte {
		s := `{"status":"success","result":null}`
		return []byte(s[:len(s)-1] + strings.Repeat(" ", n-len(s)) + "}")
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr bool
	}{
		{"at the cap", answerWith(http.StatusOK, padded(limit)), false},
		{"announced over the cap", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit+1))
			_, _ = w.Write(padded(limit + 1))
		}, true},
		{"streamed over the cap", func(w http.ResponseWriter, _ *http.Request) {
			body := padded(64 * limit)
			_, _ = w.Write(body[:10])
			w.(http.Flusher).Flush() // no Content-Length: the client must stop reading by itself
			_, _ = w.Write(body[10:])
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.handler, limit)
			res, err := c.Scan(t.Context(), audioURL)
			if !tt.wantErr {
				require.NoError(t, err)
				require.Len(t, res.Raw, limit)
				return
			}
			require.ErrorIs(t, err, audd.ErrResponseTooLarge)
			require.False(t, audd.Retryable(err))
		})
	}
}

func TestClient_Scan_errors(t *testing.T) {
	auddError := func(code int, message string) []byte {
		return []byte(`{"status":"error","error":{"error_code":` + strconv.Itoa(code) + `,"error_message":"` + message + `"}}`)
	}
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		wantStatus    int // a StatusError with this status
		wantCode      int // an APIError with this code
		wantRetryable bool
	}{
		{name: "500", handler: answerWith(500, []byte("oops")), wantStatus: 500, wantRetryable: true},
		{name: "502 from a gateway", handler: answerWith(502, []byte("<html>bad gateway</html>")), wantStatus: 502, wantRetryable: true},
		{name: "503 with an AudD body", handler: answerWith(503, auddError(100, "x")), wantStatus: 503, wantRetryable: true},
		{name: "429", handler: answerWith(429, nil), wantStatus: 429, wantRetryable: true},
		{name: "408", handler: answerWith(408, nil), wantStatus: 408, wantRetryable: true},
		{name: "404", handler: answerWith(404, []byte("<html>not found</html>")), wantStatus: 404},
		{name: "400 with an AudD body", handler: answerWith(400, auddError(700, "no file")), wantCode: 700},
		{name: "wrong token", handler: answerWith(200, auddError(900, "bad token")), wantCode: 900},
		{name: "no token", handler: answerWith(200, auddError(901, "no api_token passed")), wantCode: 901},
		{name: "quota", handler: answerWith(200, auddError(902, "limit reached")), wantCode: 902},
		{name: "bad url", handler: answerWith(200, auddError(600, "incorrect url")), wantCode: 600},
		{name: "bad audio", handler: answerWith(200, auddError(500, "incorrect audio")), wantCode: 500},
		{name: "unknown error", handler: answerWith(200, auddError(100, "unknown")), wantCode: 100, wantRetryable: true},
		{name: "server error", handler: answerWith(200, auddError(1000, "server")), wantCode: 1000, wantRetryable: true},
		{name: "rate limit", handler: answerWith(200, auddError(611, "slow down")), wantCode: 611, wantRetryable: true},
		{name: "code never seen", handler: answerWith(200, auddError(4242, "?")), wantCode: 4242},
		{name: "message echoing the token", handler: answerWith(200, auddError(900, "token "+token+" is wrong")), wantCode: 900},
		{name: "error as a bare string", handler: answerWith(200, []byte(`{"status":"error","error":"went wrong"}`)), wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.handler, 0)
			_, err := c.Scan(t.Context(), audioURL)
			require.Error(t, err)
			require.NotContains(t, err.Error(), token)
			require.Equal(t, tt.wantRetryable, audd.Retryable(err))
			if tt.wantStatus != 0 {
				var statusErr *audd.StatusError
				require.ErrorAs(t, err, &statusErr)
				require.Equal(t, tt.wantStatus, statusErr.StatusCode)
				return
			}
			var apiErr *audd.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.wantCode, apiErr.Code)
		})
	}
}

func TestClient_Scan_badAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"not JSON", "<html>maintenance</html>"},
		{"unknown status", `{"status":"pending","result":null}`},
		{"result of another type", `{"status":"success","result":"yes"}`},
		{"groups of another shape", `{"status":"success","result":[{"songs":{"artist":"A"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, answerWith(http.StatusOK, []byte(tt.body)), 0)
			_, err := c.Scan(t.Context(), audioURL)
			require.Error(t, err)
			require.False(t, audd.Retryable(err))
		})
	}
}

func TestClient_Scan_network(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more

	c := audd.New(audd.Config{URL: addr + "/", Token: token})
	_, err := c.Scan(t.Context(), audioURL)
	require.Error(t, err)
	require.True(t, audd.Retryable(err), "a refused connection is worth another try: %v", err)
	require.NotContains(t, err.Error(), token)

	c = audd.New(audd.Config{URL: "ftp://enterprise.audd.example/", Token: token})
	_, err = c.Scan(t.Context(), audioURL)
	require.Error(t, err)
	require.False(t, audd.Retryable(err), "a bad endpoint stays bad: %v", err)
}

func TestClient_Scan_context(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // the server notices a client hanging up only once the body is read
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}, 0)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Scan(ctx, audioURL)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, audd.Retryable(err))
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Scan(ctx, audioURL)
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, audd.Retryable(err))
	})
}

func TestClient_Scan_config(t *testing.T) {
	_, err := audd.New(audd.Config{}).Scan(t.Context(), audioURL)
	require.ErrorIs(t, err, audd.ErrNoToken)
	require.False(t, audd.Retryable(err))

	_, err = audd.New(audd.Config{Token: token}).Scan(t.Context(), "")
	require.Error(t, err)
	require.False(t, audd.Retryable(err))
}

func TestRetryable(t *testing.T) {
	require.False(t, audd.Retryable(nil))
	require.False(t, audd.Retryable(errors.New("something else")))
	require.True(t, audd.Retryable(&audd.StatusError{StatusCode: 504}))
	require.False(t, audd.Retryable(&audd.StatusError{StatusCode: 403}))
}

func TestDominant(t *testing.T) {
	m := func(artist, title string) audd.Match { return audd.Match{Artist: artist, Title: title} }
	// spread returns n one-off matches.
	spread := func(n int) []audd.Match {
		var out []audd.Match
		for i := range n {
			out = append(out, m("Artist "+strconv.Itoa(i), "Song "+strconv.Itoa(i)))
		}
		return out
	}
	// times returns n matches of the same song.
	times := func(n int, match audd.Match) []audd.Match {
		var out []audd.Match
		for range n {
			out = append(out, match)
		}
		return out
	}
	join := func(parts ...[]audd.Match) []audd.Match {
		var out []audd.Match
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	salt := m("Dune Choir", "Salt")

	tests := []struct {
		name      string
		matches   []audd.Match
		threshold int
		want      audd.Verdict
	}{
		{name: "no matches", matches: nil, threshold: 30, want: audd.Verdict{}},
		{name: "no matches, threshold 0", matches: nil, threshold: 0, want: audd.Verdict{}},
		{name: "below the threshold", matches: join(times(2, salt), spread(8)), threshold: 30,
			want: audd.Verdict{Artist: "Dune Choir", Title: "Salt", Count: 2, Total: 10, Pct: 20}},
		{name: "at the threshold", matches: join(spread(7), times(3, salt)), threshold: 30,
			want: audd.Verdict{Flagged: true, Artist: "Dune Choir", Title: "Salt", Count: 3, Total: 10, Pct: 30}},
		{name: "above the threshold", matches: join(times(9, salt), spread(1)), threshold: 30,
			want: audd.Verdict{Flagged: true, Artist: "Dune Choir", Title: "Salt", Count: 9, Total: 10, Pct: 90}},
		{name: "integer division rounds down", matches: join(times(2, salt), spread(5)), threshold: 29,
			want: audd.Verdict{Flagged: false, Artist: "Dune Choir", Title: "Salt", Count: 2, Total: 7, Pct: 28}},
		{name: "the most frequent wins over the first seen", matches: join(times(2, salt), spread(1), times(2, m("Artist 0", "Song 0"))),
			threshold: 50, want: audd.Verdict{Flagged: true, Artist: "Artist 0", Title: "Song 0", Count: 3, Total: 5, Pct: 60}},
		{name: "a tie goes to the song seen first", matches: []audd.Match{m("B", "b"), salt, salt, m("B", "b")}, threshold: 50,
			want: audd.Verdict{Flagged: true, Artist: "B", Title: "b", Count: 2, Total: 4, Pct: 50}},
		{name: "case and surrounding whitespace fold", matches: []audd.Match{
			m(" Dune Choir", "Salt "), m("DUNE CHOIR", "salt"), m("dune choir", "SALT"), m("Other", "Song"),
		}, threshold: 30, want: audd.Verdict{Flagged: true, Artist: "Dune Choir", Title: "Salt", Count: 3, Total: 4, Pct: 75}},
		{name: "artist and title do not run together", matches: []audd.Match{m("ab", "c"), m("a", "bc")}, threshold: 60,
			want: audd.Verdict{Artist: "ab", Title: "c", Count: 1, Total: 2, Pct: 50}},
		{name: "one match of one song", matches: []audd.Match{salt}, threshold: audd.DefaultThresholdPct,
			want: audd.Verdict{Flagged: true, Artist: "Dune Choir", Title: "Salt", Count: 1, Total: 1, Pct: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, audd.Dominant(tt.matches, tt.threshold))
		})
	}
}

func TestDominant_recordedAnswer(t *testing.T) {
	c := newClient(t, answerWith(http.StatusOK, readTestdata(t, "groups.json")), 0)
	res, err := c.Scan(t.Context(), audioURL)
	require.NoError(t, err)
	require.Equal(t, audd.Verdict{
		Flagged: true, Artist: "The Lantern Keepers", Title: "Harbour Lights", Count: 3, Total: 5, Pct: 60,
	}, audd.Dominant(res.Matches, audd.DefaultThresholdPct))
}
