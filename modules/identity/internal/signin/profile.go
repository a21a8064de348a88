package signin

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bluesky-social/indigo/atproto/syntax"

	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// recordProfile stores the account's handle, display name, avatar and PDS. A handle is stored only when
// it is verified both ways: it resolves to the DID, and the DID document claims it. The
// directory's view comes first; a brand-new account's DID lookup may not show a verified
// handle yet, and then the handle its PDS claims (describeRepo) is a candidate that must
// pass the same check: a PDS can claim any handle, and showing it unverified would let
// anyone appear as anyone. Otherwise the account shows handle.invalid until a later
// sign-in or the housekeeping sweep (ReverifyHandles) verifies it.
func (s *Service) recordProfile(ctx context.Context, did syntax.DID, pdsURL string) {
	handle := syntax.HandleInvalid.String()
	if verified, ok := s.verifiedHandle(ctx, did, pdsURL); ok {
		handle = verified.String()
	} else {
		s.logger.WarnContext(ctx, "no verified handle for account", "did", did.String())
	}
	displayName, avatar := s.blueskyProfile(ctx, pdsURL, did)
	err := s.q.UpdateAccountProfile(ctx, db.UpdateAccountProfileParams{
		Did: did.String(), Handle: handle, AvatarUrl: avatar, PdsUrl: pdsURL, DisplayName: displayName,
	})
	if err != nil {
		s.logger.ErrorContext(ctx, "record account profile", "did", did.String(), "error", err.Error())
	}
}

// claimedHandle is the handle the account's PDS claims for it, if that handle resolves to
// the DID and the DID document claims it back (the directory's LookupHandle checks both).
func (s *Service) claimedHandle(ctx context.Context, did syntax.DID, pdsURL string) (syntax.Handle, bool) {
	var repo struct {
		Handle string `json:"handle"`
	}
	if err := s.getJSON(ctx, pdsURL+"/xrpc/com.atproto.repo.describeRepo?repo="+url.QueryEscape(did.String()), &repo); err != nil {
		return "", false
	}
	claimed, err := syntax.ParseHandle(repo.Handle)
	if err != nil {
		return "", false
	}
	ident, err := s.dir.LookupHandle(ctx, claimed.Normalize())
	if err != nil || ident.DID != did {
		return "", false
	}
	return ident.Handle, true
}

// maxDisplayNameBytes bounds a stored display name (app.bsky.actor.profile allows 640
// bytes, 64 graphemes).
const maxDisplayNameBytes = 640

// blueskyProfile is the account's Bluesky display name (one line of text, at most
// maxDisplayNameBytes, "" when unset or unreadable) and profile picture served by its PDS
// ("" when none). It reads app.bsky.actor.profile from the account's own PDS, so it works
// for any PDS and offline against the reference one.
func (s *Service) blueskyProfile(ctx context.Context, pdsURL string, did syntax.DID) (displayName, avatar string) {
	var rec struct {
		Value struct {
			DisplayName string `json:"displayName"`
			Avatar      struct {
				Ref struct {
					Link string `json:"$link"`
				} `json:"ref"`
			} `json:"avatar"`
		} `json:"value"`
	}
	q := url.Values{"repo": {did.String()}, "collection": {"app.bsky.actor.profile"}, "rkey": {"self"}}
	if err := s.getJSON(ctx, pdsURL+"/xrpc/com.atproto.repo.getRecord?"+q.Encode(), &rec); err != nil {
		return "", ""
	}
	displayName = oneLine(rec.Value.DisplayName, maxDisplayNameBytes)
	if cid := rec.Value.Avatar.Ref.Link; cid != "" {
		avatar = pdsURL + "/xrpc/com.atproto.sync.getBlob?" + url.Values{"did": {did.String()}, "cid": {cid}}.Encode()
	}
	return displayName, avatar
}

// oneLine is s as one line of valid UTF-8: control characters become spaces, runs of
// space collapse, and it is cut (at a character boundary) to at most maxBytes.
func oneLine(s string, maxBytes int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	for len(s) > maxBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// ReverifyHandles checks again, at most limit at a time, the accounts that show
// handle.invalid and were not checked in the last recheck: a handle whose DNS or
// well-known record was not in place at sign-in, or whose DID document lagged, is shown
// once it is verified both ways. The batch is taken in one statement; the lookups that
// follow hold no database connection.
func (s *Service) ReverifyHandles(ctx context.Context, now time.Time, recheck time.Duration, limit int) (verified int, err error) {
	checkedBefore := now.Add(-recheck)
	rows, err := s.q.TakeUnverifiedHandles(ctx, db.TakeUnverifiedHandlesParams{Now: &now, CheckedBefore: &checkedBefore, MaxRows: int32(limit)})
	if err != nil {
		return 0, fmt.Errorf("take unverified handles: %w", err)
	}
	for _, row := range rows {
		did, err := syntax.ParseDID(row.Did)
		if err != nil {
			continue
		}
		handle, ok := s.verifiedHandle(ctx, did, row.PdsUrl)
		if !ok {
			continue
		}
		n, err := s.q.SetVerifiedHandle(ctx, db.SetVerifiedHandleParams{Did: row.Did, Handle: handle.String()})
		if err != nil {
			return verified, fmt.Errorf("store verified handle of %s: %w", row.Did, err)
		}
		verified += int(n)
	}
	return verified, nil
}

// verifiedHandle is the account's handle when it is verified both ways: the directory's,
// or else the one its PDS claims, checked the same way.
func (s *Service) verifiedHandle(ctx context.Context, did syntax.DID, pdsURL string) (syntax.Handle, bool) {
	if ident, err := s.dir.LookupDID(ctx, did); err == nil && ident.Handle != syntax.HandleInvalid {
		return ident.Handle, true
	}
	if pdsURL == "" {
		return "", false
	}
	return s.claimedHandle(ctx, did, pdsURL)
}
