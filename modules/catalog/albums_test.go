package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/catalog"
)

// removals stands in for the media module's cleanup: it records what it was asked to
// delete.
type removals struct {
	mu     sync.Mutex
	files  []uuid.UUID
	images []uuid.UUID
}

func (r *removals) RemoveFile(_ context.Context, id uuid.UUID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files = append(r.files, id)
	return nil
}

func (r *removals) DeleteImage(_ context.Context, id uuid.UUID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.images = append(r.images, id)
	return nil
}

func (r *removals) deletedImages() []uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.images)
}

func (r *removals) removedFiles() []uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.files)
}

// albumFixture is the edit fixture with a cleanup that records its calls, the database
// (for play counts, which the listener side keeps) and the configuration it was made with.
type albumFixture struct {
	editFixture
	cleanup *removals
	pool    *pgxpool.Pool
}

func newAlbumFixture(t *testing.T) albumFixture {
	t.Helper()
	ppl := &people{profiles: map[string]catalog.AccountProfile{
		alice: {Handle: "alice.test", DisplayName: "Alice"},
		bob:   {Handle: "bob.test", DisplayName: "Bob B"},
		carol: {Handle: "carol.test"},
	}}
	return newAlbumFixtureWith(t, catalog.Config{Namespace: "fm.plyr", PublicURL: "https://plyr.example"}, ppl, ppl)
}

// newAlbumFixtureWith builds the module with cfg and accts; ppl is the same accounts
// as the edit fixture's helpers see them.
func newAlbumFixtureWith(t *testing.T, cfg catalog.Config, accts catalog.Accounts, ppl *people) albumFixture {
	t.Helper()
	st := &starts{}
	imgs := images{}
	rm := &removals{}
	pool := testenv.NewDatabase(t)
	m := catalog.New(catalog.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(),
		Config: cfg, Accounts: accts, Images: imgs, Cleanup: rm, Records: st,
	})
	srv := rpctest.NewServer(t, rpctest.Tokens{
		"alice-token": {DID: alice, Handle: "alice.test"},
		"bob-token":   {DID: bob, Handle: "bob.test"},
		"carol-token": {DID: carol, Handle: "carol.test"},
	}, m)
	client := catalogv1connect.NewCatalogServiceClient(srv.Client(), srv.URL, connect.WithProtoJSON())
	return albumFixture{
		editFixture: editFixture{fixture: fixture{module: m, client: client, starts: st}, people: ppl, images: imgs},
		cleanup:     rm, pool: pool,
	}
}

func as(token string) context.Context { return rpctest.WithToken(context.Background(), token) }

// intoAlbum names title as the album of alice's track and returns the album's id and the
// ref of its list record (as started when the album was made or joined).
func (f albumFixture) intoAlbum(t *testing.T, trackID, title string) (string, recordsact.Ref) {
	t.Helper()
	n := len(f.starts.started())
	tr := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: trackID, Album: ptr(title)})
	require.NotNil(t, tr.GetAlbum())
	refs := lists(f.startsSince(n))
	require.NotEmpty(t, refs, "the album's list record is started")
	return tr.GetAlbum().GetId(), refs[len(refs)-1]
}

func (f albumFixture) album(t *testing.T, token string, req *catalogv1.GetAlbumRequest) *catalogv1.GetAlbumResponse {
	t.Helper()
	res, err := f.client.GetAlbum(as(token), req)
	require.NoError(t, err)
	return res
}

func (f albumFixture) albumCode(token string, req *catalogv1.GetAlbumRequest) connect.Code {
	_, err := f.client.GetAlbum(as(token), req)
	return connect.CodeOf(err)
}

func (f albumFixture) artistAlbums(t *testing.T, did string) []*catalogv1.Album {
	t.Helper()
	res, err := f.client.ListAlbums(context.Background(), &catalogv1.ListAlbumsRequest{ArtistDid: did})
	require.NoError(t, err)
	require.Empty(t, res.GetNextPageToken(), "an artist's albums come in one page")
	return res.GetAlbums()
}

func (f albumFixture) setPlays(t *testing.T, trackID string, plays int) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), "UPDATE catalog.tracks SET play_count = $2 WHERE id = $1", uuid.MustParse(trackID), plays)
	require.NoError(t, err)
}

// wanted is what the workflow would be told the record should be.
func (f albumFixture) wanted(t *testing.T, ref recordsact.Ref) recordsact.Wanted {
	t.Helper()
	w, err := f.module.RecordSources()[ref.Collection].Wanted(context.Background(), ref)
	require.NoError(t, err)
	return w
}

