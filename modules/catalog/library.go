package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/queue"
)

// The library: the public catalog as a music library client browses it (the Subsonic
// API of the subsonic module). Such clients page by offset, list every album and artist
// at once, and see each artist's tracks outside albums as one more album, their
// "Singles" (an album with no id here). What these reads show is what anyone may see; the
// caller in ctx (rpc.WithCaller) only adds what is theirs (likes, plays).

// Services are the catalog's Connect services as plain Go calls, for a module that serves
// another protocol over them (Subsonic). Each call answers as its procedure does for the
// caller in ctx; the caller of Services must have checked that caller first, as the
// services' policy would (every procedure a Session one may be called with is).
type Services interface {
	catalogv1connect.CatalogServiceHandler
	catalogv1connect.LikeServiceHandler
	catalogv1connect.PlaylistServiceHandler
	catalogv1connect.PlayServiceHandler
	catalogv1connect.SearchServiceHandler
	catalogv1connect.QueueServiceHandler
}

// Services returns the catalog's services for in-process calls.
func (m *Module) Services() Services { return m.reader() }

// MaxLibraryPage bounds every library listing.
const MaxLibraryPage = 500

func libraryLimit(n int) int32 {
	if n <= 0 || n > MaxLibraryPage {
		return MaxLibraryPage
	}
	return int32(n)
}

// LibraryTrackQuery selects shown tracks, oldest first: one artist's or one tag's, from
// Skip on.
type LibraryTrackQuery struct {
	ArtistDID, Tag string
	Skip, Limit    int
}

// LibraryTracks are the shown tracks q selects, as the caller in ctx sees them.
//
// A full sync pages through every track by offset. Where the position a page ended at is
// remembered (the previous page of the same sync, in this process), the next page starts
// from it instead of walking every track before it, so a sync costs the same for its last
// page as for its first.
func (m *Module) LibraryTracks(ctx context.Context, q LibraryTrackQuery) ([]*catalogv1.Track, error) {
	limit := libraryLimit(q.Limit)
	skip := max(q.Skip, 0)
	whole := q.ArtistDID == "" && q.Tag == ""
	if !whole {
		ids, err := m.q.LibraryTrackIDs(ctx, db.LibraryTrackIDsParams{
			ArtistDid: q.ArtistDID, Tag: strings.ToLower(q.Tag), Skip: int32(skip), PageLimit: limit,
		})
		if err != nil {
			return nil, fmt.Errorf("library tracks: %w", err)
		}
		return m.tracksInOrder(ctx, ids)
	}
	var page []syncMark
	if at, ok := m.syncMarks.get(skip); ok && skip > 0 {
		rows, err := m.q.LibraryTrackIDsAfter(ctx, db.LibraryTrackIDsAfterParams{
			AfterCreatedAt: at.CreatedAt, AfterID: at.ID, PageLimit: limit,
		})
		if err != nil {
			return nil, fmt.Errorf("library tracks: %w", err)
		}
		for _, r := range rows {
			page = append(page, syncMark{CreatedAt: r.CreatedAt, ID: r.ID})
		}
	} else {
		rows, err := m.q.LibraryAllTrackIDs(ctx, db.LibraryAllTrackIDsParams{Skip: int32(skip), PageLimit: limit})
		if err != nil {
			return nil, fmt.Errorf("library tracks: %w", err)
		}
		for _, r := range rows {
			page = append(page, syncMark{CreatedAt: r.CreatedAt, ID: r.ID})
		}
	}
	ids := make([]uuid.UUID, 0, len(page))
	for _, p := range page {
		ids = append(ids, p.ID)
	}
	if len(page) > 0 { // the next page of this sync starts after this one's last track
		last := page[len(page)-1]
		last.seen = time.Now()
		m.syncMarks.put(skip+len(page), last)
	}
	return m.tracksInOrder(ctx, ids)
}

