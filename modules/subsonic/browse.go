package subsonic

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/subsonic/internal/ids"
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"
)

// maxList bounds every list a client asks for by size or count (the library's own bound).
const maxList = 500

// listSize reads a size or count parameter: def when absent, within 0 and maxList.
func listSize(p params, name string, def int) (int, error) {
	n, err := p.int(name, def)
	if err != nil {
		return 0, err
	}
	return min(max(n, 0), maxList), nil
}

// offset reads an offset parameter: 0 when absent, never negative.
func offset(p params, name string) (int, error) {
	n, err := p.int(name, 0)
	return max(n, 0), err
}

// idParam reads a required id of one of kinds.
func idParam(p params, name string, kinds ...ids.Kind) (ids.ID, error) {
	v, err := p.required(name)
	if err != nil {
		return ids.ID{}, err
	}
	id, ok := ids.Parse(v)
	if ok {
		for _, k := range kinds {
			if id.Kind == k {
				return id, nil
			}
		}
	}
	return ids.ID{}, wire.Errorf(wire.ErrNotFound, "no "+name+" "+v+" here")
}

func lower(s string) string { return strings.ToLower(s) }

// artistsIndex files artists under their names' initials, in name order.
func (m *Module) artistsIndex(ctx context.Context) ([]wire.IndexID3, error) {
	list, err := m.library.LibraryArtists(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []wire.IndexID3{}
	for _, a := range list {
		name := indexName(a.Name)
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, wire.IndexID3{Name: name})
		}
		out[len(out)-1].Artist = append(out[len(out)-1].Artist, artistOf(a))
	}
	return out, nil
}

func (m *Module) getArtists(c *call) (*wire.Response, error) {
	index, err := m.artistsIndex(c.ctx)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Artists: &wire.Artists{Index: index}}, nil
}

// getIndexes is the folder tree's top: artist folders by initial.
func (m *Module) getIndexes(c *call) (*wire.Response, error) {
	index, err := m.artistsIndex(c.ctx)
	if err != nil {
		return nil, err
	}
	out := &wire.Indexes{LastModified: time.Now().UnixMilli(), Index: []wire.Index{}}
	for _, i := range index {
		folders := make([]wire.Folder, 0, len(i.Artist))
		for _, a := range i.Artist {
			folders = append(folders, wire.Folder{ID: a.ID, Name: a.Name, CoverArt: a.CoverArt})
		}
		out.Index = append(out.Index, wire.Index{Name: i.Name, Artist: folders})
	}
	return &wire.Response{Indexes: out}, nil
}

// artist reads one artist with shown tracks; ErrNotFound for anyone else.
func (m *Module) artist(ctx context.Context, did string) (Artist, error) {
	list, err := m.library.LibraryArtists(ctx, did)
	if err != nil {
		return Artist{}, err
	}
	if len(list) == 0 {
		return Artist{}, wire.Errorf(wire.ErrNotFound, "no artist with this id has tracks here")
	}
	return list[0], nil
}

func (m *Module) artistAlbums(ctx context.Context, did string) ([]Album, error) {
	return m.library.LibraryAlbums(ctx, AlbumQuery{Order: "name", ArtistDID: did, Limit: maxList})
}

func (m *Module) getArtist(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Artist)
	if err != nil {
		return nil, err
	}
	a, err := m.artist(c.ctx, id.DID)
	if err != nil {
		return nil, err
	}
	albums, err := m.artistAlbums(c.ctx, id.DID)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Artist: &wire.ArtistWithAlbums{ArtistID3: artistOf(a), Album: albumsOf(albums)}}, nil
}

// album reads an album, or an artist's Singles, with its songs.
func (m *Module) album(ctx context.Context, id ids.ID) (wire.AlbumWithSongs, string, error) {
	if id.Kind == ids.Singles {
		a, err := m.artist(ctx, id.DID)
		if err != nil {
			return wire.AlbumWithSongs{}, "", err
		}
		tracks, err := m.library.LibrarySingles(ctx, id.DID)
		if err != nil {
			return wire.AlbumWithSongs{}, "", err
		}
		if len(tracks) == 0 {
			return wire.AlbumWithSongs{}, "", wire.Errorf(wire.ErrNotFound, "this artist has no tracks outside albums")
		}
		created := tracks[0].GetCreatedAt().AsTime()
		out := albumFromSongs(id.String(), singlesTitle, id.DID, a.Name, a.AvatarURL, created, tracks)
		return out, "", nil
	}
	res, err := m.catalog.GetAlbum(ctx, &catalogv1.GetAlbumRequest{Id: id.UUID.String()})
	if err != nil {
		return wire.AlbumWithSongs{}, "", err
	}
	al := res.GetAlbum()
	out := albumFromSongs(id.String(), al.GetTitle(), al.GetArtistDid(), al.GetArtistDisplayName(), al.GetImageUrl(),
		al.GetCreatedAt().AsTime(), res.GetTracks())
	return out, al.GetDescription(), nil
}

