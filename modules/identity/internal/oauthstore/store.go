// Package oauthstore keeps indigo's OAuth state in PostgreSQL: grants (the tokens and DPoP
// key of a signed-in account) and authorization requests in flight (PKCE verifier, DPoP
// key). Everything secret is sealed (internal/platform/sealed) with the row's key as
// associated data; the columns left in clear are what plyr queries by (DID, expiries,
// scope).
package oauthstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// RequestTTL is how long an authorization request may take.
const RequestTTL = 10 * time.Minute

// ErrNotFound is returned for a grant or request that does not exist (or has expired).
var ErrNotFound = errors.New("not found")

// Store implements oauth.ClientAuthStore.
type Store struct {
	pool         *pgxpool.Pool
	q            *db.Queries
	keys         *sealed.Keyring
	confidential bool // grants are made for a confidential client (longer lifetimes)
	now          func() time.Time
}

var _ oauth.ClientAuthStore = (*Store)(nil)

// New returns a store. confidential says what kind of client the grants belong to.
func New(pool *pgxpool.Pool, keys *sealed.Keyring, confidential bool) *Store {
	return &Store{pool: pool, q: db.New(pool), keys: keys, confidential: confidential, now: time.Now}
}

// Confidential reports the client kind the store's grants belong to.
func (s *Store) Confidential() bool { return s.confidential }

// GetSession returns a grant's session data.
func (s *Store) GetSession(ctx context.Context, did syntax.DID, sessionID string) (*oauth.ClientSessionData, error) {
	row, err := s.q.GetGrant(ctx, db.GetGrantParams{ID: sessionID, Did: did.String()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("grant %s: %w", sessionID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load grant %s: %w", sessionID, err)
	}
	var data oauth.ClientSessionData
	if err := s.open(row.SealedData, sessionID, &data); err != nil {
		return nil, fmt.Errorf("grant %s: %w", sessionID, err)
	}
	return &data, nil
}

// SaveSession stores a new grant. For a grant that exists it saves only the PDS's DPoP
// nonce of sess: indigo calls it whenever a nonce changes, with whatever tokens its copy of the
// session holds, and that copy may be older than the stored one (another request or
// process refreshed meanwhile). Tokens change only through SaveRefreshed.
func (s *Store) SaveSession(ctx context.Context, sess oauth.ClientSessionData) error {
	id, did := sess.SessionID, sess.AccountDID.String()
	if err := s.q.EnsureAccount(ctx, did); err != nil {
		return fmt.Errorf("account for grant %s: %w", id, err)
	}
	now := s.now()
	sealedData, err := s.seal(sess, id)
	if err != nil {
		return err
	}
	inserted, err := s.q.InsertGrant(ctx, db.InsertGrantParams{
		ID: id, Did: did, SealedData: sealedData, Scope: strings.Join(sess.Scopes, " "), Confidential: s.confidential,
		AccessExpiresAt: accessExpiry(sess.AccessToken), RefreshedAt: now,
		ExpiresAt: GrantExpiry(s.confidential, now, now),
	})
	if err != nil {
		return fmt.Errorf("save grant %s: %w", id, err)
	}
	if inserted == 1 {
		return nil
	}
	return s.SaveHostNonce(ctx, sess)
}

// SaveHostNonce stores the PDS's DPoP nonce of sess on its grant and nothing else, in one
// short transaction that holds the row (no network I/O inside). The authorization
// server's nonce is left alone: it changes only with a refresh (SaveRefreshed), and a
// stale copy would put an older one back.
func (s *Store) SaveHostNonce(ctx context.Context, sess oauth.ClientSessionData) error {
	id := sess.SessionID
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		row, err := q.GetGrantForUpdate(ctx, db.GetGrantForUpdateParams{ID: id, Did: sess.AccountDID.String()})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("grant %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load grant %s: %w", id, err)
		}
		var stored oauth.ClientSessionData
		if err := s.open(row.SealedData, id, &stored); err != nil {
			return fmt.Errorf("grant %s: %w", id, err)
		}
		if stored.DPoPHostNonce == sess.DPoPHostNonce {
			return nil
		}
		stored.DPoPHostNonce = sess.DPoPHostNonce
		sealedData, err := s.seal(stored, id)
		if err != nil {
			return err
		}
		return q.UpdateGrantSealedData(ctx, db.UpdateGrantSealedDataParams{ID: id, SealedData: sealedData})
	})
}

