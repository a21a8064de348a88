package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

const profileCollection = "fm.plyr.actor.profile"

func byDID(did string) *catalogv1.GetArtistRequest {
	return &catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Did{Did: did}}
}

func byHandle(h string) *catalogv1.GetArtistRequest {
	return &catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Handle{Handle: h}}
}

func strp(s string) *string { return &s }

func TestGetArtist_ByDIDAndHandle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.module.SyncArtist(ctx, alice))

	for name, req := range map[string]*catalogv1.GetArtistRequest{"did": byDID(alice), "handle": byHandle("alice.test")} {
		t.Run(name, func(t *testing.T) {
			res, err := f.client.GetArtist(ctx, req)
			require.NoError(t, err)
			a := res.GetArtist()
			require.Equal(t, alice, a.GetDid())
			require.Equal(t, "alice.test", a.GetHandle())
			require.Equal(t, "alice.test", a.GetDisplayName()) // no Bluesky name: the handle
			require.Empty(t, a.GetBio())
			require.Empty(t, a.GetBioLinks())
			require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, a.GetProfileRecord().GetState())
			require.WithinDuration(t, time.Now(), a.GetCreatedAt().AsTime(), time.Minute)
		})
	}

	tests := []struct {
		name string
		req  *catalogv1.GetArtistRequest
		want connect.Code
	}{
		{"neither", &catalogv1.GetArtistRequest{}, connect.CodeInvalidArgument},
		{"empty did", byDID(""), connect.CodeInvalidArgument},
		{"empty handle", byHandle(""), connect.CodeInvalidArgument},
		{"unknown did", byDID("did:plc:nobody"), connect.CodeNotFound},
		{"unknown handle", byHandle("nobody.test"), connect.CodeNotFound},
		// Bob is an account, but never signed in to the catalog.
		{"account, not an artist", byHandle("bob.test"), connect.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.GetArtist(ctx, tt.req)
			require.Equal(t, tt.want, connect.CodeOf(err), "%v", err)
		})
	}
}

func TestGetArtist_FailureReasonIsTheArtists(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.UpdateMyProfile(rpctest.WithToken(ctx, "alice-token"), &catalogv1.UpdateMyProfileRequest{Bio: strp("hello")})
	require.NoError(t, err)
	ref := recordsact.Ref{DID: alice, Collection: profileCollection, RKey: "self"}
	require.Equal(t, []recordsact.Ref{ref}, f.starts.started())

	src := f.module.RecordSources()[profileCollection]
	require.NotNil(t, src)
	newer, err := src.Settle(ctx, ref, recordsact.Outcome{Failure: recordsact.FailureRejected, Reason: "the PDS said no"})
	require.NoError(t, err)
	require.False(t, newer)

	tests := []struct {
		token, reason string
	}{
		{"alice-token", "the PDS said no"},
		{"bob-token", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run("token "+tt.token, func(t *testing.T) {
			res, err := f.client.GetArtist(rpctest.WithToken(ctx, tt.token), byDID(alice))
			require.NoError(t, err)
			rec := res.GetArtist().GetProfileRecord()
			require.Equal(t, catalogv1.RecordState_RECORD_STATE_FAILED, rec.GetState())
			require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_REJECTED, rec.GetFailure())
			require.Equal(t, tt.reason, rec.GetFailureReason())

			list, err := f.client.GetArtists(rpctest.WithToken(ctx, tt.token), &catalogv1.GetArtistsRequest{Dids: []string{alice}})
			require.NoError(t, err)
			require.Len(t, list.GetArtists(), 1)
			require.Equal(t, tt.reason, list.GetArtists()[0].GetProfileRecord().GetFailureReason())
		})
	}

	// Written at last: synced, with its URI, and no failure left.
	uri := "at://" + alice + "/" + profileCollection + "/self"
	w, err := src.Wanted(ctx, ref)
	require.NoError(t, err)
	_, err = src.Settle(ctx, ref, recordsact.Outcome{Revision: w.Revision, URI: uri, CID: "bafyprofile"})
	require.NoError(t, err)
	res, err := f.client.GetArtist(rpctest.WithToken(ctx, "alice-token"), byDID(alice))
	require.NoError(t, err)
	rec := res.GetArtist().GetProfileRecord()
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_SYNCED, rec.GetState())
	require.Equal(t, uri, rec.GetUri())
	require.Equal(t, "bafyprofile", rec.GetCid())
	require.Empty(t, rec.GetFailureReason())
}

