package albums

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/text"
)

// Edit is a change to an album; nil fields stay.
type Edit struct {
	// Title renames the album (and re-slugs it); its tracks' records, which carry it, and
	// its list record are rewritten.
	Title *string
	// Description is plyr's alone (at most MaxDescription bytes; line breaks kept).
	Description *string
	// ImageID sets the cover to an image the caller uploaded; "" removes it.
	ImageID *string
}

// Update changes the caller's album and answers at once; the records that change are
// written by their workflows afterwards.
func (a *Albums) Update(ctx context.Context, id uuid.UUID, caller string, e Edit) (Album, error) {
	var title, description *string
	if e.Title != nil {
		t, err := cleanText("title", *e.Title, maxNameBytes, false)
		if err != nil {
			return Album{}, err
		}
		if t == "" {
			return Album{}, ErrInvalidInput.Withf("title must not be empty")
		}
		title = &t
	}
	if e.Description != nil {
		d, err := cleanText("description", *e.Description, MaxDescription, true)
		if err != nil {
			return Album{}, err
		}
		description = &d
	}
	var cover *struct {
		id         *uuid.UUID
		url, thumb string
	}
	if e.ImageID != nil {
		cover = &struct {
			id         *uuid.UUID
			url, thumb string
		}{}
		if *e.ImageID != "" {
			imgID, err := uuid.Parse(*e.ImageID)
			if err != nil {
				return Album{}, ErrInvalidInput.Withf("image_id is not an image id")
			}
			owner, url, thumb, ok, err := a.images.ImageOf(ctx, imgID)
			if err != nil {
				return Album{}, err
			}
			if !ok || owner != caller {
				return Album{}, ErrInvalidInput.Withf("image_id names no image of yours")
			}
			cover.id, cover.url, cover.thumb = &imgID, url, thumb
		}
	}

	var starts []records.Key
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		q := a.q.WithTx(tx)
		album, err := a.lockOwned(ctx, q, id, caller)
		if err != nil {
			return err
		}
		p := db.UpdateAlbumParams{
			ID: id, Title: album.Title, Slug: album.Slug, Description: album.Description,
			ImageID: album.ImageID, ImageUrl: album.ImageUrl, ImageThumbUrl: album.ImageThumbUrl,
		}
		if title != nil {
			p.Title, p.Slug = *title, Slug(*title)
		}
		if description != nil {
			p.Description = *description
		}
		if cover != nil {
			p.ImageID, p.ImageUrl, p.ImageThumbUrl = cover.id, cover.url, cover.thumb
		}
		if _, err := q.UpdateAlbum(ctx, p); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" {
				return ErrSlugTaken
			}
			return err
		}
		if p.Title != album.Title {
			keys, err := q.ReviseAlbumTrackRecords(ctx, &id)
			if err != nil {
				return err
			}
			for _, k := range keys {
				starts = append(starts, records.Key{DID: k.Did, Kind: records.KindTrack, RKey: k.Rkey})
			}
			key := Key(album)
			if err := a.records.Revise(ctx, q, key, false); err != nil {
				return err
			}
			starts = append(starts, key)
		}
		return nil
	})
	if err != nil {
		return Album{}, fmt.Errorf("update album %s: %w", id, err)
	}
	if err := a.startAll(ctx, starts); err != nil {
		return Album{}, err
	}
	return a.Get(ctx, id)
}

// RemoveTrack takes a track out of the caller's album: the track's record (which names the
// album) and the album's list record are rewritten.
func (a *Albums) RemoveTrack(ctx context.Context, albumID, trackID uuid.UUID, caller string) error {
	var starts []records.Key
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		q := a.q.WithTx(tx)
		album, err := a.lockOwned(ctx, q, albumID, caller)
		if err != nil {
			return err
		}
		track, err := q.LockTrack(ctx, trackID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && (track.AlbumID == nil || *track.AlbumID != albumID)) {
			return ErrInvalidInput.Withf("the track is not in this album")
		}
		if err != nil {
			return err
		}
		if _, err := q.RemoveTrackFromAlbum(ctx, db.RemoveTrackFromAlbumParams{ID: trackID, AlbumID: &albumID}); err != nil {
			return err
		}
		trackKey := records.Key{DID: track.ArtistDid, Kind: records.KindTrack, RKey: track.RecordRkey}
		if track.Status == "ready" {
			if err := a.records.Revise(ctx, q, trackKey, false); err != nil {
				return err
			}
			starts = append(starts, trackKey)
		}
		if err := a.records.Revise(ctx, q, Key(album), false); err != nil {
			return err
		}
		starts = append(starts, Key(album))
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove track %s from album %s: %w", trackID, albumID, err)
	}
	return a.startAll(ctx, starts)
}

// Delete starts the deletion of the caller's album and answers at once. Its tracks are
// taken out of it (their records rewritten without the album), or with cascade deleted
// through deleteTrack; its list record is deleted from the PDS, and once it is gone the
// album and its cover go. If the PDS refuses, the album comes back (empty).
func (a *Albums) Delete(ctx context.Context, id uuid.UUID, caller string, cascade bool,
	deleteTrack func(ctx context.Context, id uuid.UUID, caller string) error) error {
	var trackIDs []uuid.UUID
	var starts []records.Key
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		q := a.q.WithTx(tx)
		album, err := a.lockOwned(ctx, q, id, caller)
		if err != nil {
			return err
		}
		if trackIDs, err = q.ListAlbumTrackIDs(ctx, &id); err != nil {
			return err
		}
		if !cascade {
			keys, err := q.ReviseAlbumTrackRecords(ctx, &id)
			if err != nil {
				return err
			}
			for _, k := range keys {
				starts = append(starts, records.Key{DID: k.Did, Kind: records.KindTrack, RKey: k.Rkey})
			}
			for _, t := range trackIDs {
				if _, err := q.RemoveTrackFromAlbum(ctx, db.RemoveTrackFromAlbumParams{ID: t, AlbumID: &id}); err != nil {
					return err
				}
			}
		}
		if err := q.MarkAlbumDeleting(ctx, id); err != nil {
			return err
		}
		key := Key(album)
		starts = append(starts, key)
		return a.records.Revise(ctx, q, key, true)
	})
	if err != nil {
		return fmt.Errorf("delete album %s: %w", id, err)
	}
	if cascade {
		for _, t := range trackIDs {
			if err := deleteTrack(ctx, t, caller); err != nil {
				return err
			}
		}
	}
	return a.startAll(ctx, starts)
}

// lockOwned locks the caller's album for a change.
func (a *Albums) lockOwned(ctx context.Context, q *db.Queries, id uuid.UUID, caller string) (db.CatalogAlbum, error) {
	album, err := q.LockAlbum(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && album.Deleting) {
		return db.CatalogAlbum{}, ErrNotFound
	}
	if err != nil {
		return db.CatalogAlbum{}, err
	}
	if album.ArtistDid != caller {
		return db.CatalogAlbum{}, ErrNotOwner
	}
	return album, nil
}

// startAll starts the workflows of the records a change revised. One that fails to start
// stays pending and is resumed by housekeeping; the first error is returned.
func (a *Albums) startAll(ctx context.Context, keys []records.Key) error {
	var first error
	for _, k := range keys {
		if err := a.records.Start(ctx, k); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// cleanText checks a title (one line) or a description (line breaks kept); see package
// text.
func cleanText(field, value string, maxBytes int, multiline bool) (string, error) {
	return text.Clean(ErrInvalidInput, text.Rule{Field: field, MaxBytes: maxBytes, Multiline: multiline}, value)
}
