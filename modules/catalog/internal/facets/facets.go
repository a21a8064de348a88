// Package facets finds the links in an artist's bio, so the server can store them as
// ATProto rich-text facets (app.bsky.richtext.facet#link over a byteSlice) and every client
// renders the same links instead of each guessing with its own linkifier.
//
// The detection is a small hand-written scanner, not a regular expression: it looks at
// each byte a bounded number of times, so any bio is scanned in linear time, and it stops
// after MaxLinks links.
//
// # What is a link
//
// A link starts at an ASCII letter or digit that begins a word: it is the first character
// of the text, or the character before it is not a letter, digit or combining mark (in any
// script) and not one of . @ / - _ # % + = & ~ (so nothing inside an email address, a
// path, a hashtag or a word becomes a link). From there, it is one of:
//
//   - A full URL: "http://" or "https://", in any letter case, then a host, an optional
//     port (":" and 1–5 digits, at most 65535), then optionally a path, query or fragment
//     beginning with "/", "?" or "#". The host is a hostname (dot-separated labels of
//     1–63 ASCII letters, digits and hyphens, no label starting or ending with a hyphen,
//     at most 253 bytes; single labels such as "localhost" are fine), an IPv4 address
//     (a hostname whose last label is all digits must be a dotted-quad address), or an
//     IPv6 address in brackets. Userinfo ("user@host") is not linked. No other scheme
//     ("javascript:", "ftp:", "mailto:") is ever a link. A token that starts with a
//     scheme but is not a valid link (for example "https://" alone) is skipped whole, so
//     no half of it is linked instead.
//   - A bare domain: a hostname as above with at least two labels whose last label, the
//     TLD, is 2–63 ASCII letters (or a punycode "xn--" label), then optionally a path,
//     query or fragment. No IP addresses, no "localhost", no port ("example.com:8080" is
//     not linked). Any alphabetic TLD is accepted (no list of real TLDs to keep up to
//     date), except the common file extensions in fileExtensions ("track.mp3",
//     "cover.jpg" and "notes.pdf" are file names, not sites).
//
// After the host (and port), the link goes on only with "/", "?" or "#". Otherwise it ends
// there if the next character is one of the trailing punctuation below, a character that
// ends a link, or the end of the text ("example.com's new EP" links "example.com"), and it
// is no link at all if the next character is anything else ("me.name@example.com",
// "example.comです").
//
// A path, query or fragment runs until the first whitespace, control character, invalid
// UTF-8, ASCII character that cannot appear in a URI (< > " { } | \ ^ and backtick), or
// non-ASCII character that is not a letter, digit or mark: accented and CJK letters stay
// in the link (IRI paths such as "/wiki/Zürich"), while emoji and non-ASCII punctuation
// ("。", "」", "—") end it, which is what a reader means in text without spaces.
//
// Trailing punctuation is not part of a link: . , ; : ! ? ' " are removed from its end,
// and so is a closing ")" or "]" that has no opener inside the link. So "(see
// example.com)." links "example.com", while "https://en.wikipedia.org/wiki/Foo_(bar)"
// keeps its parenthesis.
//
// # Hosts outside ASCII
//
// Raw non-ASCII hostnames ("münchen.de", "https://例え.jp") are not linked: which
// characters IDNA allows, and how they map, is a large table that every client would
// have to agree on, and lookalike letters are a phishing tool. Their punycode form
// ("xn--mnchen-3ya.de") is an ordinary hostname and is linked.
//
// # The URI
//
// Link.URI is what the link points to: for a full URL, the text with its scheme lowercased;
// for a bare domain, "https://" followed by the text. In both, bytes outside ASCII (in a
// path) are percent-encoded as UTF-8 and a "%" not followed by two hex digits becomes
// "%25", so the URI is plain ASCII as ATProto's uri format requires. A link whose URI
// would be longer than MaxURILength bytes is skipped.
//
// Start and End are byte offsets into the text, as facets count them, so text[Start:End]
// is exactly the visible link text, whatever multi-byte characters come before it.
package facets

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Link is a link found in a text: Start and End are UTF-8 byte offsets into the text
// (End exclusive), as ATProto facets (app.bsky.richtext.facet byteSlice) count them; URI
// is the absolute https (or http) URI it points to.
type Link struct {
	Start, End int
	URI        string
}

// MaxLinks bounds how many links Links returns. A real bio has a handful of links; 50
// leaves plenty of room for a link-list bio while keeping the stored facets, and the work
// done for a hostile bio of thousands of domains, small. Links after the 50th are plain
// text.
const MaxLinks = 50

// MaxURILength is the longest URI, in bytes, that Links returns; longer links are
// skipped. 2048 is the traditional safe URL length for browsers and servers.
const MaxURILength = 2048

