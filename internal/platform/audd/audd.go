package audd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultURL is AudD's enterprise endpoint.
	DefaultURL = "https://enterprise.audd.io/"
	// DefaultMaxResponseBytes caps an answer's body when Config.MaxResponseBytes is 0: 8 MiB,
	// some thousands of matches.
	DefaultMaxResponseBytes = 8 << 20
	// DefaultTimeout bounds a whole Scan (AudD downloading the file, recognising it and
	// answering) when Config.HTTPClient is nil. AudD's SDKs allow an hour for days-long files;
	// a track takes seconds.
	DefaultTimeout = 5 * time.Minute
)

// accurateOffsets is the value sent for accurate_offsets (see the package documentation).
const accurateOffsets = "1"

var (
	// ErrNoToken is returned by Scan when the client was built without an api_token.
	ErrNoToken = errors.New("audd: no api token configured")
	// ErrResponseTooLarge is returned (wrapped, with the cap) when AudD's answer is longer
	// than Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("audd: response body too large")
)

// Config configures a Client.
type Config struct {
	// URL is the endpoint to POST to; DefaultURL when empty.
	URL string
	// Token is the AudD api_token. Required: without it Scan fails with ErrNoToken.
	Token string
	// HTTPClient sends the requests; when nil, a client with DefaultTimeout.
	HTTPClient *http.Client
	// MaxResponseBytes caps the answer's body; DefaultMaxResponseBytes when 0 or less.
	MaxResponseBytes int64
}

// Client calls AudD's enterprise endpoint. It is safe for concurrent use.
type Client struct {
	url      string
	token    string
	http     *http.Client
	maxBytes int64
}

// New returns a Client for c, with the defaults filled in.
func New(c Config) *Client {
	cl := &Client{url: c.URL, token: c.Token, http: c.HTTPClient, maxBytes: c.MaxResponseBytes}
	if cl.url == "" {
		cl.url = DefaultURL
	}
	if cl.http == nil {
		cl.http = &http.Client{Timeout: DefaultTimeout}
	}
	if cl.maxBytes <= 0 {
		cl.maxBytes = DefaultMaxResponseBytes
	}
	return cl
}

// Match is one song AudD heard, flattened out of its group.
type Match struct {
	Artist      string
	Title       string
	Album       string
	ISRC        string
	Label       string
	ReleaseDate string
	SongLink    string
	// OffsetMs is where the match starts in the scanned file, in milliseconds: the group's
	// offset plus the song's start_offset when AudD sent one; 0 for a single-song answer.
	OffsetMs int64
	// TimecodeMs is where in the matched song the fragment plays, in milliseconds.
	TimecodeMs int64
	// Score is AudD's score as sent (0 when absent). It is not a confidence.
	Score int
}

// Result is what AudD answered for one scan.
type Result struct {
	// Matches lists every song of every group, in the order AudD answered them; empty when
	// nothing matched.
	Matches []Match
	// Raw is the answer's body as received (at most Config.MaxResponseBytes), for the record.
	Raw json.RawMessage
}

// APIError is an answer with "status": "error".
type APIError struct {
	// Code is AudD's error_code (900 wrong token, 901 no token, 600 bad URL, ...).
	Code int
	// Message is AudD's error_message, with the api_token redacted should it appear.
	Message string
}

// Error reports the code and AudD's message.
func (e *APIError) Error() string {
	return fmt.Sprintf("audd error %d: %s", e.Code, e.Message)
}

// StatusError is an HTTP answer other than 200 that carried no AudD error body (a gateway's
// 502, a 429 from a rate limiter).
type StatusError struct {
	StatusCode int
}

// Error reports the HTTP status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("audd answered http %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// retryableCodes are the AudD error codes that mean "try later": AudD's SDKs classify 100
// and 1000 as server errors and 611 as a rate limit to back off from.
var retryableCodes = map[int]bool{100: true, 611: true, 1000: true}

// Retryable reports whether err, from Scan, may succeed if the same scan is tried again
// later: HTTP 408, 429 and 5xx, network failures, timeouts (a context deadline included)
// and AudD's "try later" codes. A cancelled context, a bad token, URL or file, an
// oversized answer or an answer that cannot be read are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return retryableCodes[apiErr.Code]
	}
	var statusErr *StatusError
	if errors.As(err, &statusErr) {
		return retryableStatus(statusErr.StatusCode)
	}
	// Every failure of http.Client.Do is a *url.Error, which is itself a net.Error; judge
	// what it wraps, so that a bad scheme or a TLS failure is not taken for a network blip.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// Scan asks AudD to recognise the music in the audio at audioURL, which AudD downloads
