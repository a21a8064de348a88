package albums

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
)

// Errors of the feature; the module re-exports them.
var (
	// ErrNotFound marks an album that does not exist.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "album not found")
	// ErrNotOwner marks a change to another artist's album.
	ErrNotOwner = rpc.NewError(connect.CodePermissionDenied, "this album is not yours")
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// ErrSlugTaken marks a new title whose slug another of the artist's albums has.
	ErrSlugTaken = rpc.NewError(connect.CodeAlreadyExists, "you already have an album with this name")
)

// Page sizes of List; an artist's albums come in one page of at most MaxArtistAlbums.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
	MaxArtistAlbums = 500
	MaxDescription  = 2560
)

// Album is an album as the catalog shows it.
type Album struct {
	ID                 uuid.UUID
	ArtistDID          string
	Slug, Title        string
	Description        string
	ImageURL, ThumbURL string
	Tracks, Plays      int64
	CreatedAt          time.Time
	// ItemURIs is the album's order: its list record's items as last written.
	ItemURIs []string
	Record   records.Status
}

// Page is a page of albums.
type Page struct {
	Albums []Album
	Next   string
}

// List returns one artist's albums by title (artistDID set; one page), or everyone's,
// newest first.
func (a *Albums) List(ctx context.Context, artistDID string, pageSize int, pageToken string) (Page, error) {
	p := db.ListAlbumViewsParams{}
	switch {
	case artistDID != "":
		p.ArtistDid = &artistDID
		p.PageLimit = MaxArtistAlbums
	case pageSize == 0:
		p.PageLimit = DefaultPageSize + 1
	case pageSize < 0 || pageSize > MaxPageSize:
		return Page{}, ErrInvalidInput.Withf("page_size must be between 1 and %d", MaxPageSize)
	default:
		p.PageLimit = int32(pageSize + 1)
	}
	after, err := cursor.Decode(pageToken)
	if err != nil {
		return Page{}, ErrInvalidInput.Withf("page_token is not one this service issued")
	}
	p.BeforeCreatedAt, p.BeforeID = after.CreatedAt, after.ID
	rows, err := a.q.ListAlbumViews(ctx, p)
	if err != nil {
		return Page{}, fmt.Errorf("list albums: %w", err)
	}
	var page Page
	if artistDID == "" && len(rows) == int(p.PageLimit) {
		rows = rows[:len(rows)-1]
		last := rows[len(rows)-1].CatalogAlbum
		page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	for _, r := range rows {
		page.Albums = append(page.Albums, view(r))
	}
	return page, nil
}

// Get returns one album.
func (a *Albums) Get(ctx context.Context, id uuid.UUID) (Album, error) {
	rows, err := a.q.ListAlbumViews(ctx, db.ListAlbumViewsParams{AlbumID: &id, BeforeCreatedAt: cursor.Start.CreatedAt, BeforeID: cursor.Start.ID, PageLimit: 1})
	if err != nil {
		return Album{}, fmt.Errorf("get album %s: %w", id, err)
	}
	if len(rows) == 0 {
		return Album{}, ErrNotFound
	}
	return view(rows[0]), nil
}

// GetMany returns the albums among ids, in the order of ids; missing ones are left out.
func (a *Albums) GetMany(ctx context.Context, ids []uuid.UUID) ([]Album, error) {
	if len(ids) == 0 {
		return []Album{}, nil
	}
	rows, err := a.q.ListAlbumViewsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("albums by id: %w", err)
	}
	byID := make(map[uuid.UUID]Album, len(rows))
	for _, r := range rows {
		byID[r.CatalogAlbum.ID] = view(db.ListAlbumViewsRow(r))
	}
	out := make([]Album, 0, len(ids))
	for _, id := range ids {
		if al, ok := byID[id]; ok {
			out = append(out, al)
		}
	}
	return out, nil
}

// GetBySlug returns an artist's album by slug.
func (a *Albums) GetBySlug(ctx context.Context, artistDID, slug string) (Album, error) {
	row, err := a.q.GetAlbumBySlug(ctx, db.GetAlbumBySlugParams{ArtistDid: artistDID, Slug: slug})
	if errors.Is(err, pgx.ErrNoRows) {
		return Album{}, ErrNotFound
	}
	if err != nil {
		return Album{}, fmt.Errorf("get album %s: %w", slug, err)
	}
	return a.Get(ctx, row.ID)
}

func view(r db.ListAlbumViewsRow) Album {
	al := r.CatalogAlbum
	return Album{
		ID: al.ID, ArtistDID: al.ArtistDid, Slug: al.Slug, Title: al.Title, Description: al.Description,
		ImageURL: al.ImageUrl, ThumbURL: al.ImageThumbUrl, Tracks: r.TrackCount, Plays: r.TotalPlays,
		CreatedAt: al.CreatedAt, ItemURIs: al.ItemUris,
		Record: records.StatusOf(r.RecordState, r.RecordFailure, r.RecordFailureReason, r.RecordUri, r.RecordCid),
	}
}

// settleOrder records the order of a list record as written: the album's order.
func (a *Albums) settleOrder(ctx context.Context, did, rkey string, record map[string]any) error {
	if record == nil {
		return nil
	}
	err := a.q.SetAlbumOrder(ctx, db.SetAlbumOrderParams{ItemUris: itemURIs(record), ArtistDid: did, RecordRkey: rkey})
	if err != nil {
		return fmt.Errorf("record the order of album %s/%s: %w", did, rkey, err)
	}
	return nil
}

// settleDelete follows up the deletion of an album's list record: gone, the album row goes
// (and its cover, unless something else shows it); refused, the album comes back.
func (a *Albums) settleDelete(ctx context.Context, did, rkey string, failed bool) error {
	if failed {
		return pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
			q := a.q.WithTx(tx)
			if err := q.CancelAlbumDelete(ctx, db.CancelAlbumDeleteParams{ArtistDid: did, RecordRkey: rkey}); err != nil {
				return err
			}
			return q.KeepRecord(ctx, db.KeepRecordParams{Did: did, Kind: string(records.KindList), Rkey: rkey})
		})
	}
	album, err := a.q.GetAlbumByRecordKey(ctx, db.GetAlbumByRecordKeyParams{ArtistDid: did, RecordRkey: rkey})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !album.Deleting) {
		return nil
	}
	if err != nil {
		return err
	}
	if album.ImageID != nil && a.cleanup != nil {
		others, err := a.q.CountOtherImageUsersOfAlbum(ctx, db.CountOtherImageUsersOfAlbumParams{ImageID: album.ImageID, AlbumID: album.ID})
		if err != nil {
			return err
		}
		if others == 0 {
			if err := a.cleanup.DeleteImage(ctx, *album.ImageID); err != nil {
				return fmt.Errorf("delete the cover of album %s: %w", album.ID, err)
			}
		}
	}
	if _, err := a.q.DeleteAlbumRow(ctx, db.DeleteAlbumRowParams{ArtistDid: did, RecordRkey: rkey}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("delete album %s: %w", album.ID, err)
	}
	return nil
}