// tracksInOrder reads shown tracks by id, in the order of ids, as the caller sees them.
func (m *Module) tracksInOrder(ctx context.Context, ids []uuid.UUID) ([]*catalogv1.Track, error) {
	list, err := m.tracks.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return m.reader().trackProtos(ctx, list, viewer(ctx))
}

// LibrarySingles are an artist's shown tracks outside albums, oldest first.
func (m *Module) LibrarySingles(ctx context.Context, artistDID string) ([]*catalogv1.Track, error) {
	ids, err := m.q.LibrarySingles(ctx, db.LibrarySinglesParams{ArtistDid: artistDID, PageLimit: MaxLibraryPage})
	if err != nil {
		return nil, fmt.Errorf("singles of %s: %w", artistDID, err)
	}
	return m.tracksInOrder(ctx, ids)
}

// LibraryRandomTracks are up to limit shown tracks at random, of one tag when tag is set.
func (m *Module) LibraryRandomTracks(ctx context.Context, tag string, limit int) ([]*catalogv1.Track, error) {
	ids, err := m.q.LibraryRandomTrackIDs(ctx, db.LibraryRandomTrackIDsParams{Tag: strings.ToLower(tag), PageLimit: libraryLimit(limit)})
	if err != nil {
		return nil, fmt.Errorf("random tracks: %w", err)
	}
	return m.tracksInOrder(ctx, ids)
}

// LibraryTopTracks are an artist's shown tracks, most played first.
func (m *Module) LibraryTopTracks(ctx context.Context, artistDID string, limit int) ([]*catalogv1.Track, error) {
	ids, err := m.q.LibraryTopTrackIDs(ctx, db.LibraryTopTrackIDsParams{ArtistDid: artistDID, PageLimit: libraryLimit(limit)})
	if err != nil {
		return nil, fmt.Errorf("top tracks of %s: %w", artistDID, err)
	}
	return m.tracksInOrder(ctx, ids)
}

// LibraryArtist is an artist with shown tracks.
type LibraryArtist struct {
	DID, Handle, Name, AvatarURL string
	// Albums counts their Singles too, when they have tracks outside albums.
	Albums, Tracks int64
}

// LibraryArtists are the artists with shown tracks (the one of artistDID when set), by
// name.
func (m *Module) LibraryArtists(ctx context.Context, artistDID string) ([]LibraryArtist, error) {
	rows, err := m.q.LibraryArtists(ctx, artistDID)
	if err != nil {
		return nil, fmt.Errorf("library artists: %w", err)
	}
	dids := make([]string, 0, len(rows))
	for _, r := range rows {
		dids = append(dids, r.ArtistDid)
	}
	known, err := m.artistsByDID(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := make([]LibraryArtist, 0, len(rows))
	for _, r := range rows {
		a := known[r.ArtistDid]
		out = append(out, LibraryArtist{
			DID: r.ArtistDid, Handle: a.Handle, Name: a.Name, AvatarURL: a.AvatarURL,
			Albums: r.AlbumCount, Tracks: r.TrackCount,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].DID < out[j].DID
	})
	return out, nil
}

// artistName is how an artist is named in the library.
type artistName struct{ Handle, Name, AvatarURL string }

// artistsByDID names the artists among dids, in batches.
func (m *Module) artistsByDID(ctx context.Context, dids []string) (map[string]artistName, error) {
	out := make(map[string]artistName, len(dids))
	const batch = artists.MaxBatch
	for start := 0; start < len(dids); start += batch {
		list, err := m.artists.GetMany(ctx, dids[start:min(start+batch, len(dids))])
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			out[a.DID] = artistName{Handle: a.Handle, Name: a.DisplayName, AvatarURL: a.AvatarURL}
		}
	}
	for _, d := range dids {
		if _, ok := out[d]; !ok {
			out[d] = artistName{Name: artists.DisplayName("", AccountProfile{})}
		}
	}
	return out, nil
}

