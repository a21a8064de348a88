package subsonic

import (
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/subsonic/internal/ids"
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"
)

// singlesTitle names an artist's tracks outside albums, shown as one album.
const singlesTitle = "Singles"

// mp3 is what every track streams as unless a client asks for its original.
const (
	mp3Suffix      = "mp3"
	mp3ContentType = "audio/mpeg"
)

// albumIDOf is the id of the album a track shows under: its album, else its artist's
// Singles.
func albumIDOf(t *catalogv1.Track) string {
	if a := t.GetAlbum(); a != nil && a.GetId() != "" {
		return ids.Of(ids.Album, a.GetId())
	}
	return ids.Of(ids.Singles, t.GetArtistDid())
}

// coverOf is the cover art id of a track: its own artwork, else its album's.
func coverOf(t *catalogv1.Track) string {
	switch {
	case t.GetImageUrl() == "":
		return ""
	case t.GetAlbum() != nil && t.GetAlbum().GetImageUrl() == t.GetImageUrl():
		return ids.Of(ids.Album, t.GetAlbum().GetId())
	default:
		return ids.Of(ids.Track, t.GetId())
	}
}

// song is a track as Subsonic shows it. A track with a lossless original describes the
// original (what download gives and format=raw streams) with the MP3 as its transcoded
// form, which is what stream sends by default.
func song(t *catalogv1.Track) wire.Child {
	created := t.GetCreatedAt().AsTime()
	albumTitle := singlesTitle
	if a := t.GetAlbum(); a != nil {
		albumTitle = a.GetTitle()
	}
	c := wire.Child{
		ID:            ids.Of(ids.Track, t.GetId()),
		Parent:        albumIDOf(t),
		Title:         t.GetTitle(),
		Album:         albumTitle,
		Artist:        t.GetArtistDisplayName(),
		DisplayArtist: t.GetArtistDisplayName(),
		Year:          created.Year(),
		CoverArt:      coverOf(t),
		ContentType:   mp3ContentType,
		Suffix:        mp3Suffix,
		Duration:      seconds(int64(t.GetDurationMs())),
		PlayCount:     t.GetPlayCount(),
		Created:       &created,
		AlbumID:       albumIDOf(t),
		ArtistID:      ids.Of(ids.Artist, t.GetArtistDid()),
		Type:          "music",
		MediaType:     "song",
		Artists:       []wire.ArtistRef{{ID: ids.Of(ids.Artist, t.GetArtistDid()), Name: t.GetArtistDisplayName()}},
		Genres:        []wire.ItemGenre{},
	}
	for _, f := range t.GetFeatures() {
		name := f.GetDisplayName()
		if name == "" {
			name = f.GetHandle()
		}
		c.Artists = append(c.Artists, wire.ArtistRef{ID: ids.Of(ids.Artist, f.GetDid()), Name: name})
	}
	for _, tag := range t.GetTags() {
		c.Genres = append(c.Genres, wire.ItemGenre{Name: tag})
	}
	if len(t.GetTags()) > 0 {
		c.Genre = t.GetTags()[0]
	}
	if o := t.GetOriginal(); o != nil {
		c.ContentType, c.Suffix, c.Size = mediaType(o.GetContentType()), o.GetFileType(), o.GetSizeBytes()
		c.TranscodedContentType, c.TranscodedSuffix = mp3ContentType, mp3Suffix
	}
	c.Path = pathOf(t.GetArtistDisplayName(), albumTitle, t.GetTitle(), c.Suffix)
	if t.GetLiked() {
		// plyr keeps no time of a like on the track: the track's own time stands in, so
		// clients that only ask "starred or not" see the truth.
		c.Starred = &created
	}
	return c
}

func songs(list []*catalogv1.Track) []wire.Child {
	out := make([]wire.Child, 0, len(list))
	for _, t := range list {
		out = append(out, song(t))
	}
	return out
}

// mediaType drops a content type's parameters (audio/mp4; codecs="alac" → audio/mp4).
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}