func (f albumFixture) settle(t *testing.T, ref recordsact.Ref, o recordsact.Outcome) {
	t.Helper()
	_, err := f.module.RecordSources()[ref.Collection].Settle(context.Background(), ref, o)
	require.NoError(t, err)
}

func albumTitles(list []*catalogv1.Album) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.GetTitle())
	}
	return out
}

func trackIDs(list []*catalogv1.Track) []string {
	out := []string{}
	for _, tr := range list {
		out = append(out, tr.GetId())
	}
	return out
}

func TestListAlbums_AnArtistsByTitle(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	three := f.ready(t, alice, "three", 2, cid3)
	bobs := f.ready(t, bob, "bob's", 3, cid4)
	f.intoAlbum(t, one.id, "Beta")
	f.intoAlbum(t, two.id, "Beta")
	f.intoAlbum(t, three.id, "alpha")
	_, err := f.client.UpdateTrack(as("bob-token"), &catalogv1.UpdateTrackRequest{Id: bobs.id, Album: ptr("Aardvark")})
	require.NoError(t, err)
	f.setPlays(t, one.id, 5)
	f.setPlays(t, two.id, 7)
	f.setPlays(t, three.id, 1)

	got := f.artistAlbums(t, alice)
	require.Equal(t, []string{"alpha", "Beta"}, albumTitles(got), "by title, any case; bob's are not hers")
	beta := got[1]
	require.Equal(t, int64(2), beta.GetTrackCount())
	require.Equal(t, int64(12), beta.GetTotalPlays())
	require.Equal(t, "beta", beta.GetSlug())
	require.Equal(t, alice, beta.GetArtistDid())
	require.Equal(t, "alice.test", beta.GetArtistHandle())
	require.Equal(t, "Alice", beta.GetArtistDisplayName())
	require.NotNil(t, beta.GetCreatedAt())
	require.Equal(t, int64(1), got[0].GetTrackCount())
	require.Equal(t, int64(1), got[0].GetTotalPlays())

	bobsAlbums := f.artistAlbums(t, bob)
	require.Equal(t, []string{"Aardvark"}, albumTitles(bobsAlbums))
	require.Equal(t, "bob.test", bobsAlbums[0].GetArtistHandle())
	require.Equal(t, "Bob B", bobsAlbums[0].GetArtistDisplayName())

	require.Empty(t, f.artistAlbums(t, carol), "an artist with no albums")
}

func TestListAlbums_EveryonesNewestFirstInPages(t *testing.T) {
	f := newAlbumFixture(t)
	var want []string // newest first
	for i := range 7 {
		artist, token := alice, "alice-token"
		if i%2 == 1 {
			artist, token = bob, "bob-token"
		}
		tr := f.ready(t, artist, fmt.Sprintf("t%d", i), i, "")
		title := fmt.Sprintf("Album %d", i)
		_, err := f.client.UpdateTrack(as(token), &catalogv1.UpdateTrackRequest{Id: tr.id, Album: ptr(title)})
		require.NoError(t, err)
		want = append([]string{title}, want...)
	}

	var got []string
	seen := map[string]bool{}
	pages := 0
	req := &catalogv1.ListAlbumsRequest{PageSize: 3}
	for {
		res, err := f.client.ListAlbums(context.Background(), req)
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(res.GetAlbums()), 3)
		for _, a := range res.GetAlbums() {
			require.False(t, seen[a.GetId()], "album %s repeated", a.GetTitle())
			seen[a.GetId()] = true
			got = append(got, a.GetTitle())
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
		require.Less(t, pages, 10)
	}
	require.Equal(t, 3, pages)
	require.Equal(t, want, got, "newest first, without gaps")

	// The default page holds them all.
	res, err := f.client.ListAlbums(context.Background(), &catalogv1.ListAlbumsRequest{})
	require.NoError(t, err)
	require.Equal(t, want, albumTitles(res.GetAlbums()))
	require.Empty(t, res.GetNextPageToken())
}

func TestListAlbums_InvalidArguments(t *testing.T) {
	f := newAlbumFixture(t)
	for name, req := range map[string]*catalogv1.ListAlbumsRequest{
		"artist is not a DID": {ArtistDid: "alice.test"},
		"page size too large": {PageSize: 101},
		"negative page size":  {PageSize: -1},
		"forged page token":   {PageToken: "not-a-token"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.client.ListAlbums(context.Background(), req)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
		})
	}
}

