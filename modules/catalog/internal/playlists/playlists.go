// Package playlists is the catalog's playlists: a listener's named, ordered lists of
// tracks, each an fm.plyr.list record (listType playlist) on their PDS. plyr keeps the
// order (the entries' positions) and writes the whole record on every change, so name,
// listType and createdAt are never lost. A private playlist stays in plyr alone: records
// on a PDS are public, so making a playlist private deletes its record, and making it
// public again writes it.
//
// An entry keeps its track's strongRef, so a track deleted later still stands in the
// playlist (and its record) and shows as unavailable rather than vanishing.
package playlists

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/listrecord"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/subject"
	"github.com/plyrfm/plyr/modules/catalog/internal/text"
	"github.com/plyrfm/plyr/modules/catalog/internal/txn"
)

// Bounds of a playlist.
const (
	MaxNameGraphemes = 64
	MaxNameBytes     = 256
	MaxItems         = listrecord.MaxItems
)

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	ErrNotFound     = rpc.NewError(connect.CodeNotFound, "playlist not found")
	ErrNotOwner     = rpc.NewError(connect.CodePermissionDenied, "this playlist is not yours")
	ErrAlreadyThere = rpc.NewError(connect.CodeAlreadyExists, "the track is in this playlist already")
	ErrFull         = rpc.NewError(connect.CodeResourceExhausted, "a playlist holds at most 500 tracks")
	ErrItemNotFound = rpc.NewError(connect.CodeNotFound, "no such entry in this playlist")
)

// Images finds the images a cover may be.
type Images interface {
	ImageOf(ctx context.Context, id uuid.UUID) (owner, url, thumb string, ok bool, err error)
}

// Playlists is the feature.
type Playlists struct {
	db      txn.Beginner
	q       *db.Queries
	records *records.Store
	images  Images
	now     func() time.Time
}

// New returns the feature.
func New(conn txn.Beginner, q *db.Queries, recs *records.Store, images Images) *Playlists {
	return &Playlists{db: conn, q: q, records: recs, images: images, now: time.Now}
}

// Playlist is a playlist as views show it.
type Playlist struct {
	ID                 uuid.UUID
	OwnerDID           string
	Name               string
	TrackCount         int64
	ImageURL, ThumbURL string
	ShowOnProfile      bool
	Private            bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// Record is the list record's status; unset (zero) for a private playlist.
	Record records.Status
}

// Item is one entry.
type Item struct {
	ID      uuid.UUID
	TrackID *uuid.UUID
	URI     string
}

func key(p db.CatalogPlaylist) records.Key {
	return records.Key{DID: p.OwnerDid, Kind: records.KindList, RKey: p.RecordRkey}
}

func cleanName(v string) (string, error) {
	name, err := text.Clean(ErrInvalidInput, text.Rule{Field: "name", MaxBytes: MaxNameBytes, MaxGraphemes: MaxNameGraphemes}, v)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", ErrInvalidInput.Withf("name is empty")
	}
	return name, nil
}

// Create makes an empty playlist for owner.
func (p *Playlists) Create(ctx context.Context, owner, name string, showOnProfile, private bool) (Playlist, error) {
	name, err := cleanName(name)
	if err != nil {
		return Playlist{}, err
	}
	if private && showOnProfile {
		return Playlist{}, ErrInvalidInput.Withf("a private playlist cannot show on your profile")
	}
	now := p.now().UTC().Truncate(time.Microsecond)
	id := uuid.New()
	var row db.CatalogPlaylist
	err = txn.Run(ctx, p.db, p.q, func(q *db.Queries) error {
		row, err = q.InsertPlaylist(ctx, db.InsertPlaylistParams{
			ID: id, OwnerDid: owner, Name: name, RecordRkey: atproto.RecordKey(now, id),
			ShowOnProfile: showOnProfile, Private: private, CreatedAt: now,
		})
		if err != nil {
			return fmt.Errorf("insert playlist: %w", err)
		}
		if private {
			return nil
		}
		return p.records.Add(ctx, q, key(row))
	})
	if err != nil {
		return Playlist{}, err
	}
	if !private {
		if err := p.records.Start(ctx, key(row)); err != nil {
			return Playlist{}, err
		}
	}
	return p.Get(ctx, id, owner)
}

