package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
)

// claimTTL is how long a new developer token waits to be claimed.
const claimTTL = 10 * time.Minute

// grantExpiry is when a grant lapses.
func (m *Module) grantExpiry(ctx context.Context, q *db.Queries, grantID string) (time.Time, error) {
	times, err := q.GetGrantTimes(ctx, grantID)
	if err != nil {
		return time.Time{}, fmt.Errorf("load grant %s: %w", grantID, err)
	}
	return times.ExpiresAt, nil
}

// newBrowserSession starts a browser session acting as did through grantID. It ends with
// the earlier of the session lifetime and the grant's.
func (m *Module) newBrowserSession(ctx context.Context, did, grantID string) (Token, error) {
	var token Token
	err := m.inTx(ctx, func(q *db.Queries) error {
		expires, err := m.grantExpiry(ctx, q, grantID)
		if err != nil {
			return err
		}
		expires = earliest(expires, time.Now().Add(m.cfg.SessionTTL))
		token, err = createSession(ctx, q, did, rpc.BrowserSession, "", expires, &grantID)
		return err
	})
	return token, err
}

// linkAccount holds did in a session through grantID (adding it, or giving it a new grant)
// and makes it the current account. A replaced grant is revoked.
func (m *Module) linkAccount(ctx context.Context, sessionID uuid.UUID, did, grantID string) error {
	var replaced *string
	err := m.inTx(ctx, func(q *db.Queries) error {
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
			return ErrNotFound.Withf("the browser session ended meanwhile; sign in again")
		}
		return nil
	})
	if err == nil && replaced != nil && *replaced != grantID {
		m.dropGrant(ctx, *replaced)
	}
	return err
}

// LinkedAccount is an account held by a session.
type LinkedAccount struct {
	Account
	Current bool
	Expired bool
}

// linkedAccounts lists a session's accounts, first linked first.
func (m *Module) linkedAccounts(ctx context.Context, sessionID uuid.UUID, current string) ([]LinkedAccount, error) {
	rows, err := m.q.ListLinkedAccounts(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list linked accounts: %w", err)
	}
	now := time.Now()
	out := make([]LinkedAccount, 0, len(rows))
	for _, r := range rows {
		out = append(out, LinkedAccount{
			Account: Account{DID: r.Did, Handle: r.Handle, AvatarURL: r.AvatarUrl},
			Current: r.Did == current,
			Expired: r.GrantID != nil && (r.GrantExpiresAt == nil || !now.Before(*r.GrantExpiresAt)),
		})
	}
	return out, nil
}

// switchAccount makes a linked, live account the session's current one.
func (m *Module) switchAccount(ctx context.Context, caller *rpc.Caller, did string) (Account, error) {
	if !caller.Browser() {
		return Account{}, ErrBrowserOnly
	}
	sessionID := caller.SessionID
	link, err := m.q.GetLink(ctx, db.GetLinkParams{SessionID: sessionID, Did: did})
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrNotLinked
	}
	if err != nil {
		return Account{}, fmt.Errorf("load link: %w", err)
	}
	if link.GrantID != nil && (link.GrantExpiresAt == nil || !time.Now().Before(*link.GrantExpiresAt)) {
		m.unlink(ctx, sessionID, did)
		return Account{}, ErrAccountExpired
	}
	if _, err := m.q.SetCurrentAccount(ctx, db.SetCurrentAccountParams{ID: sessionID, Did: did}); err != nil {
		return Account{}, fmt.Errorf("switch to %s: %w", did, err)
	}
	return m.account(ctx, did)
}

// logout signs the current account out of the browser; the session continues as switchTo
// (or the longest-linked live account) when there is one. It returns the account the
// session continues as, or nil when it has ended.
func (m *Module) logout(ctx context.Context, caller *rpc.Caller, switchTo string) (*Account, error) {
	if !caller.Browser() {
		return nil, ErrBrowserOnly
	}
	sessionID := caller.SessionID
	if switchTo == caller.DID {
		return nil, ErrInvalidInput.Withf("switch_to is the account being signed out")
	}
	linked, err := m.linkedAccounts(ctx, sessionID, caller.DID)
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
		return nil, ErrNotLinked
	}
	if next == "" {
		m.endSession(ctx, sessionID, "logged out")
		return nil, nil
	}
	if _, err := m.q.SetCurrentAccount(ctx, db.SetCurrentAccountParams{ID: sessionID, Did: next}); err != nil {
		return nil, fmt.Errorf("switch to %s: %w", next, err)
	}
	m.unlink(ctx, sessionID, caller.DID)
	acct, err := m.account(ctx, next)
	return &acct, err
}

