package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	catalogact "github.com/plyrfm/plyr/activities/catalog"

	"connectrpc.com/connect"
	"github.com/google/uuid"
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

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	alice = "did:plc:alice"
	bob   = "did:plc:bob"
)

// handles stands in for the identity module: accounts by DID, with their handles.
type handles map[string]string

func (h handles) Profiles(_ context.Context, dids []string) (map[string]catalog.AccountProfile, error) {
	out := map[string]catalog.AccountProfile{}
	for _, d := range dids {
		if v, ok := h[d]; ok {
			out[d] = catalog.AccountProfile{Handle: v}
		}
	}
	return out, nil
}

func (h handles) HiddenTags(context.Context, string) ([]string, error) { return []string{"ai"}, nil }

func (h handles) ResolveHandle(ctx context.Context, handle string) (string, bool) {
	did, ok, _ := h.DIDByHandle(ctx, handle)
	return did, ok
}

func (h handles) DIDByHandle(_ context.Context, handle string) (string, bool, error) {
	for did, v := range h {
		if v == handle {
			return did, true, nil
		}
	}
	return "", false, nil
}

type fixture struct {
	module *catalog.Module
	client catalogv1connect.CatalogServiceClient
	starts *starts
}

// starts stands in for the record workflows: it records which records were started.
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

func (s *starts) started() []recordsact.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refs)
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st := &starts{}
	m := catalog.New(catalog.Deps{
		DB: testenv.NewDatabase(t), Logger: logging.Discard(), Metrics: metrics.New(),
		Config:   catalog.Config{Namespace: "fm.plyr", PublicURL: "https://plyr.example"},
		Accounts: handles{alice: "alice.test", bob: "bob.test"}, Records: st,
	})
	srv := rpctest.NewServer(t, rpctest.Tokens{
		"alice-token": {DID: alice, Handle: "alice.test"},
		"bob-token":   {DID: bob, Handle: "bob.test"},
	}, m)
	// JSON, as the web client speaks it.
	return fixture{module: m, client: catalogv1connect.NewCatalogServiceClient(srv.Client(), srv.URL, connect.WithProtoJSON()), starts: st}
}

// addTrack creates a track the way the upload workflow does: draft, then (if ready) published.
func (f fixture) addTrack(t *testing.T, artist, title string, at time.Time, ready bool) string {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	require.NoError(t, f.module.CreateDraftTrack(ctx, id, artist, title, at))
	if ready {
		require.NoError(t, f.module.PublishTrack(ctx, catalogact.Publication{TrackID: id, FileID: uuid.New(), FileType: "mp3", DurationMs: 180_000}))
	}
	return id.String()
}

// listAll follows page tokens to the end and returns every title in order.
func (f fixture) listAll(t *testing.T, token string, in *catalogv1.ListTracksRequest) (titles []string, pages int) {
	t.Helper()
	for {
		res, err := f.client.ListTracks(rpctest.WithToken(context.Background(), token), in)
		require.NoError(t, err)
		pages++
		for _, tr := range res.GetTracks() {
			titles = append(titles, tr.GetTitle())
		}
		if res.GetNextPageToken() == "" {
			return titles, pages
		}
		in.PageToken = res.GetNextPageToken()
	}
}

func TestListTracks_PagesNewestFirstWithoutGapsOrRepeats(t *testing.T) {
	f := newFixture(t)
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var want []string
	for i := range 25 {
		// Tracks 10 and 11 share a timestamp: the id breaks the tie.
		at := base.Add(time.Duration(min(i, 10)+max(i-11, 0)) * time.Minute)
		title := fmt.Sprintf("track %02d", i)
		f.addTrack(t, alice, title, at, true)
		want = append([]string{title}, want...)
	}
	titles, pages := f.listAll(t, "", &catalogv1.ListTracksRequest{PageSize: 10})
	require.Equal(t, 3, pages)
	require.Len(t, titles, 25)
	// Newest first; the two tracks with equal times come in id order, whichever that is.
	require.ElementsMatch(t, want, titles)
	require.Equal(t, want[:13], titles[:13])
	require.Equal(t, want[15:], titles[15:])
}

func TestListTracks_TrackFields(t *testing.T) {
	f := newFixture(t)
	at := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	id := f.addTrack(t, alice, "Morning", at, true)
	res, err := f.client.ListTracks(context.Background(), &catalogv1.ListTracksRequest{})
	require.NoError(t, err)
	require.Len(t, res.Tracks, 1)
	tr := res.Tracks[0]
	require.Equal(t, id, tr.Id)
	require.Equal(t, "Morning", tr.Title)
	require.Equal(t, alice, tr.ArtistDid)
	require.Equal(t, "alice.test", tr.ArtistHandle)
	require.Equal(t, int32(180_000), tr.DurationMs)
	require.NotEmpty(t, tr.FileId)
	require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_READY, tr.Status)
	require.True(t, tr.CreatedAt.AsTime().Equal(at))
}