// itself. ctx bounds the whole call. It makes one request; see Retryable.
func (c *Client) Scan(ctx context.Context, audioURL string) (Result, error) {
	if c.token == "" {
		return Result{}, ErrNoToken
	}
	if audioURL == "" {
		return Result{}, errors.New("audd scan: no audio url")
	}
	form := url.Values{}
	form.Set("api_token", c.token)
	form.Set("url", audioURL)
	form.Set("accurate_offsets", accurateOffsets)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, fmt.Errorf("audd scan: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("audd scan: send request: %w", err)
	}
	defer resp.Body.Close()
	if retryableStatus(resp.StatusCode) {
		return Result{}, fmt.Errorf("audd scan: %w", &StatusError{StatusCode: resp.StatusCode})
	}
	body, err := c.readBody(resp)
	if err != nil {
		return Result{}, fmt.Errorf("audd scan: %w", err)
	}

	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		if resp.StatusCode != http.StatusOK {
			return Result{}, fmt.Errorf("audd scan: %w", &StatusError{StatusCode: resp.StatusCode})
		}
		return Result{}, fmt.Errorf("audd scan: decode answer: %w", err)
	}
	switch {
	case env.Status == "error":
		return Result{}, fmt.Errorf("audd scan: %w", c.apiError(env.Error))
	case resp.StatusCode != http.StatusOK:
		return Result{}, fmt.Errorf("audd scan: %w", &StatusError{StatusCode: resp.StatusCode})
	case env.Status != "success":
		return Result{}, fmt.Errorf("audd scan: unexpected status %q", env.Status)
	}
	matches, err := parseResult(env.Result)
	if err != nil {
		return Result{}, fmt.Errorf("audd scan: decode result: %w", err)
	}
	return Result{Matches: matches, Raw: json.RawMessage(body)}, nil
}

// readBody reads resp's body up to the cap, refusing a longer one without reading it whole.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, cap %d", ErrResponseTooLarge, resp.ContentLength, c.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, c.maxBytes)
	}
	return body, nil
}

// apiError builds the error for an "error" object, which AudD's SDKs have also seen as a
// bare string or missing.
func (c *Client) apiError(raw json.RawMessage) *APIError {
	var e struct {
		Code    number `json:"error_code"`
		Message string `json:"error_message"`
	}
	if json.Unmarshal(raw, &e) != nil {
		_ = json.Unmarshal(raw, &e.Message)
	}
	msg := e.Message
	if c.token != "" {
		msg = strings.ReplaceAll(msg, c.token, "[redacted]")
	}
	return &APIError{Code: int(e.Code), Message: msg}
}

// envelope is every answer's outer shape.
type envelope struct {
	Status string          `json:"status"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// group is one chunk of the file and the songs heard in it.
type group struct {
	Offset millis `json:"offset"`
	Songs  []song `json:"songs"`
}

// song is one song as AudD describes it, in a group or alone.
type song struct {
	Artist      string `json:"artist"`
	Title       string `json:"title"`
	Album       string `json:"album"`
	ISRC        string `json:"isrc"`
	Label       string `json:"label"`
	ReleaseDate string `json:"release_date"`
	SongLink    string `json:"song_link"`
	Score       number `json:"score"`
	Timecode    millis `json:"timecode"`
	StartOffset number `json:"start_offset"`
}

func (s song) match(offsetMs int64) Match {
	return Match{
		Artist:      s.Artist,
		Title:       s.Title,
		Album:       s.Album,
		ISRC:        s.ISRC,
		Label:       s.Label,
		ReleaseDate: s.ReleaseDate,
		SongLink:    s.SongLink,
		OffsetMs:    offsetMs + int64(s.StartOffset),
		TimecodeMs:  int64(s.Timecode),
		Score:       int(s.Score),
	}
}

// parseResult flattens result: a list of groups, a single song, or null.
func parseResult(raw json.RawMessage) ([]Match, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	switch raw[0] {
	case '[':
		var groups []group
		if err := json.Unmarshal(raw, &groups); err != nil {
			return nil, err
		}
		var matches []Match
		for _, g := range groups {
			for _, s := range g.Songs {
				matches = append(matches, s.match(int64(g.Offset)))
			}
		}
		return matches, nil
	case '{':
		var s song
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []Match{s.match(0)}, nil
	default:
		return nil, fmt.Errorf("result is neither a list, an object nor null: %.20s", raw)
	}
}

// number reads a JSON number or a numeric string; anything else reads as 0.
type number int64

func (n *number) UnmarshalJSON(b []byte) error {
	*n = 0
	var v json.Number
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	if f, err := strconv.ParseFloat(string(v), 64); err == nil {
		*n = number(f)
	}
	return nil
}

// millis reads a time AudD sends either as a number of milliseconds or as a timecode
// ("mm:ss" or "h:mm:ss"); anything else reads as 0.
type millis int64

func (m *millis) UnmarshalJSON(b []byte) error {
	*m = 0
	var s string
	if json.Unmarshal(b, &s) != nil {
		var n number
		_ = n.UnmarshalJSON(b)
		*m = millis(n)
		return nil
	}
	if ms, ok := parseTimecode(s); ok {
		*m = millis(ms)
	}
	return nil
}

// parseTimecode turns "mm:ss" or "h:mm:ss" into milliseconds. Minutes may pass 59 in the
// two-part form (a long file's "75:10").
func parseTimecode(s string) (int64, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var secs int64
	for _, p := range parts {
		if p == "" || strings.TrimLeft(p, "0123456789") != "" {
			return 0, false
		}
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, false
		}
		secs = secs*60 + v
	}
	return secs * 1000, true
}
