package exports

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFileName(t *testing.T) {
	for title, want := range map[string]string{
		"Night Drive":            "Night Drive",
		"AC/DC: Live?":           "AC_DC_ Live_",
		"../../etc/passwd":       "_.._etc_passwd",
		"  .hidden.  ":           "hidden",
		"tab\there":              "tab_here",
		"":                       "track",
		"...":                    "track",
		`a\b*c"d<e>f|g`:          "a_b_c_d_e_f_g",
		"Été à Montréal — 夏":     "Été à Montréal — 夏",
		strings.Repeat("é", 200): strings.Repeat("é", 90),
	} {
		require.Equal(t, want, FileName(title), title)
	}
}

func TestUniqueName(t *testing.T) {
	seen := map[string]int{}
	require.Equal(t, "Song.mp3", uniqueName(seen, "Song", "mp3"))
	require.Equal(t, "Song.flac", uniqueName(seen, "Song", "flac"))
	require.Equal(t, "song (2).mp3", uniqueName(seen, "song", "mp3"), "names differing in case collide on some systems")
}