func TestListTracks_ProcessingTracksAreTheArtistsOwn(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	f.addTrack(t, alice, "done", now.Add(-time.Minute), true)
	f.addTrack(t, alice, "still processing", now, false)
	f.addTrack(t, bob, "bob's", now.Add(-2*time.Minute), true)

	tests := []struct {
		name   string
		token  string
		artist string
		want   []string
	}{
		{"public feed", "", "", []string{"done", "bob's"}},
		{"signed-in feed", "alice-token", "", []string{"done", "bob's"}},
		{"alice's page, anonymous", "", alice, []string{"done"}},
		{"alice's page, seen by bob", "bob-token", alice, []string{"done"}},
		{"alice's page, seen by alice", "alice-token", alice, []string{"still processing", "done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			titles, _ := f.listAll(t, tt.token, &catalogv1.ListTracksRequest{ArtistDid: tt.artist})
			require.Equal(t, tt.want, titles)
		})
	}
}

func TestListTracks_InvalidArguments(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		req  *catalogv1.ListTracksRequest
	}{
		{"page size too large", &catalogv1.ListTracksRequest{PageSize: 101}},
		{"negative page size", &catalogv1.ListTracksRequest{PageSize: -1}},
		{"forged page token", &catalogv1.ListTracksRequest{PageToken: "not-a-token"}},
		{"artist is not a DID", &catalogv1.ListTracksRequest{ArtistDid: "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.ListTracks(context.Background(), tt.req)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
		})
	}
}

func TestListTracks_BadTokenIsRefusedEvenWherePublic(t *testing.T) {
	f := newFixture(t)
	_, err := f.client.ListTracks(rpctest.WithToken(context.Background(), "stolen"), &catalogv1.ListTracksRequest{})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
}

func TestGetTrack(t *testing.T) {
	f := newFixture(t)
	ready := f.addTrack(t, alice, "ready", time.Now(), true)
	processing := f.addTrack(t, alice, "processing", time.Now(), false)
	tests := []struct {
		name     string
		id       string
		token    string
		wantCode connect.Code // 0: found
	}{
		{"ready, anonymous", ready, "", 0},
		{"processing, its artist", processing, "alice-token", 0},
		{"processing, someone else", processing, "bob-token", connect.CodeNotFound},
		{"processing, anonymous", processing, "", connect.CodeNotFound},
		{"unknown", uuid.NewString(), "", connect.CodeNotFound},
		{"not an id", "42", "", connect.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.client.GetTrack(rpctest.WithToken(context.Background(), tt.token), &catalogv1.GetTrackRequest{Id: tt.id})
			if tt.wantCode != 0 {
				require.Equal(t, tt.wantCode, connect.CodeOf(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.id, res.Track.Id)
		})
	}
}

func TestTrackLifecycle_StepsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id, file := uuid.New(), uuid.New()
	at := time.Now().UTC()
	for range 2 {
		require.NoError(t, f.module.CreateDraftTrack(ctx, id, alice, "twice", at))
		require.NoError(t, f.module.PublishTrack(ctx, catalogact.Publication{TrackID: id, FileID: file, FileType: "mp3", DurationMs: 1000}))
	}
	// A ready track is never removed as a draft.
	require.NoError(t, f.module.DeleteDraftTrack(ctx, id))
	res, err := f.client.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: id.String()})
	require.NoError(t, err)
	require.Equal(t, file.String(), res.Track.FileId)

	require.ErrorIs(t, f.module.PublishTrack(ctx, catalogact.Publication{TrackID: uuid.New(), FileID: file, FileType: "mp3", DurationMs: 1000}), catalog.ErrNotFound)
	draft := uuid.New()
	require.NoError(t, f.module.CreateDraftTrack(ctx, draft, alice, "abandoned", at))
	require.NoError(t, f.module.DeleteDraftTrack(ctx, draft))
	require.NoError(t, f.module.DeleteDraftTrack(ctx, draft))
	_, err = f.client.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: draft.String()})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
}

// SearchAccounts: nobody is found.
func (handles) SearchAccounts(context.Context, string, int) ([]catalog.AccountMatch, error) {
	return nil, nil
}
