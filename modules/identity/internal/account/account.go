// Package account is the identity module's record of the ATProto identities plyr knows:
// DID, handle and avatar. It needs the database only, so operator commands use it as
// sign-in does.
package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
)

// Account is an identity known to plyr.
type Account struct {
	DID       string
	Handle    string
	AvatarURL string
}

// Terms is an account's acceptance of the terms: when, and which version (nil and "" for
// none).
type Terms struct {
	AcceptedAt *time.Time
	Version    string
}

// Pending says whether the account must accept the terms in force, version current.
func (t Terms) Pending(current string) bool { return t.AcceptedAt == nil || t.Version != current }

// Accounts reads and records accounts.
type Accounts struct {
	q *db.Queries
}

// New returns Accounts over q.
func New(q *db.Queries) *Accounts { return &Accounts{q: q} }

// Ensure creates the account, or refreshes its handle (operators and tests; sign-in
// records accounts itself).
func (a *Accounts) Ensure(ctx context.Context, did, handle string) (Account, error) {
	parsedDID, err := syntax.ParseDID(did)
	if err != nil {
		return Account{}, ierr.InvalidInput.Withf("%q is not a DID", did)
	}
	parsedHandle, err := syntax.ParseHandle(handle)
	if err != nil {
		return Account{}, ierr.InvalidInput.Withf("%q is not a handle", handle)
	}
	row, err := a.q.UpsertAccount(ctx, db.UpsertAccountParams{Did: parsedDID.String(), Handle: parsedHandle.Normalize().String()})
	if err != nil {
		return Account{}, fmt.Errorf("upsert account %s: %w", did, err)
	}
	return Account{DID: row.Did, Handle: row.Handle, AvatarURL: row.AvatarUrl}, nil
}

// Get loads an account.
func (a *Accounts) Get(ctx context.Context, did string) (Account, error) {
	row, err := a.q.GetAccount(ctx, did)
	if err != nil {
		return Account{}, fmt.Errorf("load account %s: %w", did, err)
	}
	return Account{DID: row.Did, Handle: row.Handle, AvatarURL: row.AvatarUrl}, nil
}

// Handles returns the handle of each known DID among dids; unknown ones are absent.
func (a *Accounts) Handles(ctx context.Context, dids []string) (map[string]string, error) {
	if len(dids) == 0 {
		return map[string]string{}, nil
	}
	rows, err := a.q.ListHandles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("list handles: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Did] = r.Handle
	}
	return out, nil
}

// Profile is what others see of an account: its handle (handle.invalid until verified),
// its Bluesky display name ("" when unset) and avatar URL ("" when none), and the
// preferences shown on its profile.
type Profile struct {
	Handle             string
	DisplayName        string
	AvatarURL          string
	SupportURL         string
	ShowLikedOnProfile bool
	// AllowComments says whether listeners may comment on the account's tracks.
	AllowComments bool
}

// Profiles returns the profile of each known DID among dids; unknown ones are absent.
func (a *Accounts) Profiles(ctx context.Context, dids []string) (map[string]Profile, error) {
	if len(dids) == 0 {
		return map[string]Profile{}, nil
	}
	rows, err := a.q.ListProfiles(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	out := make(map[string]Profile, len(rows))
	for _, r := range rows {
		out[r.Did] = Profile{
			Handle: r.Handle, DisplayName: r.DisplayName, AvatarURL: r.AvatarUrl,
			SupportURL: r.SupportUrl, ShowLikedOnProfile: r.ShowLikedOnProfile, AllowComments: r.AllowComments,
		}
	}
	return out, nil
}

// Match is an account found by Search, with how well it matched (0 to 1).
type Match struct {
	DID, Handle, DisplayName, AvatarURL string
	Score                               float32
}

// Search finds up to limit accounts whose handle starts with q (score 0.9 to 1, the
// shorter handle first), or whose handle or display name has a stretch like q (its word
// similarity), best first.
func (a *Accounts) Search(ctx context.Context, q string, limit int) ([]Match, error) {
	q = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q), "@")))
	if q == "" || limit <= 0 {
		return nil, nil
	}
	n := int32(limit)
	best := map[string]Match{}
	keep := func(m Match) {
		if prev, ok := best[m.DID]; !ok || m.Score > prev.Score {
			best[m.DID] = m
		}
	}
	prefixed, err := a.q.SearchAccountsByPrefix(ctx, db.SearchAccountsByPrefixParams{Prefix: likeEscaper.Replace(q) + "%", MaxRows: n})
	if err != nil {
		return nil, fmt.Errorf("search accounts by prefix: %w", err)
	}
	for _, r := range prefixed {
		// A prefix match ranks above any likeness; the closer to the whole handle, the higher.
		keep(Match{DID: r.Did, Handle: r.Handle, DisplayName: r.DisplayName, AvatarURL: r.AvatarUrl,
			Score: 0.9 + 0.1*float32(len(q))/float32(max(len(r.Handle), 1))})
	}
	// A letter or two is a prefix and nothing else: likeness needs a few characters.
	if len(q) >= 3 {
		byHandle, err := a.q.SearchAccountsByHandle(ctx, db.SearchAccountsByHandleParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search accounts by handle: %w", err)
		}
		for _, r := range byHandle {
			if r.Score < minLikeness {
				continue
			}
			keep(Match{DID: r.Did, Handle: r.Handle, DisplayName: r.DisplayName, AvatarURL: r.AvatarUrl, Score: min(r.Score, 0.89)})
		}
		byName, err := a.q.SearchAccountsByName(ctx, db.SearchAccountsByNameParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search accounts by name: %w", err)
		}
		for _, r := range byName {
			if r.Score < minLikeness {
				continue
			}
			keep(Match{DID: r.Did, Handle: r.Handle, DisplayName: r.DisplayName, AvatarURL: r.AvatarUrl, Score: min(r.Score, 0.89)})
		}
	}
	out := make([]Match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	slices.SortFunc(out, func(x, y Match) int {
		if x.Score != y.Score {
			if x.Score > y.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Handle, y.Handle)
	})
	return out[:min(len(out), limit)], nil
}

// minLikeness is the word similarity a handle or name needs to be offered: "alise" is
// 0.5 like "alice.test".
const minLikeness = 0.5

// likeEscaper escapes LIKE's wildcards in what a user typed.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// DIDByHandle returns the DID of the account that shows handle; ierr.NotFound if none
// does (or the handle is not one).
func (a *Accounts) DIDByHandle(ctx context.Context, handle string) (string, error) {
	h, err := syntax.ParseHandle(handle)
	if err != nil || h.IsInvalidHandle() {
		return "", ierr.NotFound
	}
	did, err := a.q.GetDIDByHandle(ctx, h.Normalize().String())
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ierr.NotFound
	}
	if err != nil {
		return "", fmt.Errorf("find account by handle: %w", err)
	}
	return did, nil
}
