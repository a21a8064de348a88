// Package artists is the catalog's artists feature: every account that signed in (or
// uploaded) is an artist, shown by handle, display name and avatar, with a bio whose
// links every client renders the same (facets), a support link, and whether their likes
// show on their profile. An artist's profile is an fm.plyr.actor.profile record (rkey
// self) on their PDS, upserted after every sign-in and whenever the bio changes, and not
// rewritten when nothing changed.
//
// Handles, Bluesky display names, avatars, the support link and show-liked-on-profile are
// the identity module's (Accounts; the last two are account preferences, set through the
// identity module); the display name and bio the artist set in plyr are this package's.
package artists

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/facets"
	"github.com/plyrfm/plyr/modules/catalog/internal/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/text"
)

// Errors of the feature; the module re-exports them.
var (
	// ErrNotFound marks an artist plyr does not know.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "artist not found")
	// ErrInvalidInput marks a profile change refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
)

// Limits of a profile. The bio's are the fm.plyr.actor.profile lexicon's; a display name's
// are Bluesky's.
const (
	MaxBioGraphemes         = 256
	MaxBioBytes             = 2560
	MaxDisplayNameGraphemes = 64
	MaxDisplayNameBytes     = 640
	// MaxBatch bounds GetMany.
	MaxBatch = 100
)

// RecordKey is the rkey of every artist's profile record.
const RecordKey = "self"

// AccountProfile is what the identity module knows of an account.
type AccountProfile struct {
	Handle      string
	DisplayName string
	AvatarURL   string
	// SupportURL ("", "atprotofans" or an https link) and ShowLikedOnProfile are the
	// account's preferences.
	SupportURL         string
	ShowLikedOnProfile bool
	// AllowComments says whether listeners may comment on their tracks (a preference).
	AllowComments bool
}

// Accounts is the identity module as this feature sees it.
type Accounts interface {
	// Profiles returns the profile of each known DID among dids; unknown ones are absent.
	Profiles(ctx context.Context, dids []string) (map[string]AccountProfile, error)
	// DIDByHandle returns the DID of the account showing handle; ok is false when no
	// account does.
	DIDByHandle(ctx context.Context, handle string) (did string, ok bool, err error)
}

// Artist is an artist as the catalog shows them.
type Artist struct {
	DID    string
	Handle string
	// DisplayName is the name shown: the artist's own in plyr, else their Bluesky
	// display name, else their handle.
	DisplayName string
	AvatarURL   string
	Bio         string
	// BioLinks are the bio's links as byte ranges of Bio.
	BioLinks           []facets.Link
	SupportURL         string
	ShowLikedOnProfile bool
	CreatedAt          time.Time
	// Profile is where the artist's profile record is.
	Profile records.Status
}

// Artists is the feature.
type Artists struct {
	db       Beginner
	q        *db.Queries
	records  *records.Store
	accounts Accounts
}

// Beginner starts transactions.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// New returns the feature.
func New(conn Beginner, q *db.Queries, recs *records.Store, accounts Accounts) *Artists {
	return &Artists{db: conn, q: q, records: recs, accounts: accounts}
}

func profileKey(did string) records.Key {
	return records.Key{DID: did, Kind: records.KindProfile, RKey: RecordKey}
}

// Ensure makes the artist row of an account seen for the first time (an upload from an
// operator token's account has no sign-in to make it).
func (a *Artists) Ensure(ctx context.Context, did string) error {
	if err := a.q.EnsureArtist(ctx, did); err != nil {
		return fmt.Errorf("ensure artist %s: %w", did, err)
	}
	return nil
}

