package facets

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// at builds the Link for the first occurrence of linkText in text.
func at(t *testing.T, text, linkText, uri string) Link {
	t.Helper()
	i := strings.Index(text, linkText)
	require.GreaterOrEqual(t, i, 0, "%q not in %q", linkText, text)
	return Link{Start: i, End: i + len(linkText), URI: uri}
}

func TestLinksExactOffsets(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Link
	}{
		{"full url", "https://example.com", []Link{{0, 19, "https://example.com"}}},
		{"bare domain in a sentence", "hi example.com!", []Link{{3, 14, "https://example.com"}}},
		{"emoji before", "🎵 example.com", []Link{{5, 16, "https://example.com"}}}, // 🎵 is 4 bytes
		{"emoji right before", "🎵example.com", []Link{{4, 15, "https://example.com"}}},
		{"accented letters before", "café über https://x.io/a", []Link{{12, 26, "https://x.io/a"}}}, // é, ü are 2 bytes
		{"two links", "a.com and http://b.org/x.", []Link{
			{0, 5, "https://a.com"},
			{10, 24, "http://b.org/x"},
		}},
		{"uppercase scheme", "HTTPS://Example.com/Path", []Link{{0, 24, "https://Example.com/Path"}}},
		{"mixed case scheme", "HtTp://a.b.cd", []Link{{0, 13, "http://a.b.cd"}}},
		{"parenthesised", "(see example.com)", []Link{{5, 16, "https://example.com"}}},
		{"non-ASCII path is percent-encoded", "x.de/zürich ok", []Link{{0, 12, "https://x.de/z%C3%BCrich"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Links(tt.text)
			require.Equal(t, tt.want, got)
			for _, l := range got {
				require.True(t, utf8.ValidString(tt.text[l.Start:l.End]))
			}
		})
	}
}

