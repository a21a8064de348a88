package catalog_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	catalogact "github.com/plyrfm/plyr/activities/catalog"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/modules/catalog"
)

const carol = "did:plc:carol"

// Real CIDs: the lexicon checks a strongRef's cid.
const (
	cid1 = "bafyreifxbiko4hqv26vjjpmbb3ag6tfxpi2g5dztv33l72xd27ceill2sm"
	cid2 = "bafyreihmgfuc7xswdelzkl7xrj5ivxx72d7lynzn2juhdelmi3ddaoa3iu"
	cid3 = "bafyreieej3gaqfsof2vsoy2ktlpodl5glgpfrflq44mxqtqibttup7aoiu"
	cid4 = "bafyreieejnu4jvkmyjslylnnw25xb5j3yer35l6a6wgyd3mm2sqhyjffu4"
)

// people stands in for the identity module, with display names, and counts handle
// resolutions.
type people struct {
	mu       sync.Mutex
	profiles map[string]catalog.AccountProfile
	resolved []string
}

func (p *people) Profiles(_ context.Context, dids []string) (map[string]catalog.AccountProfile, error) {
	out := map[string]catalog.AccountProfile{}
	for _, d := range dids {
		if v, ok := p.profiles[d]; ok {
			out[d] = v
		}
	}
	return out, nil
}

func (p *people) DIDByHandle(_ context.Context, handle string) (string, bool, error) {
	for did, v := range p.profiles {
		if v.Handle == handle {
			return did, true, nil
		}
	}
	return "", false, nil
}

func (p *people) ResolveHandle(ctx context.Context, handle string) (string, bool) {
	p.mu.Lock()
	p.resolved = append(p.resolved, handle)
	p.mu.Unlock()
	did, ok, _ := p.DIDByHandle(ctx, handle)
	return did, ok
}

// HiddenTags: nobody hides any.
func (p *people) HiddenTags(context.Context, string) ([]string, error) { return nil, nil }

// images stands in for the media module's artwork.
type images map[uuid.UUID]catalog.Image

func (i images) Image(_ context.Context, id uuid.UUID) (catalog.Image, bool, error) {
	img, ok := i[id]
	return img, ok, nil
}

type editFixture struct {
	fixture
	people *people
	images images
}

func newEditFixture(t *testing.T) editFixture {
	t.Helper()
	st := &starts{}
	ppl := &people{profiles: map[string]catalog.AccountProfile{
		alice: {Handle: "alice.test", DisplayName: "Alice"},
		bob:   {Handle: "bob.test", DisplayName: "Bob B"},
		carol: {Handle: "carol.test"},
	}}
	imgs := images{}
	m := catalog.New(catalog.Deps{
		DB: testenv.NewDatabase(t), Logger: logging.Discard(), Metrics: metrics.New(),
		Config:   catalog.Config{Namespace: "fm.plyr", PublicURL: "https://plyr.example"},
		Accounts: ppl, Images: imgs, Records: st,
	})
	srv := rpctest.NewServer(t, rpctest.Tokens{
		"alice-token": {DID: alice, Handle: "alice.test"},
		"bob-token":   {DID: bob, Handle: "bob.test"},
	}, m)
	client := catalogv1connect.NewCatalogServiceClient(srv.Client(), srv.URL, connect.WithProtoJSON())
	return editFixture{fixture: fixture{module: m, client: client, starts: st}, people: ppl, images: imgs}
}

// editTrack is a ready track of the fixture, and the ref of its record.
type editTrack struct {
	id  string
	ref recordsact.Ref
}

var editBase = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// ready adds a ready track of artist (n orders creation) and settles its first record
// with cid, as if the workflow had written it.
func (f editFixture) ready(t *testing.T, artist, title string, n int, cid string) editTrack {
	t.Helper()
	at := editBase.Add(time.Duration(n) * time.Minute)
	id := f.addTrack(t, artist, title, at, true)
	ref := trackRecordRef(t, artist, id, at)
	if cid != "" {
		require.False(t, f.settleTrack(t, ref, recordsact.Outcome{Revision: 1, URI: ref.URI(), CID: cid}))
	}
	return editTrack{id: id, ref: ref}
}

