package tracks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// handles knows every artist as <did>.test, without a Bluesky display name or avatar.
type handles struct{}

func (handles) Profiles(_ context.Context, dids []string) (map[string]artists.AccountProfile, error) {
	out := map[string]artists.AccountProfile{}
	for _, d := range dids {
		out[d] = artists.AccountProfile{Handle: d + ".test"}
	}
	return out, nil
}

// starts records the record workflows the feature starts.
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

// newTracks is the feature on a transaction of its own, rolled back when the test ends:
// store-level tests run in parallel on one database and leave nothing behind.
func newTracks(t *testing.T) (*tracks.Tracks, *starts) {
	t.Helper()
	tx := testenv.NewTx(t)
	s := &starts{}
	return tracks.New(tx, db.New(tx), records.New("fm.plyr", s), handles{}, "https://plyr.example"), s
}

func TestTracks_ProcessingTracksAreTheirArtists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr, _ := newTracks(t)
	const artist, listener = "did:plc:artist", "did:plc:listener"
	at := time.Now().UTC().Truncate(time.Microsecond)
	draft, ready, file := uuid.New(), uuid.New(), uuid.New()
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: draft, ArtistDID: artist, Title: "draft", CreatedAt: at}))
	require.NoError(t, tr.CreateDraft(ctx, tracks.Draft{ID: ready, ArtistDID: artist, Title: "ready", CreatedAt: at.Add(time.Second)}))
	require.NoError(t, tr.Publish(ctx, ready, tracks.Publication{FileID: file, FileType: "mp3", DurationMs: 1000}))

	tests := []struct {
		name, viewer string
		want         []string
	}{
		{"the artist", artist, []string{"ready", "draft"}},
		{"someone else", listener, []string{"ready"}},
		{"anonymous", "", []string{"ready"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := tr.List(ctx, tracks.ListQuery{ArtistDID: artist, Viewer: tt.viewer})
			require.NoError(t, err)
			var titles []string
			for _, track := range page.Tracks {
				titles = append(titles, track.Title)
				require.Equal(t, artist+".test", track.ArtistHandle)
			}
			require.Equal(t, tt.want, titles)
			_, err = tr.Get(ctx, draft, tt.viewer)
			if tt.viewer == artist {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tracks.ErrNotFound)
			}
		})
	}
}

func TestTracks_ListRefusesBadPages(t *testing.T) {
	t.Parallel()
	tr, _ := newTracks(t)
	for _, q := range []tracks.ListQuery{
		{PageSize: -1}, {PageSize: tracks.MaxPageSize + 1}, {PageToken: "not a token"}, {ArtistDID: "alice"},
	} {
		_, err := tr.List(context.Background(), q)
		require.ErrorIs(t, err, tracks.ErrInvalidInput, "%+v", q)
	}
}

func TestTracks_PublishingAnUnknownTrackIsNotFound(t *testing.T) {
	t.Parallel()
	tr, started := newTracks(t)
	err := tr.Publish(context.Background(), uuid.New(), tracks.Publication{FileID: uuid.New(), FileType: "mp3", DurationMs: 1})
	require.ErrorIs(t, err, tracks.ErrNotFound)
	require.Empty(t, started.refs)
}
