package albums

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/lexicons"
)

// slugShape is what the albums table accepts as a slug (its CHECK constraint).
var slugShape = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestSlug(t *testing.T) {
	tests := []struct{ title, want string }{
		{"Café del Mar", "cafe-del-mar"},
		{"  Hello, World!! ", "hello-world"},
		{"My Album", "my-album"},
		{"my album!", "my-album"},
		{"Ｎｉｇｈｔ　Ｄｒｉｖｅ", "night-drive"}, // fullwidth forms fold to ASCII
		{"--a--b--", "a-b"},
		{"Åsa & Ölof 2", "asa-olof-2"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			got := Slug(tt.title)
			require.Equal(t, tt.want, got)
			require.Regexp(t, slugShape, got)
		})
	}
}

func TestSlug_NothingLatinGetsAStableHash(t *testing.T) {
	hashed := regexp.MustCompile(`^album-[0-9a-f]{8}$`)
	seen := map[string]string{}
	for _, title := range []string{"日本語", "🎵🎵", "🎵", "ΩΨΦ", "!!!"} {
		got := Slug(title)
		require.Regexp(t, hashed, got, "title %q", title)
		require.Regexp(t, slugShape, got)
		require.Equal(t, got, Slug(title), "stable across calls")
		if other, ok := seen[got]; ok {
			t.Fatalf("%q and %q share the slug %s", title, other, got)
		}
		seen[got] = title
	}
}

func TestSlug_LongTitlesAreCut(t *testing.T) {
	tests := []struct{ name, title string }{
		{"300 a", strings.Repeat("a", 300)},
		{"words", strings.Repeat("ab ", 100)},
		{"hyphen at the cut", strings.Repeat("a", 99) + " " + strings.Repeat("b", 50)},
		{"single letters", strings.Repeat("a-", 200)},
		{"accents", strings.Repeat("é", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Slug(tt.title)
			require.LessOrEqual(t, len(got), maxSlugLength)
			require.NotEmpty(t, got)
			require.Regexp(t, slugShape, got, "no leading, trailing or double hyphens")
			require.False(t, strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") || strings.Contains(got, "--"))
		})
	}
	require.Equal(t, strings.Repeat("a", 100), Slug(strings.Repeat("a", 300)))
}

func TestListName(t *testing.T) {
	graphemes := func(s string) int { return uniseg.GraphemeClusterCount(s) }
	family := "👨\u200d👩\u200d👧" // one grapheme, 18 bytes
	tests := []struct {
		name          string
		title         string
		wantGraphemes int
		wantBytes     int
	}{
		{"short", "Night Drive", 11, 11},
		{"64 ASCII", strings.Repeat("a", 64), 64, 64},
		{"70 ASCII: 64 graphemes", strings.Repeat("a", 70), 64, 64},
		{"combining accents: graphemes, not runes", strings.Repeat("e\u0301", 70), 64, 192},
		{"4-byte emoji: 64 is exactly 256 bytes", strings.Repeat("🎵", 70), 64, 256},
		{"long graphemes: bytes bind first", strings.Repeat(family, 20), 14, 14 * 18},
		{"never splits a grapheme", strings.Repeat("🎵", 62) + family + "a", 62, 248},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listName(tt.title)
			require.True(t, strings.HasPrefix(tt.title, got))
			require.True(t, utf8.ValidString(got))
			require.Equal(t, tt.wantGraphemes, graphemes(got))
			require.Equal(t, tt.wantBytes, len(got))
			require.LessOrEqual(t, len(got), maxNameBytes)
			require.LessOrEqual(t, graphemes(got), maxNameGraphemes)
		})
	}
}

func TestItemURIs(t *testing.T) {
	rec := map[string]any{"items": []any{
		map[string]any{"subject": map[string]any{"uri": "at://a/fm.plyr.track/1", "cid": "c1"}},
		"not an item",
		map[string]any{"subject": "not a subject"},
		map[string]any{"subject": map[string]any{"cid": "no uri"}},
		map[string]any{"subject": map[string]any{"uri": 42}},
		map[string]any{"subject": map[string]any{"uri": "at://a/fm.plyr.track/2"}},
	}}
	require.Equal(t, []string{"at://a/fm.plyr.track/1", "at://a/fm.plyr.track/2"}, itemURIs(rec))
	require.Empty(t, itemURIs(nil))
	require.Empty(t, itemURIs(map[string]any{}))
	require.Empty(t, itemURIs(map[string]any{"items": "nope"}))
}