func (f editFixture) edit(token string, req *catalogv1.UpdateTrackRequest) (*catalogv1.Track, error) {
	res, err := f.client.UpdateTrack(rpctest.WithToken(context.Background(), token), req)
	return res.GetTrack(), err
}

func (f editFixture) mustEdit(t *testing.T, req *catalogv1.UpdateTrackRequest) *catalogv1.Track {
	t.Helper()
	tr, err := f.edit("alice-token", req)
	require.NoError(t, err)
	return tr
}

// get is the track as alice sees it.
func (f editFixture) get(t *testing.T, id string) *catalogv1.Track {
	t.Helper()
	res, err := f.client.GetTrack(rpctest.WithToken(context.Background(), "alice-token"), &catalogv1.GetTrackRequest{Id: id})
	require.NoError(t, err)
	return res.GetTrack()
}

// startsSince are the record starts after the first n.
func (f editFixture) startsSince(n int) []recordsact.Ref {
	return f.starts.started()[n:]
}

func lists(refs []recordsact.Ref) []recordsact.Ref {
	var out []recordsact.Ref
	for _, r := range refs {
		if r.Collection == "fm.plyr.list" {
			out = append(out, r)
		}
	}
	return out
}

// trackRecord builds the track's record over current, as the workflow would.
func (f editFixture) trackRecord(t *testing.T, ref recordsact.Ref, current map[string]any) (map[string]any, int64) {
	t.Helper()
	w, err := f.module.RecordSources()["fm.plyr.track"].Wanted(context.Background(), ref)
	require.NoError(t, err)
	rec, err := w.Build(current)
	require.NoError(t, err)
	return rec, w.Revision
}

func (f editFixture) listRecord(t *testing.T, ref recordsact.Ref, current map[string]any) (map[string]any, int64) {
	t.Helper()
	w, err := f.module.RecordSources()["fm.plyr.list"].Wanted(context.Background(), ref)
	require.NoError(t, err)
	rec, err := w.Build(current)
	require.NoError(t, err)
	return rec, w.Revision
}

func validateRecord(t *testing.T, collection string, rec map[string]any) {
	t.Helper()
	v, err := lexicons.NewValidator("fm.plyr")
	require.NoError(t, err)
	withType := map[string]any{"$type": collection}
	for k, val := range rec {
		withType[k] = val
	}
	require.NoError(t, v.Validate(collection, withType))
}

type item struct{ URI, CID string }

func listItems(t *testing.T, rec map[string]any) []item {
	t.Helper()
	out := []item{}
	for _, it := range rec["items"].([]any) {
		s := it.(map[string]any)["subject"].(map[string]any)
		out = append(out, item{s["uri"].(string), s["cid"].(string)})
	}
	return out
}

func ptr(s string) *string { return &s }

func TestUpdateTrack_Title(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "Old title", 0, cid1)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, f.get(t, tr.id).GetRecord().GetState())
	n := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("  New title ")})
	require.Equal(t, "New title", got.GetTitle(), "trimmed")
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, got.GetRecord().GetState())
	require.Equal(t, []recordsact.Ref{tr.ref}, f.startsSince(n), "the track's record is revised")
	require.True(t, proto.Equal(got, f.get(t, tr.id)), "the answer is the track as it now is")

	rec, rev := f.trackRecord(t, tr.ref, nil)
	require.Equal(t, int64(2), rev)
	require.Equal(t, "New title", rec["title"])
	validateRecord(t, "fm.plyr.track", rec)

	// The same title again changes no record.
	n = len(f.starts.started())
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("New title")})
	require.Empty(t, f.startsSince(n))

	// 256 bytes is the limit, counted in bytes.
	long := strings.Repeat("é", 128)
	require.Equal(t, long, f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Title: &long}).GetTitle())
	// Decomposed accents are stored composed (NFC).
	require.Equal(t, "Café", f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("Cafe\u0301")}).GetTitle())
}

