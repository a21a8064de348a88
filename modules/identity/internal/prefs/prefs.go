// Package prefs is the identity module's per-account settings: preferences, acceptance of
// the terms and feature flags. It needs the database only, so operator commands (feature
// flags) use it as the IdentityService does.
package prefs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/account"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/scope"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// Service reads and changes an account's settings.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	// teal are the teal.fm namespaces scrobbles may go to, the preferred first.
	teal []string
}

// New returns a Service over pool.
func New(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, q: db.New(pool), teal: scope.DefaultTealNamespaces}
}

// SetTealNamespaces sets the teal.fm namespaces scrobbles may go to, the preferred first.
func (s *Service) SetTealNamespaces(namespaces []string) {
	if len(namespaces) > 0 {
		s.teal = namespaces
	}
}

// TealTarget says whether did scrobbles, and to which teal namespace: the first one the
// grant plyr uses for the account's background work allows ("" when none does, or plyr
// holds no live grant).
func (s *Service) TealTarget(ctx context.Context, did string) (enabled bool, namespace string, err error) {
	enabled, err = s.q.TealScrobbling(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !enabled) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("load preferences: %w", err)
	}
	grantID, err := s.q.LatestLiveGrant(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return true, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("find a grant: %w", err)
	}
	grant, err := s.q.GetGrant(ctx, db.GetGrantParams{ID: grantID, Did: did})
	if errors.Is(err, pgx.ErrNoRows) {
		return true, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("load grant: %w", err)
	}
	return true, scope.Parse(grant.Scope).TealNamespace(s.teal), nil
}

// Profile is an account as GetMe describes it: who it is, its flags, and whether it has
// yet to accept the terms.
type Profile struct {
	account.Account
	Flags []string
	Terms account.Terms
}

// Me describes the account did.
func (s *Service) Me(ctx context.Context, did string) (Profile, error) {
	row, err := s.q.GetMe(ctx, did)
	if err != nil {
		return Profile{}, fmt.Errorf("load %s: %w", did, err)
	}
	return Profile{
		Account: account.Account{DID: row.Did, Handle: row.Handle, AvatarURL: row.AvatarUrl},
		Flags:   row.Flags, Terms: account.Terms{AcceptedAt: row.TermsAcceptedAt, Version: row.TermsVersion},
	}, nil
}

// AcceptTerms records the account's acceptance of version of the terms.
func (s *Service) AcceptTerms(ctx context.Context, did, version string) (time.Time, error) {
	at, err := s.q.AcceptTerms(ctx, db.AcceptTermsParams{Did: did, Version: version})
	if err != nil || at == nil {
		return time.Time{}, fmt.Errorf("accept terms: %w", err)
	}
	return *at, nil
}

// Preferences are an account's settings, plus whether its grant lacks teal's scopes.
type Preferences struct {
	db.Preferences
	TealNeedsReauth bool
}

// Get reads the caller's preferences (defaults on first read).
func (s *Service) Get(ctx context.Context, caller *rpc.Caller) (Preferences, error) {
	row, err := s.q.GetPreferences(ctx, caller.DID)
	if err != nil {
		return Preferences{}, fmt.Errorf("load preferences: %w", err)
	}
	return s.withTealCheck(ctx, caller, row), nil
}

// withTealCheck flags scrobbling that the caller's grant cannot do.
func (s *Service) withTealCheck(ctx context.Context, caller *rpc.Caller, row db.Preferences) Preferences {
	p := Preferences{Preferences: row}
	if !row.EnableTealScrobbling {
		return p
	}
	p.TealNeedsReauth = true
	link, err := s.q.GetLink(ctx, db.GetLinkParams{SessionID: caller.SessionID, Did: caller.DID})
	if err != nil || link.GrantID == nil {
		return p
	}
	grant, err := s.q.GetGrant(ctx, db.GetGrantParams{ID: *link.GrantID, Did: caller.DID})
	if err == nil {
		p.TealNeedsReauth = scope.Parse(grant.Scope).TealNamespace(s.teal) == ""
	}
	return p
}

// PreferencesUpdate holds the fields to change; nil leaves one as it is.
type PreferencesUpdate struct {
	AccentColor          *string
	AutoAdvance          *bool
	AllowComments        *bool
	HiddenTags           *[]string
	EnableTealScrobbling *bool
	ShowSensitiveArtwork *bool
	ShowLikedOnProfile   *bool
	SupportURL           *string
	PDSAudioUploads      *bool
	// UISettings are merged key by key into the stored ones.
	UISettings map[string]any
}

