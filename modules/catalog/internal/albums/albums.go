// Package albums is the catalog's albums feature. An album belongs to one artist, is
// found by its slug (made from its title), and is an fm.plyr.list record (listType album)
// on the artist's PDS whose items point at the album's track records. An album is made by
// naming it on a track (GetOrCreate); its list record is rewritten whenever its tracks,
// their records or its title change.
//
// The order of an album is the order of its list record on the PDS: a rewrite keeps the
// items already there in their order, drops tracks no longer in the album, and appends new
// ones by creation time.
package albums

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rivo/uniseg"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// ListType is the listType of an album's list record.
const ListType = "album"

// Limits of the list record (fm.plyr.list): a name of 64 graphemes and 256 bytes, 500 items.
const (
	maxNameGraphemes = 64
	maxNameBytes     = 256
	maxItems         = 500
	maxSlugLength    = 100
)

// Per-artist bounds: an album holds at most MaxTracks (its list record's 500 items), and
// an artist has at most MaxArtistAlbums albums (one page of ListAlbums).
const MaxTracks = maxItems

// Albums is the feature.
type Albums struct {
	db      Beginner
	q       *db.Queries
	records *records.Store
	images  Images
	cleanup Cleanup
}

// Beginner starts transactions.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Images finds artwork images (the media module): ok is false when there is none.
type Images interface {
	ImageOf(ctx context.Context, id uuid.UUID) (owner, url, thumb string, ok bool, err error)
}

// Cleanup deletes an album's cover once nothing shows it.
type Cleanup interface {
	DeleteImage(ctx context.Context, id uuid.UUID) error
}

// New returns the feature.
func New(conn Beginner, q *db.Queries, recs *records.Store, images Images, cleanup Cleanup) *Albums {
	return &Albums{db: conn, q: q, records: recs, images: images, cleanup: cleanup}
}

// Key is the key of an album's list record.
func Key(a db.CatalogAlbum) records.Key {
	return records.Key{DID: a.ArtistDid, Kind: records.KindList, RKey: a.RecordRkey}
}

// Slug is the part of an album's URL made from its title: lowercase ASCII letters and
// digits joined by single hyphens, accents dropped ("Café del Mar" → "cafe-del-mar") and
// the Latin letters that have no decomposition spelled out (ß → ss, Ø → o, Æ → ae…), so
// that "Øst" and "St" stay two albums. A title with nothing of the kind (all emoji, or in
// a script without Latin letters) gets "album-" and the first 8 hex digits of its
// SHA-256, so it still has a stable slug.
func Slug(title string) string {
	folded, _, _ := transform.String(transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), title)
	folded = latinLetters.Replace(strings.ToLower(folded))
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(folded) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
		if b.Len() >= maxSlugLength {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if len(slug) > maxSlugLength {
		slug = strings.Trim(slug[:maxSlugLength], "-")
	}
	if slug == "" {
		sum := sha256.Sum256([]byte(title))
		slug = "album-" + hex.EncodeToString(sum[:4])
	}
	return slug
}

// latinLetters spells out the lowercase Latin letters NFKD leaves whole.
var latinLetters = strings.NewReplacer(
	"ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i", "ħ", "h", "ŧ", "t",
)

// GetOrCreate returns the artist's album whose slug is title's, for track to join, making
// it (and the record it will be) when there is none, within the caller's transaction q.
// now is the album's creation time if it is made. A full album, or an artist at
// MaxArtistAlbums, is refused.
func (a *Albums) GetOrCreate(ctx context.Context, q *db.Queries, artistDID, title string, track uuid.UUID, now time.Time) (db.CatalogAlbum, error) {
	if existing, err := q.GetAlbumBySlug(ctx, db.GetAlbumBySlugParams{ArtistDid: artistDID, Slug: Slug(title)}); err == nil {
		return a.checkRoom(ctx, q, existing, track)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return db.CatalogAlbum{}, err
	}
	n, err := q.CountArtistAlbums(ctx, artistDID)
	if err != nil {
		return db.CatalogAlbum{}, err
	}
	if n >= MaxArtistAlbums {
		return db.CatalogAlbum{}, ErrInvalidInput.Withf("you have %d albums, the most an artist may have", MaxArtistAlbums)
	}
	id := uuid.Must(uuid.NewV7())
	album, err := q.GetOrCreateAlbum(ctx, db.GetOrCreateAlbumParams{
		ID: id, ArtistDid: artistDID, Slug: Slug(title), Title: title,
		RecordRkey: atproto.RecordKey(now, id), CreatedAt: now,
	})
	if err != nil {
		return db.CatalogAlbum{}, fmt.Errorf("get or create album %q: %w", title, err)
	}
	if err := a.records.Add(ctx, q, Key(album)); err != nil {
		return db.CatalogAlbum{}, err
	}
	return a.checkRoom(ctx, q, album, track)
}

// checkRoom refuses a full album for a track not in it yet: its list record holds at most
// MaxTracks items.
func (a *Albums) checkRoom(ctx context.Context, q *db.Queries, album db.CatalogAlbum, track uuid.UUID) (db.CatalogAlbum, error) {
	n, err := q.CountAlbumTracks(ctx, db.CountAlbumTracksParams{AlbumID: &album.ID, TrackID: track})
	if err != nil {
		return db.CatalogAlbum{}, err
	}
	if n >= MaxTracks {
		return db.CatalogAlbum{}, ErrInvalidInput.Withf("album %q has %d tracks, the most an album may hold", album.Title, MaxTracks)
	}
	return album, nil
}

