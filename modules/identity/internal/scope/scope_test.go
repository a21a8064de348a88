package scope

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// expanded is what the reference PDS returned for include:fm.plyr.authFullApp blob:*/*.
const expanded = "atproto blob:*/* repo?collection=fm.plyr.actor.profile&collection=fm.plyr.comment&collection=fm.plyr.like&collection=fm.plyr.list&collection=fm.plyr.track"

func TestRequested(t *testing.T) {
	require.Equal(t, []string{"atproto", "include:fm.plyr.authFullApp", "blob:*/*"}, Requested("fm.plyr", ""))
	require.Equal(t, []string{"atproto", "include:fm.example.authFullApp", "blob:*/*",
		"repo:fm.teal.feed.play", "repo:fm.teal.actor.status"}, Requested("fm.example", "fm.teal"))
}

func TestGrant(t *testing.T) {
	tests := []struct {
		name       string
		granted    string
		collection string
		action     string
		want       bool
	}{
		{"expanded permission set covers tracks", expanded, "fm.plyr.track", "create", true},
		{"expanded permission set covers deletes", expanded, "fm.plyr.like", "delete", true},
		{"expanded permission set does not cover posts", expanded, "app.bsky.feed.post", "create", false},
		{"plain repo scope", "atproto repo:fm.teal.alpha.feed.play", "fm.teal.alpha.feed.play", "update", true},
		{"action limited", "atproto repo:fm.plyr.track?action=create", "fm.plyr.track", "delete", false},
		{"wildcard", "atproto repo:*", "anything.at.all", "create", true},
		{"no atproto, nothing", "repo:fm.plyr.track", "fm.plyr.track", "create", false},
		{"garbage ignored", "atproto nonsense:?? repo:fm.plyr.track", "fm.plyr.track", "create", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Parse(tt.granted).CanWrite(tt.collection, tt.action))
		})
	}
}

func TestGrant_TealAndBlobs(t *testing.T) {
	require.Empty(t, Parse(expanded).TealNamespace(DefaultTealNamespaces))
	alpha := expanded + " repo:fm.teal.alpha.feed.play repo:fm.teal.alpha.actor.status"
	require.Equal(t, "fm.teal.alpha", Parse(alpha).TealNamespace(DefaultTealNamespaces), "an older grant keeps its namespace")
	both := alpha + " " + strings.Join(Requested("fm.plyr", "fm.teal")[3:], " ")
	require.Equal(t, "fm.teal", Parse(both).TealNamespace(DefaultTealNamespaces), "the preferred namespace wins")
	require.Empty(t, Parse(expanded+" repo:fm.teal.alpha.feed.play").TealNamespace(DefaultTealNamespaces), "both teal collections are needed")

	require.True(t, Parse(expanded).CanUploadBlob("audio/mpeg"))
	require.True(t, Parse("atproto blob:audio/*").CanUploadBlob("audio/flac"))
	require.False(t, Parse("atproto blob:image/*").CanUploadBlob("audio/flac"))
	require.False(t, Parse("atproto").CanUploadBlob("audio/flac"))
}
