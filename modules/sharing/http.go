package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/sharing/internal/pages"
)

// page describes the page ref names, from the catalog's public reads; found is false for
// anything that is not public.
func (m *Module) page(ctx context.Context, ref pages.Ref) (p pages.Page, found bool, err error) {
	base := m.cfg.PublicURL
	profile := func(handle, did string) string {
		if handle == "" || handle == "handle.invalid" {
			handle = did
		}
		return base + "/u/" + url.PathEscape(handle)
	}
	p.Ref = ref
	switch ref.Kind {
	case pages.Track:
		t, err := m.catalog.PublicTrack(ctx, ref.ID)
		if err != nil {
			return p, false, notFoundIsFalse(err)
		}
		p.Title, p.Author = t.GetTitle(), artistNames(t)[0]
		p.AuthorURL = profile(t.GetArtistHandle(), t.GetArtistDid())
		p.URL, p.EmbedURL = m.trackURL(t.GetId()), base+"/embed/track/"+t.GetId()
		p.ImageURL, p.DurationS = t.GetImageUrl(), int(t.GetDurationMs()/1000)
		p.Description = "Listen to " + t.GetTitle() + " by " + p.Author
		if album := t.GetAlbum().GetTitle(); album != "" {
			p.Description += ", from " + album
		}
		p.Description += " on " + m.cfg.SiteName + "."
	case pages.Album:
		req := &catalogv1.GetAlbumRequest{Id: ref.ID.String()}
		if ref.Handle != "" {
			req = &catalogv1.GetAlbumRequest{Artist: ref.Handle, Slug: ref.Slug}
		}
		res, err := m.catalog.PublicAlbum(ctx, req)
		if err != nil {
			return p, false, notFoundIsFalse(err)
		}
		a := res.GetAlbum()
		p.Title, p.Author = a.GetTitle(), a.GetArtistDisplayName()
		if p.Author == "" {
			p.Author = a.GetArtistHandle()
		}
		p.AuthorURL = profile(a.GetArtistHandle(), a.GetArtistDid())
		p.URL = p.AuthorURL + "/album/" + url.PathEscape(a.GetSlug())
		p.EmbedURL, p.ImageURL = base+"/embed/album/"+a.GetId(), a.GetImageUrl()
		p.Description = pages.Describe(a.GetDescription(), 200)
		if p.Description == "" {
			p.Description = fmt.Sprintf("%s by %s: %d tracks on %s.", a.GetTitle(), p.Author, len(res.GetTracks()), m.cfg.SiteName)
		}
	case pages.Playlist:
		res, err := m.catalog.PublicPlaylist(ctx, ref.ID)
		if err != nil {
			return p, false, notFoundIsFalse(err)
		}
		pl := res.GetPlaylist()
		p.Title, p.Author = pl.GetName(), pl.GetOwnerHandle()
		p.AuthorURL = profile(pl.GetOwnerHandle(), pl.GetOwnerDid())
		p.URL, p.EmbedURL = base+"/playlist/"+pl.GetId(), base+"/embed/playlist/"+pl.GetId()
		p.ImageURL = pl.GetImageUrl()
		p.Description = fmt.Sprintf("A playlist by %s: %d tracks on %s.", p.Author, pl.GetTrackCount(), m.cfg.SiteName)
	case pages.Artist:
		a, err := m.catalog.PublicArtist(ctx, ref.Handle)
		if err != nil {
			return p, false, notFoundIsFalse(err)
		}
		p.Title = a.GetDisplayName()
		if p.Title == "" {
			p.Title = a.GetHandle()
		}
		p.URL, p.ImageURL = profile(a.GetHandle(), a.GetDid()), a.GetAvatarUrl()
		p.Description = pages.Describe(a.GetBio(), 200)
		if p.Description == "" {
			p.Description = p.Title + " on " + m.cfg.SiteName + "."
		}
	default:
		return p, false, nil
	}
	return p, true, nil
}

func notFoundIsFalse(err error) error {
	if rpc.IsNotFound(err) {
		return nil
	}
	return err
}

// PageHead is the markup for the <head> of the page at path (a track, artist, album or
// playlist): title, description, canonical link, Open Graph and Twitter card tags and
// oEmbed discovery, so link previews and crawlers see the page without running the app.
// ok is false for other paths, and for pages that are not public.
func (m *Module) PageHead(ctx context.Context, path string) (head string, ok bool) {
	// Embed pages set their own head; previews are for the pages people share.
	ref, ok := pages.Parse(path)
	if !ok || strings.HasPrefix(path, "/embed/") {
		return "", false
	}
	p, found, err := m.page(ctx, ref)
	if err != nil {
		m.logger.WarnContext(ctx, "describe a page for its preview", "path", path, "error", err.Error())
		return "", false
	}
	if !found {
		return "", false
	}
	oembed := ""
	if p.EmbedURL != "" {
		oembed = m.cfg.PublicURL + "/oembed?format=json&url=" + url.QueryEscape(p.URL)
	}
	return pages.Head(p, m.cfg.SiteName, oembed), true
}

