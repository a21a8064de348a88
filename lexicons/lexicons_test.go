package lexicons

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func track() map[string]any {
	return map[string]any{
		"$type": "fm.plyr.track", "title": "Song", "artist": "Alice", "audioUrl": "https://plyr.example/audio/x",
		"fileType": "mp3", "duration": 200, "createdAt": "2026-11-25T10:00:00.000Z",
	}
}

func TestValidate_Track(t *testing.T) {
	v, err := NewValidator(DefaultNamespace)
	require.NoError(t, err)
	require.NoError(t, v.Validate("fm.plyr.track", track()))

	withBlob := track()
	withBlob["audioBlob"] = map[string]any{
		"$type": "blob", "mimeType": "audio/mpeg", "size": 1234,
		"ref": map[string]any{"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"},
	}
	require.NoError(t, v.Validate("fm.plyr.track", withBlob))

	for name, edit := range map[string]func(map[string]any){
		"no title":        func(r map[string]any) { delete(r, "title") },
		"empty title":     func(r map[string]any) { r["title"] = "" },
		"long title":      func(r map[string]any) { r["title"] = strings.Repeat("a", 257) },
		"bad createdAt":   func(r map[string]any) { r["createdAt"] = "yesterday" },
		"relative url":    func(r map[string]any) { r["audioUrl"] = "/audio/x" },
		"negative length": func(r map[string]any) { r["duration"] = -1 },
		"bad feature did": func(r map[string]any) { r["features"] = []any{map[string]any{"did": "alice", "handle": "alice.test"}} },
	} {
		t.Run(name, func(t *testing.T) {
			r := track()
			edit(r)
			require.Error(t, v.Validate("fm.plyr.track", r))
		})
	}
}

func TestValidate_ListAndProfile(t *testing.T) {
	v, err := NewValidator(DefaultNamespace)
	require.NoError(t, err)
	list := map[string]any{
		"$type": "fm.plyr.list", "name": "Album", "listType": "album", "createdAt": "2026-11-25T10:00:00.000Z",
		"items": []any{map[string]any{"subject": map[string]any{
			"uri": "at://did:plc:abc/fm.plyr.track/3leq3p5m6ua22",
			"cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
		}}},
	}
	require.NoError(t, v.Validate("fm.plyr.list", list))
	list["items"] = []any{map[string]any{"subject": map[string]any{"uri": "not a uri", "cid": "x"}}}
	require.Error(t, v.Validate("fm.plyr.list", list), "a strongRef is checked through com.atproto.repo.strongRef")

	profile := map[string]any{"$type": "fm.plyr.actor.profile", "createdAt": "2026-11-25T10:00:00.000Z", "bio": strings.Repeat("é", 256)}
	require.NoError(t, v.Validate("fm.plyr.actor.profile", profile))
	profile["bio"] = strings.Repeat("é", 257)
	require.Error(t, v.Validate("fm.plyr.actor.profile", profile), "bio is at most 256 graphemes")
}

func TestValidate_OtherNamespace(t *testing.T) {
	v, err := NewValidator("fm.plyr.stg")
	require.NoError(t, err)
	r := track()
	r["$type"] = "fm.plyr.stg.track"
	require.NoError(t, v.Validate("fm.plyr.stg.track", r))
	require.Error(t, v.Validate("fm.plyr.track", track()), "only the configured namespace is loaded")
}
