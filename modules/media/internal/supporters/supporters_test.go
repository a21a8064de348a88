package supporters

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/atprotofanstest"
)

const (
	fan    = "did:plc:fanfanfanfanfanfanfanfan"
	other  = "did:plc:otherotherotherotherothe"
	artist = "did:plc:artistartistartistartist"
	band   = "did:web:band.example.com"
)

// newChecker returns a Checker against fans with a clock the test moves by hand.
func newChecker(t *testing.T, fans *atprotofanstest.Server) (*Checker, *time.Time) {
	t.Helper()
	c := New(Config{BaseURL: fans.URL})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	return c, &now
}

func TestChecker_Supports(t *testing.T) {
	fans := atprotofanstest.New(t)
	fans.AddSupporter(fan, artist)
	c, _ := newChecker(t, fans)

	tests := []struct {
		name              string
		supporter, artist string
		want              bool
	}{
		{"supporter", fan, artist, true},
		{"non-supporter", other, artist, false},
		{"supporter of someone else", fan, band, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Supports(t.Context(), tt.supporter, tt.artist)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestChecker_Supports_cachesAnswers(t *testing.T) {
	fans := atprotofanstest.New(t)
	fans.AddSupporter(fan, artist)
	c, now := newChecker(t, fans)
	ctx := t.Context()

	got, err := c.Supports(ctx, fan, artist)
	require.NoError(t, err)
	require.True(t, got)
	got, err = c.Supports(ctx, other, artist)
	require.NoError(t, err)
	require.False(t, got)
	require.Equal(t, 2, fans.Calls())

	// Both answers are served from the cache, even after atprotofans changes its mind.
	fans.RemoveSupporter(fan, artist)
	fans.AddSupporter(other, artist)
	got, err = c.Supports(ctx, fan, artist)
	require.NoError(t, err)
	require.True(t, got, "cached yes")
	got, err = c.Supports(ctx, other, artist)
	require.NoError(t, err)
	require.False(t, got, "cached no")
	require.Equal(t, 2, fans.Calls(), "cache hits make no call")

	// A no lasts NegativeTTL, so a new supporter gets in soon; a yes lasts PositiveTTL.
	*now = now.Add(DefaultNegativeTTL)
	got, err = c.Supports(ctx, other, artist)
	require.NoError(t, err)
	require.True(t, got, "the no expired")
	got, err = c.Supports(ctx, fan, artist)
	require.NoError(t, err)
	require.True(t, got, "the yes has not")
	require.Equal(t, 3, fans.Calls())

	*now = now.Add(DefaultPositiveTTL)
	got, err = c.Supports(ctx, fan, artist)
	require.NoError(t, err)
	require.False(t, got, "the yes expired")
	require.Equal(t, 4, fans.Calls())
}

func TestChecker_Supports_serverErrors(t *testing.T) {
	tests := []struct {
		status int
		name   string
	}{
		{http.StatusInternalServerError, "InternalServerError"},
		{http.StatusBadGateway, "UpstreamFailure"},
		{http.StatusServiceUnavailable, "ServiceUnavailable"},
		{http.StatusTooManyRequests, "RateLimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fans := atprotofanstest.New(t)
			fans.AddSupporter(fan, artist)
			c, _ := newChecker(t, fans)

			fans.FailNext(1, tt.status)
			got, err := c.Supports(t.Context(), fan, artist)
			require.False(t, got)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.status, apiErr.Status)
			require.Equal(t, tt.name, apiErr.Name)

			// The error was not cached: the next check asks again and lets the fan in.
			got, err = c.Supports(t.Context(), fan, artist)
			require.NoError(t, err)
			require.True(t, got)
			require.Equal(t, 2, fans.Calls())
		})
	}
}

func TestChecker_Supports_badAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"not JSON", http.StatusOK, "<html>hello</html>"},
		{"no valid field", http.StatusOK, `{"profile":{"did":"` + fan + `"}}`},
		{"valid not a boolean", http.StatusOK, `{"valid":"true"}`},
		{"oversize", http.StatusOK, `{"valid":true,"pad":"` + strings.Repeat("x", maxBody) + `"}`},
		{"error without an XRPC body", http.StatusBadGateway, "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c := New(Config{BaseURL: srv.URL})

			got, err := c.Supports(t.Context(), fan, artist)
			require.Error(t, err)
			require.False(t, got)
			_, err = c.Supports(t.Context(), fan, artist)
			require.Error(t, err)
			require.EqualValues(t, 2, calls.Load(), "a bad answer is not cached")
		})
	}
}