// Real CIDs: the lexicon checks a strongRef's cid.
var cids = []string{
	"bafyreifxbiko4hqv26vjjpmbb3ag6tfxpi2g5dztv33l72xd27ceill2sm",
	"bafyreihmgfuc7xswdelzkl7xrj5ivxx72d7lynzn2juhdelmi3ddaoa3iu",
	"bafyreieej3gaqfsof2vsoy2ktlpodl5glgpfrflq44mxqtqibttup7aoiu",
	"bafyreieejnu4jvkmyjslylnnw25xb5j3yer35l6a6wgyd3mm2sqhyjffu4",
	"bafyreidzqwymrocy457vprwuaozrllpajusilvxmfuewsqsw5losbw3pe4",
	"bafyreibj6i4u5ojnbxwzer5y24mi5po24pqty4plz6jzgatbtmuwaregwa",
}

func uri(n int) string { return fmt.Sprintf("at://did:plc:alice/fm.plyr.track/3lzzzzzzzz%03d", n) }

func ref(n, cid int) strongRef { return strongRef{URI: uri(n), CID: cids[cid]} }

// pds is a record as it comes back from the PDS: decoded JSON.
func pds(t *testing.T, rec map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func itemsOf(t *testing.T, rec map[string]any) []strongRef {
	t.Helper()
	items, ok := rec["items"].([]any)
	require.True(t, ok, "items is a list: %#v", rec["items"])
	out := []strongRef{}
	for _, it := range items {
		subject := it.(map[string]any)["subject"].(map[string]any)
		out = append(out, strongRef{URI: subject["uri"].(string), CID: subject["cid"].(string)})
	}
	return out
}

func validate(t *testing.T, rec map[string]any) {
	t.Helper()
	v, err := lexicons.NewValidator("fm.plyr")
	require.NoError(t, err)
	rec = pds(t, rec)
	rec["$type"] = "fm.plyr.list"
	require.NoError(t, v.Validate("fm.plyr.list", rec))
}

var (
	created   = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	changedAt = atproto.Datetime(time.Date(2026, 11, 21, 12, 30, 0, 0, time.UTC))
)

func TestBuildListRecord_FromNothing(t *testing.T) {
	refs := []strongRef{ref(1, 0), ref(2, 1), ref(3, 2)}
	rec := buildListRecord(nil, "Night Drive", refs, created, changedAt)
	require.Equal(t, "Night Drive", rec["name"])
	require.Equal(t, "album", rec["listType"])
	require.Equal(t, refs, itemsOf(t, rec), "in refs order")
	require.Equal(t, atproto.Datetime(created), rec["createdAt"])
	require.Equal(t, changedAt, rec["updatedAt"])
	validate(t, rec)

	empty := buildListRecord(nil, "Empty", nil, created, changedAt)
	require.Equal(t, []strongRef{}, itemsOf(t, empty), "an empty album has items: [] (required)")
	validate(t, empty)
}

func TestBuildListRecord_KeepsTheOrderOnThePDS(t *testing.T) {
	a, b, c := ref(1, 0), ref(2, 1), ref(3, 2)
	current := pds(t, map[string]any{
		"$type": "fm.plyr.list", "name": "Night Drive", "listType": "album",
		"createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
		"x.other": "kept",
		// B then A, with older CIDs.
		"items": []any{
			map[string]any{"subject": map[string]any{"uri": b.URI, "cid": cids[4]}},
			map[string]any{"subject": map[string]any{"uri": a.URI, "cid": cids[5]}},
		},
	})
	rec := buildListRecord(current, "Night Drive", []strongRef{a, b, c}, created, changedAt)
	require.Equal(t, []strongRef{b, a, c}, itemsOf(t, rec), "the PDS's order, today's CIDs, the new one appended")
	require.Equal(t, "2026-01-01T00:00:00.000Z", rec["createdAt"], "createdAt stays")
	require.Equal(t, changedAt, rec["updatedAt"], "items changed")
	require.Equal(t, "kept", rec["x.other"])
	require.Equal(t, "fm.plyr.list", rec["$type"])
	validate(t, rec)

	// current itself is not changed.
	require.Len(t, current["items"], 2)
}

func TestBuildListRecord_DropsTracksNoLongerInTheAlbum(t *testing.T) {
	a, b, c := ref(1, 0), ref(2, 1), ref(3, 2)
	current := pds(t, buildListRecord(nil, "X", []strongRef{c, a, b}, created, "2026-01-02T00:00:00.000Z"))
	rec := buildListRecord(current, "X", []strongRef{a, b}, created, changedAt)
	require.Equal(t, []strongRef{a, b}, itemsOf(t, rec))
	require.Equal(t, changedAt, rec["updatedAt"])

	// Items of other collections or repeated URIs on the PDS are not kept either.
	current["items"] = append(current["items"].([]any),
		map[string]any{"subject": map[string]any{"uri": a.URI, "cid": a.CID}},
		map[string]any{"subject": map[string]any{"uri": "at://did:plc:x/app.bsky.feed.post/1", "cid": cids[3]}})
	rec = buildListRecord(current, "X", []strongRef{a, b}, created, changedAt)
	require.Equal(t, []strongRef{a, b}, itemsOf(t, rec))
}

func TestBuildListRecord_UnchangedIsIdentical(t *testing.T) {
	a, b := ref(1, 0), ref(2, 1)
	first := buildListRecord(nil, "Night Drive", []strongRef{b, a}, created, "2026-01-02T00:00:00.000Z")
	first["$type"] = "fm.plyr.list"
	first["x.other"] = map[string]any{"nested": []any{1.0, "two"}}
	current := pds(t, first)
	before, err := json.Marshal(current)
	require.NoError(t, err)

	// Same name, same items (refs in creation order; the PDS's order wins).
	rec := buildListRecord(current, "Night Drive", []strongRef{a, b}, created.Add(time.Hour), changedAt)
	after, err := json.Marshal(rec)
	require.NoError(t, err)
	require.JSONEq(t, string(before), string(after))
	require.Equal(t, string(before), string(after), "byte-identical")
	require.Equal(t, "2026-01-02T00:00:00.000Z", rec["updatedAt"], "updatedAt moves only on a change")

	// A new name is a change.
	renamed := buildListRecord(current, "Night Drive II", []strongRef{a, b}, created, changedAt)
	require.Equal(t, changedAt, renamed["updatedAt"])
	require.Equal(t, "Night Drive II", renamed["name"])
	// A new CID is a change.
	recid := buildListRecord(current, "Night Drive", []strongRef{a, ref(2, 3)}, created, changedAt)
	require.Equal(t, changedAt, recid["updatedAt"])
	require.Equal(t, []strongRef{ref(2, 3), a}, itemsOf(t, recid))
}

func TestBuildListRecord_RestoresWhatWasLost(t *testing.T) {
	// plyr.fm lost name, listType and createdAt on reorder; a createdAt that is not a
	// datetime is replaced too.
	a := ref(1, 0)
	current := pds(t, map[string]any{
		"$type": "fm.plyr.list", "createdAt": "yesterday",
		"items": []any{map[string]any{"subject": map[string]any{"uri": a.URI, "cid": a.CID}}},
	})
	rec := buildListRecord(current, "Night Drive", []strongRef{a}, created, changedAt)
	require.Equal(t, "Night Drive", rec["name"])
	require.Equal(t, "album", rec["listType"])
	require.Equal(t, atproto.Datetime(created), rec["createdAt"])
	validate(t, rec)
}

func TestBuildListRecord_AtMost500Items(t *testing.T) {
	var refs []strongRef
	for i := range 520 {
		refs = append(refs, strongRef{URI: uri(i), CID: cids[i%len(cids)]})
	}
	rec := buildListRecord(nil, "Long", refs, created, changedAt)
	got := itemsOf(t, rec)
	require.Len(t, got, maxItems)
	require.Equal(t, refs[:500], got)
	validate(t, rec)

	// Over a current list of 500, the ones already there keep their places.
	current := pds(t, rec)
	rec = buildListRecord(current, "Long", refs[10:], created, changedAt)
	got = itemsOf(t, rec)
	require.Len(t, got, maxItems)
	require.Equal(t, refs[10:510], got)
	validate(t, rec)
}

func TestBuildListRecord_LongNamesValidate(t *testing.T) {
	for _, title := range []string{strings.Repeat("🎵", 100), strings.Repeat("e\u0301", 100), strings.Repeat("👨\u200d👩\u200d👧", 30)} {
		rec := buildListRecord(nil, listName(title), []strongRef{ref(1, 0)}, created, changedAt)
		validate(t, rec)
	}
}

// Latin letters without a Unicode decomposition (ø, ł, æ, ß, đ, þ) are letters, not
// accents: dropping them makes different titles share a slug, and GetOrCreate then puts
// a track named into one album into the other.
func TestSlug_LettersWithoutDecompositionAreNotDropped(t *testing.T) {
	pairs := [][2]string{{"Øst", "St"}, {"Æther", "Ther"}, {"Łódź", "Ódź"}, {"Þorn", "Orn"}}
	for _, p := range pairs {
		require.NotEqual(t, Slug(p[0]), Slug(p[1]), "%q and %q", p[0], p[1])
	}
	require.NotContains(t, Slug("Straße"), "-", "ß is part of the word")
}
