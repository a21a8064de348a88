package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/account"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
)

// NewBrowser starts a browser session acting as did through grantID. It ends with the
// earlier of the session lifetime and the grant's.
func (s *Store) NewBrowser(ctx context.Context, did, grantID string) (Token, error) {
	var token Token
	err := InTx(ctx, s.pool, func(q *db.Queries) error {
		expires, err := GrantExpiry(ctx, q, grantID)
		if err != nil {
			return err
		}
		expires = Earliest(expires, time.Now().Add(s.ttl))
		token, err = Create(ctx, q, did, rpc.BrowserSession, "", expires, &grantID)
		return err
	})
	return token, err
}

// Link holds did in a session through grantID (adding it, or giving it a new grant) and
// makes it the current account. A replaced grant is revoked.
func (s *Store) Link(ctx context.Context, sessionID uuid.UUID, did, grantID string) error {
	var replaced *string
	err := InTx(ctx, s.pool, func(q *db.Queries) error {
		if link, err := q.GetLink(ctx, db.GetLinkParams{SessionID: sessionID, Did: did}); err == nil {
			replaced = link.GrantID
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := q.LinkAccount(ctx, db.LinkAccountParams{SessionID: sessionID, Did: did, GrantID: &grantID}); err != nil {
			return fmt.Errorf("link %s: %w", did, err)
		}
		n, err := q.SetCurrentAccount(ctx, db.SetCurrentAccountParams{ID: sessionID, Did: did})
		if err != nil {
			return err
		}
		if n == 0 {
			return ierr.NotFound.Withf("the browser session ended meanwhile; sign in again")
		}
		return nil
	})
	if err == nil && replaced != nil && *replaced != grantID {
		s.DropGrant(ctx, *replaced)
	}
	return err
}

// LinkedAccount is an account held by a session.
type LinkedAccount struct {
	account.Account
	Current bool
	Expired bool
}

// Linked lists a session's accounts, first linked first; current is the one it acts as.
func (s *Store) Linked(ctx context.Context, sessionID uuid.UUID, current string) ([]LinkedAccount, error) {
	rows, err := s.q.ListLinkedAccounts(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list linked accounts: %w", err)
	}
	now := time.Now()
	out := make([]LinkedAccount, 0, len(rows))
	for _, r := range rows {
		out = append(out, LinkedAccount{
			Account: account.Account{DID: r.Did, Handle: r.Handle, AvatarURL: r.AvatarUrl},
			Current: r.Did == current,
			Expired: r.GrantID != nil && (r.GrantExpiresAt == nil || !now.Before(*r.GrantExpiresAt)),
		})
	}
	return out, nil
}

// Switch makes a linked, live account the caller's browser session's current one.
func (s *Store) Switch(ctx context.Context, caller *rpc.Caller, did string) (account.Account, error) {
	if !caller.Browser() {
		return account.Account{}, ierr.BrowserOnly
	}
	link, err := s.q.GetLink(ctx, db.GetLinkParams{SessionID: caller.SessionID, Did: did})
	if errors.Is(err, pgx.ErrNoRows) {
		return account.Account{}, ierr.NotLinked
	}
	if err != nil {
		return account.Account{}, fmt.Errorf("load link: %w", err)
	}
	if link.GrantID != nil && (link.GrantExpiresAt == nil || !time.Now().Before(*link.GrantExpiresAt)) {
		s.unlink(ctx, caller.SessionID, did)
		return account.Account{}, ierr.AccountExpired
	}
	if _, err := s.q.SetCurrentAccount(ctx, db.SetCurrentAccountParams{ID: caller.SessionID, Did: did}); err != nil {
		return account.Account{}, fmt.Errorf("switch to %s: %w", did, err)
	}
	return s.accounts.Get(ctx, did)
}

// Logout signs the current account out of the browser; the session continues as switchTo
// (or the longest-linked live account) when there is one. It returns the account the
// session continues as, or nil when it has ended.
func (s *Store) Logout(ctx context.Context, caller *rpc.Caller, switchTo string) (*account.Account, error) {
	if !caller.Browser() {
		return nil, ierr.BrowserOnly
	}
	if switchTo == caller.DID {
		return nil, ierr.InvalidInput.Withf("switch_to is the account being signed out")
	}
	linked, err := s.Linked(ctx, caller.SessionID, caller.DID)
	if err != nil {
		return nil, err
	}
	next := ""
	for _, a := range linked {
		if a.Current || a.Expired {
			continue
		}
		if switchTo == "" || a.DID == switchTo {
			next = a.DID
			break
		}
	}
	if switchTo != "" && next == "" {
		return nil, ierr.NotLinked
	}
	if next == "" {
		s.End(ctx, caller.SessionID, "logged out")
		return nil, nil
	}
	if _, err := s.q.SetCurrentAccount(ctx, db.SetCurrentAccountParams{ID: caller.SessionID, Did: next}); err != nil {
		return nil, fmt.Errorf("switch to %s: %w", next, err)
	}
	s.unlink(ctx, caller.SessionID, caller.DID)
	acct, err := s.accounts.Get(ctx, next)
	return &acct, err
}

// LogoutAll ends the browser session with every account in it. Developer tokens are
// sessions of their own and stay.
func (s *Store) LogoutAll(ctx context.Context, caller *rpc.Caller) error {
	if !caller.Browser() {
		return ierr.BrowserOnly
	}
	s.End(ctx, caller.SessionID, "logged out of every account")
	return nil
}

// unlink removes an account from a session and revokes its grant.
func (s *Store) unlink(ctx context.Context, sessionID uuid.UUID, did string) {
	grant, err := s.q.UnlinkAccount(ctx, db.UnlinkAccountParams{SessionID: sessionID, Did: did})
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			s.logger.ErrorContext(ctx, "unlink account", "did", did, "error", err.Error())
		}
		return
	}
	if grant != nil {
		s.DropGrant(ctx, *grant)
	}
}

// MeView is what GetMe shows: the account a session acts as, its feature flags and terms,
// and every account the session holds.
type MeView struct {
	Account account.Account
	Flags   []string
	Terms   account.Terms
	Linked  []LinkedAccount
}

// Me reads a session's MeView in one database round trip (GetMe runs on every page load).
func (s *Store) Me(ctx context.Context, sessionID uuid.UUID) (MeView, error) {
	rows, err := s.q.GetMeView(ctx, sessionID)
	if err != nil {
		return MeView{}, fmt.Errorf("load session %s: %w", sessionID, err)
	}
	now := time.Now()
	var view MeView
	found := false
	for _, r := range rows {
		acct := account.Account{DID: r.Did, Handle: r.Handle, AvatarURL: r.AvatarUrl}
		view.Linked = append(view.Linked, LinkedAccount{
			Account: acct, Current: r.Current,
			Expired: r.GrantID != nil && (r.GrantExpiresAt == nil || !now.Before(*r.GrantExpiresAt)),
		})
		if r.Current {
			found = true
			view.Account, view.Flags = acct, r.Flags
			view.Terms = account.Terms{AcceptedAt: r.TermsAcceptedAt, Version: r.TermsVersion}
		}
	}
	if !found {
		return MeView{}, ierr.NotFound.Withf("the session ended meanwhile; sign in again")
	}
	return view, nil
}
