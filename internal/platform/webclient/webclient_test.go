package webclient_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/webclient"
)

const bootstrap = `console.log("start")`

func newHandler(t *testing.T, app fstest.MapFS) *webclient.Handler {
	t.Helper()
	notFound := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
	})
	opts := webclient.Options{
		Reserved: []string{"/plyr.", "/audio/"}, MediaOrigins: []string{"http://127.0.0.1:9000"}, NotFound: notFound,
		Fallback: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("build the client")) }),
	}
	if app != nil {
		opts.App = app
	}
	h, err := webclient.New(opts)
	require.NoError(t, err)
	return h
}

func get(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestHandler(t *testing.T) {
	h := newHandler(t, fstest.MapFS{
		"index.html":                 {Data: []byte(`<html><body><script>` + bootstrap + `</script></body></html>`)},
		"_app/immutable/entry/a1.js": {Data: []byte(`export{}`)},
		"favicon.svg":                {Data: []byte(`<svg/>`)},
	})

	t.Run("client routes answer the app, revalidated, under the policy", func(t *testing.T) {
		for _, path := range []string{"/", "/track/abc", "/u/alice.bsky.social", "/u/alice.test/album/x", "/upload"} {
			rec := get(h, http.MethodGet, path)
			require.Equal(t, http.StatusOK, rec.Code, path)
			require.Contains(t, rec.Body.String(), bootstrap, path)
			require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), path)
			csp := rec.Header().Get("Content-Security-Policy")
			sum := sha256.Sum256([]byte(bootstrap))
			require.Contains(t, csp, "script-src 'self' 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", path)
			require.NotContains(t, csp, "unsafe-eval")
			require.Contains(t, csp, "media-src 'self' blob: https: http://127.0.0.1:9000")
			require.Contains(t, csp, "frame-ancestors 'none'")
		}
	})

	t.Run("hashed assets are cached forever, others for an hour", func(t *testing.T) {
		rec := get(h, http.MethodGet, "/_app/immutable/entry/a1.js")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))
		rec = get(h, http.MethodGet, "/favicon.svg")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "public, max-age=3600", rec.Header().Get("Cache-Control"))
	})

	t.Run("a missing hashed asset is a 404, not the app", func(t *testing.T) {
		require.Equal(t, http.StatusNotFound, get(h, http.MethodGet, "/_app/immutable/entry/old.js").Code)
	})

	t.Run("unknown API paths and other methods are 404s", func(t *testing.T) {
		for _, path := range []string{"/plyr.catalog.v1.CatalogService/Nope", "/audio/x/y"} {
			rec := get(h, http.MethodGet, path)
			require.Equal(t, http.StatusNotFound, rec.Code, path)
			require.False(t, strings.Contains(rec.Body.String(), bootstrap), path)
		}
		require.Equal(t, http.StatusNotFound, get(h, http.MethodPost, "/track/abc").Code)
	})
}

func TestHandler_WithoutABuildServesTheFallback(t *testing.T) {
	h := newHandler(t, nil)
	rec := get(h, http.MethodGet, "/track/abc")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "build the client", rec.Body.String())
}

func TestHandler_GzipsText(t *testing.T) {
	js := strings.Repeat("export const a = 1;\n", 200)
	h := newHandler(t, fstest.MapFS{
		"index.html":                 {Data: []byte(`<html><body><script>` + bootstrap + `</script></body></html>`)},
		"_app/immutable/entry/a1.js": {Data: []byte(js)},
	})
	req := httptest.NewRequest(http.MethodGet, "/_app/immutable/entry/a1.js", nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "gzip", rec.Header().Get("Content-Encoding"))
	require.Contains(t, rec.Header().Get("Content-Type"), "javascript")
	require.Less(t, rec.Body.Len(), len(js)/4)
	zr, err := gzip.NewReader(rec.Body)
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, js, string(plain))

	// Without gzip in Accept-Encoding the bytes are plain.
	rec = get(h, http.MethodGet, "/_app/immutable/entry/a1.js")
	require.Empty(t, rec.Header().Get("Content-Encoding"))
	require.Equal(t, js, rec.Body.String())
}

func TestHandler_HeadAndFraming(t *testing.T) {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	h, err := webclient.New(webclient.Options{
		App:      fstest.MapFS{"index.html": {Data: []byte(`<html><head><title>plyr</title></head><body></body></html>`)}},
		NotFound: notFound, Framable: []string{"/embed/"},
		Head: func(_ context.Context, path string) (string, bool) {
			if path != "/track/1" {
				return "", false
			}
			return `<title>Song · plyr</title><meta property="og:title" content="Song">`, true
		},
	})
	require.NoError(t, err)

	// The security headers middleware denies framing everywhere; the handler lifts it for embeds.
	serve := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Frame-Options", "DENY")
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}

	page := serve("/track/1")
	require.Equal(t, `<html><head><title>Song · plyr</title><meta property="og:title" content="Song"></head><body></body></html>`, page.Body.String(),
		"the page's head replaces the index's title")
	require.Empty(t, page.Header().Get("Last-Modified"), "a page's head follows its data, not the build")
	require.Contains(t, page.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Equal(t, "DENY", page.Header().Get("X-Frame-Options"))

	plain := serve("/track/2")
	require.Contains(t, plain.Body.String(), "<title>plyr</title>")

	embed := serve("/embed/track/1")
	require.Contains(t, embed.Header().Get("Content-Security-Policy"), "frame-ancestors *")
	require.NotContains(t, embed.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Empty(t, embed.Header().Get("X-Frame-Options"), "embeds may be framed by any site")
}