func TestGetAlbum_ByIDHandleOrDID(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	id, _ := f.intoAlbum(t, one.id, "Night Drive")

	for name, req := range map[string]*catalogv1.GetAlbumRequest{
		"by id":            {Id: id},
		"by handle + slug": {Artist: "alice.test", Slug: "night-drive"},
		"by DID + slug":    {Artist: alice, Slug: "night-drive"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, token := range []string{"", "bob-token", "alice-token"} {
				res := f.album(t, token, req)
				require.Equal(t, id, res.GetAlbum().GetId())
				require.Equal(t, "Night Drive", res.GetAlbum().GetTitle())
				require.Equal(t, "alice.test", res.GetAlbum().GetArtistHandle())
				require.Equal(t, []string{one.id}, trackIDs(res.GetTracks()))
			}
		})
	}

	tests := []struct {
		name string
		req  *catalogv1.GetAlbumRequest
		want connect.Code
	}{
		{"unknown id", &catalogv1.GetAlbumRequest{Id: uuid.NewString()}, connect.CodeNotFound},
		{"unknown slug", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "day-drive"}, connect.CodeNotFound},
		{"someone else's slug", &catalogv1.GetAlbumRequest{Artist: "bob.test", Slug: "night-drive"}, connect.CodeNotFound},
		{"unknown handle", &catalogv1.GetAlbumRequest{Artist: "nobody.test", Slug: "night-drive"}, connect.CodeNotFound},
		{"unknown DID", &catalogv1.GetAlbumRequest{Artist: "did:plc:nobody", Slug: "night-drive"}, connect.CodeNotFound},
		{"nothing named", &catalogv1.GetAlbumRequest{}, connect.CodeInvalidArgument},
		{"an artist without a slug", &catalogv1.GetAlbumRequest{Artist: "alice.test"}, connect.CodeInvalidArgument},
		{"a slug without an artist", &catalogv1.GetAlbumRequest{Slug: "night-drive"}, connect.CodeInvalidArgument},
		{"not an id", &catalogv1.GetAlbumRequest{Id: "42"}, connect.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, f.albumCode("", tt.req))
		})
	}
}

// An album's tracks come in creation order until its list record is written, then in the
// list record's order, with the tracks it does not list yet last.
func TestGetAlbum_TracksInTheListRecordsOrder(t *testing.T) {
	f := newAlbumFixture(t)
	first := f.ready(t, alice, "first", 0, cid1)
	second := f.ready(t, alice, "second", 1, cid2)
	third := f.ready(t, alice, "third", 2, cid3)
	// Joined newest first: the order is still the tracks' creation.
	id, listRef := f.intoAlbum(t, second.id, "Order")
	f.intoAlbum(t, first.id, "Order")
	byID := &catalogv1.GetAlbumRequest{Id: id}
	require.Equal(t, []string{first.id, second.id}, trackIDs(f.album(t, "", byID).GetTracks()))

	// The list record is written with the items the other way round.
	rec, rev := f.listRecord(t, listRef, nil)
	require.Equal(t, []item{{first.ref.URI(), cid1}, {second.ref.URI(), cid2}}, listItems(t, rec))
	f.settle(t, listRef, recordsact.Outcome{Revision: rev, URI: listRef.URI(), CID: cid4, Record: map[string]any{
		"name": "Order", "listType": "album",
		"items": []any{
			map[string]any{"subject": map[string]any{"uri": second.ref.URI(), "cid": cid2}},
			map[string]any{"subject": map[string]any{"uri": first.ref.URI(), "cid": cid1}},
		},
	}})
	res := f.album(t, "", byID)
	require.Equal(t, []string{second.id, first.id}, trackIDs(res.GetTracks()))
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, res.GetAlbum().GetRecord().GetState())
	require.Equal(t, listRef.URI(), res.GetAlbum().GetRecord().GetUri())

	// A track that joins later comes last until the list lists it.
	f.intoAlbum(t, third.id, "Order")
	require.Equal(t, []string{second.id, first.id, third.id}, trackIDs(f.album(t, "", byID).GetTracks()))
	// And the list record's rewrite keeps the order and appends it.
	rec, _ = f.listRecord(t, listRef, map[string]any{"items": []any{
		map[string]any{"subject": map[string]any{"uri": second.ref.URI(), "cid": cid2}},
		map[string]any{"subject": map[string]any{"uri": first.ref.URI(), "cid": cid1}},
	}})
	uris := []string{}
	for _, it := range listItems(t, rec) {
		uris = append(uris, it.URI)
	}
	require.Equal(t, []string{second.ref.URI(), first.ref.URI(), third.ref.URI()}, uris)
}