// fileExtensions are the "TLDs" that make a bare word a file name rather than a domain.
// Some of them are real TLDs (.zip is), but in a musician's bio "demo.zip" is a file.
var fileExtensions = map[string]bool{
	"mp3": true, "wav": true, "flac": true, "aif": true, "aiff": true,
	"ogg": true, "opus": true, "m4a": true, "aac": true,
	"mid": true, "midi": true,
	"jpg": true, "jpeg": true, "png": true, "gif": true, "webp": true,
	"txt": true, "pdf": true, "zip": true,
}

// Links returns the links in text, in order, never overlapping, at most MaxLinks of them.
// It returns nil when there are none.
func Links(text string) []Link {
	var links []Link
	for i := 0; i < len(text) && len(links) < MaxLinks; {
		if !isAlnum(text[i]) || !startsWord(text, i) {
			i++
			continue
		}
		l, next, ok := linkAt(text, i)
		if ok {
			links = append(links, l)
			i = l.End
			continue
		}
		i = max(next, i+1)
	}
	return links
}

// linkAt reads the link starting at text[i], if there is one. When there is none, next
// is where scanning may resume: every position before it is known to start no link.
func linkAt(text string, i int) (l Link, next int, ok bool) {
	if n := schemeLen(text, i); n > 0 {
		return fullURL(text, i, n)
	}
	return bareDomain(text, i)
}

// schemeLen returns the length of the "http://" or "https://" (in any case) at text[i],
// or 0.
func schemeLen(text string, i int) int {
	for _, s := range [...]string{"https://", "http://"} {
		if len(text)-i >= len(s) && strings.EqualFold(text[i:i+len(s)], s) {
			return len(s)
		}
	}
	return 0
}

func fullURL(text string, i, n int) (Link, int, bool) {
	p := i + n
	// A schemed token that is not a link is skipped whole: nothing inside it is linked.
	skip := runEnd(text, p)
	q, ok := authority(text, p)
	if !ok {
		return Link{}, skip, false
	}
	end, ok := linkEnd(text, q)
	if !ok {
		return Link{}, skip, false
	}
	uri, ok := buildURI(strings.ToLower(text[i:p]), text[p:end])
	if !ok {
		return Link{}, skip, false
	}
	return Link{Start: i, End: end, URI: uri}, end, true
}

func bareDomain(text string, i int) (Link, int, bool) {
	hostEnd := hostSpan(text, i)
	if !validHostname(text[i:hostEnd], true) {
		return Link{}, hostEnd, false
	}
	if hostEnd < len(text) && text[hostEnd] == ':' && hostEnd+1 < len(text) && isDigit(text[hostEnd+1]) {
		return Link{}, hostEnd, false // a port: bare domains have none
	}
	end, ok := linkEnd(text, hostEnd)
	if !ok {
		return Link{}, hostEnd, false
	}
	uri, ok := buildURI("https://", text[i:end])
	if !ok {
		return Link{}, end, false
	}
	return Link{Start: i, End: end, URI: uri}, end, true
}

// authority reads the host and optional port of a full URL starting at text[p] and
// returns where they end.
func authority(text string, p int) (int, bool) {
	var q int
	if p < len(text) && text[p] == '[' {
		// An IPv6 literal: at most 45 characters between the brackets.
		j := strings.IndexByte(text[p:min(len(text), p+47)], ']')
		if j < 0 {
			return 0, false
		}
		lit := text[p+1 : p+j]
		for k := 0; k < len(lit); k++ {
			if c := lit[k]; !isHex(c) && c != ':' && c != '.' {
				return 0, false // no zones, nothing else
			}
		}
		if a, err := netip.ParseAddr(lit); err != nil || !a.Is6() {
			return 0, false
		}
		q = p + j + 1
	} else {
		q = hostSpan(text, p)
		if !validHostname(text[p:q], false) {
			return 0, false
		}
	}
	if q < len(text) && text[q] == ':' && q+1 < len(text) && isDigit(text[q+1]) {
		port, k := 0, q+1
		for ; k < len(text) && isDigit(text[k]); k++ {
			if k-q > 5 {
				return 0, false
			}
			port = port*10 + int(text[k]-'0')
		}
		if port > 65535 {
			return 0, false
		}
		q = k
		if q < len(text) && text[q] == ':' && q+1 < len(text) && isDigit(text[q+1]) {
			return 0, false // a second port
		}
	}
	return q, true
}

