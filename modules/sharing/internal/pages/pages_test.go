package pages

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	id := uuid.New()
	site := "https://plyr.example"
	tests := []struct {
		url  string
		want Ref
		ok   bool
	}{
		{site + "/track/" + id.String(), Ref{Kind: Track, ID: id}, true},
		{site + "/track/" + id.String() + "?ref=abcdEFGH&t=90#x", Ref{Kind: Track, ID: id}, true},
		{site + "/embed/track/" + id.String(), Ref{Kind: Track, ID: id}, true},
		{site + "/playlist/" + id.String(), Ref{Kind: Playlist, ID: id}, true},
		{site + "/embed/album/" + id.String(), Ref{Kind: Album, ID: id}, true},
		{site + "/u/alice.example/album/first-light", Ref{Kind: Album, Handle: "alice.example", Slug: "first-light"}, true},
		{site + "/u/alice.example", Ref{Kind: Artist, Handle: "alice.example"}, true},
		{"HTTPS://PLYR.EXAMPLE/track/" + id.String(), Ref{Kind: Track, ID: id}, true},
		{"https://evil.example/track/" + id.String(), Ref{}, false},
		{"https://plyr.example.evil.example/track/" + id.String(), Ref{}, false},
		{"javascript:alert(1)", Ref{}, false},
		{site + "/track/not-a-uuid", Ref{}, false},
		{site + "/track/" + id.String() + "/comments", Ref{}, false},
		{site + "/upload", Ref{}, false},
		{"/track/" + id.String(), Ref{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseURL(tt.url, site)
		require.Equal(t, tt.ok, ok, tt.url)
		require.Equal(t, tt.want, got, tt.url)
	}
}

func TestEmbedSize(t *testing.T) {
	require.Equal(t, Size{400, 165}, EmbedSize(Track, 0, 0))
	require.Equal(t, Size{800, 165}, EmbedSize(Track, 5000, 5000), "never more than the limit")
	require.Equal(t, Size{300, 120}, EmbedSize(Track, 300, 120), "never more than the consumer allows")
	require.Equal(t, Size{400, 380}, EmbedSize(Album, 0, 0))
	require.Equal(t, Size{800, 600}, EmbedSize(Playlist, 900, 900))
}

func TestHead_EscapesEverything(t *testing.T) {
	p := Page{
		Ref: Ref{Kind: Track}, Title: `"><script>alert(1)</script>`, Author: "A & B", AuthorURL: "https://plyr.example/u/ab",
		URL: "https://plyr.example/track/1", EmbedURL: "https://plyr.example/embed/track/1", ImageURL: "https://img.example/a.jpg",
		Description: "Listen <now>", DurationS: 215,
	}
	head := Head(p, "plyr", "https://plyr.example/oembed?format=json&url=x")
	require.NotContains(t, head, "<script>")
	require.Contains(t, head, `<meta property="og:title" content="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`)
	require.Contains(t, head, `<meta property="og:type" content="music.song">`)
	require.Contains(t, head, `<meta property="og:image" content="https://img.example/a.jpg">`)
	require.Contains(t, head, `<meta name="twitter:card" content="player">`)
	require.Contains(t, head, `<meta name="twitter:player" content="https://plyr.example/embed/track/1">`)
	require.Contains(t, head, `<meta property="music:duration" content="215">`)
	require.Contains(t, head, `<link rel="alternate" type="application/json+oembed" href="https://plyr.example/oembed?format=json&amp;url=x"`)
	require.Contains(t, head, `<link rel="canonical" href="https://plyr.example/track/1">`)
	require.Contains(t, head, `<title>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; – A &amp; B · plyr</title>`)

	// Over plain http (development) Twitter would not play the embed: a summary card.
	p.EmbedURL = "http://127.0.0.1/embed/track/1"
	require.Contains(t, Head(p, "plyr", ""), `<meta name="twitter:card" content="summary">`)
}

func TestOEmbed(t *testing.T) {
	p := Page{Ref: Ref{Kind: Track}, Title: "Song", Author: "Alice", AuthorURL: "https://plyr.example/u/alice",
		EmbedURL: `https://plyr.example/embed/track/1"onload="x`, ImageURL: "https://img.example/a.jpg"}
	o := NewOEmbed(p, Size{400, 165}, "plyr", "https://plyr.example")
	require.Equal(t, "rich", o.Type)
	require.Equal(t, "1.0", o.Version)
	require.Equal(t, "Song - Alice", o.Title)
	require.Equal(t, 300, o.ThumbnailWidth)
	require.Contains(t, o.HTML, `src="https://plyr.example/embed/track/1&#34;onload=&#34;x"`)
	require.Contains(t, o.HTML, `width="400" height="165"`)
}

func TestSitemapAndRobots(t *testing.T) {
	body := Sitemap([]SitemapURL{{Loc: "https://plyr.example/track/1?a=1&b=2", LastMod: "2026-12-02"}})
	var doc struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	require.NoError(t, xml.Unmarshal(body, &doc))
	require.Equal(t, "https://plyr.example/track/1?a=1&b=2", doc.URLs[0].Loc)
	require.Contains(t, string(body), `xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"`)
	require.Contains(t, string(SitemapIndex([]string{"https://plyr.example/sitemaps/tracks-1.xml"})), "<sitemapindex")

	robots := Robots("https://plyr.example/sitemap.xml")
	require.Contains(t, robots, "User-agent: GPTBot\nDisallow: /\n")
	require.Contains(t, robots, "User-agent: *\nAllow: /\n")
	require.Contains(t, robots, "Disallow: /portal\n")
	require.True(t, strings.HasSuffix(robots, "Sitemap: https://plyr.example/sitemap.xml\n"))
}

func TestDescribe(t *testing.T) {
	require.Equal(t, "a b c", Describe("  a\n b\t c ", 10))
	require.Equal(t, "one two…", Describe("one two three four", 10))
}