// logoutAll ends the browser session with every account in it. Developer tokens are
// sessions of their own and stay.
func (m *Module) logoutAll(ctx context.Context, caller *rpc.Caller) error {
	if !caller.Browser() {
		return ErrBrowserOnly
	}
	m.endSession(ctx, caller.SessionID, "logged out of every account")
	return nil
}

// unlink removes an account from a session and revokes its grant.
func (m *Module) unlink(ctx context.Context, sessionID uuid.UUID, did string) {
	grant, err := m.q.UnlinkAccount(ctx, db.UnlinkAccountParams{SessionID: sessionID, Did: did})
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			m.logger.ErrorContext(ctx, "unlink account", "did", did, "error", err.Error())
		}
		return
	}
	if grant != nil {
		m.dropGrant(ctx, *grant)
	}
}

func (m *Module) account(ctx context.Context, did string) (Account, error) {
	row, err := m.q.GetAccount(ctx, did)
	if err != nil {
		return Account{}, fmt.Errorf("load account %s: %w", did, err)
	}
	return Account{DID: row.Did, Handle: row.Handle, AvatarURL: row.AvatarUrl}, nil
}

// startAddAccount begins signing another account in on the caller's browser.
func (m *Module) startAddAccount(ctx context.Context, caller *rpc.Caller, identifier, returnTo string) (string, error) {
	return m.beginForSession(ctx, caller, signIn{identifier: identifier, prompt: "login",
		flow: oauthstore.Flow{Kind: flowAddAccount, ReturnTo: returnPath(returnTo)}})
}

// beginForSession begins a sign-in on behalf of the caller's browser session, which alone
// may complete it (see sameBrowser). It returns the URL to send the browser to.
func (m *Module) beginForSession(ctx context.Context, caller *rpc.Caller, s signIn) (string, error) {
	if !caller.Browser() {
		return "", ErrBrowserOnly
	}
	sessionID := caller.SessionID
	s.flow.SessionID = &sessionID
	authURL, _, err := m.begin(ctx, s)
	return authURL, err
}

// startScopeUpgrade re-authorises the current account with or without the teal scopes.
func (m *Module) startScopeUpgrade(ctx context.Context, caller *rpc.Caller, teal bool, returnTo string) (string, error) {
	return m.beginForSession(ctx, caller, signIn{identifier: caller.DID, teal: teal, flow: oauthstore.Flow{
		Kind: flowScopeUpgrade, ExpectedDID: caller.DID, ReturnTo: returnPath(returnTo),
	}})
}

// startDeveloperToken begins a sign-in whose grant will back a new developer token.
func (m *Module) startDeveloperToken(ctx context.Context, caller *rpc.Caller, name string, ttlDays int32, returnTo string) (string, error) {
	if !caller.Browser() {
		return "", ErrBrowserOnly
	}
	switch {
	case ttlDays == 0:
		ttlDays = 90
	case ttlDays < 0 || ttlDays > 365:
		return "", ErrInvalidInput.Withf("ttl_days must be between 1 and 365")
	}
	if len(name) > 64 {
		return "", ErrInvalidInput.Withf("the name is longer than 64 characters")
	}
	return m.beginForSession(ctx, caller, signIn{identifier: caller.DID, flow: oauthstore.Flow{
		Kind: flowDeveloperToken, ExpectedDID: caller.DID,
		TokenName: name, TokenTTL: time.Duration(ttlDays) * 24 * time.Hour, ReturnTo: returnPath(returnTo),
	}})
}