func TestUpdateAlbum_Rename(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	other := f.ready(t, alice, "other", 2, cid3)
	id, listRef := f.intoAlbum(t, one.id, "Old Name")
	f.intoAlbum(t, two.id, "Old Name")
	otherID, _ := f.intoAlbum(t, other.id, "Taken")
	n := len(f.starts.started())

	res, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("  New Name ")})
	require.NoError(t, err)
	require.Equal(t, "New Name", res.GetAlbum().GetTitle())
	require.Equal(t, "new-name", res.GetAlbum().GetSlug())
	require.Equal(t, id, res.GetAlbum().GetId())
	require.Equal(t, int64(2), res.GetAlbum().GetTrackCount())
	require.ElementsMatch(t, []recordsact.Ref{one.ref, two.ref, listRef}, f.startsSince(n),
		"every track's record (which names the album) and the list record")

	require.Equal(t, id, f.album(t, "", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "new-name"}).GetAlbum().GetId())
	require.Equal(t, connect.CodeNotFound, f.albumCode("", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "old-name"}))
	require.Equal(t, "New Name", f.get(t, one.id).GetAlbum().GetTitle())
	require.Equal(t, "new-name", f.get(t, two.id).GetAlbum().GetSlug())
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, f.get(t, one.id).GetRecord().GetState())

	trackRec, _ := f.trackRecord(t, one.ref, nil)
	require.Equal(t, "New Name", trackRec["album"])
	listRec, _ := f.listRecord(t, listRef, nil)
	require.Equal(t, "New Name", listRec["name"])
	validateRecord(t, "fm.plyr.list", listRec)

	// A title whose slug another of her albums has is refused; nothing changes.
	before := f.album(t, "alice-token", &catalogv1.GetAlbumRequest{Id: id})
	n = len(f.starts.started())
	_, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("taken!")})
	require.Equal(t, connect.CodeAlreadyExists, connect.CodeOf(err), "%v", err)
	after := f.album(t, "alice-token", &catalogv1.GetAlbumRequest{Id: id})
	require.Equal(t, before.GetAlbum().GetTitle(), after.GetAlbum().GetTitle())
	require.Equal(t, before.GetAlbum().GetSlug(), after.GetAlbum().GetSlug())
	require.Empty(t, f.startsSince(n))
	require.Equal(t, otherID, f.album(t, "", &catalogv1.GetAlbumRequest{Artist: alice, Slug: "taken"}).GetAlbum().GetId())
	require.Equal(t, "New Name", f.get(t, one.id).GetAlbum().GetTitle())

	// Bob may have an album with that slug: slugs are per artist.
	bobs := f.ready(t, bob, "bob's", 3, cid4)
	_, err = f.client.UpdateTrack(as("bob-token"), &catalogv1.UpdateTrackRequest{Id: bobs.id, Album: ptr("Something")})
	require.NoError(t, err)
	bobAlbum := f.artistAlbums(t, bob)[0]
	_, err = f.client.UpdateAlbum(as("bob-token"), &catalogv1.UpdateAlbumRequest{Id: bobAlbum.GetId(), Title: ptr("New Name")})
	require.NoError(t, err)

	// The same slug under another case is her own album: fine, and the records follow.
	n = len(f.starts.started())
	res, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("NEW NAME")})
	require.NoError(t, err)
	require.Equal(t, "new-name", res.GetAlbum().GetSlug())
	require.ElementsMatch(t, []recordsact.Ref{one.ref, two.ref, listRef}, f.startsSince(n))

	// Empty or bad titles.
	for name, title := range map[string]string{"empty": "  ", "newline": "a\nb", "control": "a\x07b", "257 bytes": strings.Repeat("a", 257)} {
		_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr(title)})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), name)
	}
}

func TestUpdateAlbum_Description(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	id, _ := f.intoAlbum(t, one.id, "Notes")
	n := len(f.starts.started())

	res, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Description: ptr("line one\nline two\r\n\nline four")})
	require.NoError(t, err)
	require.Equal(t, "line one\nline two\n\nline four", res.GetAlbum().GetDescription())
	require.Equal(t, "Notes", res.GetAlbum().GetTitle(), "the title stays")
	require.Empty(t, f.startsSince(n), "the description is plyr's alone: no record changes")
	require.Equal(t, "line one\nline two\n\nline four", f.album(t, "", &catalogv1.GetAlbumRequest{Id: id}).GetAlbum().GetDescription())

	limit := strings.Repeat("é", 1280) // 2560 bytes
	res, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Description: &limit})
	require.NoError(t, err)
	require.Equal(t, limit, res.GetAlbum().GetDescription())

	for name, d := range map[string]string{
		"a control character": "bell\x07",
		"a NUL":               "a\x00b",
		"a line separator":    "a\u2028b",
		"2561 bytes":          strings.Repeat("a", 2561),
		"2562 bytes, accents": strings.Repeat("é", 1281),
	} {
		_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Description: ptr(d)})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), name)
	}
	require.Equal(t, limit, f.album(t, "", &catalogv1.GetAlbumRequest{Id: id}).GetAlbum().GetDescription(), "refused edits change nothing")

	res, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Description: ptr("")})
	require.NoError(t, err)
	require.Empty(t, res.GetAlbum().GetDescription())
	require.Empty(t, f.startsSince(n))
}

