// Package atproto builds plyr's outbound ATProto plumbing for production: an HTTP client
// that refuses private and loopback addresses (every URL plyr follows comes from a user or
// a DID document, so each is treated as hostile), and an identity directory on it.
//
// Development and tests pass their own client and directory instead (the reference PDS
// lives on loopback).
package atproto

import (
	"net/http"
	"time"

	"github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/util/ssrf"
)

// UserAgent names plyr to the servers it calls.
const UserAgent = "plyr (+https://github.com/plyrfm/plyr)"

// NewClient returns an HTTP client that only reaches public addresses and gives up after
// 20 seconds.
func NewClient() *http.Client {
	return &http.Client{Transport: ssrf.PublicOnlyTransport(), Timeout: 20 * time.Second}
}

// NewDirectory resolves handles and DIDs through plcURL (https://plc.directory) and client,
// with a cache.
func NewDirectory(plcURL string, client *http.Client) identity.Directory {
	base := &identity.BaseDirectory{
		PLCURL:              plcURL,
		HTTPClient:          *client,
		TryAuthoritativeDNS: true,
		UserAgent:           UserAgent,
	}
	cached := identity.NewCacheDirectory(base, 100_000, 24*time.Hour, 5*time.Minute, 5*time.Minute)
	return cached
}
