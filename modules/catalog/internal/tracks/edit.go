package tracks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/text"
)

// Limits of an edit.
const (
	// MaxTitleBytes is the record's (fm.plyr.track title, and album, maxLength).
	MaxTitleBytes = 256
	MaxTags       = 10
	MaxTagRunes   = 50
	// MaxFeatures bounds a track's featured artists (the record allows 10).
	MaxFeatures = 5
)

// Resolver finds the DID a handle stands for (the identity module's directory, which
// refuses private addresses).
type Resolver interface {
	ResolveHandle(ctx context.Context, handle string) (did string, ok bool)
}

// Image is an artwork image of the media module.
type Image struct {
	OwnerDID      string
	URL, ThumbURL string
}

// Images finds artwork images (the media module).
type Images interface {
	// Image returns the image; ok is false when there is none.
	Image(ctx context.Context, id uuid.UUID) (img Image, ok bool, err error)
}

// Feature is a featured artist as the record lists them.
type Feature struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName,omitempty"`
}

// Edit is a change to a track; nil fields stay as they are.
type Edit struct {
	Title *string
	// Album names the track's album, made if the artist has none by that name's slug; ""
	// takes the track out of its album.
	Album *string
	// Tags replace the track's tags: at most MaxTags, each at most MaxTagRunes, stored
	// lowercase.
	Tags *[]string
	// Features replace the featured artists, by handle: at most MaxFeatures, each resolving
	// to an account; the artist themself is dropped.
	Features *[]string
	// ImageID sets the artwork (an image the caller uploaded); "" removes it.
	ImageID *string
	// SupportersOnly gates the track to the artist's supporters, or opens it again. Only
	// an artist whose support link is atprotofans may gate: that is where supporters are
	// checked.
	SupportersOnly *bool
}

// Gates starts the workflow that moves a track's audio where its gate says.
type Gates interface {
	StartGate(ctx context.Context, trackID uuid.UUID) error
}

// SupportViaAtprotofans is the support link that lets an artist gate tracks.
const SupportViaAtprotofans = "atprotofans"

// Edit changes the caller's track, ready or still processing, and answers at once: the
// track's record (and the lists of the albums it left and joined) are rewritten by their
// workflows, pending until then.
// Handles and the image are checked before anything is written; a refused edit changes
// nothing.
func (t *Tracks) Edit(ctx context.Context, id uuid.UUID, caller string, e Edit) (Track, error) {
	in, err := t.prepare(ctx, caller, e)
	if err != nil {
		return Track{}, err
	}
	var starts []records.Key
	gateChanged := false
	err = pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		q := t.q.WithTx(tx)
		row, err := q.LockTrack(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.Deleting) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch {
		case row.ArtistDid != caller && !public(row):
			return ErrNotFound
		case row.ArtistDid != caller:
			return ErrNotOwner
		}
		// A track still processing may be edited too (an upload form sends its album, tags
		// and artwork right after the file): its record is written, with them, when it is
		// published.
		ready := Status(row.Status) == StatusReady
		upd := db.UpdateTrackParams{
			ID: id, Title: row.Title, AlbumID: row.AlbumID, Features: row.Features,
			ImageID: row.ImageID, ImageUrl: row.ImageUrl, ImageThumbUrl: row.ImageThumbUrl,
			SupportersOnly: row.SupportersOnly,
		}
		if e.SupportersOnly != nil {
			upd.SupportersOnly = *e.SupportersOnly
			gateChanged = upd.SupportersOnly != row.SupportersOnly
		}
		if in.title != nil {
			upd.Title = *in.title
		}
		if in.features != nil {
			upd.Features = in.features
		}
		if in.image != nil {
			upd.ImageID, upd.ImageUrl, upd.ImageThumbUrl = in.image.id, in.image.url, in.image.thumb
		}
		if e.Album != nil {
			upd.AlbumID = nil
			if *in.album != "" {
				album, err := t.albums.GetOrCreate(ctx, q, caller, *in.album, id, time.Now())
				if err != nil {
					return err
				}
				upd.AlbumID = &album.ID
			}
		}
		if err := q.UpdateTrack(ctx, upd); err != nil {
			return err
		}
		if in.tags != nil {
			if err := q.EnsureTags(ctx, in.tags); err != nil {
				return err
			}
			if err := q.ClearTrackTags(ctx, id); err != nil {
				return err
			}
			if err := q.AddTrackTags(ctx, db.AddTrackTagsParams{TrackID: id, CreatedAt: row.CreatedAt, Names: in.tags}); err != nil {
				return err
			}
		}
		if ready && recordChanged(row, upd) {
			key := recordKey(row)
			if err := t.records.Revise(ctx, q, key, false); err != nil {
				return err
			}
			starts = append(starts, key)
		}
		// The albums the track left and joined list it differently now.
		for _, albumID := range changedAlbums(row.AlbumID, upd.AlbumID) {
			key, err := t.albums.Revise(ctx, q, albumID)
			if err != nil {
				return err
			}
			starts = append(starts, key)
		}
		return nil
	})
	if err != nil {
		return Track{}, fmt.Errorf("edit track %s: %w", id, err)
	}
	for _, key := range starts {
		if err := t.records.Start(ctx, key); err != nil {
			return Track{}, err
		}
	}
	if gateChanged && t.gates != nil {
		if err := t.gates.StartGate(ctx, id); err != nil {
			return Track{}, err
		}
	}
	return t.Get(ctx, id, caller)
}

