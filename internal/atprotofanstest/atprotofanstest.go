// Package atprotofanstest is a fake atprotofans server for tests: it answers
// com.atprotofans.validateSupporter the way the real service documents it, from a set of
// supporter relationships the test declares.
//
// Wire format, and where it comes from:
//
//   - Lexicon com.atprotofans.validateSupporter (published by did:plc:7ewx3bksukdk6a4vycoykhhw,
//     atprotofans.com; seen at lexicon.garden/lexicon/did:plc:7ewx3bksukdk6a4vycoykhhw/
//     com.atprotofans.validateSupporter, and generated from it in the jacquard-api crate,
//     src/com_atprotofans/validate_supporter.rs): a query (GET) with three required string
//     params of format did: supporter, subject (the creator), signer (whose attestation
//     must be valid). Output application/json {"valid": boolean (required), "profile":
//     com.atprotofans.hydratedProfile (optional)}. One declared error: InvalidRequest,
//     "Invalid DID format or missing required parameters".
//   - atprotofans.com/help/xrpc ("XRPC API Reference"): the same parameters; the profile is
//     "included when valid", shaped {"did", "handle", "displayName", "supporterCount"}; errors
//     InvalidRequest and ServiceUnavailable ("Validation service temporarily unavailable").
//   - plyr.fm (zzstoatzz/plyr.fm docs/research/2025-12-20-atprotofans-paywall-integration.md
//     and issue #564): observed answers {"valid": false} and {"valid": true, "profile": {...}};
//     commit 17247f59 (#635): for direct atprotofans support the signer is the artist's own DID.
//   - atproto.com/specs/xrpc: error responses are application/json {"error": "<Name>",
//     "message": "<text>"} (message optional); 400 for an invalid request; an unimplemented
//     method answers MethodNotImplemented rather than a bare 404.
//
// Not documented anywhere found, so chosen here: a request with another HTTP method answers
// 405 with an InvalidRequest body, and the status FailNext uses for ServiceUnavailable is 503.
package atprotofanstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
)

// Method is the XRPC path the fake answers.
const Method = "/xrpc/com.atprotofans.validateSupporter"

// Server is a fake atprotofans. A supporter added with AddSupporter is valid when asked with
// signer equal to the artist (a direct contribution), as plyr asks; any other signer is not.
type Server struct {
	// URL is the base URL to configure clients with (no trailing slash, no /xrpc).
	URL string

	mu       sync.Mutex
	pairs    map[pair]bool
	calls    int
	failLeft int
	failCode int
	delay    time.Duration
}

type pair struct{ supporter, subject string }

// New starts a fake atprotofans that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{pairs: map[pair]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddSupporter makes supporter a supporter of artist.
func (s *Server) AddSupporter(supporter, artist string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pairs[pair{supporter, artist}] = true
}

// RemoveSupporter ends supporter's support of artist.
func (s *Server) RemoveSupporter(supporter, artist string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pairs, pair{supporter, artist})
}

// FailNext makes the next n calls answer status with an XRPC error body.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, status
}

// SetDelay makes every later call wait d before answering (or until the client gives up).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Calls reports how many requests the server has received, failed ones included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	delay := s.delay
	fail := 0
	if s.failLeft > 0 {
		s.failLeft--
		fail = s.failCode
	}
	s.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case !strings.HasPrefix(r.URL.Path, "/xrpc/"):
		http.NotFound(w, r)
		return
	case r.URL.Path != Method:
		writeError(w, http.StatusNotImplemented, "MethodNotImplemented", "method not implemented")
		return
	case r.Method != http.MethodGet:
		writeError(w, http.StatusMethodNotAllowed, "InvalidRequest", "validateSupporter is a query: use GET")
		return
	case fail != 0:
		writeError(w, fail, errorName(fail), "injected failure")
		return
	}

	q := r.URL.Query()
	var dids [3]string
	for i, name := range []string{"supporter", "subject", "signer"} {
		v := q.Get(name)
		if v == "" {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "missing required parameter: "+name)
			return
		}
		if _, err := syntax.ParseDID(v); err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "invalid DID format: "+name)
			return
		}
		dids[i] = v
	}
	supporter, subject, signer := dids[0], dids[1], dids[2]

	s.mu.Lock()
	valid := signer == subject && s.pairs[pair{supporter, subject}]
	supporterCount := 0
	for p := range s.pairs {
		if p.subject == supporter {
			supporterCount++
		}
	}
	s.mu.Unlock()

	out := map[string]any{"valid": valid}
	if valid {
		out["profile"] = map[string]any{
			"did":            supporter,
			"handle":         "handle.invalid",
			"supporterCount": supporterCount,
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// errorName is the XRPC error name FailNext answers with for status.
func errorName(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "InvalidRequest"
	case http.StatusTooManyRequests:
		return "RateLimitExceeded"
	case http.StatusBadGateway:
		return "UpstreamFailure"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "UpstreamTimeout"
	default:
		return "InternalServerError"
	}
}

func writeError(w http.ResponseWriter, status int, name, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": name, "message": message})
}
