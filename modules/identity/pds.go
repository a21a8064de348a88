package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// PDS returns an API client acting on the caller's PDS with the grant the caller's
// session holds for them, refreshed first when its access token has expired.
func (m *Module) PDS(ctx context.Context, caller *rpc.Caller) (*atclient.APIClient, error) {
	if m.oauth == nil {
		return nil, ErrSignInOff
	}
	link, err := m.q.GetLink(ctx, db.GetLinkParams{SessionID: uuid.MustParse(caller.SessionID), Did: caller.DID})
	if err != nil || link.GrantID == nil {
		return nil, ErrNoPDSAccess
	}
	times, err := m.q.GetGrantTimes(ctx, *link.GrantID)
	if err != nil {
		return nil, fmt.Errorf("load grant: %w", err)
	}
	if times.AccessExpiresAt != nil && !time.Now().Before(times.AccessExpiresAt.Add(-refreshMargin)) {
		if err := m.refresh(ctx, caller.DID, *link.GrantID); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPDSUnreachable, err)
		}
	}
	sess, err := m.oauth.ResumeSession(ctx, syntax.DID(caller.DID), *link.GrantID)
	if err != nil {
		return nil, fmt.Errorf("resume grant: %w", err)
	}
	return sess.APIClient(), nil
}

// PutRecord writes a record to the caller's repository. A write the grant does not cover
// returns an error wrapping ErrScopeMissing that names the missing scope.
func (m *Module) PutRecord(ctx context.Context, caller *rpc.Caller, collection, rkey string, record map[string]any) (uri, cid string, err error) {
	client, err := m.PDS(ctx, caller)
	if err != nil {
		return "", "", err
	}
	body := map[string]any{"repo": caller.DID, "collection": collection, "rkey": rkey, "record": record}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	if err := client.Post(ctx, "com.atproto.repo.putRecord", body, &out); err != nil {
		return "", "", pdsError(err)
	}
	return out.URI, out.CID, nil
}

// pdsError turns a PDS refusal into the module's errors.
func pdsError(err error) error {
	var apiErr *atclient.APIError
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode == 403 && apiErr.Name == "ScopeMissingError" {
			return fmt.Errorf("%w (%s)", ErrScopeMissing, apiErr.Message)
		}
		return fmt.Errorf("the PDS refused the request: %s: %s", apiErr.Name, apiErr.Message)
	}
	return fmt.Errorf("%w: %w", ErrPDSUnreachable, err)
}
