package app_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
)

// TestAlbumRecords_RenameThenDelete: an album renamed through UpdateAlbum has its tracks'
// records and its list record rewritten on the PDS (the list keeping its createdAt and
// pointing at the tracks' records as they now are) and is found by its new slug; deleted
// without cascade, its list record leaves the PDS and the album plyr, while its tracks
// stay, their records without the album.
func TestAlbumRecords_RenameThenDelete(t *testing.T) {
	ctx := context.Background()
	s, net := newPDSStack(t, nil)
	acct, token := s.signIn(t, net, "gus")
	auth := rpctest.WithToken(ctx, token)
	one, _ := s.uploadTrack(t, token, "Demo one")
	two, _ := s.uploadTrack(t, token, "Demo two")
	s.awaitRecord(t, token, one, catalogv1.RecordState_RECORD_STATE_SYNCED)
	s.awaitRecord(t, token, two, catalogv1.RecordState_RECORD_STATE_SYNCED)

	demos := "Demos"
	res, err := s.catalog.UpdateTrack(auth, &catalogv1.UpdateTrackRequest{Id: one, Album: &demos})
	require.NoError(t, err)
	albumID := res.GetTrack().GetAlbum().GetId()
	require.Equal(t, "demos", res.GetTrack().GetAlbum().GetSlug())
	res, err = s.catalog.UpdateTrack(auth, &catalogv1.UpdateTrackRequest{Id: two, Album: &demos})
	require.NoError(t, err)
	require.Equal(t, albumID, res.GetTrack().GetAlbum().GetId())
	listURI, list := s.awaitAlbumList(t, net, acct.DID, token, one, two)
	require.Equal(t, "Demos", list["name"])
	createdAt := list["createdAt"]
	require.NotEmpty(t, createdAt)

	// Renamed.
	renamed := "Demos 2026"
	up, err := s.catalog.UpdateAlbum(auth, &catalogv1.UpdateAlbumRequest{Id: albumID, Title: &renamed})
	require.NoError(t, err)
	require.Equal(t, "demos-2026", up.GetAlbum().GetSlug())
	var after map[string]any
	eventually(t, 40*time.Second, func() (bool, string) {
		mine := s.myTrackRecords(t, token)
		tracks := pdsRecords(t, net, acct.DID, trackCollection)
		want := []listItem{}
		for _, id := range []string{one, two} {
			r := mine[id]
			if r.GetState() != catalogv1.RecordState_RECORD_STATE_SYNCED {
				return false, fmt.Sprintf("track %s record %s", id, r.GetState())
			}
			rec := tracks[r.GetUri()]
			if rec["album"] != renamed {
				return false, fmt.Sprintf("track record %s names album %v", r.GetUri(), rec["album"])
			}
			if rec["_cid"] != r.GetCid() {
				return false, fmt.Sprintf("track record %s: PDS CID %v, catalog %s", r.GetUri(), rec["_cid"], r.GetCid())
			}
			want = append(want, listItem{r.GetUri(), r.GetCid()})
		}
		uri, rec := onlyList(t, net, acct.DID)
		if uri != listURI {
			return false, fmt.Sprintf("list record %q, want %q", uri, listURI)
		}
		if rec["name"] != renamed {
			return false, fmt.Sprintf("list named %v", rec["name"])
		}
		if got := listItemsOf(rec); fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Sprintf("list items %v, want %v", got, want)
		}
		after = rec
		return true, ""
	})
	require.Equal(t, "album", after["listType"])
	require.Equal(t, createdAt, after["createdAt"], "createdAt stays")
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	valid := maps.Clone(after)
	delete(valid, "_cid")
	require.NoError(t, v.Validate(listCollection, valid))

	got, err := s.catalog.GetAlbum(ctx, &catalogv1.GetAlbumRequest{Artist: acct.Handle, Slug: "demos-2026"})
	require.NoError(t, err)
	require.Equal(t, albumID, got.GetAlbum().GetId())
	require.Equal(t, renamed, got.GetAlbum().GetTitle())
	require.Len(t, got.GetTracks(), 2)
	require.Equal(t, one, got.GetTracks()[0].GetId())
	require.Equal(t, two, got.GetTracks()[1].GetId())
	_, err = s.catalog.GetAlbum(ctx, &catalogv1.GetAlbumRequest{Artist: acct.Handle, Slug: "demos"})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))

	// Deleted, its tracks kept.
	_, err = s.catalog.DeleteAlbum(auth, &catalogv1.DeleteAlbumRequest{Id: albumID})
	require.NoError(t, err)
	eventually(t, 40*time.Second, func() (bool, string) {
		if n := len(pdsRecords(t, net, acct.DID, listCollection)); n != 0 {
			return false, fmt.Sprintf("%d list records on the PDS", n)
		}
		if _, err := s.catalog.GetAlbum(ctx, &catalogv1.GetAlbumRequest{Id: albumID}); connect.CodeOf(err) != connect.CodeNotFound {
			return false, fmt.Sprintf("GetAlbum: %v", err)
		}
		mine := s.myTrackRecords(t, token)
		tracks := pdsRecords(t, net, acct.DID, trackCollection)
		if len(tracks) != 2 {
			return false, fmt.Sprintf("%d track records on the PDS", len(tracks))
		}
		for _, id := range []string{one, two} {
			r := mine[id]
			if r.GetState() != catalogv1.RecordState_RECORD_STATE_SYNCED {
				return false, fmt.Sprintf("track %s record %s", id, r.GetState())
			}
			rec := tracks[r.GetUri()]
			if rec == nil {
				return false, fmt.Sprintf("no record %s on the PDS", r.GetUri())
			}
			if a, ok := rec["album"]; ok {
				return false, fmt.Sprintf("track record %s still names album %v", r.GetUri(), a)
			}
			if rec["_cid"] != r.GetCid() {
				return false, fmt.Sprintf("track record %s: PDS CID %v, catalog %s", r.GetUri(), rec["_cid"], r.GetCid())
			}
		}
		return true, ""
	})
	for _, id := range []string{one, two} {
		tr, err := s.catalog.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: id})
		require.NoError(t, err, "the track stays")
		require.Nil(t, tr.GetTrack().GetAlbum())
	}
	albums, err := s.catalog.ListAlbums(ctx, &catalogv1.ListAlbumsRequest{ArtistDid: acct.DID})
	require.NoError(t, err)
	require.Empty(t, albums.GetAlbums())
}
