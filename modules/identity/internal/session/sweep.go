package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// Housekeeping limits.
const (
	// unclaimedGrace is how long after its claim code lapses an unclaimed developer token
	// is kept: a margin for the clocks of plyr and PostgreSQL, which stamp the two.
	unclaimedGrace = time.Minute
	// abandonedGrantAge is how old a grant that no session holds must be to be swept. A
	// sign-in links its new grant within seconds of making it.
	abandonedGrantAge = time.Hour
	// revokeTimeout bounds one revocation at an authorization server.
	revokeTimeout = 10 * time.Second
	// revokeConcurrency bounds the revocations a sweep has in flight at once.
	revokeConcurrency = 8
)

// SweepCounts is what one SweepExpired removed.
type SweepCounts struct {
	// Sessions are sessions that could no longer authenticate: their own expiry, or their
	// current account's grant's, had passed.
	Sessions int
	// UnclaimedTokens are developer tokens whose claim code lapsed unclaimed.
	UnclaimedTokens int
	// TokenClaims are developer token claim codes past their expiry.
	TokenClaims int
	// AuthRequests are sign-ins that were started and never came back.
	AuthRequests int
	// Grants are the grants deleted (those the sessions and tokens above held, and any
	// that no session held); each was revoked at its authorization server where plyr could.
	Grants int
	// RevokeFailures are the grants among Grants whose authorization server did not
	// confirm the revocation. They are forgotten anyway: plyr cannot use them again.
	RevokeFailures int
}

// SweepExpired removes what has outlived its use, at most limit rows of each kind: expired
// sessions, developer tokens never claimed, expired claim codes and stale sign-in
// requests. The grants the removed sessions held are deleted and revoked at their
// authorization servers, and so are grants no session holds. now is the sweep's time
// (the housekeeping workflow's clock), and claimTTL how long a developer token's claim
// code lasts (devtoken.ClaimTTL: the claims are devtoken's, the sessions they make are
// swept here). It is safe to run concurrently and again after a
// failure: each batch is picked and deleted in one statement, a kind that fails does not
// stop the others (the errors are joined), and a grant whose session was deleted but
// that was not revoked is found next time as one no session holds.
//
// No database connection is held while an authorization server is contacted: rows are
// deleted first, in short statements, and revocations follow.
func (s *Store) SweepExpired(ctx context.Context, now time.Time, limit int, claimTTL time.Duration) (SweepCounts, error) {
	var counts SweepCounts
	var errs []error
	limit32 := int32(min(limit, 1<<31-1))
	var grants []string // to delete and revoke, whatever else fails

	// Listed before the sessions are swept, so the grants this run unlinks are not
	// counted twice; it holds grants of earlier runs that stopped halfway.
	abandoned, err := s.q.ListAbandonedGrants(ctx, db.ListAbandonedGrantsParams{
		MadeBefore: now.Add(-abandonedGrantAge), MaxRows: limit32,
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("list abandoned grants: %w", err))
	}
	for _, g := range abandoned {
		grants = append(grants, g.ID)
	}

	expired, err := s.q.SweepExpiredSessions(ctx, db.SweepExpiredSessionsParams{Now: now, MaxRows: limit32})
	if err != nil {
		errs = append(errs, fmt.Errorf("delete expired sessions: %w", err))
	}
	sessions := map[uuid.UUID]bool{}
	for _, r := range expired {
		sessions[r.SessionID] = true
		if r.GrantID != nil {
			grants = append(grants, *r.GrantID)
		}
	}
	counts.Sessions = len(sessions)

	unclaimed, err := s.q.SweepUnclaimedDeveloperTokens(ctx, db.SweepUnclaimedDeveloperTokensParams{
		MadeBefore: now.Add(-(claimTTL + unclaimedGrace)), MaxRows: limit32,
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("delete unclaimed developer tokens: %w", err))
	}
	tokens := map[uuid.UUID]bool{}
	for _, r := range unclaimed {
		tokens[r.SessionID] = true
		if r.GrantID != nil {
			grants = append(grants, *r.GrantID)
		}
	}
	counts.UnclaimedTokens = len(tokens)

	claims, err := s.q.SweepExpiredTokenClaims(ctx, db.SweepExpiredTokenClaimsParams{Now: now, MaxRows: limit32})
	if err != nil {
		errs = append(errs, fmt.Errorf("delete expired token claims: %w", err))
	}
	counts.TokenClaims = int(claims)

	requests, err := s.q.SweepStaleAuthRequests(ctx, db.SweepStaleAuthRequestsParams{Now: now, MaxRows: limit32})
	if err != nil {
		errs = append(errs, fmt.Errorf("delete stale sign-in requests: %w", err))
	}
	counts.AuthRequests = int(requests)

	counts.Grants, counts.RevokeFailures, err = s.forgetGrants(ctx, grants)
	errs = append(errs, err)
	return counts, errors.Join(errs...)
}

// forgetGrants deletes each grant (once, whatever the repeats in ids), then revokes the
// deleted ones at their authorization servers, a few at a time. It returns how many it
// deleted and how many revocations failed. If a deletion fails it stops deleting, but
// still revokes those already deleted: nothing else would.
func (s *Store) forgetGrants(ctx context.Context, ids []string) (deleted, failed int, err error) {
	seen := map[string]bool{}
	var revokes []func(context.Context) error
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		revoke, gone, ferr := s.forgetGrant(ctx, id)
		if ferr != nil {
			err = ferr
			break
		}
		if gone {
			deleted++
		}
		if revoke != nil {
			revokes = append(revokes, revoke)
		}
	}

	// The grants are already gone from plyr: revocation runs to its end even if the
	// caller gives up, or a grant nobody holds any more would stay valid at its server.
	rctx := context.WithoutCancel(ctx)
	failures := make(chan struct{}, len(revokes))
	var g errgroup.Group
	g.SetLimit(revokeConcurrency)
	for _, revoke := range revokes {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(rctx, revokeTimeout)
			defer cancel()
			if err := revoke(ctx); err != nil {
				failures <- struct{}{}
			}
			return nil
		})
	}
	_ = g.Wait()
	return deleted, len(failures), err
}

// forgetGrant deletes a grant and returns how to revoke it at its authorization server:
// nil when plyr cannot (the grant's data cannot be read). gone says
// whether there was a grant to delete. The grant is read before it is deleted, and
// nothing is held open for the revocation, which is outbound network I/O. This is
// DropGrant's work, with the revocation handed to the caller instead of run in the
// background, so that a sweep bounds and counts its revocations.
func (s *Store) forgetGrant(ctx context.Context, grantID string) (revoke func(context.Context) error, gone bool, err error) {
	did, err := s.q.GetGrantDID(ctx, grantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil // deleted meanwhile
	}
	if err != nil {
		return nil, false, fmt.Errorf("load grant %s: %w", grantID, err)
	}
	sess, err := s.grants.ResumeSession(ctx, syntax.DID(did), grantID)
	if err != nil {
		s.logger.WarnContext(ctx, "grant unreadable; deleting it without revoking", "grant_id", grantID, "error", err.Error())
	} else {
		revoke = func(ctx context.Context) error {
			err := sess.RevokeSession(ctx)
			if err != nil {
				s.logger.WarnContext(ctx, "revoke grant", "grant_id", grantID, "did", did, "error", err.Error())
			}
			return err
		}
	}
	if err := s.q.DeleteGrant(ctx, grantID); err != nil {
		return nil, false, fmt.Errorf("delete grant %s: %w", grantID, err)
	}
	return revoke, true, nil
}
