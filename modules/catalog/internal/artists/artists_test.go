package artists_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rivo/uniseg"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/facets"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	alice   = "did:plc:alice"  // a Bluesky display name and an avatar
	bob     = "did:plc:bob"    // a handle only
	nobody  = "did:plc:nobody" // unknown to identity
	profile = "fm.plyr.actor.profile"
)

const aliceAvatar = "https://cdn.example/avatar/alice.jpg"

// accounts stands in for the identity module.
type accounts map[string]artists.AccountProfile

func (a accounts) Profiles(_ context.Context, dids []string) (map[string]artists.AccountProfile, error) {
	out := map[string]artists.AccountProfile{}
	for _, d := range dids {
		if p, ok := a[d]; ok {
			out[d] = p
		}
	}
	return out, nil
}

func (a accounts) DIDByHandle(_ context.Context, handle string) (string, bool, error) {
	for did, p := range a {
		if p.Handle == handle {
			return did, true, nil
		}
	}
	return "", false, nil
}

// starts records the record workflows started.
type starts struct {
	mu   sync.Mutex
	refs []recordsact.Ref
}

func (s *starts) Start(_ context.Context, ref recordsact.Ref) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs = append(s.refs, ref)
	return nil
}

// profiles returns the profile records started, in order.
func (s *starts) profiles() []recordsact.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []recordsact.Ref
	for _, r := range s.refs {
		if r.Collection == profile {
			out = append(out, r)
		}
	}
	return out
}

type fixture struct {
	artists *artists.Artists
	tracks  *tracks.Tracks
	q       *db.Queries
	starts  *starts
	exec    func(t *testing.T, sql string, args ...any)
}

// newArtists is the feature on a transaction of its own, rolled back when the test ends.
func newArtists(t *testing.T) fixture {
	t.Helper()
	tx := testenv.NewTx(t)
	s := &starts{}
	q := db.New(tx)
	recs := records.New("fm.plyr", s)
	acc := accounts{
		alice: {Handle: "alice.test", DisplayName: "Alice on Bluesky", AvatarURL: aliceAvatar},
		bob:   {Handle: "bob.test"},
	}
	return fixture{
		artists: artists.New(tx, q, recs, acc),
		tracks:  tracks.New(tx, q, recs, acc, "https://plyr.example"),
		q:       q,
		starts:  s,
		exec: func(t *testing.T, sql string, args ...any) {
			t.Helper()
			_, err := tx.Exec(context.Background(), sql, args...)
			require.NoError(t, err)
		},
	}
}

func (f fixture) record(t *testing.T, did string) db.CatalogRecord {
	t.Helper()
	r, err := f.q.GetRecord(context.Background(), db.GetRecordParams{Did: did, Kind: string(records.KindProfile), Rkey: artists.RecordKey})
	require.NoError(t, err)
	return r
}

func ptr[T any](v T) *T { return &v }

func TestDisplayName_Precedence(t *testing.T) {
	t.Parallel()
	full := artists.AccountProfile{Handle: "a.test", DisplayName: "Bluesky A"}
	tests := []struct {
		name, own string
		p         artists.AccountProfile
		want      string
	}{
		{"own name first", "Mine", full, "Mine"},
		{"then the Bluesky name", "", full, "Bluesky A"},
		{"then the handle", "", artists.AccountProfile{Handle: "a.test"}, "a.test"},
		{"never a DID", "", artists.AccountProfile{}, "handle.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, artists.DisplayName(tt.own, tt.p))
		})
	}
}

func TestGet_ShowsIdentityFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	for _, did := range []string{alice, bob, nobody} {
		require.NoError(t, f.artists.Ensure(ctx, did))
	}
	a, err := f.artists.Get(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, "alice.test", a.Handle)
	require.Equal(t, "Alice on Bluesky", a.DisplayName)
	require.Equal(t, aliceAvatar, a.AvatarURL)
	require.Equal(t, records.StatePending, a.Profile.State) // no record tracked yet

	b, err := f.artists.Get(ctx, bob)
	require.NoError(t, err)
	require.Equal(t, "bob.test", b.DisplayName)
	require.Empty(t, b.AvatarURL)

	n, err := f.artists.Get(ctx, nobody)
	require.NoError(t, err)
	require.Equal(t, "handle.invalid", n.Handle)
	require.Equal(t, "handle.invalid", n.DisplayName)
}