// LibraryAlbumOrder is an order of LibraryAlbums.
type LibraryAlbumOrder string

// The orders of LibraryAlbums.
const (
	AlbumsNewest   LibraryAlbumOrder = "newest"
	AlbumsByName   LibraryAlbumOrder = "name"
	AlbumsByArtist LibraryAlbumOrder = "artist"
	AlbumsFrequent LibraryAlbumOrder = "frequent"
	AlbumsRecent   LibraryAlbumOrder = "recent"
	AlbumsStarred  LibraryAlbumOrder = "starred"
	AlbumsByYear   LibraryAlbumOrder = "year"
	AlbumsRandom   LibraryAlbumOrder = "random"
)

// LibraryAlbumQuery selects shown albums: in Order, one artist's or one tag's when set,
// made between FromYear and ToYear (AlbumsByYear), from Skip on. Recent and starred are
// the caller's (in ctx).
type LibraryAlbumQuery struct {
	Order            LibraryAlbumOrder
	ArtistDID, Tag   string
	FromYear, ToYear int
	Skip, Limit      int
}

// LibraryAlbum is a shown album, or an artist's Singles (ID uuid.Nil, Title "").
type LibraryAlbum struct {
	ID                 uuid.UUID
	ArtistDID          string
	ArtistName         string
	Title              string
	ImageURL, ThumbURL string
	CreatedAt          time.Time
	Tracks, DurationMs int64
	Plays              int64
}

// LibraryAlbums are the shown albums q selects.
func (m *Module) LibraryAlbums(ctx context.Context, q LibraryAlbumQuery) ([]LibraryAlbum, error) {
	params := db.LibraryAlbumsParams{
		Sort: string(q.Order), Tag: strings.ToLower(q.Tag), ArtistDid: q.ArtistDID, Viewer: viewer(ctx),
		FromYear: int32(q.FromYear), ToYear: int32(q.ToYear), Skip: int32(max(q.Skip, 0)), PageLimit: libraryLimit(q.Limit),
	}
	if q.Order == AlbumsByYear && params.FromYear > params.ToYear {
		params.FromYear, params.ToYear = params.ToYear, params.FromYear
	}
	byArtist := q.Order == AlbumsByArtist
	if byArtist {
		// Artists' names live in two modules: sort every album here, then take the page.
		params.Sort, params.Skip, params.PageLimit = string(AlbumsByName), 0, 1<<30
	}
	rows, err := m.q.LibraryAlbums(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("library albums: %w", err)
	}
	dids := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ArtistDid] {
			seen[r.ArtistDid] = true
			dids = append(dids, r.ArtistDid)
		}
	}
	names, err := m.artistsByDID(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := make([]LibraryAlbum, 0, len(rows))
	for _, r := range rows {
		a := LibraryAlbum{
			ArtistDID: r.ArtistDid, ArtistName: names[r.ArtistDid].Name, Title: r.Title,
			ImageURL: r.ImageUrl, ThumbURL: r.ImageThumbUrl, CreatedAt: r.CreatedAt,
			Tracks: r.TrackCount, DurationMs: r.DurationMs, Plays: r.PlayCount,
		}
		if r.AlbumID != nil {
			a.ID = *r.AlbumID
		}
		out = append(out, a)
	}
	if byArtist {
		sort.SliceStable(out, func(i, j int) bool {
			return strings.ToLower(out[i].ArtistName) < strings.ToLower(out[j].ArtistName)
		})
		skip := min(max(q.Skip, 0), len(out))
		out = out[skip:min(skip+int(libraryLimit(q.Limit)), len(out))]
	}
	return out, nil
}

// LibraryGenre is a tag of shown tracks.
type LibraryGenre struct {
	Name           string
	Tracks, Albums int64
}

