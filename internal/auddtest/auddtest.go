// Package auddtest is a fake AudD enterprise endpoint for tests: an httptest server that
// takes the form AudD takes and answers in AudD's JSON, as scripted per audio URL.
//
// Wire format, and where it comes from (see also internal/platform/audd's documentation):
//
//   - github.com/AudDMusic/audd-openapi, openapi.yaml (recognizeEnterprise,
//     EnterpriseChunkResult, EnterpriseMatch, ErrorResponse) and its captured fixtures: the
//     form fields api_token, url, accurate_offsets (urlencoded or multipart, body or query);
//     success as HTTP 200 {"status": "success", "result": [{"songs": [...], "offset":
//     "mm:ss"}], "execution_time": "..."}; song fields score, artist, title, album,
//     release_date, label, timecode ("mm:ss"), isrc, upc, song_link, and start_offset /
//     end_offset (milliseconds within the 12-second chunk) only when accurate offsets were
//     asked for; errors as HTTP 200 {"status": "error", "error": {"error_code",
//     "error_message"}, "requested_params": {...}, ...} with the token left out of the echo.
//   - The wrong-token (900) and missing-file (700) answers use the codes of the captured
//     fixtures; a missing token answers 901, whose message AudD words "no api_token passed
//     and the limit was reached" (an answer quoted in VXMusic's AudD client; AudD's SDKs
//     file 900, 901 and 903 as token errors). The messages are shortened from AudD's.
//
// Chosen here, not documented anywhere found: an enterprise answer with no match is an
// empty list (the OpenAPI schema makes result a list); a file AudD cannot download answers
// CodeDownloadFailed (600, believed to be AudD's "incorrect audio URL"); HTTPStatus answers
// an HTML body, as a gateway in front of AudD would; a request to any path but "/" is a 404.
package auddtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// AudD error codes the fake answers by itself.
const (
	// CodeWrongToken answers an api_token other than the server's.
	CodeWrongToken = 900
	// CodeNoToken answers a request without an api_token.
	CodeNoToken = 901
	// CodeNoFile answers a request without a url.
	CodeNoFile = 700
	// CodeDownloadFailed answers, with FetchAudio, an audio URL the fake could not download.
	CodeDownloadFailed = 600
)

// Song is one song AudD heard.
type Song struct {
	// Artist, Title, Album, ReleaseDate, Label, ISRC, UPC and SongLink are sent as they are
	// when not empty.
	Artist, Title, Album, ReleaseDate, Label, ISRC, UPC, SongLink string
	// Score is AudD's score (0–100); sent in groups, not in a single-song answer.
	Score int
	// Timecode is where in the song the fragment plays; sent as "mm:ss".
	Timecode time.Duration
	// StartOffset and EndOffset are where in its 12-second chunk the match begins and ends;
	// sent, in milliseconds, when the request asked for accurate_offsets.
	StartOffset, EndOffset time.Duration
}

// Group is one 12-second chunk of the file and the songs heard in it.
type Group struct {
	// Offset is where the chunk starts in the file; sent as "mm:ss" ("hh:mm:ss" from an hour).
	Offset time.Duration
	Songs  []Song
}

type answerKind int

const (
	kindNoMatch answerKind = iota
	kindGroups
	kindSingle
	kindError
	kindHTTP
)

// Answer is what the fake answers for a URL. Build one with Matches, SingleSong, NoMatch,
// Error or HTTPStatus, then optionally Delayed or FailingFirst. The zero Answer is NoMatch.
type Answer struct {
	kind       answerKind
	groups     []Group
	song       Song
	code       int
	message    string
	status     int
	delay      time.Duration
	failFirst  int
	failStatus int
}

// Matches answers the groups as an enterprise success.
func Matches(groups ...Group) Answer { return Answer{kind: kindGroups, groups: groups} }

// SingleSong answers one song as the result itself, the standard endpoint's shape.
func SingleSong(s Song) Answer { return Answer{kind: kindSingle, song: s} }

// NoMatch answers success with an empty list of groups.
func NoMatch() Answer { return Answer{kind: kindNoMatch} }

// Error answers "status": "error" with code and message, over HTTP 200 as AudD does.
func Error(code int, message string) Answer {
	return Answer{kind: kindError, code: code, message: message}
}