func TestUpdateProfile_BioLinksAreByteRanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	bio := "🎵 https://a.example/x and b.example"
	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &bio})
	require.NoError(t, err)
	require.Equal(t, bio, a.Bio)
	require.Equal(t, []facets.Link{
		{Start: 5, End: 24, URI: "https://a.example/x"},
		{Start: 29, End: 38, URI: "https://b.example"},
	}, a.BioLinks)
	require.Equal(t, "https://a.example/x", a.Bio[5:24])
	require.Equal(t, "b.example", a.Bio[29:38])

	// Read back, the same.
	again, err := f.artists.Get(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, a.BioLinks, again.BioLinks)
}

func TestUpdateProfile_BioLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)

	e := norm.NFC.String("é")
	require.Len(t, e, 2)
	longest := strings.Repeat(e, artists.MaxBioGraphemes)
	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &longest})
	require.NoError(t, err)
	require.Equal(t, longest, a.Bio)

	// The same in NFD (e + U+0301, 3 bytes) is stored as NFC.
	nfd := strings.Repeat("e\u0301", artists.MaxBioGraphemes)
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &nfd})
	require.NoError(t, err)
	require.Equal(t, longest, a.Bio)

	tooLong := strings.Repeat(e, artists.MaxBioGraphemes+1)
	_, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &tooLong})
	require.ErrorIs(t, err, artists.ErrInvalidInput)
	require.Contains(t, err.Error(), "256 characters")

	// 10,000 links: 60 kB, refused for its bytes before anything else.
	flood := strings.Repeat("a.com ", 10_000)
	require.Len(t, flood, 60_000)
	_, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &flood})
	require.ErrorIs(t, err, artists.ErrInvalidInput)
	require.Contains(t, err.Error(), "2560 bytes")

	// Nothing refused was stored.
	got, err := f.artists.Get(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, longest, got.Bio)
}

// linkBio is a bio of exactly MaxBioBytes bytes and at most MaxBioGraphemes graphemes
// holding more than MaxLinks links: "a.co" followed each time by one long emoji (a ZWJ
// family, one grapheme), which ends the link before it and lets the next one start.
func linkBio(t *testing.T) (bio string, links int) {
	t.Helper()
	const units = facets.MaxLinks + 1 // 51 × 5 graphemes = 255
	var b strings.Builder
	// 51 × "a.co" = 204 bytes; the emoji make the other 2356: 👨 (4) then k × ZWJ+👩 (7
	// each), 307 of those in all, and one U+FE0F (3 bytes) inside one of them.
	extra := 307
	for i := range units {
		b.WriteString("a.co")
		b.WriteString("👨")
		if i == 0 {
			b.WriteString("\uFE0F")
		}
		k := extra / (units - i)
		extra -= k
		for range k {
			b.WriteString("\u200D👩")
		}
	}
	bio = b.String()
	require.Len(t, bio, artists.MaxBioBytes)
	require.LessOrEqual(t, uniseg.GraphemeClusterCount(bio), artists.MaxBioGraphemes)
	return bio, units
}

func TestUpdateProfile_BioOfManyLinksKeepsMaxLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	bio, n := linkBio(t)
	require.Greater(t, n, facets.MaxLinks)
	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &bio})
	require.NoError(t, err)
	require.Equal(t, bio, a.Bio)
	require.Len(t, a.BioLinks, facets.MaxLinks)
	for _, l := range a.BioLinks {
		require.Equal(t, "a.co", a.Bio[l.Start:l.End])
		require.Equal(t, "https://a.co", l.URI)
	}

	// An ASCII bio of 51 short links (255 bytes) is capped the same.
	ascii := strings.TrimSpace(strings.Repeat("a.co ", facets.MaxLinks+1))
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: &ascii})
	require.NoError(t, err)
	require.Len(t, a.BioLinks, facets.MaxLinks)
	require.Equal(t, facets.Link{Start: 245, End: 249, URI: "https://a.co"}, a.BioLinks[facets.MaxLinks-1])
}

func TestUpdateProfile_BioControlCharacters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	for _, bad := range []string{"tab\there", "bell\a", "cr\ronly", "nul\x00", "del\x7f", "c1\u0085x", "ls\u2028x", "ps\u2029x", "bad utf8 \xff"} {
		_, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr(bad)})
		require.ErrorIs(t, err, artists.ErrInvalidInput, "%q", bad)
	}
	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr("line one\nline two\r\nline three")})
	require.NoError(t, err)
	require.Equal(t, "line one\nline two\nline three", a.Bio)

	// Surrounding space is trimmed.
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr("\r\n  hi  \n")})
	require.NoError(t, err)
	require.Equal(t, "hi", a.Bio)
}