var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Limits of preferences.
const (
	maxHiddenTags    = 20
	maxTagLength     = 50
	maxUISettings    = 16 << 10
	maxSupportURLLen = 512
)

// Update validates and applies a partial update.
func (s *Service) Update(ctx context.Context, caller *rpc.Caller, u PreferencesUpdate) (Preferences, error) {
	params := db.ApplyPreferencesParams{
		Did: caller.DID, AutoAdvance: u.AutoAdvance, AllowComments: u.AllowComments,
		EnableTealScrobbling: u.EnableTealScrobbling, ShowSensitiveArtwork: u.ShowSensitiveArtwork,
		ShowLikedOnProfile: u.ShowLikedOnProfile, PdsAudioUploads: u.PDSAudioUploads,
	}
	if u.AccentColor != nil {
		if !accentColor.MatchString(*u.AccentColor) {
			return Preferences{}, ierr.InvalidInput.Withf("accent_color must look like #6a9fff")
		}
		lower := strings.ToLower(*u.AccentColor)
		params.AccentColor = &lower
	}
	if u.HiddenTags != nil {
		tags, err := normaliseTags(*u.HiddenTags)
		if err != nil {
			return Preferences{}, err
		}
		params.HiddenTags = tags
	}
	if u.SupportURL != nil {
		if err := checkSupportURL(*u.SupportURL); err != nil {
			return Preferences{}, err
		}
		params.SupportUrl = u.SupportURL
	}
	if u.UISettings != nil {
		raw, err := json.Marshal(u.UISettings)
		if err != nil || len(raw) > maxUISettings {
			return Preferences{}, ierr.InvalidInput.Withf("ui_settings must be JSON of at most %d KiB", maxUISettings>>10)
		}
		params.UiSettings = raw
	}
	var row db.Preferences
	err := session.InTx(ctx, s.pool, func(q *db.Queries) error {
		if err := q.EnsurePreferences(ctx, caller.DID); err != nil {
			return err
		}
		var err error
		row, err = q.ApplyPreferences(ctx, params)
		return err
	})
	if err != nil {
		return Preferences{}, fmt.Errorf("update preferences: %w", err)
	}
	return s.withTealCheck(ctx, caller, row), nil
}

// normaliseTags lower-cases, trims and de-duplicates hidden tags, within the limits.
func normaliseTags(in []string) ([]string, error) {
	if len(in) > maxHiddenTags {
		return nil, ierr.InvalidInput.Withf("at most %d hidden tags", maxHiddenTags)
	}
	seen := map[string]bool{}
	out := []string{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagLength {
			return nil, ierr.InvalidInput.Withf("a tag is longer than %d characters", maxTagLength)
		}
		seen[t] = true
		out = append(out, t)
	}
	return out, nil
}

// checkSupportURL accepts "", "atprotofans" or an https URL.
func checkSupportURL(s string) error {
	if s == "" || s == "atprotofans" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(s) > maxSupportURLLen {
		return ierr.InvalidInput.Withf("support_url must be empty, \"atprotofans\" or an https URL")
	}
	return nil
}

var flagName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// SetFeatureFlag turns flag on or off for did and returns did's flags.
func (s *Service) SetFeatureFlag(ctx context.Context, did, flag string, enabled bool) ([]string, error) {
	if !flagName.MatchString(flag) {
		return nil, ierr.InvalidInput.Withf("a flag name is lower-case letters, digits and dashes")
	}
	if _, err := s.q.GetAccount(ctx, did); errors.Is(err, pgx.ErrNoRows) {
		return nil, ierr.NotFound.Withf("no account %s", did)
	} else if err != nil {
		return nil, err
	}
	var err error
	if enabled {
		err = s.q.SetFlag(ctx, db.SetFlagParams{Did: did, Flag: flag})
	} else {
		_, err = s.q.UnsetFlag(ctx, db.UnsetFlagParams{Did: did, Flag: flag})
	}
	if err != nil {
		return nil, fmt.Errorf("set flag %s for %s: %w", flag, did, err)
	}
	return s.FeatureFlags(ctx, did)
}

// FeatureFlags lists did's enabled flags.
func (s *Service) FeatureFlags(ctx context.Context, did string) ([]string, error) {
	flags, err := s.q.ListFlags(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("list flags of %s: %w", did, err)
	}
	return flags, nil
}
