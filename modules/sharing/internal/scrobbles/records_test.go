package scrobbles

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/modules/sharing/internal/db"
)

// The records plyr builds pass their lexicons in both teal namespaces, with the fields
// each namespace names its own way.
func TestRecords_MatchTheirLexicons(t *testing.T) {
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	s := &Scrobbles{service: Service{PublicURL: "https://plyr.example", ClientAgent: "fm.plyr/1.0"}}
	duration, album := int32(215), "First Light"
	play := db.Scrobble{
		TrackID: uuid.New(), TrackName: "Night Drive", Artists: []string{"Alice", "Bob"}, DurationS: &duration,
		ReleaseName: &album, OriginUrl: "https://plyr.example/track/x", PlayedAt: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC),
	}
	for _, ns := range []string{"fm.teal", "fm.teal.alpha"} {
		playColl, statusColl := Collections(ns)
		rec := s.playRecord(ns, play)
		rec["$type"] = playColl
		require.NoError(t, v.Validate(playColl, rec), ns)
		require.Equal(t, "2026-12-02T10:00:00.000Z", rec["playedTime"])
		require.Equal(t, []any{map[string]any{"artistName": "Alice"}, map[string]any{"artistName": "Bob"}}, rec["artists"])
		status := s.statusRecord(ns, play)
		status["$type"] = statusColl
		require.NoError(t, v.Validate(statusColl, status), ns)
		require.Equal(t, "2026-12-02T10:10:00.000Z", status["expiry"])
		if ns == "fm.teal" {
			require.Equal(t, "https://plyr.example/track/x", rec["originUri"])
			require.Equal(t, "https://plyr.example", rec["musicServiceUri"])
			require.NotContains(t, rec, "originUrl")
		} else {
			require.Equal(t, "https://plyr.example/track/x", rec["originUrl"])
			require.Equal(t, "plyr.example", rec["musicServiceBaseDomain"])
			require.NotContains(t, rec, "originUri")
		}
	}

	// Without an album or a length, those fields are left out, not sent empty.
	bare := play
	bare.DurationS, bare.ReleaseName = nil, nil
	rec := s.playRecord("fm.teal", bare)
	require.NotContains(t, rec, "duration")
	require.NotContains(t, rec, "releaseName")

	// A title of 256 characters (what a track may have) is more than the lexicon's 256
	// bytes: it is cut at a character, never mid-character.
	long := play
	long.TrackName = strings.Repeat("é", 256)
	rec = s.playRecord("fm.teal", long)
	rec["$type"] = "fm.teal.feed.play"
	require.NoError(t, v.Validate("fm.teal.feed.play", rec))
	require.Equal(t, strings.Repeat("é", 128), rec["trackName"])
}

func TestNamespaceOf(t *testing.T) {
	require.Equal(t, "fm.teal", namespaceOf("fm.teal.feed.play"))
	require.Equal(t, "fm.teal.alpha", namespaceOf("fm.teal.alpha.actor.status"))
	require.Equal(t, "plyr.example", host("https://plyr.example/x?y"))
	require.Equal(t, "127.0.0.1:8080", host("http://127.0.0.1:8080"))
}