func TestUpdateProfile_DisplayName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)

	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: ptr("  Alice of plyr ")})
	require.NoError(t, err)
	require.Equal(t, "Alice of plyr", a.DisplayName)

	longest := strings.Repeat("ä", artists.MaxDisplayNameGraphemes)
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: &longest})
	require.NoError(t, err)
	require.Equal(t, longest, a.DisplayName)

	for _, bad := range []string{
		strings.Repeat("ä", artists.MaxDisplayNameGraphemes+1),
		"two\nlines", "tab\tname", "bell\a", "ls\u2028x",
		strings.Repeat("👨\u200D👩\u200D👧\u200D👦", 26), // 26 graphemes, 650 bytes
	} {
		_, err := f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: ptr(bad)})
		require.ErrorIs(t, err, artists.ErrInvalidInput, "%q", bad)
		require.Contains(t, err.Error(), "display_name")
	}

	// "" returns to the Bluesky display name, or the handle without one.
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: ptr("")})
	require.NoError(t, err)
	require.Equal(t, "Alice on Bluesky", a.DisplayName)
	b, err := f.artists.UpdateProfile(ctx, bob, artists.Update{DisplayName: ptr("Bobby")})
	require.NoError(t, err)
	require.Equal(t, "Bobby", b.DisplayName)
	b, err = f.artists.UpdateProfile(ctx, bob, artists.Update{DisplayName: ptr("")})
	require.NoError(t, err)
	require.Equal(t, "bob.test", b.DisplayName)
}

func TestUpdateProfile_RecordFollowsTheBio(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	want := recordsact.Ref{DID: alice, Collection: profile, RKey: "self"}

	// A display name alone is plyr's: no record, nothing started.
	_, err := f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: ptr("A")})
	require.NoError(t, err)
	require.Empty(t, f.starts.profiles())
	_, err = f.q.GetRecord(ctx, db.GetRecordParams{Did: alice, Kind: "actor.profile", Rkey: "self"})
	require.Error(t, err)

	// A new bio: the record is tracked, pending, and started once.
	a, err := f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr("first")})
	require.NoError(t, err)
	require.Equal(t, records.StatePending, a.Profile.State)
	first := f.record(t, alice)
	require.Equal(t, "pending", first.State)
	require.Equal(t, []recordsact.Ref{want}, f.starts.profiles())

	// Synced, then changed again: a new revision, pending again, started again.
	_, err = f.artists.SettleRecord(ctx, alice, recordsact.Outcome{Revision: first.Revision, URI: "at://" + alice + "/" + profile + "/self", CID: "bafy1"})
	require.NoError(t, err)
	require.Equal(t, "synced", f.record(t, alice).State)
	a, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr("second")})
	require.NoError(t, err)
	second := f.record(t, alice)
	require.Equal(t, first.Revision+1, second.Revision)
	require.Equal(t, "pending", second.State)
	require.Equal(t, records.StatePending, a.Profile.State)
	require.Equal(t, "at://"+alice+"/"+profile+"/self", a.Profile.URI)
	require.Equal(t, []recordsact.Ref{want, want}, f.starts.profiles())

	// A display name change touches neither the record nor the workflow.
	_, err = f.artists.UpdateProfile(ctx, alice, artists.Update{DisplayName: ptr("B")})
	require.NoError(t, err)
	require.Equal(t, second.Revision, f.record(t, alice).Revision)
	require.Len(t, f.starts.profiles(), 2)

	// The same bio again (after trimming) revises nothing and starts nothing.
	_, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr(" second ")})
	require.NoError(t, err)
	require.Equal(t, second.Revision, f.record(t, alice).Revision)
	require.Equal(t, []recordsact.Ref{want, want}, f.starts.profiles())
}

