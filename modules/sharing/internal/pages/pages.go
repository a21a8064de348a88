// Package pages is what the public site says about itself outside the app: the pages a
// URL names (for oEmbed and link previews), the meta tags crawlers read, the oEmbed
// answer, the sitemap and robots.txt. It is pure: the module reads the catalog and hands
// the facts in.
package pages

import (
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kind is a kind of public page.
type Kind string

// The pages plyr renders for others.
const (
	Track    Kind = "track"
	Album    Kind = "album"
	Playlist Kind = "playlist"
	Artist   Kind = "artist"
)

// Ref names a page: ID for tracks and playlists (and albums by id, from an embed URL);
// Handle and Slug for artists and albums.
type Ref struct {
	Kind   Kind
	ID     uuid.UUID
	Handle string
	Slug   string
}

var (
	trackPath    = regexp.MustCompile(`^/(?:embed/)?track/([0-9a-fA-F-]{36})/?$`)
	playlistPath = regexp.MustCompile(`^/(?:embed/)?playlist/([0-9a-fA-F-]{36})/?$`)
	albumIDPath  = regexp.MustCompile(`^/embed/album/([0-9a-fA-F-]{36})/?$`)
	albumPath    = regexp.MustCompile(`^/u/([^/]{1,253})/album/([a-z0-9-]{1,100})/?$`)
	artistPath   = regexp.MustCompile(`^/u/([^/]{1,253})/?$`)
)

// Parse names the page at path (of plyr's own site): /track/<id>, /u/<handle>,
// /u/<handle>/album/<slug>, /playlist/<id>, and the embeds of the three that have one.
func Parse(path string) (Ref, bool) {
	if m := trackPath.FindStringSubmatch(path); m != nil {
		return withID(Track, m[1])
	}
	if m := playlistPath.FindStringSubmatch(path); m != nil {
		return withID(Playlist, m[1])
	}
	if m := albumIDPath.FindStringSubmatch(path); m != nil {
		return withID(Album, m[1])
	}
	if m := albumPath.FindStringSubmatch(path); m != nil {
		handle, err := url.PathUnescape(m[1])
		if err != nil {
			return Ref{}, false
		}
		return Ref{Kind: Album, Handle: handle, Slug: m[2]}, true
	}
	if m := artistPath.FindStringSubmatch(path); m != nil {
		handle, err := url.PathUnescape(m[1])
		if err != nil {
			return Ref{}, false
		}
		return Ref{Kind: Artist, Handle: handle}, true
	}
	return Ref{}, false
}

func withID(k Kind, s string) (Ref, bool) {
	id, err := uuid.Parse(s)
	return Ref{Kind: k, ID: id}, err == nil
}

// ParseURL names the page a full URL points at, which must be on site (plyr's public
// URL: same scheme and host). Queries (?ref=, ?t=) and fragments are ignored.
func ParseURL(raw, site string) (Ref, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Ref{}, false
	}
	s, err := url.Parse(site)
	if err != nil || !strings.EqualFold(u.Host, s.Host) || (u.Scheme != "http" && u.Scheme != "https") {
		return Ref{}, false
	}
	return Parse(u.EscapedPath())
}

// Page is what a page shows a preview of.
type Page struct {
	Ref         Ref
	Title       string
	Description string
	// Author is the artist (or a playlist's owner); AuthorURL their page.
	Author, AuthorURL string
	// URL is the page's canonical URL; EmbedURL its player's, "" for none.
	URL, EmbedURL string
	ImageURL      string
	DurationS     int
}

// Size is an embed's size in CSS pixels.
type Size struct{ Width, Height int }

// EmbedSize is the frame an embed of kind is offered in, within maxWidth and maxHeight
// (0: unbounded), as oEmbed asks: a track is a bar, 400×165 unless the consumer wants it
// smaller (at most 800 wide); albums and playlists have room for their list, 400×380 (at
// most 800×600). A consumer that allows less gets less: the embed's layouts go down to a
// 120-pixel "micro" bar.
func EmbedSize(kind Kind, maxWidth, maxHeight int) Size {
	s, limit := Size{400, 165}, Size{800, 165}
	if kind != Track {
		s, limit = Size{400, 380}, Size{800, 600}
	}
	if maxWidth > 0 {
		s.Width = min(maxWidth, limit.Width)
	}
	if maxHeight > 0 {
		s.Height = min(maxHeight, limit.Height)
	}
	return s
}

// OEmbed is an oEmbed 1.0 "rich" answer.
type OEmbed struct {
	Version         string `json:"version"`
	Type            string `json:"type"`
	ProviderName    string `json:"provider_name"`
	ProviderURL     string `json:"provider_url"`
	Title           string `json:"title"`
	AuthorName      string `json:"author_name,omitempty"`
	AuthorURL       string `json:"author_url,omitempty"`
	HTML            string `json:"html"`
	Width           int    `json:"width"`
	Height          int    `json:"height"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
	CacheAge        int    `json:"cache_age,omitempty"`
}

// NewOEmbed is p's oEmbed answer: an iframe of its embed in size.
func NewOEmbed(p Page, size Size, provider, providerURL string) OEmbed {
	title := p.Title
	if p.Author != "" && p.Ref.Kind == Track {
		title = p.Title + " - " + p.Author
	}
	frame := fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" style="border:0;border-radius:8px" allow="autoplay; encrypted-media" loading="lazy" title="%s"></iframe>`,
		html.EscapeString(p.EmbedURL), size.Width, size.Height, html.EscapeString(title+" on "+provider))
	o := OEmbed{
		Version: "1.0", Type: "rich", ProviderName: provider, ProviderURL: providerURL, Title: title,
		AuthorName: p.Author, AuthorURL: p.AuthorURL, HTML: frame, Width: size.Width, Height: size.Height,
		CacheAge: 3600,
	}
	if p.ImageURL != "" {
		o.ThumbnailURL, o.ThumbnailWidth, o.ThumbnailHeight = p.ImageURL, 300, 300
	}
	return o
}

