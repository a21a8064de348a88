package identity

import (
	"context"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// NewBrowserSessionForTest makes a browser session holding dids (the first current)
// without OAuth grants, for tests and benchmarks that do not need a PDS.
func (m *Module) NewBrowserSessionForTest(ctx context.Context, dids ...string) (Token, error) {
	var token Token
	err := session.InTx(ctx, m.pool, func(q *db.Queries) error {
		var err error
		token, err = session.Create(ctx, q, dids[0], rpc.BrowserSession, "", time.Now().Add(time.Hour), nil)
		if err != nil {
			return err
		}
		for _, did := range dids[1:] {
			if err := q.LinkAccount(ctx, db.LinkAccountParams{SessionID: token.ID, Did: did}); err != nil {
				return err
			}
		}
		return nil
	})
	return token, err
}

// ConnectErrorForTest maps err as the handlers do.
func ConnectErrorForTest(m *Module, err error) error {
	return rpc.ConnectError(context.Background(), m.logger, err)
}

// RevokeForTest revokes a grant at its authorization server, leaving plyr's copy: what a
// user removing plyr from their PDS's settings does.
func RevokeForTest(m *Module, did, grantID string) error {
	sess, err := m.app.ResumeSession(context.Background(), syntax.DID(did), grantID)
	if err != nil {
		return err
	}
	return sess.RevokeSession(context.Background())
}

// NewGrantSessionForTest stores data as a new grant and makes a browser session holding
// its account through it: a signed-in user, without a PDS to sign in on.
func (m *Module) NewGrantSessionForTest(ctx context.Context, data oauth.ClientSessionData) (Token, error) {
	if err := m.store.SaveSession(ctx, data); err != nil {
		return Token{}, err
	}
	grantID := data.SessionID
	var token Token
	err := session.InTx(ctx, m.pool, func(q *db.Queries) error {
		var err error
		token, err = session.Create(ctx, q, data.AccountDID.String(), rpc.BrowserSession, "", time.Now().Add(time.Hour), &grantID)
		return err
	})
	return token, err
}

// SaveGrantDataForTest saves data as indigo does whenever a DPoP nonce changes.
func (m *Module) SaveGrantDataForTest(ctx context.Context, data oauth.ClientSessionData) error {
	return m.store.SaveSession(ctx, data)
}

// GrantDataForTest reads a grant's stored data.
func (m *Module) GrantDataForTest(ctx context.Context, did, grantID string) (*oauth.ClientSessionData, error) {
	return m.store.GetSession(ctx, syntax.DID(did), grantID)
}

// ClaimDeveloperTokenForTest claims a developer token with a claim code.
func (m *Module) ClaimDeveloperTokenForTest(ctx context.Context, caller *rpc.Caller, code string) (string, error) {
	value, _, err := m.tokens.Claim(ctx, caller, code)
	return value, err
}

// SetHandleInvalidForTest makes accounts show handle.invalid, as a sign-in whose handle
// could not be verified leaves them.
func (m *Module) SetHandleInvalidForTest(ctx context.Context, dids ...string) error {
	_, err := m.pool.Exec(ctx, "UPDATE identity.accounts SET handle = 'handle.invalid' WHERE did = ANY($1)", dids)
	return err
}