func TestUpdateTrack_Album(t *testing.T) {
	ctx := context.Background()
	f := newEditFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	n := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: one.id, Album: ptr("My Album")})
	album := got.GetAlbum()
	require.NotNil(t, album)
	require.Equal(t, "my-album", album.GetSlug())
	require.Equal(t, "My Album", album.GetTitle())
	require.NotEmpty(t, album.GetId())
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, got.GetRecord().GetState())
	started := f.startsSince(n)
	require.Contains(t, started, one.ref, "the track's record names its album")
	listStarts := lists(started)
	require.Len(t, listStarts, 1, "the album's list record is started")
	listRef := listStarts[0]
	require.Equal(t, alice, listRef.DID)
	require.Equal(t, "fm.plyr.list", listRef.Collection)

	// "my album!" has the same slug: the same album, under its first title.
	n = len(f.starts.started())
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("my album!")})
	require.Equal(t, album.GetId(), got.GetAlbum().GetId())
	require.Equal(t, "My Album", got.GetAlbum().GetTitle())
	require.ElementsMatch(t, []recordsact.Ref{two.ref, listRef}, f.startsSince(n))

	// The list points at both tracks' records as they are, oldest first.
	rec, _ := f.listRecord(t, listRef, nil)
	require.Equal(t, "My Album", rec["name"])
	require.Equal(t, "album", rec["listType"])
	require.Equal(t, []item{{one.ref.URI(), cid1}, {two.ref.URI(), cid2}}, listItems(t, rec))
	validateRecord(t, "fm.plyr.list", rec)
	trackRec, _ := f.trackRecord(t, two.ref, nil)
	require.Equal(t, "My Album", trackRec["album"])
	validateRecord(t, "fm.plyr.track", trackRec)

	// Naming the album it is already in changes nothing.
	n = len(f.starts.started())
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("MY ALBUM")})
	require.Empty(t, f.startsSince(n))

	// "" takes the track out, and the album's list is rewritten without it.
	n = len(f.starts.started())
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: one.id, Album: ptr("")})
	require.Nil(t, got.GetAlbum())
	require.ElementsMatch(t, []recordsact.Ref{one.ref, listRef}, f.startsSince(n))
	rec, _ = f.listRecord(t, listRef, rec)
	require.Equal(t, []item{{two.ref.URI(), cid2}}, listItems(t, rec))
	trackRec, _ = f.trackRecord(t, one.ref, map[string]any{"album": "My Album", "title": "one"})
	require.NotContains(t, trackRec, "album")

	// Moving a track to another album rewrites both lists.
	n = len(f.starts.started())
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("Другой")})
	require.Regexp(t, `^album-[0-9a-f]{8}$`, got.GetAlbum().GetSlug())
	require.NotEqual(t, album.GetId(), got.GetAlbum().GetId())
	moved := lists(f.startsSince(n))
	require.Len(t, moved, 2)
	require.Contains(t, moved, listRef)
	rec, _ = f.listRecord(t, listRef, rec)
	require.Empty(t, listItems(t, rec), "the old album is empty")
	validateRecord(t, "fm.plyr.list", rec)

	// Bob's album of the same name is his own.
	bobs := f.ready(t, bob, "bob's", 2, cid3)
	res, err := f.client.UpdateTrack(rpctest.WithToken(ctx, "bob-token"), &catalogv1.UpdateTrackRequest{Id: bobs.id, Album: ptr("My Album")})
	require.NoError(t, err)
	require.Equal(t, "my-album", res.GetTrack().GetAlbum().GetSlug())
	require.NotEqual(t, album.GetId(), res.GetTrack().GetAlbum().GetId())
}

func TestUpdateTrack_AlbumMadeOnceUnderConcurrentEdits(t *testing.T) {
	f := newEditFixture(t)
	var ids []string
	for i := range 6 {
		ids = append(ids, f.ready(t, alice, "t", i, "").id)
	}
	albumIDs := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			tr, err := f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: id, Album: ptr([]string{"Same", "same", "SAME!"}[i%3])})
			require.NoError(t, err)
			albumIDs[i] = tr.GetAlbum().GetId()
		})
	}
	wg.Wait()
	for _, a := range albumIDs {
		require.Equal(t, albumIDs[0], a)
	}
}