// LibraryGenres are the tags of shown tracks, most used first (at most MaxLibraryPage).
func (m *Module) LibraryGenres(ctx context.Context) ([]LibraryGenre, error) {
	rows, err := m.q.LibraryGenres(ctx, MaxLibraryPage)
	if err != nil {
		return nil, fmt.Errorf("library genres: %w", err)
	}
	out := make([]LibraryGenre, 0, len(rows))
	for _, r := range rows {
		out = append(out, LibraryGenre{Name: r.Name, Tracks: r.TrackCount, Albums: r.AlbumCount})
	}
	return out, nil
}

// NowPlayingEntry is a listener playing a track right now.
type NowPlayingEntry struct {
	DID, Handle string
	Track       *catalogv1.Track
	Since       time.Time
}

// LibraryNowPlaying is who plays what right now (at most 100), most recent first.
func (m *Module) LibraryNowPlaying(ctx context.Context) ([]NowPlayingEntry, error) {
	rows, err := m.q.LibraryNowPlaying(ctx, 100)
	if err != nil {
		return nil, fmt.Errorf("now playing: %w", err)
	}
	ids := make([]uuid.UUID, 0, len(rows))
	dids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.TrackID)
		dids = append(dids, r.Did)
	}
	list, err := m.tracksInOrder(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*catalogv1.Track, len(list))
	for _, t := range list {
		byID[t.Id] = t
	}
	profiles, err := m.accts.Profiles(ctx, dids)
	if err != nil {
		return nil, err
	}
	out := make([]NowPlayingEntry, 0, len(rows))
	for _, r := range rows {
		if t := byID[r.TrackID.String()]; t != nil {
			out = append(out, NowPlayingEntry{DID: r.Did, Handle: profiles[r.Did].Handle, Track: t, Since: r.ReportedAt})
		}
	}
	return out, nil
}

// Queue is a listener's play queue as a library client sees it.
type Queue struct {
	TrackIDs   []string
	Current    int32
	PositionMs int64
	ChangedAt  time.Time
}

// Queue returns the caller's play queue (empty when they never saved one).
func (m *Module) Queue(ctx context.Context, did string) (Queue, error) {
	q, err := m.queues.Get(ctx, did)
	if err != nil {
		return Queue{}, err
	}
	return Queue{
		TrackIDs: q.State.TrackIDs, Current: q.State.CurrentIndex, PositionMs: int64(q.State.PositionMs),
		ChangedAt: q.UpdatedAt,
	}, nil
}

// SaveQueue replaces the listener's play queue (the web player's too: one queue per
// account), keeping its shuffle off: a library client sends the order it plays.
func (m *Module) SaveQueue(ctx context.Context, did string, trackIDs []string, current int32, positionMs int64) error {
	st := queue.State{TrackIDs: trackIDs, CurrentIndex: current, PositionMs: queue.Millis(positionMs)}
	if st.TrackIDs == nil {
		st.TrackIDs = []string{}
	}
	_, err := m.queues.Put(ctx, did, st, -1)
	return err
}

// syncMark is where a page of the full track listing ended.
type syncMark struct {
	CreatedAt time.Time
	ID        uuid.UUID
	// seen is when the page was read: a mark older than syncMarkTTL is not trusted, as
	// tracks before it may have gone since.
	seen time.Time
}

// syncMarks remembers where recent pages of the full listing ended, by the offset of the
// page that would follow. It is small and forgets everything when full: a sync that
// misses it pays one offset walk and is remembered again.
type syncMarks struct {
	mu    sync.Mutex
	marks map[int]syncMark
}

const (
	maxSyncMarks = 4096
	syncMarkTTL  = 10 * time.Minute
)

func (s *syncMarks) get(skip int) (syncMark, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.marks[skip]
	return m, ok && time.Since(m.seen) < syncMarkTTL
}

func (s *syncMarks) put(skip int, m syncMark) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks == nil || len(s.marks) >= maxSyncMarks {
		s.marks = make(map[int]syncMark)
	}
	s.marks[skip] = m
}