func TestUpdateMyProfile(t *testing.T) {
	f := newFixture(t)
	ctx := rpctest.WithToken(context.Background(), "alice-token")

	_, err := f.client.UpdateMyProfile(context.Background(), &catalogv1.UpdateMyProfileRequest{Bio: strp("anonymous")})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	_, err = f.client.UpdateMyProfile(rpctest.WithToken(context.Background(), "stolen"), &catalogv1.UpdateMyProfileRequest{Bio: strp("x")})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	require.Empty(t, f.starts.started())

	res, err := f.client.UpdateMyProfile(ctx, &catalogv1.UpdateMyProfileRequest{
		DisplayName: strp("Alice"), Bio: strp("🎵 https://a.example/x and b.example"),
	})
	require.NoError(t, err)
	a := res.GetArtist()
	require.Equal(t, alice, a.GetDid())
	require.Equal(t, "Alice", a.GetDisplayName())
	require.Equal(t, "🎵 https://a.example/x and b.example", a.GetBio())
	require.Len(t, a.GetBioLinks(), 2)
	require.Equal(t, int32(5), a.GetBioLinks()[0].GetByteStart())
	require.Equal(t, int32(24), a.GetBioLinks()[0].GetByteEnd())
	require.Equal(t, "https://a.example/x", a.GetBioLinks()[0].GetUri())
	require.Equal(t, int32(29), a.GetBioLinks()[1].GetByteStart())
	require.Equal(t, int32(38), a.GetBioLinks()[1].GetByteEnd())
	require.Equal(t, "https://b.example", a.GetBioLinks()[1].GetUri())
	require.Equal(t, []recordsact.Ref{{DID: alice, Collection: profileCollection, RKey: "self"}}, f.starts.started())

	// Unset fields stay; "" display name returns to the handle (no Bluesky name here).
	res, err = f.client.UpdateMyProfile(ctx, &catalogv1.UpdateMyProfileRequest{DisplayName: strp("")})
	require.NoError(t, err)
	require.Equal(t, "alice.test", res.GetArtist().GetDisplayName())
	require.Equal(t, "🎵 https://a.example/x and b.example", res.GetArtist().GetBio())
	require.Len(t, f.starts.started(), 1)

	// Alice's change is seen by others.
	got, err := f.client.GetArtist(context.Background(), byHandle("alice.test"))
	require.NoError(t, err)
	require.Equal(t, "🎵 https://a.example/x and b.example", got.GetArtist().GetBio())
}

func TestUpdateMyProfile_InvalidInputNamesTheField(t *testing.T) {
	f := newFixture(t)
	ctx := rpctest.WithToken(context.Background(), "bob-token")
	tests := []struct {
		name, field string
		req         *catalogv1.UpdateMyProfileRequest
	}{
		{"bio too long", "bio", &catalogv1.UpdateMyProfileRequest{Bio: strp(strings.Repeat("é", 257))}},
		{"bio too many bytes", "bio", &catalogv1.UpdateMyProfileRequest{Bio: strp(strings.Repeat("a.com ", 10_000))}},
		{"bio control character", "bio", &catalogv1.UpdateMyProfileRequest{Bio: strp("a\tb")}},
		{"display name too long", "display_name", &catalogv1.UpdateMyProfileRequest{DisplayName: strp(strings.Repeat("x", 65))}},
		{"display name control character", "display_name", &catalogv1.UpdateMyProfileRequest{DisplayName: strp("a\nb")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.UpdateMyProfile(ctx, tt.req)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
			var ce *connect.Error
			require.ErrorAs(t, err, &ce)
			require.Contains(t, ce.Message(), tt.field)
		})
	}
	require.Empty(t, f.starts.started())
	// Nothing was stored, not even the artist.
	_, err := f.client.GetArtist(context.Background(), byDID(bob))
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
}

func TestGetArtists_OrderAndUnknowns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.module.SyncArtist(ctx, alice))
	require.NoError(t, f.module.SyncArtist(ctx, bob))

	res, err := f.client.GetArtists(ctx, &catalogv1.GetArtistsRequest{Dids: []string{bob, "did:plc:nobody", alice, bob}})
	require.NoError(t, err)
	var got []string
	for _, a := range res.GetArtists() {
		got = append(got, a.GetDid()+" "+a.GetHandle())
	}
	require.Equal(t, []string{bob + " bob.test", alice + " alice.test"}, got)

	res, err = f.client.GetArtists(ctx, &catalogv1.GetArtistsRequest{})
	require.NoError(t, err)
	require.Empty(t, res.GetArtists())

	many := make([]string, 101)
	for i := range many {
		many[i] = alice
	}
	_, err = f.client.GetArtists(ctx, &catalogv1.GetArtistsRequest{Dids: many})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
}

func TestGetArtistAnalytics(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Now().UTC()
	f.addTrack(t, alice, "one", at.Add(-time.Minute), true)
	f.addTrack(t, alice, "two", at, true)
	f.addTrack(t, alice, "processing", at, false)

	res, err := f.client.GetArtistAnalytics(ctx, &catalogv1.GetArtistAnalyticsRequest{Did: alice})
	require.NoError(t, err)
	require.Equal(t, int64(2), res.GetTotalItems())
	require.Equal(t, int64(360), res.GetTotalDurationSeconds()) // 2 × 180 s
	require.Equal(t, int64(0), res.GetTotalPlays())
	require.Nil(t, res.GetTopPlayed())
	require.Nil(t, res.GetTopLiked())

	for _, did := range []string{"did:plc:nobody", bob, ""} {
		_, err = f.client.GetArtistAnalytics(ctx, &catalogv1.GetArtistAnalyticsRequest{Did: did})
		require.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "%q", did)
	}
}