func TestLinks(t *testing.T) {
	type want struct{ text, uri string } // text is found in the input with strings.Index
	tests := []struct {
		name string
		text string
		want []want
	}{
		// Full URLs.
		{"https", "listen at https://plyr.fm/artist/x now", []want{{"https://plyr.fm/artist/x", "https://plyr.fm/artist/x"}}},
		{"http", "old site http://example.org", []want{{"http://example.org", "http://example.org"}}},
		{"query and fragment", "https://a.com/p?q=1&r=2#frag", []want{{"https://a.com/p?q=1&r=2#frag", "https://a.com/p?q=1&r=2#frag"}}},
		{"uppercase HTTP", "HTTP://A.COM", []want{{"HTTP://A.COM", "http://A.COM"}}},
		{"localhost", "http://localhost:8080/x", []want{{"http://localhost:8080/x", "http://localhost:8080/x"}}},
		{"ipv4 with port", "http://192.168.0.1:3000", []want{{"http://192.168.0.1:3000", "http://192.168.0.1:3000"}}},
		{"ipv6", "http://[::1]:80/a", []want{{"http://[::1]:80/a", "http://[::1]:80/a"}}},
		{"single label", "https://intranet/wiki", []want{{"https://intranet/wiki", "https://intranet/wiki"}}},
		{"angle brackets", "<https://a.com/x>", []want{{"https://a.com/x", "https://a.com/x"}}},
		{"in quotes", `"https://a.com/x"`, []want{{"https://a.com/x", "https://a.com/x"}}},
		{"comma separated", "https://a.com,https://b.com", []want{{"https://a.com", "https://a.com"}, {"https://b.com", "https://b.com"}}},
		{"stray percent", "https://a.com/100%", []want{{"https://a.com/100%", "https://a.com/100%25"}}},
		{"percent escape kept", "https://a.com/a%20b", []want{{"https://a.com/a%20b", "https://a.com/a%20b"}}},
		{"scheme alone", "https://", nil},
		{"scheme alone in text", "see https:// here", nil},
		{"scheme then slash", "https:///x", nil},
		{"scheme glued to a word", "xhttps://a.com", nil},
		{"userinfo", "https://user@example.com", nil},
		{"bad ipv4", "http://1.2.3", nil},
		{"ipv4 out of range", "http://1.2.3.400", nil},
		{"port too big", "http://a.com:70000", nil},
		{"bad ipv6", "http://[::g]/", nil},
		{"javascript", "javascript:alert(1)", nil},
		{"javascript with url", "javascript://a.com/%0aalert(1)", nil},
		{"ftp", "ftp://a.com/x", nil},
		{"mailto", "mailto:me@example.com", nil},

		// Bare domains.
		{"bare", "example.com", []want{{"example.com", "https://example.com"}}},
		{"bare path and query", "go to example.com/path?q=1 now", []want{{"example.com/path?q=1", "https://example.com/path?q=1"}}},
		{"subdomain and ccTLD", "sub.example.co.uk/x", []want{{"sub.example.co.uk/x", "https://sub.example.co.uk/x"}}},
		{"bare keeps case", "Example.COM", []want{{"Example.COM", "https://Example.COM"}}},
		{"hyphens", "my-band.example.net", []want{{"my-band.example.net", "https://my-band.example.net"}}},
		{"possessive", "example.com's new EP", []want{{"example.com", "https://example.com"}}},
		{"after colon", "site:example.com", []want{{"example.com", "https://example.com"}}},
		{"punycode label", "xn--mnchen-3ya.de", []want{{"xn--mnchen-3ya.de", "https://xn--mnchen-3ya.de"}}},
		{"punycode TLD", "example.xn--p1ai", []want{{"example.xn--p1ai", "https://example.xn--p1ai"}}},
		{"bare ipv4", "192.168.0.1", nil},
		{"bare localhost", "localhost", nil},
		{"bare port", "example.com:8080", nil},
		{"single letter TLD", "e.g. this", nil},
		{"numeric TLD", "version 1.2.3", nil},
		{"hyphen before", "-a.com", nil}, // "-" before "a" starts no word
		{"label ends with hyphen", "a-.com", nil},
		{"empty label", "a..com", nil},
		{"label too long", strings.Repeat("a", 64) + ".com", nil},
		{"63-byte label", strings.Repeat("a", 63) + ".com", []want{{strings.Repeat("a", 63) + ".com", "https://" + strings.Repeat("a", 63) + ".com"}}},
		{"host too long", strings.Repeat("abcdefghi.", 26) + "com", nil},
		{"TLD too long", "a." + strings.Repeat("a", 64), nil},

		// Emails and words.
		{"email", "mail me@example.com", nil},
		{"email with dotted name", "first.last@example.com", nil},
		{"inside a word", "fooexample.com", []want{{"fooexample.com", "https://fooexample.com"}}},
		{"after a letter", "éexample.com", nil},
		{"after a slash", "a/example.com", nil},
		{"after a hashtag", "#example.com", nil},
		{"underscore after host", "example.com_x", nil},
		{"raw IDN host", "münchen.de", nil},
		{"raw IDN full url", "https://münchen.de", nil},
		{"raw IDN full url whole token skipped", "https://例え.jp/a.com", nil},
		{"CJK right after host", "example.comです", nil},
		{"CJK punctuation after host", "example.com。次", []want{{"example.com", "https://example.com"}}},
		{"CJK path then punctuation", "example.com/東京。", []want{{"example.com/東京", "https://example.com/%E6%9D%B1%E4%BA%AC"}}},
		{"emoji after link", "https://a.com/x🔥", []want{{"https://a.com/x", "https://a.com/x"}}},

		// File names.
		{"mp3", "new track.mp3 out", nil},
		{"wav uppercase", "MIX.WAV", nil},
		{"jpeg", "cover.jpeg", nil},
		{"pdf", "rider.pdf", nil},
		{"zip", "stems.zip", nil},
		{"file name in full url is fine", "https://a.com/track.mp3", []want{{"https://a.com/track.mp3", "https://a.com/track.mp3"}}},

		// Trailing punctuation and brackets.
		{"full stop", "Visit example.com.", []want{{"example.com", "https://example.com"}}},
		{"all trailing", "x https://a.com/p.,;:!?'", []want{{"https://a.com/p", "https://a.com/p"}}},
		{"question", "have you seen a.com?", []want{{"a.com", "https://a.com"}}},
		{"parens around full url", "(https://a.com/x)", []want{{"https://a.com/x", "https://a.com/x"}}},
		{"wikipedia parens kept", "https://en.wikipedia.org/wiki/Foo_(bar)", []want{{"https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"}}},
		{"wikipedia parens inside parens", "(https://en.wikipedia.org/wiki/Foo_(bar)).", []want{{"https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"}}},
		{"brackets", "[a.com/x]", []want{{"a.com/x", "https://a.com/x"}}},
		{"matched brackets kept", "a.com/x[1]", []want{{"a.com/x[1]", "https://a.com/x[1]"}}},
		{"paren then full stop", "(example.com).", []want{{"example.com", "https://example.com"}}},
		{"quoted", `'example.com'`, []want{{"example.com", "https://example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []Link
			for _, w := range tt.want {
				want = append(want, at(t, tt.text, w.text, w.uri))
			}
			require.Equal(t, want, Links(tt.text))
		})
	}
}

func TestLinksURILength(t *testing.T) {
	path := strings.Repeat("a", MaxURILength-len("https://a.com/"))
	require.Equal(t, []Link{{0, 14 + len(path), "https://a.com/" + path}}, Links("https://a.com/"+path))
	require.Nil(t, Links("https://a.com/"+path+"b"), "2049 bytes")
	require.Nil(t, Links("a.com/"+path+"bc"), "bare: the URI counts https://")
	// Percent-encoding counts: each é is 2 bytes of text and 6 of URI.
	require.Nil(t, Links("https://a.com/"+strings.Repeat("é", 340)))
	// The skipped link hides nothing inside it, and the links after it are found.
	long := "https://a.com/" + strings.Repeat("x", MaxURILength) + "?u=b.com"
	text := long + " c.com"
	require.Equal(t, []Link{{len(long) + 1, len(text), "https://c.com"}}, Links(text))
}

func TestLinksCap(t *testing.T) {
	got := Links(strings.Repeat("a.com ", 10000))
	require.Len(t, got, MaxLinks)
	for k, l := range got {
		require.Equal(t, Link{6 * k, 6*k + 5, "https://a.com"}, l)
	}
}

func TestLinksHostile(t *testing.T) {
	// Inputs that would make a naive scanner rescan: each finishes in linear time.
	for _, text := range []string{
		strings.Repeat("a.bc,", 100000),
		strings.Repeat("a.", 100000),
		strings.Repeat("a-", 100000) + ".com",
		"a.com/" + strings.Repeat("(", 100000) + strings.Repeat(")", 100000),
		"a.com/" + strings.Repeat(".", 200000),
		"https://" + strings.Repeat("a.com/https://", 100000),
		strings.Repeat("https://", 100000),
		strings.Repeat("é", 100000),
	} {
		got := Links(text)
		require.LessOrEqual(t, len(got), MaxLinks)
	}
}

func FuzzLinks(f *testing.F) {
	for _, s := range []string{
		"", "https://", "example.com", "see (https://en.wikipedia.org/wiki/Foo_(bar)).",
		"me@example.com", "track.mp3", "🎵 a.com/zürich", "http://[::1]:80/a", "HTTP://A.COM",
		"example.comです", "a.com,b.com", "https://a.com/100%", "\xff\xfea.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		links := Links(text)
		require.LessOrEqual(t, len(links), MaxLinks)
		prev := 0
		for _, l := range links {
			require.LessOrEqual(t, prev, l.Start, "ordered and non-overlapping")
			require.Less(t, l.Start, l.End, "non-empty")
			require.LessOrEqual(t, l.End, len(text))
			require.True(t, strings.HasPrefix(l.URI, "https://") || strings.HasPrefix(l.URI, "http://"), l.URI)
			require.LessOrEqual(t, len(l.URI), MaxURILength)
			for k := 0; k < len(l.URI); k++ {
				require.True(t, l.URI[k] > ' ' && l.URI[k] < 0x7f, "URI is printable ASCII: %q", l.URI)
			}
			require.True(t, utf8.ValidString(text[l.Start:l.End]))
			prev = l.End
		}
	})
}