// pathOf is a song's path in the simulated folder tree: apps that organise downloads by
// path get artist/album/title.
func pathOf(artist, album, title, suffix string) string {
	return cleanPathPart(artist) + "/" + cleanPathPart(album) + "/" + cleanPathPart(title) + "." + suffix
}

func cleanPathPart(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}

// seconds rounds milliseconds to whole seconds, as Subsonic counts durations.
func seconds(ms int64) int { return int((ms + 500) / 1000) }

// albumOf is an album (or an artist's Singles) as Subsonic shows it.
func albumOf(a Album) wire.AlbumID3 {
	id, cover, title := ids.Of(ids.Album, a.ID.String()), "", a.Title
	if a.ID == uuid.Nil {
		id, title = ids.Of(ids.Singles, a.ArtistDID), singlesTitle
	}
	if a.ImageURL != "" {
		cover = id
	}
	return wire.AlbumID3{
		ID: id, Name: title, Artist: a.ArtistName, ArtistID: ids.Of(ids.Artist, a.ArtistDID), CoverArt: cover,
		SongCount: a.Tracks, Duration: int64(seconds(a.DurationMs)), PlayCount: a.Plays, Created: a.CreatedAt.UTC(),
		Year: a.CreatedAt.Year(), DisplayArtist: a.ArtistName,
		Artists: []wire.ArtistRef{{ID: ids.Of(ids.Artist, a.ArtistDID), Name: a.ArtistName}},
	}
}

func albumsOf(list []Album) []wire.AlbumID3 {
	out := make([]wire.AlbumID3, 0, len(list))
	for _, a := range list {
		out = append(out, albumOf(a))
	}
	return out
}

// albumFromSongs is an album as Subsonic shows it, summed up from its tracks (an album
// read through GetAlbum, or an artist's Singles).
func albumFromSongs(id, title, artistDID, artistName, imageURL string, created time.Time, tracks []*catalogv1.Track) wire.AlbumWithSongs {
	a := wire.AlbumWithSongs{AlbumID3: wire.AlbumID3{
		ID: id, Name: title, Artist: artistName, ArtistID: ids.Of(ids.Artist, artistDID),
		SongCount: int64(len(tracks)), Created: created.UTC(), Year: created.Year(), DisplayArtist: artistName,
		Artists: []wire.ArtistRef{{ID: ids.Of(ids.Artist, artistDID), Name: artistName}},
	}, Song: songs(tracks)}
	if imageURL != "" {
		a.CoverArt = id
	}
	var ms, plays int64
	for _, t := range tracks {
		ms += int64(t.GetDurationMs())
		plays += t.GetPlayCount()
	}
	a.Duration, a.PlayCount = int64(seconds(ms)), plays
	for i := range a.Song {
		a.Song[i].Track = i + 1
	}
	return a
}

// artistOf is an artist as Subsonic shows them.
func artistOf(a Artist) wire.ArtistID3 {
	out := wire.ArtistID3{ID: ids.Of(ids.Artist, a.DID), Name: a.Name, AlbumCount: a.Albums}
	if a.AvatarURL != "" {
		out.CoverArt, out.ArtistImageURL = out.ID, a.AvatarURL
	}
	return out
}

// indexName is the index an artist's name files under: its first letter, upper-cased, or
// "#" for anything else.
func indexName(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) {
			return strings.ToUpper(string(r))
		}
		return "#"
	}
	return "#"
}

// playlistOf is a playlist as Subsonic shows it.
func playlistOf(p *catalogv1.Playlist, durationMs int64, mine bool) wire.Playlist {
	out := wire.Playlist{
		ID: ids.Of(ids.Playlist, p.GetId()), Name: p.GetName(), Owner: p.GetOwnerHandle(), Public: !p.GetPrivate(),
		SongCount: p.GetTrackCount(), Duration: int64(seconds(durationMs)),
		Created: p.GetCreatedAt().AsTime().UTC(), Changed: p.GetUpdatedAt().AsTime().UTC(), Readonly: !mine,
	}
	if p.GetImageUrl() != "" {
		out.CoverArt = out.ID
	}
	return out
}