func TestUpdateAlbum_Cover(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	id, _ := f.intoAlbum(t, one.id, "Covered")
	mine, bobs := uuid.New(), uuid.New()
	f.images[mine] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + mine.String() + "/512", ThumbURL: "https://plyr.example/images/" + mine.String() + "/96"}
	f.images[bobs] = catalog.Image{OwnerDID: bob, URL: "https://plyr.example/images/" + bobs.String() + "/512", ThumbURL: "https://plyr.example/images/" + bobs.String() + "/96"}
	n := len(f.starts.started())

	res, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr(mine.String())})
	require.NoError(t, err)
	require.Equal(t, f.images[mine].URL, res.GetAlbum().GetImageUrl())
	require.Equal(t, f.images[mine].ThumbURL, res.GetAlbum().GetThumbUrl())
	require.Empty(t, f.startsSince(n), "the cover is not in the list record")
	// A track without artwork of its own shows its album's.
	require.Equal(t, f.images[mine].URL, f.get(t, one.id).GetImageUrl())
	require.Equal(t, f.images[mine].URL, f.album(t, "", &catalogv1.GetAlbumRequest{Id: id}).GetTracks()[0].GetImageUrl())

	for name, img := range map[string]string{"bob's": bobs.String(), "unknown": uuid.NewString(), "not an id": "cover.png"} {
		_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr(img)})
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), name)
	}
	require.Equal(t, f.images[mine].URL, f.album(t, "", &catalogv1.GetAlbumRequest{Id: id}).GetAlbum().GetImageUrl())

	res, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr("")})
	require.NoError(t, err)
	require.Empty(t, res.GetAlbum().GetImageUrl())
	require.Empty(t, res.GetAlbum().GetThumbUrl())
	require.Empty(t, f.get(t, one.id).GetImageUrl())
	require.Empty(t, f.cleanup.deletedImages(), "a removed cover is not deleted by the edit")
}

func TestUpdateAlbum_Refused(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	id, _ := f.intoAlbum(t, one.id, "Hers")
	before := f.album(t, "", &catalogv1.GetAlbumRequest{Id: id})
	n := len(f.starts.started())

	tests := []struct {
		name, token string
		req         *catalogv1.UpdateAlbumRequest
		want        connect.Code
	}{
		{"someone else's", "bob-token", &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("Bob's now")}, connect.CodePermissionDenied},
		{"someone else's description", "bob-token", &catalogv1.UpdateAlbumRequest{Id: id, Description: ptr("x")}, connect.CodePermissionDenied},
		{"unknown", "alice-token", &catalogv1.UpdateAlbumRequest{Id: uuid.NewString(), Title: ptr("x")}, connect.CodeNotFound},
		{"not an id", "alice-token", &catalogv1.UpdateAlbumRequest{Id: "42", Title: ptr("x")}, connect.CodeInvalidArgument},
		{"anonymous", "", &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("x")}, connect.CodeUnauthenticated},
		{"a bad token", "stolen", &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("x")}, connect.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.UpdateAlbum(as(tt.token), tt.req)
			require.Equal(t, tt.want, connect.CodeOf(err), "%v", err)
		})
	}
	after := f.album(t, "", &catalogv1.GetAlbumRequest{Id: id})
	require.Equal(t, before.GetAlbum().GetTitle(), after.GetAlbum().GetTitle())
	require.Equal(t, before.GetAlbum().GetDescription(), after.GetAlbum().GetDescription())
	require.Empty(t, f.startsSince(n))
}