// handleOEmbed answers GET /oembed?url=…&maxwidth=&maxheight=&format=json for the URL of
// a track, album or playlist on plyr: a rich answer with an iframe of its embed. Another
// URL is 404, another format 501 (as the oEmbed spec says).
func (m *Module) handleOEmbed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		http.Error(w, "only format=json is served", http.StatusNotImplemented)
		return
	}
	ref, ok := pages.ParseURL(q.Get("url"), m.cfg.PublicURL)
	if !ok || ref.Kind == pages.Artist {
		http.Error(w, "no embeddable plyr page at that url", http.StatusNotFound)
		return
	}
	p, found, err := m.page(r.Context(), ref)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	if !found {
		http.Error(w, "no embeddable plyr page at that url", http.StatusNotFound)
		return
	}
	size := pages.EmbedSize(ref.Kind, dimension(q.Get("maxwidth")), dimension(q.Get("maxheight")))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(pages.NewOEmbed(p, size, m.cfg.SiteName, m.cfg.PublicURL))
}

// dimension reads maxwidth or maxheight: a positive number of pixels, or 0 (no bound).
func dimension(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0
	}
	return min(n, 10_000)
}

// handleRobots serves robots.txt.
func (m *Module) handleRobots(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(pages.Robots(m.cfg.PublicURL + "/sitemap.xml")))
}

// sitemapPageSize is how many URLs each sitemap lists (the protocol allows 50,000).
const sitemapPageSize = 10_000

// sitemapTTL is how long a rendered sitemap is served again.
const sitemapTTL = 10 * time.Minute

type cachedSitemap struct {
	body []byte
	at   time.Time
}

var sitemapKinds = []PageKind{PageTracks, PageArtists, PageAlbums, PagePlaylists}

// handleSitemapIndex serves /sitemap.xml: an index of the sitemaps of each kind of page,
// /sitemaps/<kind>-<n>.xml, sitemapPageSize URLs each.
func (m *Module) handleSitemapIndex(w http.ResponseWriter, r *http.Request) {
	m.serveSitemap(w, r, "index", func(ctx context.Context) ([]byte, error) {
		counts, err := m.catalog.PageCounts(ctx)
		if err != nil {
			return nil, err
		}
		var locs []string
		for _, k := range sitemapKinds {
			for n := 1; int64(n-1)*sitemapPageSize < counts[k]; n++ {
				locs = append(locs, fmt.Sprintf("%s/sitemaps/%s-%d.xml", m.cfg.PublicURL, k, n))
			}
		}
		return pages.SitemapIndex(locs), nil
	})
}

var sitemapName = regexp.MustCompile(`^(tracks|artists|albums|playlists)-([1-9][0-9]{0,5})\.xml$`)

// handleSitemap serves one sitemap: /sitemaps/<kind>-<n>.xml.
func (m *Module) handleSitemap(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	match := sitemapName.FindStringSubmatch(name)
	if match == nil {
		http.NotFound(w, r)
		return
	}
	kind := PageKind(match[1])
	n, _ := strconv.Atoi(match[2])
	m.serveSitemap(w, r, name, func(ctx context.Context) ([]byte, error) {
		entries, err := m.catalog.Pages(ctx, kind, (n-1)*sitemapPageSize, sitemapPageSize)
		if err != nil {
			return nil, err
		}
		urls, err := m.sitemapURLs(ctx, kind, entries)
		if err != nil {
			return nil, err
		}
		return pages.Sitemap(urls), nil
	})
}

func (m *Module) sitemapURLs(ctx context.Context, kind PageKind, entries []PageEntry) ([]pages.SitemapURL, error) {
	var dids []string
	for _, e := range entries {
		if e.ArtistDID != "" {
			dids = append(dids, e.ArtistDID)
		}
	}
	people := map[string]Person{}
	if len(dids) > 0 {
		var err error
		if people, err = m.accounts.People(ctx, dids); err != nil {
			return nil, err
		}
	}
	profile := func(did string) string {
		handle := people[did].Handle
		if handle == "" || handle == "handle.invalid" {
			handle = did
		}
		return m.cfg.PublicURL + "/u/" + url.PathEscape(handle)
	}
	urls := make([]pages.SitemapURL, 0, len(entries))
	for _, e := range entries {
		var loc string
		switch kind {
		case PageTracks:
			loc = m.trackURL(e.ID.String())
		case PagePlaylists:
			loc = m.cfg.PublicURL + "/playlist/" + e.ID.String()
		case PageArtists:
			loc = profile(e.ArtistDID)
		case PageAlbums:
			loc = profile(e.ArtistDID) + "/album/" + url.PathEscape(e.Slug)
		}
		urls = append(urls, pages.SitemapURL{Loc: loc, LastMod: pages.LastMod(e.UpdatedAt)})
	}
	return urls, nil
}

// serveSitemap answers with the sitemap cached under key, rendering it when missing or
// older than sitemapTTL.
func (m *Module) serveSitemap(w http.ResponseWriter, r *http.Request, key string, render func(context.Context) ([]byte, error)) {
	m.sitemapMu.Lock()
	c, ok := m.sitemaps[key]
	m.sitemapMu.Unlock()
	if !ok || time.Since(c.at) > sitemapTTL {
		body, err := render(r.Context())
		if err != nil {
			rpc.WriteHTTPError(w, r, m.logger, err)
			return
		}
		c = cachedSitemap{body: body, at: time.Now()}
		m.sitemapMu.Lock()
		if len(m.sitemaps) > 1000 { // numbered pages are bounded by the catalog; keep the map so too
			m.sitemaps = map[string]cachedSitemap{}
		}
		m.sitemaps[key] = c
		m.sitemapMu.Unlock()
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=600")
	_, _ = w.Write(c.body)
}