func TestUpdateTrack_Tags(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "tagged", 0, cid1)
	n := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetTags: true, Tags: []string{" Rock", "rock", "#Jazz", "ÉLECTRO"}})
	require.ElementsMatch(t, []string{"rock", "jazz", "électro"}, got.GetTags())
	require.Len(t, got.GetTags(), 3)
	require.Empty(t, f.startsSince(n), "tags are plyr's own: the record is not rewritten")
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, got.GetRecord().GetState())
	require.ElementsMatch(t, []string{"rock", "jazz", "électro"}, f.get(t, tr.id).GetTags())

	// Without set_tags, tags stay.
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Tags: []string{"ignored"}})
	require.ElementsMatch(t, []string{"rock", "jazz", "électro"}, got.GetTags())

	// 10 tags of 50 characters are fine.
	var ten []string
	for i := range 10 {
		ten = append(ten, strings.Repeat(string(rune('a'+i)), 49)+"é")
	}
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetTags: true, Tags: ten})
	require.ElementsMatch(t, ten, got.GetTags())

	// set_tags with none clears them.
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetTags: true})
	require.Empty(t, got.GetTags())
	require.Empty(t, f.startsSince(n))
}

func TestUpdateTrack_TagsRefused(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "tagged", 0, cid1)
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetTags: true, Tags: []string{"kept"}})
	before := f.get(t, tr.id)
	n := len(f.starts.started())

	var eleven []string
	for i := range 11 {
		eleven = append(eleven, "tag"+string(rune('a'+i)))
	}
	tests := []struct {
		name string
		tags []string
	}{
		{"11 tags", eleven},
		{"21 tags, even if repeats", slicesRepeat("x", 21)},
		{"51 characters", []string{strings.Repeat("a", 51)}},
		{"51 characters, accented", []string{strings.Repeat("é", 51)}},
		{"a control character", []string{"rock\x07"}},
		{"a newline", []string{"rock\nroll"}},
		{"a line separator", []string{"rock\u2028roll"}},
		{"10 kB", []string{strings.Repeat("a", 10_000)}},
		{"not UTF-8", []string{"rock\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("changed"), SetTags: true, Tags: tt.tags})
			if tt.name == "not UTF-8" && connect.CodeOf(err) == connect.CodeInternal {
				// proto3 strings must be UTF-8: the JSON client cannot even send it.
				return
			}
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
		})
	}
	require.True(t, proto.Equal(before, f.get(t, tr.id)), "refused edits change nothing")
	require.Empty(t, f.startsSince(n))
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestUpdateTrack_Features(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "featuring", 0, cid1)
	n := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true, Features: []string{"bob.test"}})
	require.Len(t, got.GetFeatures(), 1)
	require.Equal(t, bob, got.GetFeatures()[0].GetDid())
	require.Equal(t, "bob.test", got.GetFeatures()[0].GetHandle())
	require.Equal(t, "Bob B", got.GetFeatures()[0].GetDisplayName())
	require.Equal(t, []recordsact.Ref{tr.ref}, f.startsSince(n), "the record lists features")
	require.Contains(t, f.people.resolved, "bob.test")

	rec, _ := f.trackRecord(t, tr.ref, nil)
	require.Equal(t, []any{map[string]any{"did": bob, "handle": "bob.test", "displayName": "Bob B"}}, rec["features"])
	validateRecord(t, "fm.plyr.track", rec)

	// "@", case and repeats are handled; the artist herself is dropped; order kept.
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true,
		Features: []string{"@Carol.Test", "alice.test", "BOB.test", " carol.test "}})
	require.Len(t, got.GetFeatures(), 2)
	require.Equal(t, carol, got.GetFeatures()[0].GetDid())
	require.Equal(t, "carol.test", got.GetFeatures()[0].GetHandle())
	require.Empty(t, got.GetFeatures()[0].GetDisplayName())
	require.Equal(t, bob, got.GetFeatures()[1].GetDid())
	rec, _ = f.trackRecord(t, tr.ref, nil)
	require.Equal(t, []any{
		map[string]any{"did": carol, "handle": "carol.test"},
		map[string]any{"did": bob, "handle": "bob.test", "displayName": "Bob B"},
	}, rec["features"])
	validateRecord(t, "fm.plyr.track", rec)

	// Only herself: no features at all, and the record has none.
	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true, Features: []string{"alice.test"}})
	require.Empty(t, got.GetFeatures())
	rec, _ = f.trackRecord(t, tr.ref, map[string]any{"features": []any{"stale"}})
	require.NotContains(t, rec, "features")

	// Refused.
	before := f.get(t, tr.id)
	n = len(f.starts.started())
	_, err := f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true, Features: []string{"bob.test", "nobody.test"}})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	require.Contains(t, err.Error(), "nobody.test", "the message names the handle")
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true, Features: []string{"not a handle"}})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	six := []string{"bob.test", "carol.test", "bob.test", "carol.test", "bob.test", "carol.test"}
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, SetFeatures: true, Features: six})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "6 features")
	require.True(t, proto.Equal(before, f.get(t, tr.id)))
	require.Empty(t, f.startsSince(n))
}

