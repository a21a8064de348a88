// Package webclient serves the web client: a single-page app whose every client route
// (/track/<id>, /u/<handle>, …) answers the same index.html, and whose hashed assets are
// cached forever.
//
// The page runs under a strict Content-Security-Policy: scripts only from plyr itself and
// the inline bootstrap script of index.html, allowed by its hash (computed here from the
// file, so a rebuilt client needs no configuration); no plugins, no framing, no <base>.
package webclient

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Options configure the handler.
type Options struct {
	// App is the built client (index.html at its root), or nil when the binary has none.
	App fs.FS
	// Fallback answers / and client routes when App is nil.
	Fallback http.Handler
	// Reserved are path prefixes that belong to the API: an unknown path under one of them
	// answers 404, never the app.
	Reserved []string
	// MediaOrigins are where audio and images are fetched from besides plyr (the storage's
	// presigned URLs), for the policy's media-src and img-src.
	MediaOrigins []string
	// InsecureForms lets the sign-in form's redirect go to an http PDS (development on
	// loopback).
	InsecureForms bool
	// NotFound answers reserved paths nothing else served.
	NotFound http.Handler
	// Framable are path prefixes whose pages other sites may put in a frame (embeds);
	// every other page refuses to be framed.
	Framable []string
	// Head, when set, gives a client route markup for its <head> (its title and link
	// preview tags), which replaces the index's <title>; ok false serves the plain index.
	Head func(ctx context.Context, path string) (head string, ok bool)
}

// Handler serves the client.
type Handler struct {
	opts   Options
	index  []byte
	policy string
	// framePolicy is the policy of framable pages: framing allowed from anywhere.
	framePolicy string
	files       http.Handler
	// modTime is when the index was loaded, for Last-Modified on conditional requests.
	modTime time.Time

	// gzipped holds the compressed text files of the build, made on first request: the
	// build is a few hundred kilobytes and never changes while the process runs.
	mu      sync.Mutex
	gzipped map[string][]byte
}

// immutablePrefix holds Vite's content-hashed files.
const immutablePrefix = "/_app/immutable/"

// New reads the client's index.html and prepares its policy.
func New(opts Options) (*Handler, error) {
	h := &Handler{opts: opts, modTime: time.Now(), gzipped: map[string][]byte{}}
	var scriptHashes []string
	if opts.App != nil {
		index, err := fs.ReadFile(opts.App, "index.html")
		if err != nil {
			return nil, err
		}
		h.index = index
		scriptHashes = inlineScriptHashes(index)
		h.files = http.FileServerFS(opts.App)
	}
	h.policy = Policy(scriptHashes, opts.MediaOrigins, opts.InsecureForms)
	h.framePolicy = strings.Replace(h.policy, "frame-ancestors 'none'", "frame-ancestors *", 1)
	return h, nil
}

// Policy is the Content-Security-Policy of the app's pages.
func Policy(scriptHashes, mediaOrigins []string, insecureForms bool) string {
	script := append([]string{"'self'"}, scriptHashes...)
	media := strings.Join(append([]string{"'self'", "blob:", "https:"}, mediaOrigins...), " ")
	// The sign-in form posts to /auth/start, which redirects to the account's PDS: a
	// form's redirects are held to form-action too.
	forms := "'self' https:"
	if insecureForms {
		forms += " http:"
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src " + strings.Join(script, " "),
		// Stylesheets and <style> only from plyr; style attributes are allowed (SvelteKit's
		// route announcer and Svelte's style: directives set them; they cannot run script).
		"style-src 'self'",
		"style-src-attr 'unsafe-inline'",
		"img-src " + media + " data:",
		"media-src " + media,
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action " + forms,
		"frame-ancestors 'none'",
		"manifest-src 'self'",
	}, "; ")
}

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// inlineScriptHashes are the CSP hashes of index.html's inline scripts (SvelteKit's
// bootstrap).
func inlineScriptHashes(index []byte) []string {
	var hashes []string
	for _, m := range inlineScript.FindAllSubmatch(index, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return hashes
}

// ServeHTTP serves a file of the build, or index.html for a client route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	for _, prefix := range h.opts.Reserved {
		if strings.HasPrefix(p, prefix) {
			h.opts.NotFound.ServeHTTP(w, r)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.opts.NotFound.ServeHTTP(w, r)
		return
	}
	if h.opts.App == nil {
		h.opts.Fallback.ServeHTTP(w, r)
		return
	}
	if name := strings.TrimPrefix(path.Clean(p), "/"); name != "" && name != "index.html" && isFile(h.opts.App, name) {
		if strings.HasPrefix(p, immutablePrefix) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		if h.serveGzipped(w, r, name) {
			return
		}
		h.files.ServeHTTP(w, r)
		return
	}
	if strings.HasPrefix(p, immutablePrefix) {
		// A missing asset (an old build's chunk) must not answer HTML with 200. Other
		// paths may be client routes (handles have dots: /u/alice.bsky.social).
		h.opts.NotFound.ServeHTTP(w, r)
		return
	}
	h.serveIndex(w, r)
}

// serveIndex answers a client route with the app.
func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	// Always revalidated: it names the current build's hashed assets.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", h.policy)
	if h.framable(r.URL.Path) {
		hdr.Set("Content-Security-Policy", h.framePolicy)
		hdr.Del("X-Frame-Options")
	}
	if h.opts.Head != nil {
		if head, ok := h.opts.Head(r.Context(), r.URL.Path); ok {
			page := titleTag.ReplaceAll(h.index, nil)
			page = bytes.Replace(page, []byte("</head>"), []byte(head+"</head>"), 1)
			// No Last-Modified: the head follows the page's data, not the build.
			http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
			return
		}
	}
	if h.serveGzipped(w, r, "index.html") {
		return
	}
	http.ServeContent(w, r, "index.html", h.modTime, bytes.NewReader(h.index))
}

// titleTag is the index's own title, replaced by a page's.
var titleTag = regexp.MustCompile(`(?s)<title>.*?</title>`)

func (h *Handler) framable(p string) bool {
	for _, prefix := range h.opts.Framable {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// compressible are the build's text files, worth compressing.
var compressible = map[string]bool{".js": true, ".css": true, ".html": true, ".svg": true, ".json": true, ".txt": true}

// serveGzipped answers with the gzipped file when the client takes gzip and the file is
// text; false when it did not answer.
func (h *Handler) serveGzipped(w http.ResponseWriter, r *http.Request, name string) bool {
	if !compressible[path.Ext(name)] || !acceptsGzip(r) {
		return false
	}
	body, err := h.gzip(name)
	if err != nil {
		return false
	}
	hdr := w.Header()
	hdr.Add("Vary", "Accept-Encoding")
	hdr.Set("Content-Encoding", "gzip")
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		hdr.Set("Content-Type", ctype)
	}
	http.ServeContent(w, r, name, h.modTime, bytes.NewReader(body))
	return true
}

func (h *Handler) gzip(name string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if body, ok := h.gzipped[name]; ok {
		return body, nil
	}
	raw, err := fs.ReadFile(h.opts.App, name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	h.gzipped[name] = buf.Bytes()
	return buf.Bytes(), nil
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func isFile(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && !st.IsDir()
}

// Origin is the scheme://host[:port] of a URL, or "" for one without a host.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