func TestSync_CreatesTheArtistAndRevisesTheRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	want := recordsact.Ref{DID: bob, Collection: profile, RKey: "self"}

	_, err := f.artists.Get(ctx, bob)
	require.ErrorIs(t, err, artists.ErrNotFound)

	require.NoError(t, f.artists.Sync(ctx, bob))
	a, err := f.artists.Get(ctx, bob)
	require.NoError(t, err)
	require.Equal(t, "bob.test", a.Handle)
	r1 := f.record(t, bob)
	require.Equal(t, "pending", r1.State)
	require.Equal(t, []recordsact.Ref{want}, f.starts.profiles())

	require.NoError(t, f.artists.Sync(ctx, bob))
	r2 := f.record(t, bob)
	require.Equal(t, r1.Revision+1, r2.Revision)
	require.Equal(t, "pending", r2.State)
	require.Equal(t, []recordsact.Ref{want, want}, f.starts.profiles())
	again, err := f.artists.Get(ctx, bob)
	require.NoError(t, err)
	require.Equal(t, a.CreatedAt, again.CreatedAt)
}

func TestWantedRecord_Build(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	v, err := lexicons.NewValidator("fm.plyr")
	require.NoError(t, err)
	valid := func(t *testing.T, rec map[string]any) {
		t.Helper()
		c := map[string]any{"$type": profile}
		for k, v := range rec {
			c[k] = v
		}
		require.NoError(t, v.Validate(profile, c))
	}

	// Not tracked yet.
	require.NoError(t, f.artists.Ensure(ctx, alice))
	_, err = f.artists.WantedRecord(ctx, alice)
	require.ErrorIs(t, err, recordsact.ErrNotTracked)

	_, err = f.artists.UpdateProfile(ctx, alice, artists.Update{Bio: ptr("Hello, see a.example")})
	require.NoError(t, err)
	art, err := f.artists.Get(ctx, alice)
	require.NoError(t, err)
	rec := f.record(t, alice)
	createdAt := art.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	changedAt := rec.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")

	w, err := f.artists.WantedRecord(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, rec.Revision, w.Revision)
	require.False(t, w.Absent)

	// No record on the PDS yet: all of plyr's fields.
	fresh, err := w.Build(nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"bio": "Hello, see a.example", "avatar": aliceAvatar, "createdAt": createdAt, "updatedAt": changedAt,
	}, fresh)
	valid(t, fresh)

	// The same record, older updatedAt, a field of someone else's: nothing moves.
	current := map[string]any{
		"$type": profile, "bio": "Hello, see a.example", "avatar": aliceAvatar,
		"createdAt": "2024-01-02T03:04:05.000Z", "updatedAt": "2024-06-01T00:00:00.000Z",
		"x.other": map[string]any{"keep": "me"},
	}
	before := clone(t, current)
	same, err := w.Build(current)
	require.NoError(t, err)
	require.Equal(t, before, same)
	require.Equal(t, before, current, "Build must not change current")
	require.NoError(t, v.Validate(profile, same))
	b1, _ := json.Marshal(same)
	b2, _ := json.Marshal(before)
	require.Equal(t, string(b2), string(b1))

	// A different bio on the PDS: plyr's bio, updatedAt is the revision's time,
	// createdAt and other fields stay.
	current["bio"] = "old bio"
	changed, err := w.Build(current)
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"$type": profile, "bio": "Hello, see a.example", "avatar": aliceAvatar,
		"createdAt": "2024-01-02T03:04:05.000Z", "updatedAt": changedAt,
		"x.other": map[string]any{"keep": "me"},
	}, changed)
	require.NoError(t, v.Validate(profile, changed))

	// A createdAt that is not a datetime is replaced by the artist's.
	bad, err := w.Build(map[string]any{"bio": "Hello, see a.example", "avatar": aliceAvatar, "createdAt": "yesterday"})
	require.NoError(t, err)
	require.Equal(t, createdAt, bad["createdAt"])
	valid(t, bad)
}

func TestWantedRecord_EmptyProfileHasNoBioOrAvatar(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	v, err := lexicons.NewValidator("fm.plyr")
	require.NoError(t, err)

	require.NoError(t, f.artists.Sync(ctx, bob)) // no bio, no avatar
	w, err := f.artists.WantedRecord(ctx, bob)
	require.NoError(t, err)
	rec, err := w.Build(nil)
	require.NoError(t, err)
	require.NotContains(t, rec, "bio")
	require.NotContains(t, rec, "avatar")
	require.Len(t, rec, 2)
	require.Contains(t, rec, "createdAt")
	require.Contains(t, rec, "updatedAt")
	rec["$type"] = profile
	require.NoError(t, v.Validate(profile, rec))

	// A bio and avatar on the PDS that plyr no longer has are removed, and updatedAt moves.
	old := map[string]any{"$type": profile, "bio": "gone", "avatar": "https://x.example/a.jpg",
		"createdAt": "2024-01-02T03:04:05.000Z", "updatedAt": "2024-01-02T03:04:05.000Z"}
	out, err := w.Build(old)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"$type": profile, "createdAt": "2024-01-02T03:04:05.000Z", "updatedAt": rec["updatedAt"]}, out)

	// An unknown artist's record is not tracked.
	_, err = f.artists.WantedRecord(ctx, nobody)
	require.ErrorIs(t, err, recordsact.ErrNotTracked)
}