func TestUpdateTrack_Image(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "art", 0, cid1)
	mine, bobs := uuid.New(), uuid.New()
	f.images[mine] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + mine.String() + "/512", ThumbURL: "https://plyr.example/images/" + mine.String() + "/96"}
	f.images[bobs] = catalog.Image{OwnerDID: bob, URL: "https://plyr.example/images/" + bobs.String() + "/512", ThumbURL: "https://plyr.example/images/" + bobs.String() + "/96"}
	n := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, ImageId: ptr(mine.String())})
	require.Equal(t, f.images[mine].URL, got.GetImageUrl())
	require.Equal(t, f.images[mine].ThumbURL, got.GetThumbUrl())
	require.Equal(t, []recordsact.Ref{tr.ref}, f.startsSince(n))
	rec, _ := f.trackRecord(t, tr.ref, nil)
	require.Equal(t, f.images[mine].URL, rec["imageUrl"])
	validateRecord(t, "fm.plyr.track", rec)

	before := f.get(t, tr.id)
	n = len(f.starts.started())
	for name, id := range map[string]string{"bob's": bobs.String(), "unknown": uuid.NewString(), "not an id": "cover.png"} {
		_, err := f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, ImageId: &id})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), name)
	}
	require.True(t, proto.Equal(before, f.get(t, tr.id)))
	require.Empty(t, f.startsSince(n))

	got = f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, ImageId: ptr("")})
	require.Empty(t, got.GetImageUrl())
	require.Empty(t, got.GetThumbUrl())
	require.Equal(t, []recordsact.Ref{tr.ref}, f.startsSince(n))
	rec, _ = f.trackRecord(t, tr.ref, rec)
	require.NotContains(t, rec, "imageUrl")
}

