package tracks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rivo/uniseg"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// maxRecordArtistBytes bounds the record's artist (the lexicon's maxLength, in bytes).
const maxRecordArtistBytes = 256

// recordArtist is name cut to fit the record's artist field, at a grapheme boundary: a
// display name may be up to 640 bytes.
func recordArtist(name string) string {
	if len(name) <= maxRecordArtistBytes {
		return name
	}
	g := uniseg.NewGraphemes(name)
	end := 0
	for g.Next() {
		_, to := g.Positions()
		if to > maxRecordArtistBytes {
			break
		}
		end = to
	}
	return name[:end]
}

// WantedRecord is what the record of the artist's track with record key rkey should be
// now; recordsact.ErrNotTracked if no such track exists. A track not ready yet has no
// record to write: it reads as not tracked too.
func (t *Tracks) WantedRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	key := records.Key{DID: did, Kind: records.KindTrack, RKey: rkey}
	state, err := t.records.Get(ctx, t.q, key)
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	row, err := t.q.GetTrackByRecordKey(ctx, db.GetTrackByRecordKeyParams{ArtistDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && Status(row.Status) != StatusReady) {
		return recordsact.Wanted{}, fmt.Errorf("track %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load track %s/%s: %w", did, rkey, err)
	}
	profiles, err := t.profiles.Profiles(ctx, []string{did})
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("artist profile: %w", err)
	}
	own, err := t.q.GetArtist(ctx, did)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("load artist %s: %w", did, err)
	}
	artist := recordArtist(artists.DisplayName(own.DisplayName, profiles[did]))
	fields := trackFields(row, artist, t.publicURL)
	if row.AlbumID != nil {
		album, err := t.q.GetAlbum(ctx, *row.AlbumID)
		if err != nil {
			return recordsact.Wanted{}, fmt.Errorf("load album of %s/%s: %w", did, rkey, err)
		}
		fields["album"] = album.Title
	}
	var blob map[string]any
	if row.PdsBlob != nil {
		if err := json.Unmarshal(row.PdsBlob, &blob); err != nil {
			return recordsact.Wanted{}, fmt.Errorf("blob of %s/%s: %w", did, rkey, err)
		}
	}
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		out := buildTrackRecord(current, fields, row.CreatedAt)
		// audioBlob: plyr's blob when it made one; none at all on a gated track (its audio
		// must not be readable from the PDS); else whatever the record has.
		switch {
		case row.SupportersOnly:
			delete(out, "audioBlob")
		case blob != nil:
			out["audioBlob"] = blob
		}
		return out, nil
	}}, nil
}

// SettleRecord records how the write of a track's record went; it reports whether a newer
// revision waits. A track record written anew has a new CID, so the list record of the
// track's album, which points at it by CID, is rewritten too.
func (t *Tracks) SettleRecord(ctx context.Context, did, rkey string, o recordsact.Outcome) (bool, error) {
	key := records.Key{DID: did, Kind: records.KindTrack, RKey: rkey}
	before, err := t.records.Get(ctx, t.q, key)
	if err != nil && !errors.Is(err, recordsact.ErrNotTracked) {
		return false, err
	}
	newer, err := t.records.Settle(ctx, t.q, key, o)
	if err != nil {
		return newer, err
	}
	// A deletion's outcome: the record gone, the track goes; the PDS refused, it comes back.
	if (o.Failure == "" && o.Absent) || (o.Failure != "" && before.Absent) {
		return newer, t.settleDelete(ctx, did, rkey, o.Failure != "")
	}
	if o.Failure != "" || t.albums == nil || (before.Cid != nil && *before.Cid == o.CID) {
		return newer, nil
	}
	row, err := t.q.GetTrackByRecordKey(ctx, db.GetTrackByRecordKeyParams{ArtistDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.AlbumID == nil) {
		return newer, nil
	}
	if err != nil {
		return newer, fmt.Errorf("load track %s/%s: %w", did, rkey, err)
	}
	var album records.Key
	err = pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		album, err = t.albums.Revise(ctx, t.q.WithTx(tx), *row.AlbumID)
		return err
	})
	if err != nil {
		return newer, fmt.Errorf("revise the album of %s/%s: %w", did, rkey, err)
	}
	return newer, t.albums.Start(ctx, album)
}

// managedTrackFields are the fields of a track record plyr owns: each is set from the
// track, or removed when the track has no value for it. Every other field of the record
// on the PDS (another app's additions) is left as it is; audioBlob is plyr's only when it
// copied the audio to the PDS, or when the track is gated (WantedRecord).
var managedTrackFields = []string{"title", "artist", "audioUrl", "fileType", "duration", "album", "features", "imageUrl", "supportGate"}

// trackFields are a track's values for the managed fields (absent ones are not set).
func trackFields(row db.Track, artist, publicURL string) map[string]any {
	f := map[string]any{
		"title":  row.Title,
		"artist": artist,
	}
	if row.FileID != nil {
		f["audioUrl"] = publicURL + "/audio/" + row.FileID.String()
	}
	if row.FileType != nil {
		f["fileType"] = *row.FileType
	}
	if row.DurationMs != nil {
		f["duration"] = int64((time.Duration(*row.DurationMs)*time.Millisecond + time.Second/2) / time.Second)
	}
	if feats := features(row.Features); len(feats) > 0 {
		list := make([]any, 0, len(feats))
		for _, ft := range feats {
			m := map[string]any{"did": ft.DID, "handle": ft.Handle}
			if ft.DisplayName != "" {
				m["displayName"] = ft.DisplayName
			}
			list = append(list, m)
		}
		f["features"] = list
	}
	if row.ImageUrl != "" {
		f["imageUrl"] = row.ImageUrl
	}
	if row.SupportersOnly {
		f["supportGate"] = map[string]any{"type": "any"}
	}
	return f
}

// buildTrackRecord sets the managed fields over current. createdAt is the track's
// creation, kept as the PDS has it when it has one: an edit never moves it.
func buildTrackRecord(current, fields map[string]any, createdAt time.Time) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	for _, k := range managedTrackFields {
		delete(out, k)
	}
	maps.Copy(out, fields)
	if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
		out["createdAt"] = atproto.Datetime(createdAt)
	}
	return out
}