// Get returns a playlist; a private one only to its owner (viewer).
func (p *Playlists) Get(ctx context.Context, id uuid.UUID, viewer string) (Playlist, error) {
	row, err := p.q.GetPlaylistView(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Playlist{}, ErrNotFound
	}
	if err != nil {
		return Playlist{}, fmt.Errorf("get playlist: %w", err)
	}
	if row.CatalogPlaylist.Private && row.CatalogPlaylist.OwnerDid != viewer {
		return Playlist{}, ErrNotFound
	}
	return view(row.CatalogPlaylist, row.ItemCount, row.RecordState, row.RecordFailure, row.RecordFailureReason, row.RecordUri, row.RecordCid), nil
}

func view(r db.CatalogPlaylist, count int64, state, failure, reason, uri, cid *string) Playlist {
	out := Playlist{
		ID: r.ID, OwnerDID: r.OwnerDid, Name: r.Name, TrackCount: count, ImageURL: r.ImageUrl, ThumbURL: r.ImageThumbUrl,
		ShowOnProfile: r.ShowOnProfile, Private: r.Private, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if !r.Private {
		out.Record = records.StatusOf(state, failure, reason, uri, cid)
	}
	return out
}

// Items returns a playlist's entries in order (check access with Get first).
func (p *Playlists) Items(ctx context.Context, id uuid.UUID) ([]Item, error) {
	rows, err := p.q.ListPlaylistItems(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("playlist items: %w", err)
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		out = append(out, Item{ID: r.ID, TrackID: r.TrackID, URI: r.SubjectUri})
	}
	return out, nil
}

// Page is a page of playlists.
type Page struct {
	Playlists []Playlist
	Next      string
}

// List returns owner's playlists newest first: all of them when the viewer is the owner,
// else those shown on their profile.
func (p *Playlists) List(ctx context.Context, owner, viewer string, size int, token string) (Page, error) {
	switch {
	case size <= 0:
		size = 50
	case size > 100:
		size = 100
	}
	pos, err := cursor.Decode(token)
	if err != nil {
		return Page{}, ErrInvalidInput.Withf("page_token is not one this server made")
	}
	rows, err := p.q.ListPlaylistsByOwner(ctx, db.ListPlaylistsByOwnerParams{
		OwnerDid: owner, PublicOnly: owner != viewer, BeforeAt: pos.CreatedAt, BeforeID: pos.ID, MaxRows: int32(size + 1),
	})
	if err != nil {
		return Page{}, fmt.Errorf("list playlists: %w", err)
	}
	var page Page
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1].CatalogPlaylist
		page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	for _, r := range rows {
		page.Playlists = append(page.Playlists, view(r.CatalogPlaylist, r.ItemCount, r.RecordState, r.RecordFailure, r.RecordFailureReason, r.RecordUri, r.RecordCid))
	}
	return page, nil
}

// Change is an update to a playlist; nil fields stay.
type Change struct {
	Name          *string
	ShowOnProfile *bool
	Private       *bool
	// ImageID sets the cover to one of the owner's images; "" removes it.
	ImageID *string
}