// Sync is the sign-in sync's step for the artist: the row exists, the profile record is
// written as the profile is now (its Bluesky avatar may have changed), and the list
// records of the artist's albums are reconciled (the order on the PDS kept, tracks added
// since appended). A write that would change nothing on the PDS is skipped by the
// record's workflow.
func (a *Artists) Sync(ctx context.Context, did string) error {
	keys := []records.Key{profileKey(did)}
	err := pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		q := a.q.WithTx(tx)
		if err := q.EnsureArtist(ctx, did); err != nil {
			return err
		}
		albums, err := q.ListArtistAlbumRecordKeys(ctx, did)
		if err != nil {
			return err
		}
		for _, rkey := range albums {
			keys = append(keys, records.Key{DID: did, Kind: records.KindList, RKey: rkey})
		}
		for _, k := range keys {
			if err := a.records.Revise(ctx, q, k, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync artist %s: %w", did, err)
	}
	for _, k := range keys {
		if err := a.records.Start(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Get returns an artist by DID.
func (a *Artists) Get(ctx context.Context, did string) (Artist, error) {
	list, err := a.GetMany(ctx, []string{did})
	if err != nil {
		return Artist{}, err
	}
	if len(list) == 0 {
		return Artist{}, ErrNotFound
	}
	return list[0], nil
}

// GetByHandle returns the artist showing handle.
func (a *Artists) GetByHandle(ctx context.Context, handle string) (Artist, error) {
	did, ok, err := a.accounts.DIDByHandle(ctx, handle)
	if err != nil {
		return Artist{}, fmt.Errorf("find %s: %w", handle, err)
	}
	if !ok {
		return Artist{}, ErrNotFound
	}
	return a.Get(ctx, did)
}

// GetMany returns the known artists among dids (at most MaxBatch), in the order asked.
func (a *Artists) GetMany(ctx context.Context, dids []string) ([]Artist, error) {
	if len(dids) > MaxBatch {
		return nil, ErrInvalidInput.Withf("at most %d artists at once", MaxBatch)
	}
	rows, err := a.q.ListArtists(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("list artists: %w", err)
	}
	byDID := make(map[string]db.ListArtistsRow, len(rows))
	found := make([]string, 0, len(rows))
	for _, r := range rows {
		byDID[r.CatalogArtist.Did] = r
		found = append(found, r.CatalogArtist.Did)
	}
	profiles, err := a.accounts.Profiles(ctx, found)
	if err != nil {
		return nil, fmt.Errorf("account profiles: %w", err)
	}
	out := make([]Artist, 0, len(rows))
	seen := map[string]bool{}
	for _, did := range dids {
		r, ok := byDID[did]
		if !ok || seen[did] {
			continue
		}
		seen[did] = true
		art := view(r.CatalogArtist, profiles[did])
		art.Profile = records.StatusOf(r.RecordState, r.RecordFailure, r.RecordFailureReason, r.RecordUri, r.RecordCid)
		out = append(out, art)
	}
	return out, nil
}

// DisplayName is the name an artist is shown by: their own in plyr, else their Bluesky
// display name, else their handle.
func DisplayName(own string, p AccountProfile) string {
	switch {
	case own != "":
		return own
	case p.DisplayName != "":
		return p.DisplayName
	case p.Handle != "":
		return p.Handle
	default:
		return syntax.HandleInvalid.String()
	}
}

func view(r db.CatalogArtist, p AccountProfile) Artist {
	handle := p.Handle
	if handle == "" {
		handle = syntax.HandleInvalid.String()
	}
	return Artist{
		DID: r.Did, Handle: handle, DisplayName: DisplayName(r.DisplayName, p), AvatarURL: p.AvatarURL,
		Bio: r.Bio, BioLinks: facets.Links(r.Bio), SupportURL: p.SupportURL,
		ShowLikedOnProfile: p.ShowLikedOnProfile, CreatedAt: r.CreatedAt,
	}
}

// Update is a change to the caller's profile; nil fields stay as they are. (The support
// link and show-liked-on-profile are preferences, changed through the identity module.)
type Update struct {
	// DisplayName "" returns to the Bluesky display name (or the handle).
	DisplayName *string
	Bio         *string
}

// UpdateProfile changes the caller's profile. A change to the bio rewrites the profile
// record (answered at once, the record pending); the display name is plyr's alone.
func (a *Artists) UpdateProfile(ctx context.Context, did string, u Update) (Artist, error) {
	p := db.UpdateArtistParams{Did: did}
	var err error
	if u.DisplayName != nil {
		name, err := cleanLine("display_name", *u.DisplayName, MaxDisplayNameGraphemes, MaxDisplayNameBytes)
		if err != nil {
			return Artist{}, err
		}
		p.DisplayName = &name
	}
	if u.Bio != nil {
		bio, err := cleanBio(*u.Bio)
		if err != nil {
			return Artist{}, err
		}
		p.Bio = &bio
	}
	bioChanged := false
	err = pgx.BeginFunc(ctx, a.db, func(tx pgx.Tx) error {
		q := a.q.WithTx(tx)
		if err := q.EnsureArtist(ctx, did); err != nil {
			return err
		}
		before, err := q.GetArtist(ctx, did)
		if err != nil {
			return err
		}
		if _, err := q.UpdateArtist(ctx, p); err != nil {
			return err
		}
		if p.Bio != nil && *p.Bio != before.Bio {
			bioChanged = true
			return a.records.Revise(ctx, q, profileKey(did), false)
		}
		return nil
	})
	if err != nil {
		return Artist{}, fmt.Errorf("update profile of %s: %w", did, err)
	}
	if bioChanged {
		if err := a.records.Start(ctx, profileKey(did)); err != nil {
			return Artist{}, err
		}
	}
	return a.Get(ctx, did)
}

// Analytics are an artist's totals over their ready tracks.
type Analytics struct {
	Plays, Items    int64
	DurationSeconds int64
	// TopPlayed and TopLiked are the artist's most played and most liked tracks (nil when
	// none has a play or a like yet).
	TopPlayed, TopLiked *TopTrack
}

// TopTrack is a track with its count.
type TopTrack struct {
	ID    uuid.UUID
	Title string
	Count int64
}

// Analytics returns an artist's totals.
func (a *Artists) Analytics(ctx context.Context, did string) (Analytics, error) {
	if _, err := a.q.GetArtist(ctx, did); errors.Is(err, pgx.ErrNoRows) {
		return Analytics{}, ErrNotFound
	} else if err != nil {
		return Analytics{}, fmt.Errorf("get artist %s: %w", did, err)
	}
	sums, err := a.q.ArtistAnalytics(ctx, did)
	if err != nil {
		return Analytics{}, fmt.Errorf("analytics of %s: %w", did, err)
	}
	out := Analytics{Plays: sums.Plays, Items: sums.Items, DurationSeconds: sums.DurationMs / 1000}
	if top, err := a.q.TopPlayedTrack(ctx, did); err == nil {
		out.TopPlayed = &TopTrack{ID: top.ID, Title: top.Title, Count: top.PlayCount}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Analytics{}, fmt.Errorf("top played of %s: %w", did, err)
	}
	if top, err := a.q.TopLikedTrack(ctx, did); err == nil {
		out.TopLiked = &TopTrack{ID: top.ID, Title: top.Title, Count: top.LikeCount}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Analytics{}, fmt.Errorf("top liked of %s: %w", did, err)
	}
	return out, nil
}

// WantedRecord is what the artist's profile record should be now.
func (a *Artists) WantedRecord(ctx context.Context, did string) (recordsact.Wanted, error) {
	state, err := a.records.Get(ctx, a.q, profileKey(did))
	if err != nil {
		return recordsact.Wanted{}, err
	}
	if state.Absent {
		return recordsact.Wanted{Revision: state.Revision, Absent: true}, nil
	}
	row, err := a.q.GetArtist(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return recordsact.Wanted{}, fmt.Errorf("artist %s: %w", did, recordsact.ErrNotTracked)
	}
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("load artist %s: %w", did, err)
	}
	profiles, err := a.accounts.Profiles(ctx, []string{did})
	if err != nil {
		return recordsact.Wanted{}, fmt.Errorf("account profile: %w", err)
	}
	fields := map[string]any{}
	if row.Bio != "" {
		fields["bio"] = row.Bio
	}
	if avatar := profiles[did].AvatarURL; avatar != "" {
		fields["avatar"] = avatar
	}
	// The revision's own time: a retry writes the same updatedAt.
	changedAt := atproto.Datetime(state.UpdatedAt)
	return recordsact.Wanted{Revision: state.Revision, Build: func(current map[string]any) (map[string]any, error) {
		return buildProfileRecord(current, fields, row.CreatedAt, changedAt), nil
	}}, nil
}

// SettleRecord records how the write of an artist's profile record went.
func (a *Artists) SettleRecord(ctx context.Context, did string, o recordsact.Outcome) (bool, error) {
	return a.records.Settle(ctx, a.q, profileKey(did), o)
}

// buildProfileRecord sets bio and avatar (plyr's fields: removed when the artist has none)
// over current, keeps createdAt as the PDS has it, and moves updatedAt only when plyr's
// fields changed, so a sign-in that changed nothing writes nothing.
func buildProfileRecord(current, fields map[string]any, createdAt time.Time, changedAt string) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	changed := current == nil
	for _, k := range []string{"bio", "avatar"} {
		if current[k] != fields[k] {
			changed = true
		}
		delete(out, k)
	}
	maps.Copy(out, fields)
	if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
		out["createdAt"] = atproto.Datetime(createdAt)
	}
	if changed {
		out["updatedAt"] = changedAt
	}
	return out
}

// cleanLine checks one line of text a person typed (see package text).
func cleanLine(field, value string, maxGraphemes, maxBytes int) (string, error) {
	return text.Clean(ErrInvalidInput, text.Rule{Field: field, MaxBytes: maxBytes, MaxGraphemes: maxGraphemes}, value)
}

// cleanBio checks a bio: like a line, but line breaks are kept.
func cleanBio(value string) (string, error) {
	return text.Clean(ErrInvalidInput, text.Rule{Field: "bio", MaxBytes: MaxBioBytes, MaxGraphemes: MaxBioGraphemes, Multiline: true}, value)
}
