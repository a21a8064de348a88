// Package atproto builds plyr's outbound ATProto plumbing for production: an HTTP client
// and an identity directory that treat every server they reach as hostile, because every
// URL and name plyr follows comes from a user, a DID document or a DNS record.
//
// Two rules hold for every outbound lookup:
//   - Public addresses only. HTTP connections go through a dialer that refuses private,
//     loopback, link-local and reserved addresses (checked on the address actually dialled,
//     so DNS rebinding cannot slip past it) and ports other than 80 and 443. Handle
//     resolution over DNS asks the system resolver (which the operator configured), and
//     when it follows a domain to its own nameservers (the authoritative path) it only
//     dials them at public addresses.
//   - Bounded responses. Every response body is capped (DefaultMaxResponseBytes unless a
//     client says otherwise): a body beyond the cap fails with ErrResponseTooLarge instead
//     of being read whole. DID documents, authorization-server and protected-resource
//     metadata, PDS JSON and handle well-known files are all far below it. Blob uploads
//     are requests, not responses, and are not limited here.
//
// Development and tests pass their own client and directory instead (the reference PDS
// lives on loopback); LimitResponses lets them keep the size cap.
package atproto

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bluesky-social/indigo/util/ssrf"
)

// UserAgent names plyr to the servers it calls.
const UserAgent = "plyr (+https://github.com/plyrfm/plyr)"

// DefaultMaxResponseBytes caps every response body NewClient reads: 1 MiB, a thousand
// times a typical DID document or OAuth metadata document.
const DefaultMaxResponseBytes = 1 << 20

// ErrResponseTooLarge is returned (wrapped, with the URL and the cap) when a response body
// is larger than its client allows.
var ErrResponseTooLarge = errors.New("response body too large")

// NewClient returns an HTTP client that only reaches public addresses, reads at most
// DefaultMaxResponseBytes of any response body and gives up after 20 seconds.
func NewClient() *http.Client {
	return NewClientWithLimit(DefaultMaxResponseBytes)
}

// NewClientWithLimit is NewClient with its own cap on response bodies, for a caller that
// legitimately reads larger documents.
func NewClientWithLimit(maxResponseBytes int64) *http.Client {
	return &http.Client{Transport: LimitResponses(publicOnlyTransport(), maxResponseBytes), Timeout: 20 * time.Second}
}

// publicOnlyTransport is indigo's SSRF-safe transport without proxies: through a proxy the
// public-address rule would apply to the proxy, not to the server finally reached.
func publicOnlyTransport() *http.Transport {
	t := ssrf.PublicOnlyTransport()
	t.Proxy = nil
	return t
}

// LimitResponses wraps base so that reading more than maxBytes of any response body fails
// with ErrResponseTooLarge. A response that announces a larger Content-Length fails at once,
// before its body is read.
func LimitResponses(base http.RoundTripper, maxBytes int64) http.RoundTripper {
	return &limitTransport{base: base, max: maxBytes}
}

type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, tooLarge(r, t.max)
	}
	resp.Body = &limitedBody{body: resp.Body, left: t.max, req: r, max: t.max}
	return resp, nil
}

func tooLarge(r *http.Request, max int64) error {
	return fmt.Errorf("%w: %s %s%s sent more than %d bytes", ErrResponseTooLarge, r.Method, r.URL.Host, r.URL.Path, max)
}

// limitedBody passes through up to max bytes and fails once the body proves longer. It
// reads one byte past the cap to tell "exactly max bytes" from "more".
type limitedBody struct {
	body io.ReadCloser
	left int64 // bytes that may still be read before the cap
	req  *http.Request
	max  int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) > b.left {
		b.err = tooLarge(b.req, b.max)
		return int(b.left), b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