func TestChecker_Supports_timeout(t *testing.T) {
	fans := atprotofanstest.New(t)
	fans.AddSupporter(fan, artist)
	fans.SetDelay(10 * time.Second)
	c := New(Config{BaseURL: fans.URL, Timeout: 50 * time.Millisecond})

	start := time.Now()
	got, err := c.Supports(t.Context(), fan, artist)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, got)
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestChecker_Supports_dedupesConcurrentChecks(t *testing.T) {
	fans := atprotofanstest.New(t)
	fans.AddSupporter(fan, artist)
	fans.SetDelay(200 * time.Millisecond) // long enough for every caller to join the call
	c, _ := newChecker(t, fans)

	const n = 20
	var wg sync.WaitGroup
	results := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = c.Supports(t.Context(), fan, artist) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.True(t, results[i])
	}
	require.Equal(t, 1, fans.Calls())
}

func TestChecker_Supports_callerLeaving(t *testing.T) {
	fans := atprotofanstest.New(t)
	fans.AddSupporter(fan, artist)
	fans.SetDelay(200 * time.Millisecond)
	c, _ := newChecker(t, fans)

	// The first caller gives up; the call it started still answers the second.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var leftErr error
	wg.Go(func() { _, leftErr = c.Supports(ctx, fan, artist) })
	time.Sleep(5 * time.Millisecond)
	got, err := c.Supports(t.Context(), fan, artist)
	wg.Wait()

	require.ErrorIs(t, leftErr, context.DeadlineExceeded)
	require.NoError(t, err)
	require.True(t, got)
	require.Equal(t, 1, fans.Calls())
}

func TestChecker_Supports_refusesBadDIDs(t *testing.T) {
	fans := atprotofanstest.New(t)
	c, _ := newChecker(t, fans)

	tests := []struct {
		name              string
		supporter, artist string
	}{
		{"empty supporter", "", artist},
		{"empty artist", fan, ""},
		{"handle", "alice.bsky.social", artist},
		{"URL", fan, "https://atprotofans.com/"},
		{"query smuggling", fan, artist + "&signer=did:plc:evil"},
		{"no method", "did::abc", artist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Supports(t.Context(), tt.supporter, tt.artist)
			require.ErrorIs(t, err, ErrInvalidDID)
			require.False(t, got)
		})
	}
	require.Zero(t, fans.Calls())
}

func TestChecker_store_isBounded(t *testing.T) {
	c := New(Config{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.maxEntries = 3

	c.store("a", false) // expires first
	c.store("b", true)
	c.store("c", true)
	c.store("d", true)
	require.Len(t, c.cache, 3)
	require.NotContains(t, c.cache, "a", "the entry closest to expiry goes")

	now = now.Add(DefaultPositiveTTL) // b, c and d expire
	c.store("e", false)
	require.Equal(t, []string{"e"}, keys(c.cache), "expired entries go first")
}

func keys(m map[string]entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestNew_defaults(t *testing.T) {
	c := New(Config{BaseURL: "https://fans.example/"})
	require.Equal(t, "https://fans.example/xrpc/com.atprotofans.validateSupporter", c.endpoint)
	require.Equal(t, DefaultTimeout, c.timeout)
	require.Equal(t, DefaultTimeout, c.client.Timeout)
	require.Equal(t, DefaultPositiveTTL, c.positiveTTL)
	require.Equal(t, DefaultNegativeTTL, c.negativeTTL)

	c = New(Config{})
	require.True(t, strings.HasPrefix(c.endpoint, DefaultBaseURL+"/xrpc/"))

	own := &http.Client{}
	require.Same(t, own, New(Config{HTTPClient: own}).client)
}
