package subsonic

import (
	"context"
	"slices"
	"time"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/subsonic/internal/ids"
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"
)

// The caller's own things: stars (plyr likes), plays, playlists and the play queue. Every
// write goes through the catalog's services, so a like or a playlist is a record on the
// caller's PDS exactly as when the web client makes it.

// idsOf reads every value of a repeated id parameter, each of kind.
func idsOf(p params, name string, kind ids.Kind) ([]ids.ID, error) {
	var out []ids.ID
	for _, v := range p.all(name) {
		id, ok := ids.ParseKind(v, kind)
		if !ok {
			return nil, wire.Errorf(wire.ErrNotFound, "no "+name+" "+v+" here")
		}
		out = append(out, id)
	}
	return out, nil
}

// starredTracks reads the tracks star or unstar act on: songs by id, and every track of
// each album (starring an album likes the whole of it; plyr likes tracks).
func (m *Module) starredTracks(c *call) ([]string, error) {
	songIDs, err := idsOf(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	if len(c.params.all("artistId")) > 0 {
		return nil, wire.Errorf(wire.ErrGeneric, "plyr likes tracks and albums, not artists")
	}
	var tracks []string
	for _, id := range songIDs {
		tracks = append(tracks, id.UUID.String())
	}
	for _, v := range c.params.all("albumId") {
		id, ok := ids.Parse(v)
		if !ok || (id.Kind != ids.Album && id.Kind != ids.Singles) {
			return nil, wire.Errorf(wire.ErrNotFound, "no album "+v+" here")
		}
		a, _, err := m.album(c.ctx, id)
		if err != nil {
			return nil, err
		}
		for _, s := range a.Song {
			t, _ := ids.ParseKind(s.ID, ids.Track)
			tracks = append(tracks, t.UUID.String())
		}
	}
	if len(tracks) == 0 {
		return nil, wire.Errorf(wire.ErrMissingParameter, "name what to star: id or albumId")
	}
	return tracks, nil
}

func (m *Module) star(c *call) (*wire.Response, error) { return m.setLiked(c, true) }

func (m *Module) unstar(c *call) (*wire.Response, error) { return m.setLiked(c, false) }

// setLiked likes (or unlikes) what star (or unstar) names; both are idempotent.
func (m *Module) setLiked(c *call, like bool) (*wire.Response, error) {
	tracks, err := m.starredTracks(c)
	if err != nil {
		return nil, err
	}
	for _, t := range tracks {
		if like {
			_, err = m.catalog.LikeTrack(c.ctx, &catalogv1.LikeTrackRequest{TrackId: t})
		} else {
			_, err = m.catalog.UnlikeTrack(c.ctx, &catalogv1.UnlikeTrackRequest{TrackId: t})
		}
		if err != nil {
			return nil, err
		}
	}
	return &wire.Response{}, nil
}

// maxStarred bounds the liked tracks getStarred2 lists.
const maxStarred = 5000

func (m *Module) starred(c *call) (*wire.Starred, error) {
	out := &wire.Starred{Artist: []wire.ArtistID3{}, Album: []wire.AlbumID3{}, Song: []wire.Child{}}
	token := ""
	for len(out.Song) < maxStarred {
		res, err := m.catalog.ListLikedTracks(c.ctx, &catalogv1.ListLikedTracksRequest{PageSize: 100, PageToken: token})
		if err != nil {
			return nil, err
		}
		out.Song = append(out.Song, songs(res.GetTracks())...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	albums, err := m.library.LibraryAlbums(c.ctx, AlbumQuery{Order: "starred", Limit: maxList})
	if err != nil {
		return nil, err
	}
	for _, a := range albumsOf(albums) {
		now := a.Created
		a.Starred = &now
		out.Album = append(out.Album, a)
	}
	return out, nil
}

func (m *Module) getStarred2(c *call) (*wire.Response, error) {
	s, err := m.starred(c)
	return &wire.Response{Starred2: s}, err
}

func (m *Module) getStarred(c *call) (*wire.Response, error) {
	s, err := m.starred(c)
	if err != nil {
		return nil, err
	}
	out := &wire.StarredFolders{Artist: []wire.Folder{}, Album: []wire.Child{}, Song: s.Song}
	for _, a := range s.Album {
		folder := albumFolder(a)
		folder.Starred = a.Starred
		out.Album = append(out.Album, folder)
	}
	return &wire.Response{Starred: out}, nil
}

// scrobble records plays (submission, the default) or says what plays now. A play counts
// as the web player's do: once per listener and track within the counting window,
// however often an app retries, and it reaches teal.fm for listeners who turned that on.
// An app reports a play once it counts one, so the whole track is taken as heard.
func (m *Module) scrobble(c *call) (*wire.Response, error) {
	list, err := idsOf(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, wire.Errorf(wire.ErrMissingParameter, "required parameter id is missing")
	}
	submission := c.params.bool("submission", true)
	for _, id := range list {
		t, err := m.track(c.ctx, id)
		if err != nil {
			return nil, err
		}
		if !submission {
			if _, err := m.catalog.SetNowPlaying(c.ctx, &catalogv1.SetNowPlayingRequest{TrackId: t.GetId(), IsPlaying: true}); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := m.catalog.RecordPlay(c.ctx, &catalogv1.RecordPlayRequest{TrackId: t.GetId(), ListenedMs: int64(t.GetDurationMs())}); err != nil {
			return nil, err
		}
	}
	return &wire.Response{}, nil
}

func (m *Module) getNowPlaying(c *call) (*wire.Response, error) {
	list, err := m.library.LibraryNowPlaying(c.ctx)
	if err != nil {
		return nil, err
	}
	out := &wire.NowPlaying{Entry: []wire.NowPlayingEntry{}}
	for _, n := range list {
		out.Entry = append(out.Entry, wire.NowPlayingEntry{
			Child: song(n.Track), Username: n.Handle, MinutesAgo: int(time.Since(n.Since).Minutes()),
		})
	}
	return &wire.Response{NowPlaying: out}, nil
}

// maxPlaylists bounds the playlists getPlaylists lists.
const maxPlaylists = 500

func (m *Module) getPlaylists(c *call) (*wire.Response, error) {
	if u := c.params.get("username"); u != "" && !sameUser(u, *c.caller) {
		return nil, wire.Errorf(wire.ErrNotAuthorized, "an app may list its own account's playlists only")
	}
	out := &wire.Playlists{Playlist: []wire.Playlist{}}
	token := ""
	for len(out.Playlist) < maxPlaylists {
		res, err := m.catalog.ListPlaylists(c.ctx, &catalogv1.ListPlaylistsRequest{OwnerDid: c.caller.DID, PageSize: 100, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, p := range res.GetPlaylists() {
			out.Playlist = append(out.Playlist, playlistOf(p, 0, true))
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	return &wire.Response{Playlists: out}, nil
}

// playlist reads a playlist with the tracks still there, in its order.
func (m *Module) playlist(ctx context.Context, caller string, id ids.ID) (*wire.PlaylistWithSongs, []*catalogv1.PlaylistItem, error) {
	res, err := m.catalog.GetPlaylist(ctx, &catalogv1.GetPlaylistRequest{Id: id.UUID.String()})
	if err != nil {
		return nil, nil, err
	}
	var tracks []*catalogv1.Track
	var ms int64
	for _, item := range res.GetItems() {
		if item.GetAvailable() && item.GetTrack() != nil {
			tracks = append(tracks, item.GetTrack())
			ms += int64(item.GetTrack().GetDurationMs())
		}
	}
	p := playlistOf(res.GetPlaylist(), ms, res.GetPlaylist().GetOwnerDid() == caller)
	p.SongCount = int64(len(tracks))
	return &wire.PlaylistWithSongs{Playlist: p, Entry: songs(tracks)}, res.GetItems(), nil
}

func (m *Module) getPlaylist(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Playlist)
	if err != nil {
		return nil, err
	}
	p, _, err := m.playlist(c.ctx, c.caller.DID, id)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Playlist: p}, nil
}

// createPlaylist makes a playlist of the songs given (private, as Subsonic's playlists
// are until made public), or, with playlistId, makes an existing one hold exactly those
// songs in that order: how apps save an edited or reordered playlist.
func (m *Module) createPlaylist(c *call) (*wire.Response, error) {
	songIDs, err := idsOf(c.params, "songId", ids.Track)
	if err != nil {
		return nil, err
	}
	var want []string
	for _, s := range songIDs {
		if !slices.Contains(want, s.UUID.String()) { // a plyr playlist holds a track once
			want = append(want, s.UUID.String())
		}
	}
	var id ids.ID
	if v := c.params.get("playlistId"); v != "" {
		var ok bool
		if id, ok = ids.ParseKind(v, ids.Playlist); !ok {
			return nil, wire.Errorf(wire.ErrNotFound, "no playlist "+v+" here")
		}
	} else {
		name, err := c.params.required("name")
		if err != nil {
			return nil, err
		}
		res, err := m.catalog.CreatePlaylist(c.ctx, &catalogv1.CreatePlaylistRequest{Name: name, Private: true})
		if err != nil {
			return nil, err
		}
		id, _ = ids.ParseKind(ids.Of(ids.Playlist, res.GetPlaylist().GetId()), ids.Playlist)
	}
	if err := m.setPlaylistTracks(c.ctx, id, want); err != nil {
		return nil, err
	}
	p, _, err := m.playlist(c.ctx, c.caller.DID, id)
	if err != nil {
		return nil, err
	}
	return &wire.Response{Playlist: p}, nil
}

// setPlaylistTracks makes a playlist hold exactly want (track ids), in that order.
func (m *Module) setPlaylistTracks(ctx context.Context, id ids.ID, want []string) error {
	res, err := m.catalog.GetPlaylist(ctx, &catalogv1.GetPlaylistRequest{Id: id.UUID.String()})
	if err != nil {
		return err
	}
	have := map[string]string{} // track id → item id
	for _, item := range res.GetItems() {
		track := item.GetTrack().GetId()
		if !item.GetAvailable() || !slices.Contains(want, track) {
			if _, err := m.catalog.RemovePlaylistTrack(ctx, &catalogv1.RemovePlaylistTrackRequest{PlaylistId: id.UUID.String(), ItemId: item.GetId()}); err != nil {
				return err
			}
			continue
		}
		have[track] = item.GetId()
	}
	for _, t := range want {
		if _, ok := have[t]; ok {
			continue
		}
		if _, err := m.catalog.AddPlaylistTrack(ctx, &catalogv1.AddPlaylistTrackRequest{PlaylistId: id.UUID.String(), TrackId: t}); err != nil {
			return err
		}
	}
	res, err = m.catalog.GetPlaylist(ctx, &catalogv1.GetPlaylistRequest{Id: id.UUID.String()})
	if err != nil {
		return err
	}
	items := map[string]string{}
	var current []string
	for _, item := range res.GetItems() {
		items[item.GetTrack().GetId()] = item.GetId()
		current = append(current, item.GetId())
	}
	order := make([]string, 0, len(want))
	for _, t := range want {
		if item, ok := items[t]; ok {
			order = append(order, item)
		}
	}
	if slices.Equal(order, current) {
		return nil
	}
	_, err = m.catalog.ReorderPlaylist(ctx, &catalogv1.ReorderPlaylistRequest{PlaylistId: id.UUID.String(), ItemIds: order})
	return err
}

// updatePlaylist renames a playlist, makes it public or private, and adds and removes
// songs (by their index in the playlist as it was).
func (m *Module) updatePlaylist(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "playlistId", ids.Playlist)
	if err != nil {
		return nil, err
	}
	req := &catalogv1.UpdatePlaylistRequest{Id: id.UUID.String()}
	if name := c.params.get("name"); name != "" {
		req.Name = &name
	}
	if c.params.get("public") != "" {
		private := !c.params.bool("public", false)
		req.Private = &private
	}
	if req.Name != nil || req.Private != nil {
		if _, err := m.catalog.UpdatePlaylist(c.ctx, req); err != nil {
			return nil, err
		}
	}
	add, err := idsOf(c.params, "songIdToAdd", ids.Track)
	if err != nil {
		return nil, err
	}
	remove := c.params.all("songIndexToRemove")
	if len(add) == 0 && len(remove) == 0 {
		return &wire.Response{}, nil
	}
	p, _, err := m.playlist(c.ctx, c.caller.DID, id)
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for i := range remove {
		n, err := params{"i": remove[i : i+1]}.int("i", -1)
		if err != nil || n < 0 || n >= len(p.Entry) {
			return nil, wire.Errorf(wire.ErrGeneric, "songIndexToRemove is not an index of this playlist")
		}
		drop[n] = true
	}
	var want []string
	for i, s := range p.Entry {
		if !drop[i] {
			t, _ := ids.ParseKind(s.ID, ids.Track)
			want = append(want, t.UUID.String())
		}
	}
	for _, s := range add {
		if !slices.Contains(want, s.UUID.String()) {
			want = append(want, s.UUID.String())
		}
	}
	return &wire.Response{}, m.setPlaylistTracks(c.ctx, id, want)
}

func (m *Module) deletePlaylist(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Playlist)
	if err != nil {
		return nil, err
	}
	_, err = m.catalog.DeletePlaylist(c.ctx, &catalogv1.DeletePlaylistRequest{Id: id.UUID.String()})
	return &wire.Response{}, err
}

// queueTracks reads a queue's tracks that can still be played, in its order, with the
// index the current one has among them (-1 when it is gone).
func (m *Module) queueTracks(ctx context.Context, q Queue) ([]wire.Child, int, error) {
	out := []wire.Child{}
	current := -1
	for start := 0; start < len(q.TrackIDs); start += 100 {
		batch := q.TrackIDs[start:min(start+100, len(q.TrackIDs))]
		res, err := m.catalog.GetTracks(ctx, &catalogv1.GetTracksRequest{Ids: batch})
		if err != nil {
			return nil, -1, err
		}
		found := map[string]*catalogv1.Track{}
		for _, t := range res.GetTracks() {
			found[t.GetId()] = t
		}
		for i, tid := range batch {
			t, ok := found[tid]
			if !ok {
				continue
			}
			if start+i == int(q.Current) {
				current = len(out)
			}
			s := song(t)
			out = append(out, s)
		}
	}
	return out, current, nil
}

// changedBy names what last saved a queue; plyr does not keep which app it was.
const changedBy = "plyr"

func (m *Module) getPlayQueue(c *call) (*wire.Response, error) {
	q, err := m.library.Queue(c.ctx, c.caller.DID)
	if err != nil {
		return nil, err
	}
	entries, current, err := m.queueTracks(c.ctx, q)
	if err != nil {
		return nil, err
	}
	out := &wire.PlayQueue{Position: q.PositionMs, Username: c.caller.Handle, Changed: changedAt(q), ChangedBy: changedBy, Entry: entries}
	if current >= 0 {
		out.Current = entries[current].ID
	}
	return &wire.Response{PlayQueue: out}, nil
}

func (m *Module) getPlayQueueByIndex(c *call) (*wire.Response, error) {
	q, err := m.library.Queue(c.ctx, c.caller.DID)
	if err != nil {
		return nil, err
	}
	entries, current, err := m.queueTracks(c.ctx, q)
	if err != nil {
		return nil, err
	}
	out := &wire.PlayQueueByIndex{Position: q.PositionMs, Username: c.caller.Handle, Changed: changedAt(q), ChangedBy: changedBy, Entry: entries}
	if current >= 0 {
		out.CurrentIndex = &current
	}
	return &wire.Response{PlayQueueByIndex: out}, nil
}

// changedAt is when a queue was saved (the zero time for one never saved).
func changedAt(q Queue) time.Time {
	if q.ChangedAt.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return q.ChangedAt.UTC()
}

// saveQueue saves the queue of tracks given with the current one at index and the
// position in it; no tracks clears the queue.
func (m *Module) saveQueue(c *call, tracks []ids.ID, index int) (*wire.Response, error) {
	position, err := c.params.int("position", 0)
	if err != nil {
		return nil, err
	}
	list := make([]string, 0, len(tracks))
	for _, t := range tracks {
		list = append(list, t.UUID.String())
	}
	if index < 0 || index >= len(list) {
		index = 0
	}
	return &wire.Response{}, m.library.SaveQueue(c.ctx, c.caller.DID, list, int32(index), int64(max(position, 0)))
}

func (m *Module) savePlayQueue(c *call) (*wire.Response, error) {
	tracks, err := idsOf(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	index := 0
	if cur := c.params.get("current"); cur != "" {
		index = slices.IndexFunc(tracks, func(t ids.ID) bool { return t.String() == cur })
		if index < 0 {
			return nil, wire.Errorf(wire.ErrGeneric, "current is not one of the queue's ids")
		}
	}
	return m.saveQueue(c, tracks, index)
}

func (m *Module) savePlayQueueByIndex(c *call) (*wire.Response, error) {
	tracks, err := idsOf(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	index, err := c.params.int("currentIndex", 0)
	if err != nil {
		return nil, err
	}
	if len(tracks) > 0 && (index < 0 || index >= len(tracks)) {
		return nil, wire.Errorf(wire.ErrGeneric, "currentIndex is not an index of the queue")
	}
	return m.saveQueue(c, tracks, index)
}