func (m *Module) getAlbum(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Album, ids.Singles)
	if err != nil {
		return nil, err
	}
	a, _, err := m.album(c.ctx, id)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Album: &a}, nil
}

func (m *Module) track(ctx context.Context, id ids.ID) (*catalogv1.Track, error) {
	res, err := m.catalog.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: id.UUID.String()})
	if err != nil {
		return nil, err
	}
	return res.GetTrack(), nil
}

func (m *Module) getSong(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	t, err := m.track(c.ctx, id)
	if err != nil {
		return nil, err
	}
	s := song(t)
	return &wire.Response{Song: &s}, nil
}

// albumList reads the albums getAlbumList2 and getAlbumList ask for.
func (m *Module) albumList(c *call) ([]Album, error) {
	kind, err := c.params.required("type")
	if err != nil {
		return nil, err
	}
	size, err := listSize(c.params, "size", 10)
	if err != nil {
		return nil, err
	}
	skip, err := offset(c.params, "offset")
	if err != nil {
		return nil, err
	}
	q := AlbumQuery{Skip: skip, Limit: size}
	switch kind {
	case "random":
		q.Order = "random"
	case "newest":
		q.Order = "newest"
	case "frequent", "highest": // plyr has no ratings: the most played stand in for the best rated
		q.Order = "frequent"
	case "recent":
		q.Order = "recent"
	case "alphabeticalByName":
		q.Order = "name"
	case "alphabeticalByArtist":
		q.Order = "artist"
	case "starred":
		q.Order = "starred"
	case "byYear":
		for _, name := range []string{"fromYear", "toYear"} {
			if _, err := c.params.required(name); err != nil {
				return nil, err
			}
		}
		q.Order = "year"
		if q.FromYear, err = c.params.int("fromYear", 0); err != nil {
			return nil, err
		}
		if q.ToYear, err = c.params.int("toYear", 0); err != nil {
			return nil, err
		}
	case "byGenre":
		if q.Tag, err = c.params.required("genre"); err != nil {
			return nil, err
		}
		q.Order = "newest"
	default:
		return nil, wire.Errorf(wire.ErrGeneric, "unknown album list type "+kind)
	}
	if size == 0 {
		return nil, nil
	}
	return m.library.LibraryAlbums(c.ctx, q)
}

func (m *Module) getAlbumList2(c *call) (*wire.Response, error) {
	list, err := m.albumList(c)
	if err != nil {
		return nil, err
	}
	return &wire.Response{AlbumList2: &wire.AlbumList2{Album: albumsOf(list)}}, nil
}

// albumFolder is an album as a folder of the folder tree.
func albumFolder(a wire.AlbumID3) wire.Child {
	created := a.Created
	return wire.Child{
		ID: a.ID, Parent: a.ArtistID, IsDir: true, Title: a.Name, Name: a.Name, Album: a.Name, Artist: a.Artist,
		Year: a.Year, CoverArt: a.CoverArt, Duration: int(a.Duration), PlayCount: a.PlayCount, Created: &created,
		AlbumID: a.ID, ArtistID: a.ArtistID,
	}
}

func (m *Module) getAlbumList(c *call) (*wire.Response, error) {
	list, err := m.albumList(c)
	if err != nil {
		return nil, err
	}
	out := &wire.AlbumList{Album: []wire.Child{}}
	for _, a := range albumsOf(list) {
		out.Album = append(out.Album, albumFolder(a))
	}
	return &wire.Response{AlbumList: out}, nil
}

func (m *Module) getMusicDirectory(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Artist, ids.Album, ids.Singles)
	if err != nil {
		return nil, err
	}
	if id.Kind == ids.Artist {
		a, err := m.artist(c.ctx, id.DID)
		if err != nil {
			return nil, err
		}
		albums, err := m.artistAlbums(c.ctx, id.DID)
		if err != nil {
			return nil, err
		}
		dir := &wire.Directory{ID: id.String(), Name: a.Name, Child: []wire.Child{}}
		for _, al := range albumsOf(albums) {
			dir.Child = append(dir.Child, albumFolder(al))
		}
		return &wire.Response{Directory: dir}, nil
	}
	a, _, err := m.album(c.ctx, id)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Directory: &wire.Directory{ID: a.ID, Parent: a.ArtistID, Name: a.Name, Child: a.Song}}, nil
}