// prepared is an edit checked and resolved, ready to write.
type prepared struct {
	title, album *string
	tags         []string
	features     []byte // JSON of []Feature
	image        *imageRef
}

type imageRef struct {
	id         *uuid.UUID
	url, thumb string
}

// prepare checks an edit and resolves its handles and image: everything that reads the
// network happens here, before a transaction is open.
func (t *Tracks) prepare(ctx context.Context, caller string, e Edit) (prepared, error) {
	var p prepared
	if e.SupportersOnly != nil && *e.SupportersOnly {
		profiles, err := t.profiles.Profiles(ctx, []string{caller})
		if err != nil {
			return p, fmt.Errorf("artist profile: %w", err)
		}
		if profiles[caller].SupportURL != SupportViaAtprotofans {
			return p, ErrGateNeedsAtprotofans
		}
	}
	if e.Title != nil {
		title, err := cleanLine("title", *e.Title, MaxTitleBytes)
		if err != nil {
			return p, err
		}
		if title == "" {
			return p, ErrInvalidInput.Withf("title must not be empty")
		}
		p.title = &title
	}
	if e.Album != nil {
		album, err := cleanLine("album", *e.Album, MaxTitleBytes)
		if err != nil {
			return p, err
		}
		p.album = &album
	}
	if e.Tags != nil {
		tags, err := cleanTags(*e.Tags)
		if err != nil {
			return p, err
		}
		p.tags = tags
	}
	if e.Features != nil {
		features, err := t.resolveFeatures(ctx, caller, *e.Features)
		if err != nil {
			return p, err
		}
		if p.features, err = json.Marshal(features); err != nil {
			return p, err
		}
	}
	if e.ImageID != nil {
		p.image = &imageRef{}
		if *e.ImageID != "" {
			id, err := uuid.Parse(*e.ImageID)
			if err != nil {
				return p, ErrInvalidInput.Withf("image_id is not an image id")
			}
			img, ok, err := t.images.Image(ctx, id)
			if err != nil {
				return p, fmt.Errorf("look up image %s: %w", id, err)
			}
			if !ok || img.OwnerDID != caller {
				return p, ErrInvalidInput.Withf("image_id names no image of yours")
			}
			p.image = &imageRef{id: &id, url: img.URL, thumb: img.ThumbURL}
		}
	}
	return p, nil
}

