// Package text checks the text people type into the catalog (titles, album names and
// descriptions, tags, display names, bios) one way everywhere: valid UTF-8, trimmed and in
// Unicode NFC (the same words typed on two systems are stored alike), without control
// characters (a line break only where lines are allowed), within a bound in bytes (what
// the lexicons count) and, where a lexicon says so, in graphemes (what people count).
// Refusals are said to the person, naming the field and what to fix.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Rule is what one field accepts.
type Rule struct {
	// Field names the field in messages (title, bio, display_name…).
	Field    string
	MaxBytes int
	// MaxGraphemes bounds the characters as people count them; 0 means no bound.
	MaxGraphemes int
	// Multiline keeps line breaks (\n; \r\n becomes \n).
	Multiline bool
}

// Clean returns value checked and normalised under r, or a case of invalid that says
// what is wrong.
func Clean(invalid *rpc.Error, r Rule, value string) (string, error) {
	if !utf8.ValidString(value) {
		return "", invalid.Withf("%s is not valid UTF-8", r.Field)
	}
	if r.Multiline {
		value = strings.ReplaceAll(value, "\r\n", "\n")
	}
	value = norm.NFC.String(strings.TrimSpace(value))
	for _, c := range value {
		if (unicode.IsControl(c) && !(r.Multiline && c == '\n')) || c == '\u2028' || c == '\u2029' {
			return "", invalid.Withf("%s contains a control character (%U)", r.Field, c)
		}
	}
	if len(value) > r.MaxBytes {
		return "", invalid.Withf("%s is longer than %d bytes of UTF-8", r.Field, r.MaxBytes)
	}
	if r.MaxGraphemes > 0 {
		if n := uniseg.GraphemeClusterCount(value); n > r.MaxGraphemes {
			return "", invalid.Withf("%s is longer than %d characters (%d)", r.Field, r.MaxGraphemes, n)
		}
	}
	return value, nil
}