func (m *Module) getGenres(c *call) (*wire.Response, error) {
	list, err := m.library.LibraryGenres(c.ctx)
	if err != nil {
		return nil, err
	}
	out := &wire.Genres{Genre: []wire.Genre{}}
	for _, g := range list {
		out.Genre = append(out.Genre, wire.Genre{Value: g.Name, SongCount: g.Tracks, AlbumCount: g.Albums})
	}
	return &wire.Response{Genres: out}, nil
}

func (m *Module) getSongsByGenre(c *call) (*wire.Response, error) {
	genre, err := c.params.required("genre")
	if err != nil {
		return nil, err
	}
	count, err := listSize(c.params, "count", 10)
	if err != nil {
		return nil, err
	}
	skip, err := offset(c.params, "offset")
	if err != nil {
		return nil, err
	}
	out := &wire.Songs{Song: []wire.Child{}}
	if count > 0 {
		list, err := m.library.LibraryTracks(c.ctx, TrackQuery{Tag: genre, Skip: skip, Limit: count})
		if err != nil {
			return nil, err
		}
		out.Song = songs(list)
	}
	return &wire.Response{SongsByGenre: out}, nil
}

func (m *Module) getRandomSongs(c *call) (*wire.Response, error) {
	size, err := listSize(c.params, "size", 10)
	if err != nil {
		return nil, err
	}
	from, err := c.params.int("fromYear", 0)
	if err != nil {
		return nil, err
	}
	to, err := c.params.int("toYear", 0)
	if err != nil {
		return nil, err
	}
	out := &wire.Songs{Song: []wire.Child{}}
	if size > 0 {
		list, err := m.library.LibraryRandomTracks(c.ctx, c.params.get("genre"), size)
		if err != nil {
			return nil, err
		}
		for _, s := range songs(list) {
			if (from == 0 || s.Year >= from) && (to == 0 || s.Year <= to) {
				out.Song = append(out.Song, s)
			}
		}
	}
	return &wire.Response{RandomSongs: out}, nil
}

// artistByName finds an artist with shown tracks by name or handle (getTopSongs names
// artists, not ids).
func (m *Module) artistByName(ctx context.Context, name string) (Artist, bool, error) {
	list, err := m.library.LibraryArtists(ctx, "")
	if err != nil {
		return Artist{}, false, err
	}
	for _, a := range list {
		if strings.EqualFold(a.Name, name) || strings.EqualFold(a.Handle, name) {
			return a, true, nil
		}
	}
	return Artist{}, false, nil
}

func (m *Module) getTopSongs(c *call) (*wire.Response, error) {
	name, err := c.params.required("artist")
	if err != nil {
		return nil, err
	}
	count, err := listSize(c.params, "count", 50)
	if err != nil {
		return nil, err
	}
	out := &wire.Songs{Song: []wire.Child{}}
	a, ok, err := m.artistByName(c.ctx, name)
	if err != nil || !ok || count == 0 {
		return &wire.Response{TopSongs: out}, err
	}
	list, err := m.library.LibraryTopTracks(c.ctx, a.DID, count)
	if err != nil {
		return nil, err
	}
	out.Song = songs(list)
	return &wire.Response{TopSongs: out}, nil
}

// similarSongs is plyr's honest answer to "songs like this": plyr computes no
// similarity, so it gives the artist's own most played tracks, shuffled, the song asked
// about left out.
func (m *Module) similarSongs(c *call) (*wire.Songs, error) {
	id, err := idParam(c.params, "id", ids.Artist, ids.Track, ids.Album, ids.Singles)
	if err != nil {
		return nil, err
	}
	count, err := listSize(c.params, "count", 50)
	if err != nil {
		return nil, err
	}
	did := id.DID
	switch id.Kind {
	case ids.Track:
		t, err := m.track(c.ctx, id)
		if err != nil {
			return nil, err
		}
		did = t.GetArtistDid()
	case ids.Album:
		a, _, err := m.album(c.ctx, id)
		if err != nil {
			return nil, err
		}
		did = strings.TrimPrefix(a.ArtistID, string(ids.Artist)+"-")
	}
	list, err := m.library.LibraryTopTracks(c.ctx, did, count+1)
	if err != nil {
		return nil, err
	}
	out := &wire.Songs{Song: []wire.Child{}}
	for _, s := range songs(list) {
		if s.ID != id.String() && len(out.Song) < count {
			out.Song = append(out.Song, s)
		}
	}
	rand.Shuffle(len(out.Song), func(i, j int) { out.Song[i], out.Song[j] = out.Song[j], out.Song[i] })
	return out, nil
}