func TestRemoveAlbumTrack(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	loose := f.ready(t, alice, "loose", 2, cid3)
	elsewhere := f.ready(t, alice, "elsewhere", 3, cid4)
	id, listRef := f.intoAlbum(t, one.id, "Pair")
	f.intoAlbum(t, two.id, "Pair")
	f.intoAlbum(t, elsewhere.id, "Other")
	n := len(f.starts.started())

	_, err := f.client.RemoveAlbumTrack(as("alice-token"), &catalogv1.RemoveAlbumTrackRequest{AlbumId: id, TrackId: one.id})
	require.NoError(t, err)
	require.Nil(t, f.get(t, one.id).GetAlbum())
	require.ElementsMatch(t, []recordsact.Ref{one.ref, listRef}, f.startsSince(n))
	res := f.album(t, "", &catalogv1.GetAlbumRequest{Id: id})
	require.Equal(t, []string{two.id}, trackIDs(res.GetTracks()))
	require.Equal(t, int64(1), res.GetAlbum().GetTrackCount())
	rec, _ := f.listRecord(t, listRef, nil)
	require.Equal(t, []item{{two.ref.URI(), cid2}}, listItems(t, rec))
	trackRec, _ := f.trackRecord(t, one.ref, map[string]any{"album": "Pair"})
	require.NotContains(t, trackRec, "album")

	n = len(f.starts.started())
	tests := []struct {
		name, token, album, track string
		want                      connect.Code
	}{
		{"no longer in it", "alice-token", id, one.id, connect.CodeInvalidArgument},
		{"never in an album", "alice-token", id, loose.id, connect.CodeInvalidArgument},
		{"in another album", "alice-token", id, elsewhere.id, connect.CodeInvalidArgument},
		{"an unknown track", "alice-token", id, uuid.NewString(), connect.CodeInvalidArgument},
		{"not ids", "alice-token", "x", two.id, connect.CodeInvalidArgument},
		{"someone else's album", "bob-token", id, two.id, connect.CodePermissionDenied},
		{"an unknown album", "alice-token", uuid.NewString(), two.id, connect.CodeNotFound},
		{"anonymous", "", id, two.id, connect.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.RemoveAlbumTrack(as(tt.token), &catalogv1.RemoveAlbumTrackRequest{AlbumId: tt.album, TrackId: tt.track})
			require.Equal(t, tt.want, connect.CodeOf(err), "%v", err)
		})
	}
	require.Empty(t, f.startsSince(n), "refused removals start nothing")
	require.Equal(t, id, f.get(t, two.id).GetAlbum().GetId())
	require.NotNil(t, f.get(t, elsewhere.id).GetAlbum())
}

func TestDeleteAlbum_TracksStay(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	id, listRef := f.intoAlbum(t, one.id, "Gone Soon")
	f.intoAlbum(t, two.id, "Gone Soon")
	cover := uuid.New()
	f.images[cover] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + cover.String() + "/512", ThumbURL: "https://plyr.example/images/" + cover.String() + "/96"}
	_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr(cover.String())})
	require.NoError(t, err)
	// Bob may not, nor may anyone anonymous.
	_, err = f.client.DeleteAlbum(as("bob-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err))
	_, err = f.client.DeleteAlbum(as(""), &catalogv1.DeleteAlbumRequest{Id: id})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: uuid.NewString()})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
	n := len(f.starts.started())

	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.NoError(t, err)
	require.ElementsMatch(t, []recordsact.Ref{one.ref, two.ref, listRef}, f.startsSince(n))
	for _, tr := range []editTrack{one, two} {
		got := f.get(t, tr.id)
		require.Nil(t, got.GetAlbum(), "the track stays, without the album")
		require.Empty(t, got.GetImageUrl(), "nor its cover")
		require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, got.GetRecord().GetState())
		rec, _ := f.trackRecord(t, tr.ref, map[string]any{"album": "Gone Soon"})
		require.NotContains(t, rec, "album")
	}
	// Gone at once for everyone.
	require.Empty(t, f.artistAlbums(t, alice))
	all, err := f.client.ListAlbums(context.Background(), &catalogv1.ListAlbumsRequest{})
	require.NoError(t, err)
	require.Empty(t, all.GetAlbums())
	require.Equal(t, connect.CodeNotFound, f.albumCode("alice-token", &catalogv1.GetAlbumRequest{Id: id}))
	require.Equal(t, connect.CodeNotFound, f.albumCode("", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "gone-soon"}))
	// Deleting it again, or editing it, finds nothing.
	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
	_, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Title: ptr("back")})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))

	// The list record is to be deleted from the PDS.
	w := f.wanted(t, listRef)
	require.True(t, w.Absent, "the list record is revised absent")
	require.Empty(t, f.cleanup.deletedImages(), "nothing is deleted before the record is gone")

	// It is gone: the album row goes, and its cover with it.
	f.settle(t, listRef, recordsact.Outcome{Revision: w.Revision, Absent: true})
	require.Equal(t, []uuid.UUID{cover}, f.cleanup.deletedImages())
	_, err = f.module.RecordSources()["fm.plyr.list"].Wanted(context.Background(), listRef)
	require.ErrorIs(t, err, recordsact.ErrNotTracked, "the list record is forgotten")
	var rows int
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM catalog.albums WHERE id = $1", uuid.MustParse(id)).Scan(&rows))
	require.Zero(t, rows, "the album row is deleted")
	// Naming the album again makes a new one.
	again, _ := f.intoAlbum(t, one.id, "Gone Soon")
	require.NotEqual(t, id, again)
	require.Len(t, f.cleanup.removedFiles(), 0, "no track's audio was touched")
}

