// Package wire is the Subsonic API's wire format: the <subsonic-response> envelope in XML
// (the default) and JSON (f=json), its payloads and its error codes, as Subsonic 1.16.1
// and the OpenSubsonic additions define them.
//
// One set of types serves both formats: XML attributes and JSON fields carry the same
// names, and a list is repeated elements in XML and an array in JSON. A list the
// specification requires is written even when empty (JSON clients index it without
// checking); optional ones are left out.
package wire

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"time"
)

// Version is the Subsonic API version plyr speaks.
const Version = "1.16.1"

// Namespace is the XML namespace of every answer.
const Namespace = "http://subsonic.org/restapi"

// ServerType names plyr in every answer (OpenSubsonic's type).
const ServerType = "plyr"

// Subsonic's error codes.
const (
	ErrGeneric             = 0
	ErrMissingParameter    = 10
	ErrWrongCredentials    = 40
	ErrTokenAuthentication = 41
	ErrMechanism           = 42
	ErrConflictingAuth     = 43
	ErrInvalidAPIKey       = 44
	ErrNotAuthorized       = 50
	ErrNotFound            = 70
)

// Error is a failed answer's error.
type Error struct {
	Code    int    `xml:"code,attr" json:"code"`
	Message string `xml:"message,attr,omitempty" json:"message,omitempty"`
	// HelpURL is where a person learns how to fix it (OpenSubsonic).
	HelpURL string `xml:"helpUrl,attr,omitempty" json:"helpUrl,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Errorf is an error with a code.
func Errorf(code int, message string) *Error { return &Error{Code: code, Message: message} }

// Response is the envelope with at most one payload set.
type Response struct {
	XMLName       xml.Name `xml:"http://subsonic.org/restapi subsonic-response" json:"-"`
	Status        string   `xml:"status,attr" json:"status"`
	Version       string   `xml:"version,attr" json:"version"`
	Type          string   `xml:"type,attr" json:"type"`
	ServerVersion string   `xml:"serverVersion,attr" json:"serverVersion"`
	OpenSubsonic  bool     `xml:"openSubsonic,attr" json:"openSubsonic"`

	Error                  *Error             `xml:"error,omitempty" json:"error,omitempty"`
	License                *License           `xml:"license,omitempty" json:"license,omitempty"`
	OpenSubsonicExtensions *[]Extension       `xml:"openSubsonicExtensions,omitempty" json:"openSubsonicExtensions,omitempty"`
	MusicFolders           *MusicFolders      `xml:"musicFolders,omitempty" json:"musicFolders,omitempty"`
	ScanStatus             *ScanStatus        `xml:"scanStatus,omitempty" json:"scanStatus,omitempty"`
	User                   *User              `xml:"user,omitempty" json:"user,omitempty"`
	Artists                *Artists           `xml:"artists,omitempty" json:"artists,omitempty"`
	Indexes                *Indexes           `xml:"indexes,omitempty" json:"indexes,omitempty"`
	Directory              *Directory         `xml:"directory,omitempty" json:"directory,omitempty"`
	Artist                 *ArtistWithAlbums  `xml:"artist,omitempty" json:"artist,omitempty"`
	Album                  *AlbumWithSongs    `xml:"album,omitempty" json:"album,omitempty"`
	Song                   *Child             `xml:"song,omitempty" json:"song,omitempty"`
	AlbumList2             *AlbumList2        `xml:"albumList2,omitempty" json:"albumList2,omitempty"`
	AlbumList              *AlbumList         `xml:"albumList,omitempty" json:"albumList,omitempty"`
	Genres                 *Genres            `xml:"genres,omitempty" json:"genres,omitempty"`
	SongsByGenre           *Songs             `xml:"songsByGenre,omitempty" json:"songsByGenre,omitempty"`
	RandomSongs            *Songs             `xml:"randomSongs,omitempty" json:"randomSongs,omitempty"`
	TopSongs               *Songs             `xml:"topSongs,omitempty" json:"topSongs,omitempty"`
	SimilarSongs2          *Songs             `xml:"similarSongs2,omitempty" json:"similarSongs2,omitempty"`
	SimilarSongs           *Songs             `xml:"similarSongs,omitempty" json:"similarSongs,omitempty"`
	ArtistInfo2            *ArtistInfo        `xml:"artistInfo2,omitempty" json:"artistInfo2,omitempty"`
	ArtistInfo             *ArtistInfo        `xml:"artistInfo,omitempty" json:"artistInfo,omitempty"`
	AlbumInfo              *AlbumInfo         `xml:"albumInfo,omitempty" json:"albumInfo,omitempty"`
	SearchResult3          *SearchResult3     `xml:"searchResult3,omitempty" json:"searchResult3,omitempty"`
	SearchResult2          *SearchResult2     `xml:"searchResult2,omitempty" json:"searchResult2,omitempty"`
	Starred2               *Starred           `xml:"starred2,omitempty" json:"starred2,omitempty"`
	Starred                *StarredFolders    `xml:"starred,omitempty" json:"starred,omitempty"`
	NowPlaying             *NowPlaying        `xml:"nowPlaying,omitempty" json:"nowPlaying,omitempty"`
	Playlists              *Playlists         `xml:"playlists,omitempty" json:"playlists,omitempty"`
	Playlist               *PlaylistWithSongs `xml:"playlist,omitempty" json:"playlist,omitempty"`
	PlayQueue              *PlayQueue         `xml:"playQueue,omitempty" json:"playQueue,omitempty"`
	PlayQueueByIndex       *PlayQueueByIndex  `xml:"playQueueByIndex,omitempty" json:"playQueueByIndex,omitempty"`
	LyricsList             *LyricsList        `xml:"lyricsList,omitempty" json:"lyricsList,omitempty"`
	Lyrics                 *Lyrics            `xml:"lyrics,omitempty" json:"lyrics,omitempty"`
}

// Write sends r in the format f names ("json", else XML), status 200 whatever r says:
// Subsonic clients read failures from the envelope, not from the HTTP status.
func Write(w http.ResponseWriter, format, serverVersion string, r *Response) {
	r.Version, r.Type, r.ServerVersion, r.OpenSubsonic = Version, ServerType, serverVersion, true
	r.Status = "ok"
	if r.Error != nil {
		r.Status = "failed"
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(struct {
			R *Response `json:"subsonic-response"`
		}{r})
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(r)
}

// License is getLicense's answer: plyr is free.
type License struct {
	Valid bool `xml:"valid,attr" json:"valid"`
}

// Extension is an OpenSubsonic extension plyr supports, with its versions.
type Extension struct {
	Name     string `xml:"name,attr" json:"name"`
	Versions []int  `xml:"versions" json:"versions"`
}

// MusicFolders lists the music folders (plyr has one).
type MusicFolders struct {
	Folders []MusicFolder `xml:"musicFolder" json:"musicFolder"`
}

// MusicFolder is a music folder.
type MusicFolder struct {
	ID   int    `xml:"id,attr" json:"id"`
	Name string `xml:"name,attr,omitempty" json:"name,omitempty"`
}

// ScanStatus says whether a library scan runs (plyr never scans).
type ScanStatus struct {
	Scanning bool  `xml:"scanning,attr" json:"scanning"`
	Count    int64 `xml:"count,attr,omitempty" json:"count,omitempty"`
}

// User is an account and what it may do.
type User struct {
	Username            string `xml:"username,attr" json:"username"`
	ScrobblingEnabled   bool   `xml:"scrobblingEnabled,attr" json:"scrobblingEnabled"`
	AdminRole           bool   `xml:"adminRole,attr" json:"adminRole"`
	SettingsRole        bool   `xml:"settingsRole,attr" json:"settingsRole"`
	DownloadRole        bool   `xml:"downloadRole,attr" json:"downloadRole"`
	UploadRole          bool   `xml:"uploadRole,attr" json:"uploadRole"`
	PlaylistRole        bool   `xml:"playlistRole,attr" json:"playlistRole"`
	CoverArtRole        bool   `xml:"coverArtRole,attr" json:"coverArtRole"`
	CommentRole         bool   `xml:"commentRole,attr" json:"commentRole"`
	PodcastRole         bool   `xml:"podcastRole,attr" json:"podcastRole"`
	StreamRole          bool   `xml:"streamRole,attr" json:"streamRole"`
	JukeboxRole         bool   `xml:"jukeboxRole,attr" json:"jukeboxRole"`
	ShareRole           bool   `xml:"shareRole,attr" json:"shareRole"`
	VideoConversionRole bool   `xml:"videoConversionRole,attr" json:"videoConversionRole"`
	Folders             []int  `xml:"folder" json:"folder"`
}

// Artists is getArtists' index of artists by initial.
type Artists struct {
	IgnoredArticles string     `xml:"ignoredArticles,attr" json:"ignoredArticles"`
	Index           []IndexID3 `xml:"index" json:"index"`
}

// IndexID3 is the artists under one initial.
type IndexID3 struct {
	Name   string      `xml:"name,attr" json:"name"`
	Artist []ArtistID3 `xml:"artist" json:"artist"`
}

// Indexes is getIndexes' index of artist folders by initial.
type Indexes struct {
	IgnoredArticles string  `xml:"ignoredArticles,attr" json:"ignoredArticles"`
	LastModified    int64   `xml:"lastModified,attr" json:"lastModified"`
	Index           []Index `xml:"index" json:"index"`
}

// Index is the artist folders under one initial.
type Index struct {
	Name   string   `xml:"name,attr" json:"name"`
	Artist []Folder `xml:"artist" json:"artist"`
}

// Folder is an artist folder of the folder tree.
type Folder struct {
	ID       string `xml:"id,attr" json:"id"`
	Name     string `xml:"name,attr" json:"name"`
	CoverArt string `xml:"coverArt,attr,omitempty" json:"coverArt,omitempty"`
}

// Directory is a folder of the folder tree with what it holds.
type Directory struct {
	ID     string  `xml:"id,attr" json:"id"`
	Parent string  `xml:"parent,attr,omitempty" json:"parent,omitempty"`
	Name   string  `xml:"name,attr" json:"name"`
	Child  []Child `xml:"child" json:"child"`
}

// ArtistID3 is an artist.
type ArtistID3 struct {
	ID             string     `xml:"id,attr" json:"id"`
	Name           string     `xml:"name,attr" json:"name"`
	CoverArt       string     `xml:"coverArt,attr,omitempty" json:"coverArt,omitempty"`
	ArtistImageURL string     `xml:"artistImageUrl,attr,omitempty" json:"artistImageUrl,omitempty"`
	AlbumCount     int64      `xml:"albumCount,attr" json:"albumCount"`
	Starred        *time.Time `xml:"starred,attr,omitempty" json:"starred,omitempty"`
	SortName       string     `xml:"sortName,attr,omitempty" json:"sortName,omitempty"`
}

// ArtistWithAlbums is an artist with their albums.
type ArtistWithAlbums struct {
	ArtistID3
	Album []AlbumID3 `xml:"album" json:"album"`
}

// ArtistRef names an artist (OpenSubsonic's artists lists).
type ArtistRef struct {
	ID   string `xml:"id,attr" json:"id"`
	Name string `xml:"name,attr" json:"name"`
}

// ItemGenre names a genre (OpenSubsonic's genres lists).
type ItemGenre struct {
	Name string `xml:"name,attr" json:"name"`
}

// AlbumID3 is an album.
type AlbumID3 struct {
	ID            string      `xml:"id,attr" json:"id"`
	Name          string      `xml:"name,attr" json:"name"`
	Artist        string      `xml:"artist,attr,omitempty" json:"artist,omitempty"`
	ArtistID      string      `xml:"artistId,attr,omitempty" json:"artistId,omitempty"`
	CoverArt      string      `xml:"coverArt,attr,omitempty" json:"coverArt,omitempty"`
	SongCount     int64       `xml:"songCount,attr" json:"songCount"`
	Duration      int64       `xml:"duration,attr" json:"duration"`
	PlayCount     int64       `xml:"playCount,attr,omitempty" json:"playCount,omitempty"`
	Created       time.Time   `xml:"created,attr" json:"created"`
	Starred       *time.Time  `xml:"starred,attr,omitempty" json:"starred,omitempty"`
	Year          int         `xml:"year,attr,omitempty" json:"year,omitempty"`
	Genre         string      `xml:"genre,attr,omitempty" json:"genre,omitempty"`
	SortName      string      `xml:"sortName,attr,omitempty" json:"sortName,omitempty"`
	DisplayArtist string      `xml:"displayArtist,attr,omitempty" json:"displayArtist,omitempty"`
	IsCompilation bool        `xml:"isCompilation,attr" json:"isCompilation"`
	Artists       []ArtistRef `xml:"artists,omitempty" json:"artists,omitempty"`
	Genres        []ItemGenre `xml:"genres,omitempty" json:"genres,omitempty"`
}

// AlbumWithSongs is an album with its songs.
type AlbumWithSongs struct {
	AlbumID3
	Song []Child `xml:"song" json:"song"`
}

// Child is a song (or, in the folder tree, an album folder: IsDir).
type Child struct {
	ID                    string      `xml:"id,attr" json:"id"`
	Parent                string      `xml:"parent,attr,omitempty" json:"parent,omitempty"`
	IsDir                 bool        `xml:"isDir,attr" json:"isDir"`
	Title                 string      `xml:"title,attr" json:"title"`
	Name                  string      `xml:"name,attr,omitempty" json:"name,omitempty"`
	Album                 string      `xml:"album,attr,omitempty" json:"album,omitempty"`
	Artist                string      `xml:"artist,attr,omitempty" json:"artist,omitempty"`
	Track                 int         `xml:"track,attr,omitempty" json:"track,omitempty"`
	Year                  int         `xml:"year,attr,omitempty" json:"year,omitempty"`
	Genre                 string      `xml:"genre,attr,omitempty" json:"genre,omitempty"`
	CoverArt              string      `xml:"coverArt,attr,omitempty" json:"coverArt,omitempty"`
	Size                  int64       `xml:"size,attr,omitempty" json:"size,omitempty"`
	ContentType           string      `xml:"contentType,attr,omitempty" json:"contentType,omitempty"`
	Suffix                string      `xml:"suffix,attr,omitempty" json:"suffix,omitempty"`
	TranscodedContentType string      `xml:"transcodedContentType,attr,omitempty" json:"transcodedContentType,omitempty"`
	TranscodedSuffix      string      `xml:"transcodedSuffix,attr,omitempty" json:"transcodedSuffix,omitempty"`
	Duration              int         `xml:"duration,attr,omitempty" json:"duration,omitempty"`
	BitRate               int         `xml:"bitRate,attr,omitempty" json:"bitRate,omitempty"`
	Path                  string      `xml:"path,attr,omitempty" json:"path,omitempty"`
	IsVideo               bool        `xml:"isVideo,attr,omitempty" json:"isVideo,omitempty"`
	PlayCount             int64       `xml:"playCount,attr,omitempty" json:"playCount,omitempty"`
	Created               *time.Time  `xml:"created,attr,omitempty" json:"created,omitempty"`
	Starred               *time.Time  `xml:"starred,attr,omitempty" json:"starred,omitempty"`
	AlbumID               string      `xml:"albumId,attr,omitempty" json:"albumId,omitempty"`
	ArtistID              string      `xml:"artistId,attr,omitempty" json:"artistId,omitempty"`
	Type                  string      `xml:"type,attr,omitempty" json:"type,omitempty"`
	MediaType             string      `xml:"mediaType,attr,omitempty" json:"mediaType,omitempty"`
	DisplayArtist         string      `xml:"displayArtist,attr,omitempty" json:"displayArtist,omitempty"`
	Artists               []ArtistRef `xml:"artists,omitempty" json:"artists,omitempty"`
	Genres                []ItemGenre `xml:"genres,omitempty" json:"genres,omitempty"`
}

// AlbumList2 is getAlbumList2's albums.
type AlbumList2 struct {
	Album []AlbumID3 `xml:"album" json:"album"`
}

// AlbumList is getAlbumList's album folders.
type AlbumList struct {
	Album []Child `xml:"album" json:"album"`
}

// Genres lists genres.
type Genres struct {
	Genre []Genre `xml:"genre" json:"genre"`
}

// Genre is a genre with its counts; its name is the element's text in XML.
type Genre struct {
	Value      string `xml:",chardata" json:"value"`
	SongCount  int64  `xml:"songCount,attr" json:"songCount"`
	AlbumCount int64  `xml:"albumCount,attr" json:"albumCount"`
}

// Songs is a list of songs (songsByGenre, randomSongs, topSongs, similarSongs2).
type Songs struct {
	Song []Child `xml:"song" json:"song"`
}

// ArtistInfo is what plyr knows about an artist beyond their name: their bio and avatar.
type ArtistInfo struct {
	Biography      string      `xml:"biography,omitempty" json:"biography,omitempty"`
	SmallImageURL  string      `xml:"smallImageUrl,omitempty" json:"smallImageUrl,omitempty"`
	MediumImageURL string      `xml:"mediumImageUrl,omitempty" json:"mediumImageUrl,omitempty"`
	LargeImageURL  string      `xml:"largeImageUrl,omitempty" json:"largeImageUrl,omitempty"`
	SimilarArtist  []ArtistID3 `xml:"similarArtist,omitempty" json:"similarArtist,omitempty"`
}

// AlbumInfo is what plyr knows about an album beyond its songs: its description and cover.
type AlbumInfo struct {
	Notes          string `xml:"notes,omitempty" json:"notes,omitempty"`
	SmallImageURL  string `xml:"smallImageUrl,omitempty" json:"smallImageUrl,omitempty"`
	MediumImageURL string `xml:"mediumImageUrl,omitempty" json:"mediumImageUrl,omitempty"`
	LargeImageURL  string `xml:"largeImageUrl,omitempty" json:"largeImageUrl,omitempty"`
}

// SearchResult3 is search3's artists, albums and songs.
type SearchResult3 struct {
	Artist []ArtistID3 `xml:"artist" json:"artist"`
	Album  []AlbumID3  `xml:"album" json:"album"`
	Song   []Child     `xml:"song" json:"song"`
}

// SearchResult2 is search2's artist folders, album folders and songs.
type SearchResult2 struct {
	Artist []Folder `xml:"artist" json:"artist"`
	Album  []Child  `xml:"album" json:"album"`
	Song   []Child  `xml:"song" json:"song"`
}

// Starred is what the caller starred (liked).
type Starred struct {
	Artist []ArtistID3 `xml:"artist" json:"artist"`
	Album  []AlbumID3  `xml:"album" json:"album"`
	Song   []Child     `xml:"song" json:"song"`
}

// StarredFolders is what the caller starred, in folder terms (getStarred).
type StarredFolders struct {
	Artist []Folder `xml:"artist" json:"artist"`
	Album  []Child  `xml:"album" json:"album"`
	Song   []Child  `xml:"song" json:"song"`
}

// NowPlaying is who plays what right now.
type NowPlaying struct {
	Entry []NowPlayingEntry `xml:"entry" json:"entry"`
}

// NowPlayingEntry is a song someone plays.
type NowPlayingEntry struct {
	Child
	Username   string `xml:"username,attr" json:"username"`
	MinutesAgo int    `xml:"minutesAgo,attr" json:"minutesAgo"`
	PlayerID   int    `xml:"playerId,attr" json:"playerId"`
	PlayerName string `xml:"playerName,attr,omitempty" json:"playerName,omitempty"`
}

// Playlists lists playlists.
type Playlists struct {
	Playlist []Playlist `xml:"playlist" json:"playlist"`
}

// Playlist is a playlist.
type Playlist struct {
	ID        string    `xml:"id,attr" json:"id"`
	Name      string    `xml:"name,attr" json:"name"`
	Comment   string    `xml:"comment,attr,omitempty" json:"comment,omitempty"`
	Owner     string    `xml:"owner,attr,omitempty" json:"owner,omitempty"`
	Public    bool      `xml:"public,attr" json:"public"`
	SongCount int64     `xml:"songCount,attr" json:"songCount"`
	Duration  int64     `xml:"duration,attr" json:"duration"`
	Created   time.Time `xml:"created,attr" json:"created"`
	Changed   time.Time `xml:"changed,attr" json:"changed"`
	CoverArt  string    `xml:"coverArt,attr,omitempty" json:"coverArt,omitempty"`
	Readonly  bool      `xml:"readonly,attr" json:"readonly"`
}

// PlaylistWithSongs is a playlist with its songs.
type PlaylistWithSongs struct {
	Playlist
	Entry []Child `xml:"entry" json:"entry"`
}

// PlayQueue is the caller's saved play queue.
type PlayQueue struct {
	Current   string    `xml:"current,attr,omitempty" json:"current,omitempty"`
	Position  int64     `xml:"position,attr" json:"position"`
	Username  string    `xml:"username,attr" json:"username"`
	Changed   time.Time `xml:"changed,attr" json:"changed"`
	ChangedBy string    `xml:"changedBy,attr" json:"changedBy"`
	Entry     []Child   `xml:"entry" json:"entry"`
}

// PlayQueueByIndex is the caller's saved play queue with its current song by index.
type PlayQueueByIndex struct {
	CurrentIndex *int      `xml:"currentIndex,attr,omitempty" json:"currentIndex,omitempty"`
	Position     int64     `xml:"position,attr" json:"position"`
	Username     string    `xml:"username,attr" json:"username"`
	Changed      time.Time `xml:"changed,attr" json:"changed"`
	ChangedBy    string    `xml:"changedBy,attr" json:"changedBy"`
	Entry        []Child   `xml:"entry" json:"entry"`
}

// LyricsList is getLyricsBySongId's answer (plyr keeps no lyrics: empty).
type LyricsList struct {
	StructuredLyrics []struct{} `xml:"structuredLyrics" json:"structuredLyrics"`
}

// Lyrics is getLyrics' answer (plyr keeps no lyrics: empty).
type Lyrics struct {
	Value string `xml:",chardata" json:"value"`
}