func clone(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestGetMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	require.NoError(t, f.artists.Ensure(ctx, alice))
	require.NoError(t, f.artists.Ensure(ctx, bob))

	list, err := f.artists.GetMany(ctx, []string{bob, "did:plc:unknown", alice, bob, alice})
	require.NoError(t, err)
	var dids []string
	for _, a := range list {
		dids = append(dids, a.DID)
	}
	require.Equal(t, []string{bob, alice}, dids)
	require.Equal(t, "Alice on Bluesky", list[1].DisplayName)

	list, err = f.artists.GetMany(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, list)

	hundred := make([]string, artists.MaxBatch)
	for i := range hundred {
		hundred[i] = alice
	}
	list, err = f.artists.GetMany(ctx, hundred)
	require.NoError(t, err)
	require.Len(t, list, 1)
	_, err = f.artists.GetMany(ctx, append(hundred, bob))
	require.ErrorIs(t, err, artists.ErrInvalidInput)
}

func TestGetByHandle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	require.NoError(t, f.artists.Ensure(ctx, alice))

	a, err := f.artists.GetByHandle(ctx, "alice.test")
	require.NoError(t, err)
	require.Equal(t, alice, a.DID)

	_, err = f.artists.GetByHandle(ctx, "nobody.test")
	require.ErrorIs(t, err, artists.ErrNotFound)
	// Known to identity, never an artist.
	_, err = f.artists.GetByHandle(ctx, "bob.test")
	require.ErrorIs(t, err, artists.ErrNotFound)
}

func TestAnalytics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newArtists(t)
	at := time.Now().UTC().Truncate(time.Microsecond)
	add := func(title string, ready bool, durationMs int32, age time.Duration) uuid.UUID {
		id := uuid.New()
		require.NoError(t, f.tracks.CreateDraft(ctx, tracks.Draft{ID: id, ArtistDID: alice, Title: title, CreatedAt: at.Add(-age)}))
		if ready {
			require.NoError(t, f.tracks.Publish(ctx, id, tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: durationMs}))
		}
		return id
	}
	one := add("one", true, 1_500, 3*time.Minute)
	two := add("two", true, 2_600, 2*time.Minute)
	three := add("three", true, 61_000, time.Minute)
	processing := add("processing", false, 0, 0)

	an, err := f.artists.Analytics(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, artists.Analytics{Items: 3, DurationSeconds: 65}, an) // 65.1 s
	require.Nil(t, an.TopPlayed)
	require.Nil(t, an.TopLiked)

	set := func(id uuid.UUID, plays, likes int) {
		f.exec(t, "UPDATE catalog.tracks SET play_count = $2, like_count = $3 WHERE id = $1", id, plays, likes)
	}
	set(one, 10, 0)
	set(two, 4, 7)
	set(three, 10, 2)
	set(processing, 1000, 1000) // not ready: never counted

	an, err = f.artists.Analytics(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, int64(24), an.Plays)
	require.Equal(t, int64(3), an.Items)
	require.Equal(t, int64(65), an.DurationSeconds)
	// A tie in plays goes to the newer track.
	require.Equal(t, &artists.TopTrack{ID: three, Title: "three", Count: 10}, an.TopPlayed)
	require.Equal(t, &artists.TopTrack{ID: two, Title: "two", Count: 7}, an.TopLiked)

	// Bob is an artist without tracks.
	require.NoError(t, f.artists.Ensure(ctx, bob))
	an, err = f.artists.Analytics(ctx, bob)
	require.NoError(t, err)
	require.Equal(t, artists.Analytics{}, an)

	_, err = f.artists.Analytics(ctx, nobody)
	require.ErrorIs(t, err, artists.ErrNotFound)
}