// Update changes caller's playlist id.
func (p *Playlists) Update(ctx context.Context, id uuid.UUID, caller string, c Change) (Playlist, error) {
	var name *string
	if c.Name != nil {
		n, err := cleanName(*c.Name)
		if err != nil {
			return Playlist{}, err
		}
		name = &n
	}
	type cover struct {
		id         *uuid.UUID
		url, thumb string
	}
	var newCover *cover
	if c.ImageID != nil {
		newCover = &cover{}
		if *c.ImageID != "" {
			imgID, err := uuid.Parse(*c.ImageID)
			if err != nil {
				return Playlist{}, ErrInvalidInput.Withf("image_id is not an image id")
			}
			owner, url, thumb, ok, err := p.images.ImageOf(ctx, imgID)
			if err != nil {
				return Playlist{}, err
			}
			if !ok || owner != caller {
				return Playlist{}, ErrInvalidInput.Withf("image_id names no image of yours")
			}
			newCover = &cover{id: &imgID, url: url, thumb: thumb}
		}
	}
	var started *records.Key
	err := txn.Run(ctx, p.db, p.q, func(q *db.Queries) error {
		row, err := p.lockOwned(ctx, q, id, caller)
		if err != nil {
			return err
		}
		u := db.UpdatePlaylistParams{
			ID: id, Name: row.Name, ShowOnProfile: row.ShowOnProfile, Private: row.Private,
			ImageID: row.ImageID, ImageUrl: row.ImageUrl, ImageThumbUrl: row.ImageThumbUrl,
		}
		if name != nil {
			u.Name = *name
		}
		if c.ShowOnProfile != nil {
			u.ShowOnProfile = *c.ShowOnProfile
		}
		if c.Private != nil {
			u.Private = *c.Private
			if u.Private {
				u.ShowOnProfile = false // nothing private shows on a profile
			}
		}
		if u.Private && u.ShowOnProfile {
			return ErrInvalidInput.Withf("a private playlist cannot show on your profile")
		}
		if newCover != nil {
			u.ImageID, u.ImageUrl, u.ImageThumbUrl = newCover.id, newCover.url, newCover.thumb
		}
		if _, err := q.UpdatePlaylist(ctx, u); err != nil {
			return fmt.Errorf("update playlist: %w", err)
		}
		k := key(row)
		switch {
		case u.Private && !row.Private: // its record goes
			if err := p.reviseIfTracked(ctx, q, k, true); err != nil {
				return err
			}
			started = &k
		case !u.Private && (row.Private || u.Name != row.Name):
			if err := p.records.Revise(ctx, q, k, false); err != nil {
				return err
			}
			started = &k
		}
		return nil
	})
	if err != nil {
		return Playlist{}, err
	}
	if started != nil {
		if err := p.records.Start(ctx, *started); err != nil {
			return Playlist{}, err
		}
	}
	return p.Get(ctx, id, caller)
}

// reviseIfTracked revises a record plyr tracks; one never written (a playlist private
// from the start) needs nothing.
func (p *Playlists) reviseIfTracked(ctx context.Context, q *db.Queries, k records.Key, absent bool) error {
	if _, err := p.records.Get(ctx, q, k); errors.Is(err, recordsact.ErrNotTracked) {
		return nil
	} else if err != nil {
		return err
	}
	return p.records.Revise(ctx, q, k, absent)
}

// Delete deletes caller's playlist id and its record; deleting it again changes nothing.
func (p *Playlists) Delete(ctx context.Context, id uuid.UUID, caller string) error {
	var started *records.Key
	err := txn.Run(ctx, p.db, p.q, func(q *db.Queries) error {
		row, err := p.lockOwned(ctx, q, id, caller)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := q.DeletePlaylist(ctx, id); err != nil {
			return fmt.Errorf("delete playlist: %w", err)
		}
		k := key(row)
		if err := p.reviseIfTracked(ctx, q, k, true); err != nil {
			return err
		}
		started = &k
		return nil
	})
	if err != nil || started == nil {
		return err
	}
	return p.records.Start(ctx, *started)
}

// AddTrack appends a track to caller's playlist id.
func (p *Playlists) AddTrack(ctx context.Context, id uuid.UUID, caller string, trackID uuid.UUID) (Playlist, error) {
	return p.change(ctx, id, caller, func(q *db.Queries, row db.CatalogPlaylist) error {
		track, err := subject.Of(ctx, q, trackID)
		if err != nil {
			return err
		}
		n, err := q.CountPlaylistItems(ctx, id)
		if err != nil {
			return fmt.Errorf("count items: %w", err)
		}
		if n >= MaxItems {
			return ErrFull
		}
		_, err = q.InsertPlaylistItem(ctx, db.InsertPlaylistItemParams{
			ID: uuid.New(), PlaylistID: id, TrackID: &trackID, SubjectUri: track.Ref.URI, SubjectCid: track.Ref.CID,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrAlreadyThere
		}
		return err
	})
}

// RemoveItem removes the entry itemID from caller's playlist id.
func (p *Playlists) RemoveItem(ctx context.Context, id uuid.UUID, caller string, itemID uuid.UUID) (Playlist, error) {
	return p.change(ctx, id, caller, func(q *db.Queries, row db.CatalogPlaylist) error {
		if _, err := q.DeletePlaylistItem(ctx, db.DeletePlaylistItemParams{ID: itemID, PlaylistID: id}); errors.Is(err, pgx.ErrNoRows) {
			return ErrItemNotFound
		} else if err != nil {
			return fmt.Errorf("remove item: %w", err)
		}
		// Close the gap: the remaining entries keep their order.
		items, err := q.ListPlaylistItems(ctx, id)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, 0, len(items))
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		_, err = q.SetPlaylistOrder(ctx, db.SetPlaylistOrderParams{PlaylistID: id, ItemIds: ids})
		return err
	})
}

