package tracks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
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
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		return buildTrackRecord(current, fields, row.CreatedAt), nil
	}}, nil
}

// SettleRecord records how the write of a track's record went; it reports whether a newer
// revision waits.
func (t *Tracks) SettleRecord(ctx context.Context, did, rkey string, o recordsact.Outcome) (bool, error) {
	return t.records.Settle(ctx, t.q, records.Key{DID: did, Kind: records.KindTrack, RKey: rkey}, o)
}

// managedTrackFields are the fields of a track record plyr owns: each is set from the
// track, or removed when the track has no value for it. Every other field of the record
// on the PDS (audioBlob, supportGate until plyr manages gating, another app's additions)
// is left as it is.
var managedTrackFields = []string{"title", "artist", "audioUrl", "fileType", "duration", "album", "features", "imageUrl"}

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
	if s, ok := out["createdAt"].(string); !ok || !validDatetime(s) {
		out["createdAt"] = atproto.Datetime(createdAt)
	}
	return out
}

func validDatetime(s string) bool {
	_, err := syntax.ParseDatetime(s)
	return err == nil
}