func TestUpdateTrack_Refused(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "mine", 0, cid1)
	processing := f.addTrack(t, alice, "processing", editBase.Add(time.Hour), false)
	before := f.get(t, tr.id)
	n := len(f.starts.started())

	tests := []struct {
		name, token string
		req         *catalogv1.UpdateTrackRequest
		want        connect.Code
	}{
		{"someone else's track", "bob-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("mine now")}, connect.CodePermissionDenied},
		{"someone else's, album", "bob-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr("Bob's")}, connect.CodePermissionDenied},
		{"someone else's processing track", "bob-token", &catalogv1.UpdateTrackRequest{Id: processing, Title: ptr("x")}, connect.CodeNotFound},
		{"an unknown track", "alice-token", &catalogv1.UpdateTrackRequest{Id: uuid.NewString(), Title: ptr("x")}, connect.CodeNotFound},
		{"not an id", "alice-token", &catalogv1.UpdateTrackRequest{Id: "42", Title: ptr("x")}, connect.CodeInvalidArgument},
		{"anonymous", "", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("x")}, connect.CodeUnauthenticated},
		{"a bad token", "stolen", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("x")}, connect.CodeUnauthenticated},
		{"title of 257 bytes", "alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr(strings.Repeat("a", 255) + "é")}, connect.CodeInvalidArgument},
		{"empty title", "alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("  ")}, connect.CodeInvalidArgument},
		{"title with a newline", "alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Title: ptr("a\nb")}, connect.CodeInvalidArgument},
		{"album of 257 bytes", "alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr(strings.Repeat("b", 257))}, connect.CodeInvalidArgument},
		{"album with a control character", "alice-token", &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr("A\x00B")}, connect.CodeInvalidArgument},
		// Everything valid but one feature: nothing is written, no album made.
		{"valid fields and an unresolvable feature", "alice-token", &catalogv1.UpdateTrackRequest{
			Id: tr.id, Title: ptr("new"), Album: ptr("New Album"), SetTags: true, Tags: []string{"t"},
			SetFeatures: true, Features: []string{"nobody.test"},
		}, connect.CodeInvalidArgument},
		{"valid fields and a bad image", "alice-token", &catalogv1.UpdateTrackRequest{
			Id: tr.id, Title: ptr("new"), Album: ptr("New Album"), SetTags: true, Tags: []string{"t"}, ImageId: ptr(uuid.NewString()),
		}, connect.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.edit(tt.token, tt.req)
			require.Equal(t, tt.want, connect.CodeOf(err), "%v", err)
		})
	}
	require.True(t, proto.Equal(before, f.get(t, tr.id)), "a refused edit changes nothing")
	require.Empty(t, f.startsSince(n), "a refused edit starts nothing")

	// The album named by a refused edit was never made: naming it now makes it, and its
	// list record is started (a first start).
	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr("New Album")})
	listRefs := lists(f.startsSince(n))
	require.Len(t, listRefs, 1)
	w, err := f.module.RecordSources()["fm.plyr.list"].Wanted(context.Background(), listRefs[0])
	require.NoError(t, err)
	require.Equal(t, "new-album", got.GetAlbum().GetSlug())
	require.Positive(t, w.Revision)
}

// The record Wanted through the module carries album, features and imageUrl, valid
// against the lexicon; removing them removes the keys, and fields plyr does not manage stay.
func TestUpdateTrack_RecordThroughWanted(t *testing.T) {
	f := newEditFixture(t)
	tr := f.ready(t, alice, "full", 0, cid1)
	img := uuid.New()
	f.images[img] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + img.String() + "/512", ThumbURL: "https://plyr.example/images/" + img.String() + "/96"}
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{
		Id: tr.id, Title: ptr("Full"), Album: ptr("Night Drive"), SetFeatures: true, Features: []string{"bob.test"},
		ImageId: ptr(img.String()), SetTags: true, Tags: []string{"synthwave"},
	})
	current := map[string]any{"title": "full", "x.other": "kept", "createdAt": "2026-01-01T00:00:00.000Z"}
	rec, _ := f.trackRecord(t, tr.ref, current)
	require.Equal(t, "Full", rec["title"])
	require.Equal(t, "Night Drive", rec["album"])
	require.Equal(t, []any{map[string]any{"did": bob, "handle": "bob.test", "displayName": "Bob B"}}, rec["features"])
	require.Equal(t, f.images[img].URL, rec["imageUrl"])
	require.Equal(t, "kept", rec["x.other"])
	require.Equal(t, "2026-01-01T00:00:00.000Z", rec["createdAt"])
	require.NotContains(t, rec, "tags", "tags are not in the record")
	validateRecord(t, "fm.plyr.track", rec)

	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr(""), SetFeatures: true, ImageId: ptr("")})
	rec, _ = f.trackRecord(t, tr.ref, rec)
	for _, k := range []string{"album", "features", "imageUrl"} {
		require.NotContains(t, rec, k)
	}
	require.Equal(t, "kept", rec["x.other"])
	validateRecord(t, "fm.plyr.track", rec)
}