func (m *Module) getSimilarSongs2(c *call) (*wire.Response, error) {
	s, err := m.similarSongs(c)
	return &wire.Response{SimilarSongs2: s}, err
}

func (m *Module) getSimilarSongs(c *call) (*wire.Response, error) {
	s, err := m.similarSongs(c)
	return &wire.Response{SimilarSongs: s}, err
}

// artistInfo is an artist's bio and avatar; plyr knows no similar artists.
func (m *Module) artistInfo(c *call) (*wire.ArtistInfo, error) {
	id, err := idParam(c.params, "id", ids.Artist)
	if err != nil {
		return nil, err
	}
	res, err := m.catalog.GetArtist(c.ctx, &catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Did{Did: id.DID}})
	if err != nil {
		return nil, err
	}
	a := res.GetArtist()
	return &wire.ArtistInfo{
		Biography: a.GetBio(), SmallImageURL: a.GetAvatarUrl(), MediumImageURL: a.GetAvatarUrl(), LargeImageURL: a.GetAvatarUrl(),
	}, nil
}

func (m *Module) getArtistInfo2(c *call) (*wire.Response, error) {
	info, err := m.artistInfo(c)
	return &wire.Response{ArtistInfo2: info}, err
}

func (m *Module) getArtistInfo(c *call) (*wire.Response, error) {
	info, err := m.artistInfo(c)
	return &wire.Response{ArtistInfo: info}, err
}

// getAlbumInfo (and getAlbumInfo2) is an album's description and cover.
func (m *Module) getAlbumInfo(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Album, ids.Singles)
	if err != nil {
		return nil, err
	}
	if id.Kind == ids.Singles {
		if _, err := m.artist(c.ctx, id.DID); err != nil {
			return nil, err
		}
		return &wire.Response{AlbumInfo: &wire.AlbumInfo{}}, nil
	}
	res, err := m.catalog.GetAlbum(c.ctx, &catalogv1.GetAlbumRequest{Id: id.UUID.String()})
	if err != nil {
		return nil, err
	}
	a := res.GetAlbum()
	return &wire.Response{AlbumInfo: &wire.AlbumInfo{
		Notes: a.GetDescription(), SmallImageURL: a.GetThumbUrl(), MediumImageURL: a.GetImageUrl(), LargeImageURL: a.GetImageUrl(),
	}}, nil
}

// getLyricsBySongID answers no lyrics for a song that exists: plyr keeps none.
func (m *Module) getLyricsBySongID(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	if _, err := m.track(c.ctx, id); err != nil {
		return nil, err
	}
	return &wire.Response{LyricsList: &wire.LyricsList{StructuredLyrics: []struct{}{}}}, nil
}

// searchCounts are search3's counts and offsets per kind.
type searchCounts struct {
	artists, artistSkip, albums, albumSkip, songs, songSkip int
}

func readSearchCounts(p params) (searchCounts, error) {
	var s searchCounts
	var err error
	for _, f := range []struct {
		name string
		into *int
		def  int
	}{
		{"artistCount", &s.artists, 20}, {"albumCount", &s.albums, 20}, {"songCount", &s.songs, 20},
	} {
		if *f.into, err = listSize(p, f.name, f.def); err != nil {
			return s, err
		}
	}
	for _, f := range []struct {
		name string
		into *int
	}{{"artistOffset", &s.artistSkip}, {"albumOffset", &s.albumSkip}, {"songOffset", &s.songSkip}} {
		if *f.into, err = offset(p, f.name); err != nil {
			return s, err
		}
	}
	return s, nil
}

// page is list[skip:skip+n], within bounds.
func page[T any](list []T, skip, n int) []T {
	skip = min(skip, len(list))
	return list[skip:min(skip+n, len(list))]
}

// searchAll is search3 with an empty query: the whole library in pages, as apps ask for a
// full sync (artists and albums by name, songs oldest first so that pages stay put while
// new tracks arrive).
func (m *Module) searchAll(ctx context.Context, s searchCounts) (*wire.SearchResult3, error) {
	out := &wire.SearchResult3{Artist: []wire.ArtistID3{}, Album: []wire.AlbumID3{}, Song: []wire.Child{}}
	if s.artists > 0 {
		list, err := m.library.LibraryArtists(ctx, "")
		if err != nil {
			return nil, err
		}
		for _, a := range page(list, s.artistSkip, s.artists) {
			out.Artist = append(out.Artist, artistOf(a))
		}
	}
	if s.albums > 0 {
		list, err := m.library.LibraryAlbums(ctx, AlbumQuery{Order: "name", Skip: s.albumSkip, Limit: s.albums})
		if err != nil {
			return nil, err
		}
		out.Album = albumsOf(list)
	}
	if s.songs > 0 {
		list, err := m.library.LibraryTracks(ctx, TrackQuery{Skip: s.songSkip, Limit: s.songs})
		if err != nil {
			return nil, err
		}
		out.Song = songs(list)
	}
	return out, nil
}