// HTTPStatus answers status (a 5xx, say) with an HTML body and no AudD JSON.
func HTTPStatus(status int) Answer { return Answer{kind: kindHTTP, status: status} }

// Delayed makes the answer wait d before it is sent, or until the client hangs up.
func (a Answer) Delayed(d time.Duration) Answer {
	a.delay = d
	return a
}

// FailingFirst makes the first n calls that get this answer get HTTPStatus(status)
// instead; later calls get the answer itself. Scripting the URL again starts counting anew.
func (a Answer) FailingFirst(n, status int) Answer {
	a.failFirst, a.failStatus = n, status
	return a
}

// Request is one request the fake received.
type Request struct {
	// URL is the url form field: the audio AudD was asked to recognise.
	URL string
	// TokenOK is true when api_token was the server's token.
	TokenOK bool
	// AccurateOffsets is true when accurate_offsets was sent as a true value ("1", "true").
	AccurateOffsets bool
	// Fetched is true when, with FetchAudio, the fake downloaded the audio.
	Fetched bool
}

// Option configures a Server.
type Option func(*Server)

// FetchAudio makes the fake download the audio URL with a GET before answering, as AudD
// does, and answer CodeDownloadFailed when that fails or does not answer 200.
func FetchAudio() Option { return func(s *Server) { s.fetch = true } }

// Server is a fake AudD. It answers NoMatch for a URL nothing was scripted for, until
// Default says otherwise.
type Server struct {
	srv     *httptest.Server
	token   string
	fetch   bool
	fetcher *http.Client
	done    chan struct{}

	mu       sync.Mutex
	scripts  map[string]*script
	fallback *script
	requests []Request
}

type script struct {
	answer Answer
	calls  int
}

// New starts a fake AudD that accepts token and is closed when the test ends.
func New(t testing.TB, token string, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		token:    token,
		fetcher:  &http.Client{Timeout: 30 * time.Second},
		done:     make(chan struct{}),
		scripts:  map[string]*script{},
		fallback: &script{answer: NoMatch()},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.done) }) // runs first: delayed answers stop waiting
	return s
}

// URL is the endpoint to configure a client with, like "https://enterprise.audd.io/".
func (s *Server) URL() string { return s.srv.URL + "/" }

// Script sets the answer for an audio URL: a request whose url equals key gets it, and
// otherwise a request whose url starts with key (the longest such key wins).
func (s *Server) Script(key string, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[key] = &script{answer: a}
}

// Default sets the answer for URLs no Script matches.
func (s *Server) Default(a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = &script{answer: a}
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if err := parseForm(r); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	token, audioURL := r.FormValue("api_token"), r.FormValue("url")
	accurate, _ := strconv.ParseBool(r.FormValue("accurate_offsets"))

	s.mu.Lock()
	s.requests = append(s.requests, Request{URL: audioURL, TokenOK: token == s.token, AccurateOffsets: accurate})
	index := len(s.requests) - 1
	sc := s.lookup(audioURL)
	a := sc.answer
	failing := sc.calls < a.failFirst
	sc.calls++
	s.mu.Unlock()

	params := map[string]string{}
	for _, k := range []string{"url", "accurate_offsets"} {
		if v := r.FormValue(k); v != "" {
			params[k] = v
		}
	}
	switch {
	case failing: // a gateway in front of AudD fails before AudD sees the request
		writeHTTP(w, a.failStatus)
		return
	case token == "":
		writeError(w, start, CodeNoToken, "Recognition failed: authorization failed: no api_token passed and the limit was reached.", params)
		return
	case token != s.token:
		writeError(w, start, CodeWrongToken, "Recognition failed: authorization failed: the provided api_token is incorrect, invalid, or inactive.", params)
		return
	case audioURL == "":
		writeError(w, start, CodeNoFile, "Recognition failed: you haven't sent a file via POST or a file URL in the `url` parameter.", params)
		return
	}

	if s.fetch {
		if err := s.download(r.Context(), audioURL); err != nil {
			writeError(w, start, CodeDownloadFailed, "Recognition failed: couldn't download the file from the URL: "+err.Error(), params)
			return
		}
		s.mu.Lock()
		s.requests[index].Fetched = true
		s.mu.Unlock()
	}
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}

	switch a.kind {
	case kindHTTP:
		writeHTTP(w, a.status)
	case kindError:
		writeError(w, start, a.code, a.message, params)
	case kindSingle:
		writeJSON(w, success{Status: "success", Result: single(a.song)})
	case kindGroups:
		writeJSON(w, success{Status: "success", Result: groups(a.groups, accurate), ExecutionTime: time.Since(start).String()})
	default:
		writeJSON(w, success{Status: "success", Result: []groupJSON{}, ExecutionTime: time.Since(start).String()})
	}
}