// A track record written anew (a new CID) has its album's list rewritten to point at it.
func TestSettleTrack_NewCIDRewritesTheAlbumList(t *testing.T) {
	ctx := context.Background()
	f := newEditFixture(t)
	tr := f.ready(t, alice, "one", 0, cid1)
	loose := f.ready(t, alice, "no album", 1, cid2)
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr("Night Drive")})
	listRefs := lists(f.starts.started())
	require.Len(t, listRefs, 1)
	listRef := listRefs[0]
	rec, _ := f.listRecord(t, listRef, nil)
	require.Equal(t, []item{{tr.ref.URI(), cid1}}, listItems(t, rec), "the old CID until the track record is rewritten")

	// The workflow writes the track's record: a new CID.
	_, rev := f.trackRecord(t, tr.ref, nil)
	listRev := func() int64 {
		w, err := f.module.RecordSources()["fm.plyr.list"].Wanted(ctx, listRef)
		require.NoError(t, err)
		return w.Revision
	}
	revBefore := listRev()
	n := len(f.starts.started())
	require.False(t, f.settleTrack(t, tr.ref, recordsact.Outcome{Revision: rev, URI: tr.ref.URI(), CID: cid3}))
	require.Equal(t, []recordsact.Ref{listRef}, f.startsSince(n), "the album's list is started")
	require.Equal(t, revBefore+1, listRev(), "and revised")
	rec, _ = f.listRecord(t, listRef, rec)
	require.Equal(t, []item{{tr.ref.URI(), cid3}}, listItems(t, rec))
	validateRecord(t, "fm.plyr.list", rec)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, f.get(t, tr.id).GetRecord().GetState())
	require.Equal(t, cid3, f.get(t, tr.id).GetRecord().GetCid())

	// The same CID again (a repeated MarkRecord, an unchanged rewrite): nothing to do.
	n = len(f.starts.started())
	f.settleTrack(t, tr.ref, recordsact.Outcome{Revision: rev, URI: tr.ref.URI(), CID: cid3})
	require.Empty(t, f.startsSince(n))
	// A failure: nothing to do.
	f.settleTrack(t, tr.ref, recordsact.Outcome{Failure: recordsact.FailureNetwork, Reason: "down"})
	require.Empty(t, f.startsSince(n))
	// A track in no album: nothing to do.
	_, looseRev := f.trackRecord(t, loose.ref, nil)
	f.settleTrack(t, loose.ref, recordsact.Outcome{Revision: looseRev, URI: loose.ref.URI(), CID: cid4})
	require.Empty(t, f.startsSince(n))
	require.Equal(t, revBefore+1, listRev())
}

// A track still processing can be edited by its artist (an upload form sends album and
// tags right after the file): nothing is written until it is published, and then its
// record carries the edit.
func TestUpdateTrack_WhileProcessing(t *testing.T) {
	f := newEditFixture(t)
	ctx := context.Background()
	id := f.addTrack(t, alice, "draft", editBase, false)
	before := len(f.starts.started())

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: id, Title: ptr("Final title"), Album: ptr("First EP"),
		SetTags: true, Tags: []string{"ambient"}})
	require.Equal(t, "Final title", got.GetTitle())
	require.Equal(t, "First EP", got.GetAlbum().GetTitle())
	require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_PROCESSING, got.GetStatus())
	for _, ref := range f.starts.started()[before:] {
		require.NotEqual(t, "fm.plyr.track", ref.Collection, "no track record before the track is published")
	}

	require.NoError(t, f.module.PublishTrack(ctx, catalogact.Publication{TrackID: uuid.MustParse(id), FileID: uuid.New(), FileType: "mp3", DurationMs: 61_000}))
	ref := trackRecordRef(t, alice, id, editBase)
	require.Contains(t, f.starts.started(), ref)
	w, err := f.module.RecordSources()["fm.plyr.track"].Wanted(ctx, ref)
	require.NoError(t, err)
	rec, err := w.Build(nil)
	require.NoError(t, err)
	require.Equal(t, "Final title", rec["title"])
	require.Equal(t, "First EP", rec["album"])
}

// SearchAccounts finds the profiles whose handle contains q.
func (p *people) SearchAccounts(_ context.Context, q string, limit int) ([]catalog.AccountMatch, error) {
	var out []catalog.AccountMatch
	for did, v := range p.profiles {
		if strings.Contains(v.Handle, q) && len(out) < limit {
			out = append(out, catalog.AccountMatch{DID: did, Score: 0.5})
		}
	}
	return out, nil
}