// ErrLeaseLost is returned by SaveRefreshed when the refresh lease is no longer the
// caller's (it lapsed and another process took it, or the grant was deleted).
var ErrLeaseLost = errors.New("refresh lease lost")

// SaveRefreshed stores the tokens of a refresh made under owner's lease, moves the
// grant's expiry (a refresh extends it) and frees the lease.
func (s *Store) SaveRefreshed(ctx context.Context, sess oauth.ClientSessionData, owner uuid.UUID) error {
	id := sess.SessionID
	times, err := s.q.GetGrantTimes(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("grant %s: %w", id, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("load grant %s: %w", id, err)
	}
	sealedData, err := s.seal(sess, id)
	if err != nil {
		return err
	}
	now := s.now()
	n, err := s.q.SaveRefreshedGrant(ctx, db.SaveRefreshedGrantParams{
		ID: id, Owner: &owner, SealedData: sealedData, Scope: strings.Join(sess.Scopes, " "),
		AccessExpiresAt: accessExpiry(sess.AccessToken), RefreshedAt: now,
		ExpiresAt: GrantExpiry(s.confidential, times.CreatedAt, now),
	})
	if err != nil {
		return fmt.Errorf("save refreshed grant %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("grant %s: %w", id, ErrLeaseLost)
	}
	return nil
}

func accessExpiry(token string) *time.Time {
	if exp, ok := AccessExpiry(token); ok {
		return &exp
	}
	return nil
}

// DeleteSession removes a grant.
func (s *Store) DeleteSession(ctx context.Context, _ syntax.DID, sessionID string) error {
	if err := s.q.DeleteGrant(ctx, sessionID); err != nil {
		return fmt.Errorf("delete grant %s: %w", sessionID, err)
	}
	return nil
}

// GetAuthRequestInfo returns an authorization request still in flight.
func (s *Store) GetAuthRequestInfo(ctx context.Context, state string) (*oauth.AuthRequestData, error) {
	row, err := s.q.GetAuthRequest(ctx, state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("authorization request: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load authorization request: %w", err)
	}
	var data oauth.AuthRequestData
	if err := s.open(row.SealedData, state, &data); err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	return &data, nil
}

// SaveAuthRequestInfo stores a request indigo made itself (plyr makes its own with Begin).
func (s *Store) SaveAuthRequestInfo(ctx context.Context, info oauth.AuthRequestData) error {
	sealedData, err := s.seal(info, info.State)
	if err != nil {
		return err
	}
	return s.q.SaveAuthRequestData(ctx, db.SaveAuthRequestDataParams{
		State: info.State, SealedData: sealedData, ExpiresAt: s.now().Add(RequestTTL),
	})
}

// DeleteAuthRequestInfo removes a finished request.
func (s *Store) DeleteAuthRequestInfo(ctx context.Context, state string) error {
	return s.q.DeleteAuthRequest(ctx, state)
}

// Flow is what plyr does when an authorization request returns.
type Flow struct {
	Kind        string // login, signup, add_account, developer_token, scope_upgrade
	SessionID   *uuid.UUID
	ExpectedDID string
	TokenName   string
	TokenTTL    time.Duration
	ReturnTo    string
}

// Begin stores a request plyr started, with its flow.
func (s *Store) Begin(ctx context.Context, info oauth.AuthRequestData, f Flow) error {
	sealedData, err := s.seal(info, info.State)
	if err != nil {
		return err
	}
	params := db.CreateAuthRequestParams{
		State: info.State, SealedData: sealedData, Flow: f.Kind, ExpectedDid: f.ExpectedDID,
		TokenName: f.TokenName, TokenTtlSeconds: int64(f.TokenTTL / time.Second), ReturnTo: f.ReturnTo,
		ExpiresAt: s.now().Add(RequestTTL),
	}
	params.SessionID = f.SessionID
	if err := s.q.CreateAuthRequest(ctx, params); err != nil {
		return fmt.Errorf("store authorization request: %w", err)
	}
	return nil
}

func (s *Store) seal(v any, aad string) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.keys.Seal(plain, []byte(aad))
}

func (s *Store) open(box []byte, aad string, v any) error {
	plain, err := s.keys.Open(box, []byte(aad))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}
