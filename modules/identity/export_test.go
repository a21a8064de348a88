package identity

import (
	"context"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// NewBrowserSessionForTest makes a browser session holding dids (the first current)
// without OAuth grants, for tests and benchmarks that do not need a PDS.
func (m *Module) NewBrowserSessionForTest(ctx context.Context, dids ...string) (Token, error) {
	var token Token
	err := m.inTx(ctx, func(q *db.Queries) error {
		var err error
		token, err = createSession(ctx, q, dids[0], kindBrowser, "", time.Now().Add(time.Hour), nil)
		if err != nil {
			return err
		}
		for _, did := range dids[1:] {
			if err := q.LinkAccount(ctx, db.LinkAccountParams{SessionID: uuid.MustParse(token.ID), Did: did}); err != nil {
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
	sess, err := m.oauth.ResumeSession(context.Background(), syntax.DID(did), grantID)
	if err != nil {
		return err
	}
	return sess.RevokeSession(context.Background())
}