// newDeveloperToken makes the developer token a sign-in was for, holding did through its
// own grant, and a one-time code for the browser session to claim it. The token's life is
// cut to the grant's.
func (m *Module) newDeveloperToken(ctx context.Context, browserSession uuid.UUID, did, grantID, name string, ttl time.Duration) (string, error) {
	code, err := newSecret()
	if err != nil {
		return "", err
	}
	err = m.inTx(ctx, func(q *db.Queries) error {
		expires, err := m.grantExpiry(ctx, q, grantID)
		if err != nil {
			return err
		}
		token, err := createSession(ctx, q, did, rpc.DeveloperToken, name, earliest(expires, time.Now().Add(ttl)), &grantID)
		if err != nil {
			return err
		}
		// Nobody holds the token just made: it is replaced when the code is claimed, and
		// an unclaimed one (no prefix) is never listed.
		placeholder := sha256.Sum256([]byte(token.Value + "unclaimed"))
		id := token.ID
		if _, err := q.SetSessionToken(ctx, db.SetSessionTokenParams{ID: id, TokenHash: placeholder[:], TokenPrefix: ""}); err != nil {
			return err
		}
		hash := sha256.Sum256([]byte(code))
		return q.CreateTokenClaim(ctx, db.CreateTokenClaimParams{
			CodeHash: hash[:], SessionID: browserSession, TokenSessionID: id, ExpiresAt: time.Now().Add(claimTTL),
		})
	})
	return code, err
}

// DeveloperToken describes a developer token.
type DeveloperToken struct {
	Prefix    string
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// claimDeveloperToken spends a claim code and returns the new token, once.
func (m *Module) claimDeveloperToken(ctx context.Context, caller *rpc.Caller, code string) (string, DeveloperToken, error) {
	if !caller.Browser() {
		return "", DeveloperToken{}, ErrBrowserOnly
	}
	hash := sha256.Sum256([]byte(code))
	value, err := newSecret()
	if err != nil {
		return "", DeveloperToken{}, err
	}
	tokenHash := sha256.Sum256([]byte(value))
	prefix := value[:len(tokenPrefix)+8]
	// Spending the code and setting the token are one transaction: if the second fails,
	// the code still works, instead of being spent on a token nobody can ever see.
	err = m.inTx(ctx, func(q *db.Queries) error {
		id, err := q.TakeTokenClaim(ctx, db.TakeTokenClaimParams{CodeHash: hash[:], SessionID: caller.SessionID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound.Withf("this developer token code is unknown, used or expired")
		}
		if err != nil {
			return fmt.Errorf("claim developer token: %w", err)
		}
		n, err := q.SetSessionToken(ctx, db.SetSessionTokenParams{ID: id, TokenHash: tokenHash[:], TokenPrefix: prefix})
		if err != nil {
			return fmt.Errorf("claim developer token: %w", err)
		}
		if n == 0 {
			return ErrNotFound.Withf("this developer token was revoked before it was claimed")
		}
		return nil
	})
	if err != nil {
		return "", DeveloperToken{}, err
	}
	for _, t := range m.tokensOf(ctx, caller.DID) {
		if t.Prefix == prefix {
			return value, t, nil
		}
	}
	return value, DeveloperToken{Prefix: prefix}, nil
}

// tokensOf lists an account's developer tokens, logging (not returning) a failure.
func (m *Module) tokensOf(ctx context.Context, did string) []DeveloperToken {
	tokens, err := m.listDeveloperTokens(ctx, did)
	if err != nil {
		m.logger.ErrorContext(ctx, "list developer tokens", "error", err.Error())
	}
	return tokens
}

// listDeveloperTokens lists an account's live developer tokens, newest first.
func (m *Module) listDeveloperTokens(ctx context.Context, did string) ([]DeveloperToken, error) {
	rows, err := m.q.ListDeveloperTokens(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("list developer tokens: %w", err)
	}
	out := make([]DeveloperToken, 0, len(rows))
	for _, r := range rows {
		out = append(out, DeveloperToken{Prefix: r.TokenPrefix, Name: r.Name, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt})
	}
	return out, nil
}

// revokeDeveloperToken ends the caller's developer token whose prefix starts with prefix.
func (m *Module) revokeDeveloperToken(ctx context.Context, caller *rpc.Caller, prefix string) error {
	if len(prefix) < len(tokenPrefix)+4 {
		return ErrInvalidInput.Withf("give at least the first %d characters of the token", len(tokenPrefix)+4)
	}
	ids, err := m.q.FindDeveloperTokens(ctx, db.FindDeveloperTokensParams{Did: caller.DID, Prefix: prefix})
	if err != nil {
		return fmt.Errorf("find developer token: %w", err)
	}
	switch len(ids) {
	case 0:
		return ErrNotFound.Withf("no developer token starts with %s", prefix)
	case 1:
		m.endSession(ctx, ids[0], "developer token revoked")
		return nil
	default:
		return ErrInvalidInput.Withf("%d developer tokens start with %s; give more of it", len(ids), prefix)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