// resolveFeatures turns handles into featured artists: each must resolve (through the
// identity module's directory) to an account; the caller and repeats are dropped.
func (t *Tracks) resolveFeatures(ctx context.Context, caller string, handles []string) ([]Feature, error) {
	if len(handles) > MaxFeatures {
		return nil, ErrInvalidInput.Withf("at most %d featured artists", MaxFeatures)
	}
	out := []Feature{}
	seen := map[string]bool{caller: true}
	for _, raw := range handles {
		h, err := syntax.ParseHandle(strings.TrimPrefix(strings.TrimSpace(raw), "@"))
		if err != nil || h.IsInvalidHandle() {
			return nil, ErrInvalidInput.Withf("feature %q is not a handle", truncate(raw, 64))
		}
		did, ok := t.resolver.ResolveHandle(ctx, h.Normalize().String())
		if !ok {
			return nil, ErrInvalidInput.Withf("feature %q does not resolve to an account", h.Normalize().String())
		}
		if seen[did] {
			continue
		}
		seen[did] = true
		out = append(out, Feature{DID: did, Handle: h.Normalize().String()})
	}
	dids := make([]string, 0, len(out))
	for _, f := range out {
		dids = append(dids, f.DID)
	}
	profiles, err := t.profiles.Profiles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("featured artists' profiles: %w", err)
	}
	for i := range out {
		out[i].DisplayName = truncate(profiles[out[i].DID].DisplayName, 256)
	}
	return out, nil
}

// recordChanged reports whether an edit changes the track's record (tags are plyr's own).
func recordChanged(before db.Track, after db.UpdateTrackParams) bool {
	return before.Title != after.Title || !sameID(before.AlbumID, after.AlbumID) ||
		string(before.Features) != string(after.Features) || before.ImageUrl != after.ImageUrl ||
		before.SupportersOnly != after.SupportersOnly
}

// changedAlbums are the albums a track left and joined.
func changedAlbums(before, after *uuid.UUID) []uuid.UUID {
	if sameID(before, after) {
		return nil
	}
	var out []uuid.UUID
	if before != nil {
		out = append(out, *before)
	}
	if after != nil {
		out = append(out, *after)
	}
	return out
}

func sameID(a, b *uuid.UUID) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// cleanLine checks one line of text (see package text).
func cleanLine(field, value string, maxBytes int) (string, error) {
	return text.Clean(ErrInvalidInput, text.Rule{Field: field, MaxBytes: maxBytes}, value)
}

// cleanTags normalises tags: trimmed, NFC, lowercase, a leading '#' dropped, without
// repeats or empty ones; at most MaxTags of at most MaxTagRunes each, without control
// characters. (Tags are listed by name, not in the order given.)
func cleanTags(raw []string) ([]string, error) {
	if len(raw) > MaxTags*2 {
		return nil, ErrInvalidInput.Withf("at most %d tags", MaxTags)
	}
	out := []string{}
	for _, tag := range raw {
		if len(tag) > 4*MaxTagRunes {
			return nil, ErrInvalidInput.Withf("a tag is longer than %d characters", MaxTagRunes)
		}
		clean, err := cleanLine("a tag", strings.TrimPrefix(strings.TrimSpace(tag), "#"), 4*MaxTagRunes)
		if err != nil {
			return nil, err
		}
		clean = strings.ToLower(clean)
		if utf8.RuneCountInString(clean) > MaxTagRunes {
			return nil, ErrInvalidInput.Withf("tag %q is longer than %d characters", truncate(clean, 60), MaxTagRunes)
		}
		if clean != "" && !slices.Contains(out, clean) {
			out = append(out, clean)
		}
	}
	if len(out) > MaxTags {
		return nil, ErrInvalidInput.Withf("at most %d tags", MaxTags)
	}
	return out, nil
}

// truncate cuts s to at most n bytes at a character boundary, for messages.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