// Head is the markup for a page's <head>: its title, description, canonical link, Open
// Graph and Twitter card tags, and oEmbed discovery. Every value is escaped.
func Head(p Page, siteName, oembedURL string) string {
	var b strings.Builder
	tag := func(attr, name, content string) {
		if content != "" {
			fmt.Fprintf(&b, `<meta %s="%s" content="%s">`+"\n", attr, name, html.EscapeString(content))
		}
	}
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(titleOf(p, siteName)))
	tag("name", "description", p.Description)
	fmt.Fprintf(&b, `<link rel="canonical" href="%s">`+"\n", html.EscapeString(p.URL))
	tag("property", "og:site_name", siteName)
	tag("property", "og:type", ogType(p.Ref.Kind))
	tag("property", "og:title", p.Title)
	tag("property", "og:description", p.Description)
	tag("property", "og:url", p.URL)
	tag("property", "og:image", p.ImageURL)
	if p.Ref.Kind == Track && p.DurationS > 0 {
		tag("property", "music:duration", fmt.Sprint(p.DurationS))
	}
	if p.Ref.Kind == Track && p.AuthorURL != "" {
		tag("property", "music:musician", p.AuthorURL)
	}
	card := "summary"
	if p.EmbedURL != "" && strings.HasPrefix(p.EmbedURL, "https://") {
		// Twitter plays embeds only from https; elsewhere a summary card is the honest one.
		card = "player"
	}
	tag("name", "twitter:card", card)
	tag("name", "twitter:title", p.Title)
	tag("name", "twitter:description", p.Description)
	tag("name", "twitter:image", p.ImageURL)
	if card == "player" {
		size := EmbedSize(p.Ref.Kind, 0, 0)
		tag("name", "twitter:player", p.EmbedURL)
		tag("name", "twitter:player:width", fmt.Sprint(size.Width))
		tag("name", "twitter:player:height", fmt.Sprint(size.Height))
	}
	if oembedURL != "" {
		fmt.Fprintf(&b, `<link rel="alternate" type="application/json+oembed" href="%s" title="%s">`+"\n",
			html.EscapeString(oembedURL), html.EscapeString(p.Title))
	}
	return b.String()
}

func titleOf(p Page, site string) string {
	if p.Ref.Kind == Track && p.Author != "" {
		return p.Title + " – " + p.Author + " · " + site
	}
	return p.Title + " · " + site
}

func ogType(k Kind) string {
	switch k {
	case Track:
		return "music.song"
	case Album:
		return "music.album"
	case Playlist:
		return "music.playlist"
	default:
		return "profile"
	}
}

// Describe shortens text for a description: one line, at most n characters, cut at a word.
func Describe(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// SitemapURL is one page in a sitemap.
type SitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// Sitemap renders a sitemap (sitemaps.org 0.9) of urls.
func Sitemap(urls []SitemapURL) []byte {
	doc := struct {
		XMLName xml.Name     `xml:"urlset"`
		NS      string       `xml:"xmlns,attr"`
		URLs    []SitemapURL `xml:"url"`
	}{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", URLs: urls}
	out, _ := xml.MarshalIndent(doc, "", " ")
	return append([]byte(xml.Header), out...)
}

// SitemapIndex renders a sitemap index of the sitemaps at locs.
func SitemapIndex(locs []string) []byte {
	type entry struct {
		Loc string `xml:"loc"`
	}
	doc := struct {
		XMLName xml.Name `xml:"sitemapindex"`
		NS      string   `xml:"xmlns,attr"`
		Maps    []entry  `xml:"sitemap"`
	}{NS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
	for _, l := range locs {
		doc.Maps = append(doc.Maps, entry{l})
	}
	out, _ := xml.MarshalIndent(doc, "", " ")
	return append([]byte(xml.Header), out...)
}

// LastMod is a sitemap's date for t.
func LastMod(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// Robots is robots.txt: search engines may index the public pages; the account pages,
// the API, audio and embeds are not for them; crawlers that collect training data are
// turned away while assistants fetching a page for a person are not (as plyr.fm did).
func Robots(sitemapURL string) string {
	var b strings.Builder
	for _, bot := range []string{"GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended", "anthropic-ai", "Bytespider"} {
		fmt.Fprintf(&b, "User-agent: %s\nDisallow: /\n\n", bot)
	}
	for _, bot := range []string{"ChatGPT-User", "Claude-User", "PerplexityBot"} {
		fmt.Fprintf(&b, "User-agent: %s\nAllow: /\n\n", bot)
	}
	b.WriteString("User-agent: *\nAllow: /\n")
	for _, p := range []string{"/portal", "/settings", "/library", "/upload", "/login", "/admin", "/search",
		"/embed/", "/audio/", "/images/", "/exports/", "/auth/", "/plyr.", "/queue", "/now-playing/", "/oembed"} {
		fmt.Fprintf(&b, "Disallow: %s\n", p)
	}
	fmt.Fprintf(&b, "\nSitemap: %s\n", sitemapURL)
	return b.String()
}
