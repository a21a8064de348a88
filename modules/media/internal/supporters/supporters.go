// Package supporters asks atprotofans whether a listener supports an artist, for tracks an
// artist gates to their supporters.
//
// The question is the XRPC query com.atprotofans.validateSupporter with supporter = the
// listener, subject = the artist and signer = the artist (a direct atprotofans contribution
// is attested by the artist's own DID); the answer is {"valid": bool, "profile": {...}}.
//
// Design notes:
//   - Answers are cached per (supporter, artist) pair, a yes longer than a no, so a new
//     supporter is let in soon after paying. Errors are not cached: a blip at atprotofans
//     must not lock a real supporter out for the length of a negative TTL.
//   - Concurrent checks for one pair share one call (singleflight). The call runs under its
//     own timeout, detached from the first caller's cancellation, so one listener leaving
//     does not fail the others waiting on the same answer.
//   - Callers fail closed: an error means "not a supporter", which they may log.
package supporters

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"golang.org/x/sync/singleflight"
)

// DefaultBaseURL is the atprotofans service plyr asks.
const DefaultBaseURL = "https://atprotofans.com"

// Defaults for the Config fields left zero.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultPositiveTTL = 5 * time.Minute
	DefaultNegativeTTL = 30 * time.Second
)

const (
	method     = "com.atprotofans.validateSupporter"
	maxBody    = 64 << 10 // bytes read from an answer; a larger one is refused
	maxEntries = 10_000   // cached pairs
)

// ErrInvalidDID is returned, wrapped, when a supporter or artist is not a DID.
var ErrInvalidDID = errors.New("not a DID")

// APIError is an answer from atprotofans other than 200, with the XRPC error it carried
// (Name and Message are empty when the body was not an XRPC error).
type APIError struct {
	Status  int
	Name    string
	Message string
}

// Error describes the answer.
func (e *APIError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("atprotofans answered %d", e.Status)
	}
	return fmt.Sprintf("atprotofans answered %d %s: %s", e.Status, e.Name, e.Message)
}

// Config configures a Checker. Zero fields take the defaults.
type Config struct {
	// BaseURL is the atprotofans origin, e.g. https://atprotofans.com; empty means
	// DefaultBaseURL.
	BaseURL string
	// HTTPClient makes the calls; plyr passes an SSRF-safe, size-capped client. Nil means a
	// plain client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
	// PositiveTTL and NegativeTTL are how long a yes and a no are cached; zero means
	// DefaultPositiveTTL and DefaultNegativeTTL.
	PositiveTTL, NegativeTTL time.Duration
}

// Checker answers whether a listener supports an artist, from atprotofans. It is safe for
// concurrent use.
type Checker struct {
	endpoint    string
	client      *http.Client
	timeout     time.Duration
	positiveTTL time.Duration
	negativeTTL time.Duration
	maxEntries  int
	now         func() time.Time

	flights singleflight.Group

	mu    sync.Mutex
	cache map[string]entry
}

type entry struct {
	valid   bool
	expires time.Time
}

// New returns a Checker for cfg.
func New(cfg Config) *Checker {
	c := &Checker{
		endpoint:    strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/") + "/xrpc/" + method,
		client:      cfg.HTTPClient,
		timeout:     cmp.Or(cfg.Timeout, DefaultTimeout),
		positiveTTL: cmp.Or(cfg.PositiveTTL, DefaultPositiveTTL),
		negativeTTL: cmp.Or(cfg.NegativeTTL, DefaultNegativeTTL),
		maxEntries:  maxEntries,
		now:         time.Now,
		cache:       map[string]entry{},
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: c.timeout}
	}
	return c
}

// Supports reports whether supporter supports artist. An error (network, 5xx, bad JSON,
// timeout) is returned to the caller, which must treat it as "not a supporter" (fail
// closed) but may log it; errors are not cached, answers are. Neither DID is sent anywhere
// unless both parse.
func (c *Checker) Supports(ctx context.Context, supporter, artist string) (bool, error) {
	if _, err := syntax.ParseDID(supporter); err != nil {
		return false, fmt.Errorf("check supporter %q: %w", supporter, ErrInvalidDID)
	}
	if _, err := syntax.ParseDID(artist); err != nil {
		return false, fmt.Errorf("check artist %q: %w", artist, ErrInvalidDID)
	}
	key := supporter + " " + artist
	if valid, ok := c.cached(key); ok {
		return valid, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}

	results := c.flights.DoChan(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		valid, err := c.validate(cctx, supporter, artist)
		if err != nil {
			return false, err
		}
		c.store(key, valid)
		return valid, nil
	})
	select {
	case res := <-results:
		if res.Err != nil {
			return false, fmt.Errorf("check %s supports %s: %w", supporter, artist, res.Err)
		}
		return res.Val.(bool), nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// validate makes one validateSupporter call.
func (c *Checker) validate(ctx context.Context, supporter, artist string) (bool, error) {
	q := url.Values{}
	q.Set("supporter", supporter)
	q.Set("subject", artist)
	q.Set("signer", artist)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.client.Do(req)
	if err != nil {
		return false, err // already names the method and URL
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return false, fmt.Errorf("read answer: %w", err)
	}
	if len(body) > maxBody {
		return false, fmt.Errorf("answer larger than %d bytes", maxBody)
	}

	if resp.StatusCode != http.StatusOK {
		apiErr := &APIError{Status: resp.StatusCode}
		var xe struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &xe) == nil {
			apiErr.Name, apiErr.Message = xe.Error, xe.Message
		}
		return false, apiErr
	}
	var out struct {
		Valid *bool `json:"valid"` // required by the lexicon; profile is ignored
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return false, fmt.Errorf("decode answer: %w", err)
	}
	if out.Valid == nil {
		return false, errors.New("decode answer: no valid field")
	}
	return *out.Valid, nil
}

// cached returns the unexpired answer for key, if any.
func (c *Checker) cached(key string) (valid, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cache[key]
	if !ok || !c.now().Before(e.expires) {
		return false, false
	}
	return e.valid, true
}

// store caches an answer. When the cache is full it first drops expired entries, then, if
// still full, the entry closest to expiry.
func (c *Checker) store(key string, valid bool) {
	now := c.now()
	ttl := c.negativeTTL
	if valid {
		ttl = c.positiveTTL
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cache[key]; !ok && len(c.cache) >= c.maxEntries {
		for k, e := range c.cache {
			if !now.Before(e.expires) {
				delete(c.cache, k)
			}
		}
		for len(c.cache) >= c.maxEntries {
			var oldest string
			var first time.Time
			for k, e := range c.cache {
				if oldest == "" || e.expires.Before(first) {
					oldest, first = k, e.expires
				}
			}
			delete(c.cache, oldest)
		}
	}
	c.cache[key] = entry{valid: valid, expires: now.Add(ttl)}
}