func TestDeleteAlbum_CoverSharedWithATrackStays(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	art := f.ready(t, alice, "with art", 1, cid2)
	shared := uuid.New()
	f.images[shared] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + shared.String() + "/512", ThumbURL: "https://plyr.example/images/" + shared.String() + "/96"}
	f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: art.id, ImageId: ptr(shared.String())})
	id, listRef := f.intoAlbum(t, one.id, "Shared Cover")
	_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr(shared.String())})
	require.NoError(t, err)

	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.NoError(t, err)
	w := f.wanted(t, listRef)
	require.True(t, w.Absent)
	f.settle(t, listRef, recordsact.Outcome{Revision: w.Revision, Absent: true})
	require.Empty(t, f.cleanup.deletedImages(), "a track still shows the image")
	require.Equal(t, f.images[shared].URL, f.get(t, art.id).GetImageUrl())
	var rows int
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM catalog.albums WHERE id = $1", uuid.MustParse(id)).Scan(&rows))
	require.Zero(t, rows, "the album row is deleted all the same")
}

// The PDS refuses to delete the list record: the album comes back (its tracks stay out
// of it), its record failed with the reason for its artist.
func TestDeleteAlbum_RefusedBringsTheAlbumBack(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	id, listRef := f.intoAlbum(t, one.id, "Stubborn")
	cover := uuid.New()
	f.images[cover] = catalog.Image{OwnerDID: alice, URL: "https://plyr.example/images/" + cover.String() + "/512", ThumbURL: "https://plyr.example/images/" + cover.String() + "/96"}
	_, err := f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, ImageId: ptr(cover.String())})
	require.NoError(t, err)

	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.NoError(t, err)
	require.Equal(t, connect.CodeNotFound, f.albumCode("", &catalogv1.GetAlbumRequest{Id: id}))
	f.settle(t, listRef, recordsact.Outcome{Failure: recordsact.FailureNetwork, Reason: "x"})

	res := f.album(t, "alice-token", &catalogv1.GetAlbumRequest{Id: id})
	require.Equal(t, "Stubborn", res.GetAlbum().GetTitle())
	require.Equal(t, f.images[cover].URL, res.GetAlbum().GetImageUrl())
	require.Empty(t, res.GetTracks(), "its tracks were taken out")
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_FAILED, res.GetAlbum().GetRecord().GetState())
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_NETWORK, res.GetAlbum().GetRecord().GetFailure())
	require.Equal(t, "x", res.GetAlbum().GetRecord().GetFailureReason(), "its artist sees why")
	require.Empty(t, f.album(t, "bob-token", &catalogv1.GetAlbumRequest{Id: id}).GetAlbum().GetRecord().GetFailureReason(), "others do not")
	require.Equal(t, []string{"Stubborn"}, albumTitles(f.artistAlbums(t, alice)))
	require.Equal(t, id, f.album(t, "", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "stubborn"}).GetAlbum().GetId())
	require.Empty(t, f.cleanup.deletedImages())
	require.False(t, f.wanted(t, listRef).Absent, "the list record is to exist after all")

	// It can be edited, and deleted again.
	_, err = f.client.UpdateAlbum(as("alice-token"), &catalogv1.UpdateAlbumRequest{Id: id, Description: ptr("still here")})
	require.NoError(t, err)
	_, err = f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.NoError(t, err)
	w := f.wanted(t, listRef)
	require.True(t, w.Absent)
	f.settle(t, listRef, recordsact.Outcome{Revision: w.Revision, Absent: true})
	require.Equal(t, []uuid.UUID{cover}, f.cleanup.deletedImages())
}

