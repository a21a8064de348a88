package app_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
)

const listCollection = "fm.plyr.list"

// eventually polls check every 50 ms until it reports done, failing with its last
// explanation at the deadline.
func eventually(t *testing.T, within time.Duration, check func() (done bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, why := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// myTrackRecords are the catalog's record statuses of the account's tracks, by track id.
func (s *stack) myTrackRecords(t *testing.T, token string) map[string]*catalogv1.RecordStatus {
	t.Helper()
	res, err := s.catalog.ListMyTracks(rpctest.WithToken(context.Background(), token), &catalogv1.ListMyTracksRequest{})
	require.NoError(t, err)
	out := map[string]*catalogv1.RecordStatus{}
	for _, tr := range res.Tracks {
		out[tr.Id] = tr.Record
	}
	return out
}

type listItem struct{ URI, CID string }

func listItemsOf(rec map[string]any) []listItem {
	items, _ := rec["items"].([]any)
	out := []listItem{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		s, _ := m["subject"].(map[string]any)
		uri, _ := s["uri"].(string)
		cid, _ := s["cid"].(string)
		out = append(out, listItem{uri, cid})
	}
	return out
}

// onlyList is the account's one list record on the PDS (its URI and value), or "" when
// there is not exactly one.
func onlyList(t *testing.T, net *devpds.Network, did string) (string, map[string]any) {
	t.Helper()
	recs := pdsRecords(t, net, did, listCollection)
	if len(recs) != 1 {
		return "", nil
	}
	for uri, rec := range recs {
		return uri, rec
	}
	return "", nil
}

// awaitAlbumList polls until the account's album list on the PDS holds exactly tracks, in
// that order, each with the CID the catalog shows for its record (all of them synced).
func (s *stack) awaitAlbumList(t *testing.T, net *devpds.Network, did, token string, tracks ...string) (string, map[string]any) {
	t.Helper()
	var uri string
	var rec map[string]any
	eventually(t, 45*time.Second, func() (bool, string) {
		mine := s.myTrackRecords(t, token)
		want := []listItem{}
		for _, id := range tracks {
			r := mine[id]
			if r.GetState() != catalogv1.RecordState_RECORD_STATE_SYNCED {
				return false, fmt.Sprintf("track %s record %s", id, r.GetState())
			}
			want = append(want, listItem{r.GetUri(), r.GetCid()})
		}
		uri, rec = onlyList(t, net, did)
		if rec == nil {
			return false, "no single list record on the PDS"
		}
		got := listItemsOf(rec)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Sprintf("list items %v, want %v", got, want)
		}
		return true, ""
	})
	return uri, rec
}

// TestEditRecords_AlbumListFollowsTheTracks: two tracks edited into one album ("Night
// Drive", then "night drive") make one fm.plyr.list record (listType album) on the PDS
// pointing at both track records as they are now; the track record names its album. An
// order set on the PDS by another writer is kept when a track's record changes again.
func TestEditRecords_AlbumListFollowsTheTracks(t *testing.T) {
	ctx := context.Background()
	s, net := newPDSStack(t, nil)
	acct, token := s.signIn(t, net, "dana")
	auth := rpctest.WithToken(ctx, token)
	one, _ := s.uploadTrack(t, token, "Track one")
	two, _ := s.uploadTrack(t, token, "Track two")
	// Both records written first, so the album's order (creation order) is certain.
	s.awaitRecord(t, token, one, catalogv1.RecordState_RECORD_STATE_SYNCED)
	s.awaitRecord(t, token, two, catalogv1.RecordState_RECORD_STATE_SYNCED)

	title := "Midnight"
	album := "Night Drive"
	res1, err := s.catalog.UpdateTrack(auth, &catalogv1.UpdateTrackRequest{Id: one, Title: &title, Album: &album})
	require.NoError(t, err)
	require.Equal(t, "night-drive", res1.Track.GetAlbum().GetSlug())
	lower := "night drive"
	res2, err := s.catalog.UpdateTrack(auth, &catalogv1.UpdateTrackRequest{Id: two, Album: &lower})
	require.NoError(t, err)
	require.Equal(t, res1.Track.GetAlbum().GetId(), res2.Track.GetAlbum().GetId(), "the same album")
	require.Equal(t, "Night Drive", res2.Track.GetAlbum().GetTitle())

	tr1 := s.awaitRecord(t, token, one, catalogv1.RecordState_RECORD_STATE_SYNCED)
	tr2 := s.awaitRecord(t, token, two, catalogv1.RecordState_RECORD_STATE_SYNCED)
	listURI, list := s.awaitAlbumList(t, net, acct.DID, token, one, two)
	require.Equal(t, "Night Drive", list["name"])
	require.Equal(t, "album", list["listType"])
	require.Equal(t, listCollection, list["$type"])
	require.Contains(t, list, "createdAt")
	parsed, err := syntax.ParseATURI(listURI)
	require.NoError(t, err)
	_, err = syntax.ParseTID(parsed.RecordKey().String())
	require.NoError(t, err, "the list's rkey is a TID")

	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	validList := maps.Clone(list)
	delete(validList, "_cid")
	require.NoError(t, v.Validate(listCollection, validList))

	tracks := pdsRecords(t, net, acct.DID, trackCollection)
	first := tracks[tr1.Record.Uri]
	require.Equal(t, "Night Drive", first["album"])
	require.Equal(t, "Midnight", first["title"])
	second := tracks[tr2.Record.Uri]
	require.Equal(t, "Night Drive", second["album"])
	require.Equal(t, "Track two", second["title"])
	for _, rec := range []map[string]any{first, second} {
		rec = maps.Clone(rec)
		delete(rec, "_cid")
		require.NoError(t, v.Validate(trackCollection, rec))
	}

	// Another writer reorders the list on the PDS: second, first.
	pw, err := atclient.LoginWithPasswordHost(ctx, net.Listen, acct.Handle, acct.Password, "", nil)
	require.NoError(t, err)
	reordered := maps.Clone(list)
	delete(reordered, "_cid")
	items := list["items"].([]any)
	reordered["items"] = []any{items[1], items[0]}
	require.NoError(t, pw.Post(ctx, "com.atproto.repo.putRecord", map[string]any{
		"repo": acct.DID, "collection": listCollection, "rkey": parsed.RecordKey().String(), "record": reordered,
	}, nil))

	// The first track is edited again: its record gets a new CID, and the list follows
	// it in the order the PDS has.
	again := "Midnight (edit)"
	_, err = s.catalog.UpdateTrack(auth, &catalogv1.UpdateTrackRequest{Id: one, Title: &again})
	require.NoError(t, err)
	tr1b := s.awaitRecord(t, token, one, catalogv1.RecordState_RECORD_STATE_SYNCED)
	require.NotEqual(t, tr1.Record.Cid, tr1b.Record.Cid, "the record was rewritten")
	_, after := s.awaitAlbumList(t, net, acct.DID, token, two, one)
	require.Equal(t, "Night Drive", after["name"])
	require.Equal(t, "album", after["listType"])
	require.Equal(t, list["createdAt"], after["createdAt"], "createdAt stays")
	require.Equal(t, again, pdsRecords(t, net, acct.DID, trackCollection)[tr1.Record.Uri]["title"])
	delete(after, "_cid")
	require.NoError(t, v.Validate(listCollection, after))
}