// Reorder puts caller's playlist id in the order of itemIDs, exactly its entries.
func (p *Playlists) Reorder(ctx context.Context, id uuid.UUID, caller string, itemIDs []uuid.UUID) (Playlist, error) {
	return p.change(ctx, id, caller, func(q *db.Queries, row db.CatalogPlaylist) error {
		items, err := q.ListPlaylistItems(ctx, id)
		if err != nil {
			return err
		}
		if !samePermutation(items, itemIDs) {
			return ErrInvalidInput.Withf("item_ids must be exactly the playlist's entries, each once (it has %d)", len(items))
		}
		_, err = q.SetPlaylistOrder(ctx, db.SetPlaylistOrderParams{PlaylistID: id, ItemIds: itemIDs})
		return err
	})
}

func samePermutation(items []db.CatalogPlaylistItem, ids []uuid.UUID) bool {
	if len(items) != len(ids) {
		return false
	}
	set := make(map[uuid.UUID]bool, len(items))
	for _, it := range items {
		set[it.ID] = true
	}
	for _, id := range ids {
		if !set[id] {
			return false
		}
		delete(set, id)
	}
	return true
}

// change runs fn on caller's locked playlist, then revises its record (when public).
func (p *Playlists) change(ctx context.Context, id uuid.UUID, caller string, fn func(q *db.Queries, row db.CatalogPlaylist) error) (Playlist, error) {
	var started *records.Key
	err := txn.Run(ctx, p.db, p.q, func(q *db.Queries) error {
		row, err := p.lockOwned(ctx, q, id, caller)
		if err != nil {
			return err
		}
		if err := fn(q, row); err != nil {
			return err
		}
		if err := q.TouchPlaylist(ctx, id); err != nil {
			return err
		}
		if row.Private {
			return nil
		}
		k := key(row)
		started = &k
		return p.records.Revise(ctx, q, k, false)
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return Playlist{}, ErrInvalidInput.Withf("the playlist changed meanwhile; reload it")
		}
		return Playlist{}, err
	}
	if started != nil {
		if err := p.records.Start(ctx, *started); err != nil {
			return Playlist{}, err
		}
	}
	return p.Get(ctx, id, caller)
}

func (p *Playlists) lockOwned(ctx context.Context, q *db.Queries, id uuid.UUID, caller string) (db.CatalogPlaylist, error) {
	row, err := q.LockPlaylist(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.CatalogPlaylist{}, ErrNotFound
	}
	if err != nil {
		return db.CatalogPlaylist{}, fmt.Errorf("lock playlist: %w", err)
	}
	if row.OwnerDid != caller {
		if row.Private {
			return db.CatalogPlaylist{}, ErrNotFound // its existence is its owner's business
		}
		return db.CatalogPlaylist{}, ErrNotOwner
	}
	return row, nil
}

// WantedRecord is what the playlist's list record did/rkey should be now.
func (p *Playlists) WantedRecord(ctx context.Context, did, rkey string) (recordsact.Wanted, error) {
	k := records.Key{DID: did, Kind: records.KindList, RKey: rkey}
	state, err := p.records.Get(ctx, p.q, k)
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	row, err := p.q.GetPlaylistByRecordKey(ctx, db.GetPlaylistByRecordKeyParams{OwnerDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.Private) {
		return recordsact.Wanted{}, fmt.Errorf("playlist %s/%s: %w", did, rkey, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load playlist: %w", err)
	}
	rows, err := p.q.ListPlaylistSubjects(ctx, row.ID)
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("playlist subjects: %w", err)
	}
	items := make([]subject.Ref, 0, len(rows))
	for _, r := range rows {
		items = append(items, subject.Ref{URI: r.SubjectUri, CID: r.SubjectCid})
	}
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		return listrecord.Build(current, row.Name, listrecord.TypePlaylist, items, row.CreatedAt, state.UpdatedAt), nil
	}}, nil
}
