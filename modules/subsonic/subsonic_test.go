package subsonic

import (
	"testing"

	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/subsonictest"
)

// Every method plyr answers has a schema in the specification (or answers bytes), so the
// conformance tests can check it.
func TestMethodsAreInTheSpecification(t *testing.T) {
	binary := map[string]bool{"stream": true, "download": true, "getcoverart": true}
	spec := map[string]bool{}
	for _, m := range subsonictest.Methods() {
		spec[lower(m)] = true
	}
	for name := range (&Module{}).methods() {
		require.True(t, spec[name] || binary[name], "%s is not a method of the specification", name)
	}
}

func TestSameUser(t *testing.T) {
	c := rpc.Caller{DID: "did:plc:alice", Handle: "alice.example"}
	for _, u := range []string{"alice.example", "Alice.Example", "@alice.example", "did:plc:alice"} {
		require.True(t, sameUser(u, c), u)
	}
	for _, u := range []string{"", "bob.example", "alice", "did:plc:bob"} {
		require.False(t, sameUser(u, c), u)
	}
}

func TestIndexName(t *testing.T) {
	for in, want := range map[string]string{"alice": "A", "Émile": "É", "9 lives": "#", "": "#", "¡hola": "#"} {
		require.Equal(t, want, indexName(in), in)
	}
}

func TestPathOf(t *testing.T) {
	require.Equal(t, "AC_DC/Singles/Back_in black.mp3", pathOf("AC/DC", "Singles", "Back\\in black", "mp3"))
	require.Equal(t, "_/_/_.flac", pathOf("", "..", ".", "flac"))
}

func TestStreamFile(t *testing.T) {
	mp3 := &catalogv1.Track{FileId: "mp3"}
	lossless := &catalogv1.Track{FileId: "mp3", Original: &catalogv1.AudioFile{FileId: "flac"}}
	for _, tc := range []struct {
		t      *catalogv1.Track
		format string
		want   string
		isMP3  bool
	}{
		{mp3, "", "mp3", true},
		{mp3, "raw", "mp3", true},
		{lossless, "", "mp3", true},
		{lossless, "opus", "mp3", true},
		{lossless, "raw", "flac", false},
	} {
		got, isMP3 := streamFile(tc.t, tc.format)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.isMP3, isMP3)
	}
}

func TestSeconds(t *testing.T) {
	require.Equal(t, 0, seconds(0))
	require.Equal(t, 3, seconds(3000))
	require.Equal(t, 3, seconds(2500))
	require.Equal(t, 2, seconds(2499))
}