// Revise says the album's list record should be rewritten (its tracks, their records or
// its title changed), within the caller's transaction q. Start it once committed. An
// album being deleted is left as it is: its record is to go, not to change.
func (a *Albums) Revise(ctx context.Context, q *db.Queries, albumID uuid.UUID) (records.Key, error) {
	album, err := q.GetAlbum(ctx, albumID)
	if err != nil {
		return records.Key{}, fmt.Errorf("load album %s: %w", albumID, err)
	}
	key := Key(album)
	if album.Deleting {
		return key, nil
	}
	return key, a.records.Revise(ctx, q, key, false)
}

// Start has the list record's workflow write it.
func (a *Albums) Start(ctx context.Context, key records.Key) error { return a.records.Start(ctx, key) }

// WantedRecord is what the album's list record with key rkey should be now.
func (a *Albums) WantedRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	key := records.Key{DID: did, Kind: records.KindList, RKey: rkey}
	state, err := a.records.Get(ctx, a.q, key)
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	album, err := a.q.GetAlbumByRecordKey(ctx, db.GetAlbumByRecordKeyParams{ArtistDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("album %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load album %s/%s: %w", did, rkey, err)
	}
	if album.Deleting {
		return recordsact.Wanted{}, fmt.Errorf("album %s/%s is being deleted: %w", did, rkey, recordsact.ErrNotTracked)
	}
	rows, err := a.q.ListAlbumTrackRecords(ctx, &album.ID)
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("album tracks: %w", err)
	}
	var refs []strongRef // tracks whose records exist, oldest first
	for _, r := range rows {
		if r.Uri != nil && r.Cid != nil {
			refs = append(refs, strongRef{URI: *r.Uri, CID: *r.Cid})
		}
	}
	name := listName(album.Title)
	changedAt := atproto.Datetime(state.UpdatedAt)
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		return buildListRecord(current, name, refs, album.CreatedAt, changedAt), nil
	}}, nil
}

// SettleRecord records how the write of an album's list record went: its order as
// written, or, for a deletion, the album's end (or its return when the PDS refused).
func (a *Albums) SettleRecord(ctx context.Context, did, rkey string, o recordsact.Outcome) (bool, error) {
	key := records.Key{DID: did, Kind: records.KindList, RKey: rkey}
	before, err := a.records.Get(ctx, a.q, key)
	if err != nil && !errors.Is(err, recordsact.ErrNotTracked) {
		return false, err
	}
	newer, err := a.records.Settle(ctx, a.q, key, o)
	if err != nil {
		return newer, err
	}
	switch {
	case o.Failure == "" && o.Absent, o.Failure != "" && before.Absent:
		return newer, a.settleDelete(ctx, did, rkey, o.Failure != "")
	case o.Failure == "":
		return newer, a.settleOrder(ctx, did, rkey, o.Record)
	}
	return newer, nil
}

// strongRef points at one version of a record.
type strongRef struct{ URI, CID string }

// buildListRecord is the album's list record over current: name, listType and createdAt
// always there (plyr.fm lost them on reorder), items in the order current has them with
// today's CIDs, tracks no longer in the album dropped and new ones appended, at most
// maxItems; updatedAt moves only when name or items changed.
func buildListRecord(current map[string]any, name string, refs []strongRef, createdAt time.Time, changedAt string) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	byURI := make(map[string]strongRef, len(refs))
	for _, r := range refs {
		byURI[r.URI] = r
	}
	var ordered []strongRef
	placed := map[string]bool{}
	for _, uri := range itemURIs(current) {
		if r, ok := byURI[uri]; ok && !placed[uri] {
			ordered = append(ordered, r)
			placed[uri] = true
		}
	}
	for _, r := range refs {
		if !placed[r.URI] {
			ordered = append(ordered, r)
			placed[r.URI] = true
		}
	}
	if len(ordered) > maxItems {
		ordered = ordered[:maxItems]
	}
	items := make([]any, 0, len(ordered))
	for _, r := range ordered {
		items = append(items, map[string]any{"subject": map[string]any{"uri": r.URI, "cid": r.CID}})
	}
	changed := current == nil || current["name"] != name || !sameItems(current["items"], ordered)
	out["name"] = name
	out["listType"] = ListType
	out["items"] = items
	if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
		out["createdAt"] = atproto.Datetime(createdAt)
	}
	if changed {
		out["updatedAt"] = changedAt
	}
	return out
}

// itemURIs are the subject URIs of a list record's items, in order.
func itemURIs(record map[string]any) []string {
	items, _ := record["items"].([]any)
	uris := make([]string, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		subject, _ := m["subject"].(map[string]any)
		if uri, ok := subject["uri"].(string); ok {
			uris = append(uris, uri)
		}
	}
	return uris
}

func sameItems(items any, refs []strongRef) bool {
	list, _ := items.([]any)
	if len(list) != len(refs) {
		return false
	}
	for i, it := range list {
		m, _ := it.(map[string]any)
		subject, _ := m["subject"].(map[string]any)
		if subject["uri"] != refs[i].URI || subject["cid"] != refs[i].CID {
			return false
		}
	}
	return true
}

// listName is an album title cut to fit a list record's name, at a grapheme boundary.
func listName(title string) string {
	g := uniseg.NewGraphemes(title)
	end, n := 0, 0
	for g.Next() {
		_, to := g.Positions()
		if n == maxNameGraphemes || to > maxNameBytes {
			break
		}
		end, n = to, n+1
	}
	return title[:end]
}
