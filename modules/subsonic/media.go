package subsonic

import (
	"io"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/modules/subsonic/internal/ids"
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"
)

// streamFile chooses what stream sends: the MP3 every track has, or the lossless original
// when the app asks for the file as it is (format=raw) and plyr keeps one. plyr does not
// transcode per request: a lower maxBitRate or another format gets the MP3, the smallest
// file plyr has, which Child's transcodedSuffix announced.
func streamFile(t *catalogv1.Track, format string) (fileID string, isMP3 bool) {
	if o := t.GetOriginal(); o != nil && format == "raw" {
		return o.GetFileId(), false
	}
	return t.GetFileId(), true
}

// stream answers with the audio: a redirect to its storage URL (ranges are storage's to
// answer), or, when the app asks to start part-way (timeOffset, OpenSubsonic's
// transcodeOffset), the MP3's bytes from about that time on, served here. An MP3 is a
// run of self-contained frames, so a decoder given bytes from the middle finds the next
// frame and plays from there; the time is exact for a constant bit rate and close for a
// variable one. The original is never cut this way.
func (m *Module) stream(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	t, err := m.track(c.ctx, id)
	if err != nil {
		return nil, err
	}
	at, err := c.params.int("timeOffset", 0)
	if err != nil {
		return nil, err
	}
	format := c.params.get("format")
	if at > 0 {
		format = "mp3"
	}
	fileID, isMP3 := streamFile(t, format)
	file, err := uuid.Parse(fileID)
	if err != nil {
		return nil, wire.Errorf(wire.ErrNotFound, "this track has no audio yet")
	}
	if at > 0 && isMP3 && t.GetDurationMs() > 0 && int64(at)*1000 < int64(t.GetDurationMs()) {
		return m.streamFrom(c, file, int64(at)*1000, int64(t.GetDurationMs()))
	}
	a, err := m.media.Playback(c.ctx, file)
	if err != nil {
		return nil, err
	}
	redirect(c.w, c.r, a.URL, a.Private)
	return done, nil
}

// streamFrom sends the MP3 from about atMs on.
func (m *Module) streamFrom(c *call, file uuid.UUID, atMs, durationMs int64) (*wire.Response, error) {
	a, err := m.media.Playback(c.ctx, file) // checks, and tells the size
	if err != nil {
		return nil, err
	}
	from := a.SizeBytes * atMs / durationMs
	body, part, err := m.media.OpenPlayback(c.ctx, file, from)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	h := c.w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.FormatInt(part.SizeBytes, 10))
	h.Set("Cache-Control", "private, no-store")
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method != http.MethodHead {
		_, _ = io.Copy(c.w, body) // a listener who stops listening ends the copy
	}
	return done, nil
}

// redirect sends the app to url. A URL handed to one listener (a gated file's) is not to
// be reused by anyone.
func redirect(w http.ResponseWriter, r *http.Request, url string, private bool) {
	if private {
		w.Header().Set("Cache-Control", "private, no-store")
	} else {
		w.Header().Set("Cache-Control", "private, max-age=300")
	}
	http.Redirect(w, r, url, http.StatusFound)
}

// download answers with the file as the artist uploaded it: the original where plyr keeps
// one, else the MP3, as an attachment.
func (m *Module) download(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Track)
	if err != nil {
		return nil, err
	}
	t, err := m.track(c.ctx, id)
	if err != nil {
		return nil, err
	}
	fileID, suffix := t.GetFileId(), mp3Suffix
	if o := t.GetOriginal(); o != nil {
		fileID, suffix = o.GetFileId(), o.GetFileType()
	}
	file, err := uuid.Parse(fileID)
	if err != nil {
		return nil, wire.Errorf(wire.ErrNotFound, "this track has no audio yet")
	}
	url, err := m.media.DownloadURL(c.ctx, file, cleanPathPart(t.GetArtistDisplayName()+" - "+t.GetTitle())+"."+suffix)
	if err != nil {
		return nil, err
	}
	redirect(c.w, c.r, url, true)
	return done, nil
}

// thumbMaxSize is the largest size the 96 px thumbnails answer; anything larger gets the
// 512 px image.
const thumbMaxSize = 96

// getCoverArt answers with the artwork of a track, album, artist (their avatar, which
// also stands for their Singles) or playlist: a redirect to the image.
func (m *Module) getCoverArt(c *call) (*wire.Response, error) {
	id, err := idParam(c.params, "id", ids.Track, ids.Album, ids.Artist, ids.Singles, ids.Playlist)
	if err != nil {
		return nil, err
	}
	size, err := c.params.int("size", 0)
	if err != nil {
		return nil, err
	}
	var image, thumb string
	switch id.Kind {
	case ids.Track:
		t, err := m.track(c.ctx, id)
		if err != nil {
			return nil, err
		}
		image, thumb = t.GetImageUrl(), t.GetThumbUrl()
	case ids.Album:
		res, err := m.catalog.GetAlbum(c.ctx, &catalogv1.GetAlbumRequest{Id: id.UUID.String()})
		if err != nil {
			return nil, err
		}
		image, thumb = res.GetAlbum().GetImageUrl(), res.GetAlbum().GetThumbUrl()
	case ids.Artist, ids.Singles:
		a, err := m.artist(c.ctx, id.DID)
		if err != nil {
			return nil, err
		}
		image = a.AvatarURL
	case ids.Playlist:
		res, err := m.catalog.GetPlaylist(c.ctx, &catalogv1.GetPlaylistRequest{Id: id.UUID.String()})
		if err != nil {
			return nil, err
		}
		image, thumb = res.GetPlaylist().GetImageUrl(), res.GetPlaylist().GetThumbUrl()
	}
	if size > 0 && size <= thumbMaxSize && thumb != "" {
		image = thumb
	}
	if image == "" {
		return nil, wire.Errorf(wire.ErrNotFound, "no artwork for "+id.String())
	}
	c.w.Header().Set("Cache-Control", "public, max-age=3600")
	http.Redirect(c.w, c.r, image, http.StatusFound)
	return done, nil
}