// maxSearchResults is what one catalog search returns at most.
const maxSearchResults = 50

// searchQuery is search3 with a query: the catalog's search, per kind, paged here.
func (m *Module) searchQuery(ctx context.Context, q string, s searchCounts) (*wire.SearchResult3, error) {
	out := &wire.SearchResult3{Artist: []wire.ArtistID3{}, Album: []wire.AlbumID3{}, Song: []wire.Child{}}
	if utf8.RuneCountInString(q) < 2 {
		return out, nil // the catalog searches two characters or more
	}
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	kinds := []struct {
		kind catalogv1.SearchKind
		want int
	}{{catalogv1.SearchKind_SEARCH_KIND_ARTIST, s.artists + s.artistSkip}, {catalogv1.SearchKind_SEARCH_KIND_ALBUM, s.albums + s.albumSkip}, {catalogv1.SearchKind_SEARCH_KIND_TRACK, s.songs + s.songSkip}}
	for _, k := range kinds {
		if k.want == 0 {
			continue
		}
		res, err := m.catalog.Search(ctx, &catalogv1.SearchRequest{Q: q, Kinds: []catalogv1.SearchKind{k.kind}, Limit: int32(min(k.want, maxSearchResults))})
		if err != nil {
			return nil, err
		}
		var artists []wire.ArtistID3
		var albums []wire.AlbumID3
		var tracks []*catalogv1.Track
		for _, r := range res.GetResults() {
			switch {
			case r.GetArtist() != nil:
				p := r.GetArtist()
				a := wire.ArtistID3{ID: ids.Of(ids.Artist, p.GetDid()), Name: p.GetDisplayName()}
				if p.GetAvatarUrl() != "" {
					a.CoverArt, a.ArtistImageURL = a.ID, p.GetAvatarUrl()
				}
				artists = append(artists, a)
			case r.GetAlbum() != nil:
				al := r.GetAlbum()
				albums = append(albums, albumOf(Album{
					ID: uuid.MustParse(al.GetId()), ArtistDID: al.GetArtistDid(), ArtistName: al.GetArtistDisplayName(),
					Title: al.GetTitle(), ImageURL: al.GetImageUrl(), ThumbURL: al.GetThumbUrl(),
					CreatedAt: al.GetCreatedAt().AsTime(), Tracks: al.GetTrackCount(), Plays: al.GetTotalPlays(),
				}))
			case r.GetTrack() != nil:
				tracks = append(tracks, r.GetTrack())
			}
		}
		out.Artist = append(out.Artist, page(artists, s.artistSkip, s.artists)...)
		out.Album = append(out.Album, page(albums, s.albumSkip, s.albums)...)
		out.Song = append(out.Song, songs(page(tracks, s.songSkip, s.songs))...)
	}
	return out, nil
}

// search reads search3's parameters and searches. An empty query (or "" as some apps
// send it) lists everything.
func (m *Module) search(c *call) (*wire.SearchResult3, error) {
	counts, err := readSearchCounts(c.params)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(c.params.get("query"))
	if q == `""` || q == "''" || q == "*" {
		q = ""
	}
	if q == "" {
		return m.searchAll(c.ctx, counts)
	}
	return m.searchQuery(c.ctx, q, counts)
}

func (m *Module) search3(c *call) (*wire.Response, error) {
	res, err := m.search(c)
	return &wire.Response{SearchResult3: res}, err
}

// search2 is search3 in folder terms.
func (m *Module) search2(c *call) (*wire.Response, error) {
	res, err := m.search(c)
	if err != nil {
		return nil, err
	}
	out := &wire.SearchResult2{Artist: []wire.Folder{}, Album: []wire.Child{}, Song: res.Song}
	for _, a := range res.Artist {
		out.Artist = append(out.Artist, wire.Folder{ID: a.ID, Name: a.Name, CoverArt: a.CoverArt})
	}
	for _, a := range res.Album {
		out.Album = append(out.Album, albumFolder(a))
	}
	return &wire.Response{SearchResult2: out}, nil
}
