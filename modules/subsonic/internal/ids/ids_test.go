package ids_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/modules/subsonic/internal/ids"
)

func TestParse(t *testing.T) {
	u := uuid.MustParse("01a234bd-af27-770c-b81b-6d66b36860f7")
	for _, tc := range []struct {
		in   string
		want ids.ID
	}{
		{"tr-" + u.String(), ids.ID{Kind: ids.Track, UUID: u}},
		{"al-" + u.String(), ids.ID{Kind: ids.Album, UUID: u}},
		{"pl-" + u.String(), ids.ID{Kind: ids.Playlist, UUID: u}},
		{"ar-did:plc:abc123", ids.ID{Kind: ids.Artist, DID: "did:plc:abc123"}},
		{"si-did:web:music.example", ids.ID{Kind: ids.Singles, DID: "did:web:music.example"}},
	} {
		got, ok := ids.Parse(tc.in)
		require.True(t, ok, tc.in)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.in, got.String(), "an id reads back as itself")
	}
	for _, bad := range []string{"", "tr", "tr-", "tr-nope", "xx-" + u.String(), u.String(), "ar-not a did", "al-did:plc:abc", "ar-" + u.String()} {
		_, ok := ids.Parse(bad)
		require.False(t, ok, bad)
	}
	_, ok := ids.ParseKind("al-"+u.String(), ids.Track)
	require.False(t, ok, "an album id is no track id")
}