// lookup finds the script for audioURL: exact, else longest prefix, else the default.
// The caller holds s.mu.
func (s *Server) lookup(audioURL string) *script {
	if sc, ok := s.scripts[audioURL]; ok {
		return sc
	}
	best, bestLen := s.fallback, -1
	for key, sc := range s.scripts {
		if strings.HasPrefix(audioURL, key) && len(key) > bestLen {
			best, bestLen = sc, len(key)
		}
	}
	return best
}

// download GETs audioURL as AudD does, reading (and discarding) the body.
func (s *Server) download(ctx context.Context, audioURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, audioURL, nil)
	if err != nil {
		return err
	}
	resp, err := s.fetcher.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("http %d", resp.StatusCode)
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<30))
	return err
}

// parseForm reads the fields from the query and an urlencoded or multipart body.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(32 << 20)
	}
	return r.ParseForm()
}

type success struct {
	Status        string `json:"status"`
	Result        any    `json:"result"`
	ExecutionTime string `json:"execution_time,omitempty"`
}

type groupJSON struct {
	Songs  []songJSON `json:"songs"`
	Offset string     `json:"offset"`
}

type songJSON struct {
	Score       *int   `json:"score,omitempty"`
	Artist      string `json:"artist,omitempty"`
	Title       string `json:"title,omitempty"`
	Album       string `json:"album,omitempty"`
	ReleaseDate string `json:"release_date,omitempty"`
	Label       string `json:"label,omitempty"`
	Timecode    string `json:"timecode"`
	ISRC        string `json:"isrc,omitempty"`
	UPC         string `json:"upc,omitempty"`
	SongLink    string `json:"song_link,omitempty"`
	StartOffset *int64 `json:"start_offset,omitempty"`
	EndOffset   *int64 `json:"end_offset,omitempty"`
}

func single(s Song) songJSON {
	return songJSON{
		Artist: s.Artist, Title: s.Title, Album: s.Album, ReleaseDate: s.ReleaseDate, Label: s.Label,
		Timecode: timecode(s.Timecode), ISRC: s.ISRC, UPC: s.UPC, SongLink: s.SongLink,
	}
}

func groups(gs []Group, accurate bool) []groupJSON {
	out := make([]groupJSON, 0, len(gs))
	for _, g := range gs {
		songs := make([]songJSON, 0, len(g.Songs))
		for _, s := range g.Songs {
			j := single(s)
			j.Score = &s.Score
			if accurate {
				start, end := s.StartOffset.Milliseconds(), s.EndOffset.Milliseconds()
				j.StartOffset, j.EndOffset = &start, &end
			}
			songs = append(songs, j)
		}
		out = append(out, groupJSON{Songs: songs, Offset: timecode(g.Offset)})
	}
	return out
}

// timecode formats d as AudD does: "mm:ss", or "hh:mm:ss" from an hour on.
func timecode(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs >= 3600 {
		return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%02d:%02d", secs/60, secs%60)
}

type errorJSON struct {
	Status string `json:"status"`
	Error  struct {
		Code    int    `json:"error_code"`
		Message string `json:"error_message"`
	} `json:"error"`
	RequestedParams map[string]string `json:"requested_params"`
	Docs            string            `json:"see api documentation"`
	Contact         string            `json:"contact us"`
	ExecutionTime   string            `json:"execution_time"`
}

// writeError answers AudD's error body over HTTP 200. params is AudD's echo of the request,
// which never holds the token.
func writeError(w http.ResponseWriter, start time.Time, code int, message string, params map[string]string) {
	e := errorJSON{
		Status:          "error",
		RequestedParams: params,
		Docs:            "https://docs.audd.io",
		Contact:         "api@audd.io",
		ExecutionTime:   time.Since(start).String(),
	}
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, e)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeHTTP(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	_, _ = fmt.Fprintf(w, "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n", text, text)
}