func TestDeleteAlbum_Cascade(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	keep := f.ready(t, alice, "keep", 2, cid3)
	id, listRef := f.intoAlbum(t, one.id, "Everything")
	f.intoAlbum(t, two.id, "Everything")
	n := len(f.starts.started())

	_, err := f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id, Cascade: true})
	require.NoError(t, err)
	started := f.startsSince(n)
	require.Subset(t, started, []recordsact.Ref{one.ref, two.ref, listRef})
	for _, tr := range []editTrack{one, two} {
		for _, token := range []string{"", "alice-token", "bob-token"} {
			_, err := f.client.GetTrack(as(token), &catalogv1.GetTrackRequest{Id: tr.id})
			require.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "track %s as %q", tr.id, token)
		}
		require.True(t, f.wanted(t, tr.ref).Absent, "the track's record is to be deleted")
	}
	require.Equal(t, keep.id, f.get(t, keep.id).GetId(), "other tracks stay")
	require.Equal(t, connect.CodeNotFound, f.albumCode("", &catalogv1.GetAlbumRequest{Id: id}))
	require.Empty(t, f.artistAlbums(t, alice))

	w, err := f.module.RecordSources()["fm.plyr.list"].Wanted(context.Background(), listRef)
	require.NoError(t, err)
	require.True(t, w.Absent, "the list record is to be deleted; deleting the tracks does not call that off")
	// The tracks' records, then the list record, are gone: everything goes.
	for _, tr := range []editTrack{one, two} {
		tw := f.wanted(t, tr.ref)
		f.settle(t, tr.ref, recordsact.Outcome{Revision: tw.Revision, Absent: true})
	}
	require.Len(t, f.cleanup.removedFiles(), 2, "their audio is removed")
	f.settle(t, listRef, recordsact.Outcome{Revision: w.Revision, Absent: true})
	var rows int
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM catalog.albums WHERE id = $1", uuid.MustParse(id)).Scan(&rows))
	require.Zero(t, rows, "the album row is deleted")
}

// An album named on a track while the album of that name is being deleted (its list
// record not yet gone from the PDS) is a new album: the one being deleted stays deleted.
func TestDeleteAlbum_NamingItAgainWhileDeleting(t *testing.T) {
	f := newAlbumFixture(t)
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	id, listRef := f.intoAlbum(t, one.id, "Phoenix")
	_, err := f.client.DeleteAlbum(as("alice-token"), &catalogv1.DeleteAlbumRequest{Id: id})
	require.NoError(t, err)

	got := f.mustEdit(t, &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("Phoenix")})
	w, werr := f.module.RecordSources()["fm.plyr.list"].Wanted(context.Background(), listRef)
	require.NotEqual(t, id, got.GetAlbum().GetId(), "a new album, not the one being deleted")
	require.NoError(t, werr)
	require.True(t, w.Absent, "the deleted album's list record is still to be deleted")
	require.Equal(t, got.GetAlbum().GetId(), f.album(t, "", &catalogv1.GetAlbumRequest{Artist: "alice.test", Slug: "phoenix"}).GetAlbum().GetId())
}

// An album holds at most 500 tracks (its list record's items) and an artist at most 500
// albums (one page of ListAlbums): past either, an edit naming the album is refused.
func TestAlbums_Limits(t *testing.T) {
	f := newAlbumFixture(t)
	ctx := context.Background()
	one := f.ready(t, alice, "one", 0, cid1)
	two := f.ready(t, alice, "two", 1, cid2)
	id, _ := f.intoAlbum(t, one.id, "Full")

	// 499 more tracks in the album: 500 in all.
	_, err := f.pool.Exec(ctx, `
		INSERT INTO catalog.tracks (id, artist_did, title, status, file_id, duration_ms, file_type, created_at, record_rkey, album_id)
		SELECT gen_random_uuid(), $1, 'filler ' || i, 'ready', gen_random_uuid(), 1000, 'mp3',
		       now() - i * interval '1 second', 'filler' || i, $2
		FROM generate_series(1, 499) i`, alice, uuid.MustParse(id))
	require.NoError(t, err)
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("Full")})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
	require.Contains(t, err.Error(), "500 tracks")
	// A track already in it may still name it (an edit of other fields).
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: one.id, Album: ptr("Full"), Title: ptr("One")})
	require.NoError(t, err)

	// 499 more albums: 500 in all; a 501st is refused, an existing one may still be named.
	_, err = f.pool.Exec(ctx, `
		INSERT INTO catalog.albums (id, artist_did, slug, title, record_rkey, created_at)
		SELECT gen_random_uuid(), $1, 'album-' || i, 'Album ' || i, 'albumrkey' || i, now()
		FROM generate_series(1, 499) i`, alice)
	require.NoError(t, err)
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("One more")})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
	require.Contains(t, err.Error(), "500 albums")
	_, err = f.edit("alice-token", &catalogv1.UpdateTrackRequest{Id: two.id, Album: ptr("Album 7")})
	require.NoError(t, err)
}
