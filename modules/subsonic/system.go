package subsonic

import (
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"
)

// methods is every method the API answers, by lower-cased name (apps differ in case).
func (m *Module) methods() map[string]method {
	list := map[string]method{
		// System and user.
		"ping":                      {handle: ping},
		"getLicense":                {handle: getLicense},
		"getOpenSubsonicExtensions": {handle: getOpenSubsonicExtensions, public: true},
		"getUser":                   {handle: getUser},
		"getMusicFolders":           {handle: getMusicFolders},
		"getScanStatus":             {handle: getScanStatus},
		"startScan":                 {handle: getScanStatus},

		// Browsing by tags, and by the simulated folder tree.
		"getArtists":        {handle: m.getArtists},
		"getArtist":         {handle: m.getArtist},
		"getAlbum":          {handle: m.getAlbum},
		"getSong":           {handle: m.getSong},
		"getAlbumList2":     {handle: m.getAlbumList2},
		"getAlbumList":      {handle: m.getAlbumList},
		"getGenres":         {handle: m.getGenres},
		"getSongsByGenre":   {handle: m.getSongsByGenre},
		"getRandomSongs":    {handle: m.getRandomSongs},
		"getTopSongs":       {handle: m.getTopSongs},
		"getSimilarSongs2":  {handle: m.getSimilarSongs2},
		"getSimilarSongs":   {handle: m.getSimilarSongs},
		"getArtistInfo2":    {handle: m.getArtistInfo2},
		"getArtistInfo":     {handle: m.getArtistInfo},
		"getAlbumInfo2":     {handle: m.getAlbumInfo},
		"getAlbumInfo":      {handle: m.getAlbumInfo},
		"getIndexes":        {handle: m.getIndexes},
		"getMusicDirectory": {handle: m.getMusicDirectory},
		"search3":           {handle: m.search3},
		"search2":           {handle: m.search2},
		"getLyricsBySongId": {handle: m.getLyricsBySongID},
		"getLyrics":         {handle: getLyrics},

		// Media.
		"stream":      {handle: m.stream},
		"download":    {handle: m.download},
		"getCoverArt": {handle: m.getCoverArt},

		// Favourites, plays, playlists, the play queue.
		"star":                 {handle: m.star},
		"unstar":               {handle: m.unstar},
		"getStarred2":          {handle: m.getStarred2},
		"getStarred":           {handle: m.getStarred},
		"scrobble":             {handle: m.scrobble},
		"getNowPlaying":        {handle: m.getNowPlaying},
		"getPlaylists":         {handle: m.getPlaylists},
		"getPlaylist":          {handle: m.getPlaylist},
		"createPlaylist":       {handle: m.createPlaylist},
		"updatePlaylist":       {handle: m.updatePlaylist},
		"deletePlaylist":       {handle: m.deletePlaylist},
		"getPlayQueue":         {handle: m.getPlayQueue},
		"savePlayQueue":        {handle: m.savePlayQueue},
		"getPlayQueueByIndex":  {handle: m.getPlayQueueByIndex},
		"savePlayQueueByIndex": {handle: m.savePlayQueueByIndex},
	}
	out := make(map[string]method, len(list))
	for name, h := range list {
		out[lower(name)] = h
	}
	return out
}

// Paths are the paths of a method as apps call it: /rest/<name> and /rest/<name>.view.
func Paths(name string) []string { return []string{"/rest/" + name, "/rest/" + name + ".view"} }

// WriteMethods are the methods that change something (with GET, as Subsonic does): the
// ones rate limits count as writes.
func WriteMethods() []string {
	return []string{
		"star", "unstar", "scrobble", "createPlaylist", "updatePlaylist", "deletePlaylist",
		"savePlayQueue", "savePlayQueueByIndex",
	}
}

// extensions are the OpenSubsonic extensions plyr implements.
var extensions = []wire.Extension{
	{Name: "apiKeyAuthentication", Versions: []int{1}},
	{Name: "formPost", Versions: []int{1}},
	{Name: "indexBasedQueue", Versions: []int{1}},
	{Name: "transcodeOffset", Versions: []int{1}},
	{Name: "songLyrics", Versions: []int{1}},
}

func ping(*call) (*wire.Response, error) { return &wire.Response{}, nil }

func getLicense(*call) (*wire.Response, error) {
	return &wire.Response{License: &wire.License{Valid: true}}, nil
}

// getOpenSubsonicExtensions answers without authentication, as the specification says:
// apps ask before they know how to sign in.
func getOpenSubsonicExtensions(*call) (*wire.Response, error) {
	list := append([]wire.Extension(nil), extensions...)
	return &wire.Response{OpenSubsonicExtensions: &list}, nil
}

// musicFolderID is plyr's one music folder: the whole public catalog.
const musicFolderID = 1

func getUser(c *call) (*wire.Response, error) {
	if u := c.params.get("username"); u != "" && !sameUser(u, *c.caller) {
		return nil, wire.Errorf(wire.ErrNotAuthorized, "an app may read its own account only")
	}
	return &wire.Response{User: &wire.User{
		Username: c.caller.Handle, ScrobblingEnabled: true, AdminRole: false,
		DownloadRole: true, PlaylistRole: true, CoverArtRole: true, StreamRole: true,
		Folders: []int{musicFolderID},
	}}, nil
}

func getMusicFolders(*call) (*wire.Response, error) {
	return &wire.Response{MusicFolders: &wire.MusicFolders{Folders: []wire.MusicFolder{{ID: musicFolderID, Name: "plyr"}}}}, nil
}

// getScanStatus says no scan runs: the catalog is always up to date (startScan too).
func getScanStatus(*call) (*wire.Response, error) {
	return &wire.Response{ScanStatus: &wire.ScanStatus{Scanning: false}}, nil
}

// getLyrics answers an empty lyrics element: plyr keeps no lyrics.
func getLyrics(*call) (*wire.Response, error) {
	return &wire.Response{Lyrics: &wire.Lyrics{}}, nil
}