// linkEnd returns where a link whose host (and port) ends at q ends, or false when the
// character after the host makes it no link.
func linkEnd(text string, q int) (int, bool) {
	if q == len(text) {
		return q, true
	}
	switch c := text[q]; {
	case c == '/' || c == '?' || c == '#':
		return trimTrailing(text, q, runEnd(text, q)), true
	case isTrailing(c) || c == ')' || c == ']' || endsRun(text, q):
		return q, true
	}
	return 0, false
}

// hostSpan returns the end of the run of hostname characters at text[p]: ASCII letters,
// digits and hyphens, and dots followed by a letter or digit (so a sentence's full stop
// after a domain is not part of it).
func hostSpan(text string, p int) int {
	j := p
	for j < len(text) {
		c := text[j]
		if isAlnum(c) || c == '-' || (c == '.' && j+1 < len(text) && isAlnum(text[j+1])) {
			j++
			continue
		}
		break
	}
	return j
}

// validHostname reports whether h (made of hostSpan's characters) is a hostname a link
// may have; bare is for bare domains, which need a TLD.
func validHostname(h string, bare bool) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := 0
	var last string
	for rest := h; ; {
		label, tail, more := strings.Cut(rest, ".")
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		last = label
		if !more {
			break
		}
		rest = tail
	}
	if !bare {
		if allDigits(last) {
			a, err := netip.ParseAddr(h)
			return err == nil && a.Is4()
		}
		return true
	}
	if labels < 2 {
		return false
	}
	if len(last) >= 4 && strings.EqualFold(last[:4], "xn--") {
		return true
	}
	return len(last) >= 2 && allLetters(last) && !fileExtensions[strings.ToLower(last)]
}

// runEnd returns the end of the path, query and fragment starting at text[j]: the first
// position where endsRun holds.
func runEnd(text string, j int) int {
	for j < len(text) && !endsRun(text, j) {
		if text[j] < utf8.RuneSelf {
			j++
		} else {
			_, size := utf8.DecodeRuneInString(text[j:])
			j += size
		}
	}
	return j
}

// endsRun reports whether the character at text[j] cannot be part of a link: whitespace,
// controls, invalid UTF-8, ASCII characters a URI cannot hold, and non-ASCII characters
// other than letters, digits and marks.
func endsRun(text string, j int) bool {
	if j >= len(text) {
		return true
	}
	if c := text[j]; c < utf8.RuneSelf {
		return c <= ' ' || c == 0x7f || strings.IndexByte("<>\"{}|\\^`", c) >= 0
	}
	r, size := utf8.DecodeRuneInString(text[j:])
	if r == utf8.RuneError && size == 1 {
		return true
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// trimTrailing removes trailing punctuation from the path text[q:end]: isTrailing
// characters, and ")" or "]" without an opener in the link.
func trimTrailing(text string, q, end int) int {
	s := text[q:end]
	openP, closeP := strings.Count(s, "("), strings.Count(s, ")")
	openB, closeB := strings.Count(s, "["), strings.Count(s, "]")
	for end > q {
		switch c := text[end-1]; {
		case isTrailing(c):
		case c == ')' && closeP > openP:
			closeP--
		case c == ']' && closeB > openB:
			closeB--
		default:
			return end
		}
		end--
	}
	return end
}

// buildURI returns prefix+rest with rest's non-ASCII bytes and stray "%" percent-encoded,
// or false if it would be longer than MaxURILength.
func buildURI(prefix, rest string) (string, bool) {
	n := len(prefix)
	for k := 0; k < len(rest); k++ {
		if needsEscape(rest, k) {
			n += 3
		} else {
			n++
		}
	}
	if n > MaxURILength {
		return "", false
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(n)
	b.WriteString(prefix)
	for k := 0; k < len(rest); k++ {
		c := rest[k]
		if needsEscape(rest, k) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func needsEscape(s string, k int) bool {
	c := s[k]
	if c >= utf8.RuneSelf {
		return true
	}
	return c == '%' && !(k+2 < len(s) && isHex(s[k+1]) && isHex(s[k+2]))
}

// startsWord reports whether a link may start at text[i]: see the package doc.
func startsWord(text string, i int) bool {
	if i == 0 {
		return true
	}
	r, size := utf8.DecodeLastRuneInString(text[:i])
	if r < utf8.RuneSelf {
		c := byte(r)
		return !isAlnum(c) && strings.IndexByte(".@/-_#%+=&~", c) < 0
	}
	if r == utf8.RuneError && size == 1 {
		return true
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// isTrailing reports whether c is punctuation that ends a sentence or clause rather than
// a link.
func isTrailing(c byte) bool { return strings.IndexByte(".,;:!?'\"", c) >= 0 }

func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }
func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

func allLetters(s string) bool {
	for k := 0; k < len(s); k++ {
		if !isLetter(s[k]) {
			return false
		}
	}
	return true
}
