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

	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
)

// RequestTTL is how long an authorization request may take.
const RequestTTL = 10 * time.Minute

// ErrNotFound is returned for a grant or request that does not exist (or has expired).
var ErrNotFound = errors.New("not found")

// Store implements oauth.ClientAuthStore.
type Store struct {
	q            *db.Queries
	keys         *sealed.Keyring
	confidential bool // grants are made for a confidential client (longer lifetimes)
	now          func() time.Time
}

var _ oauth.ClientAuthStore = (*Store)(nil)

// New returns a store. confidential says what kind of client the grants belong to.
func New(q *db.Queries, keys *sealed.Keyring, confidential bool) *Store {
	return &Store{q: q, keys: keys, confidential: confidential, now: time.Now}
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

// SaveSession stores a new grant or its updated tokens and nonces. A new access token
// expiry means a refresh happened, which moves the grant's own expiry.
func (s *Store) SaveSession(ctx context.Context, sess oauth.ClientSessionData) error {
	id, did := sess.SessionID, sess.AccountDID.String()
	if err := s.q.EnsureAccount(ctx, did); err != nil {
		return fmt.Errorf("account for grant %s: %w", id, err)
	}
	now := s.now()
	created, refreshed := now, now
	var accessExpires *time.Time
	if exp, ok := AccessExpiry(sess.AccessToken); ok {
		accessExpires = &exp
	}
	if times, err := s.q.GetGrantTimes(ctx, id); err == nil {
		created, refreshed = times.CreatedAt, times.RefreshedAt
		if !sameTime(times.AccessExpiresAt, accessExpires) {
			refreshed = now
		}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("load grant %s: %w", id, err)
	}
	sealedData, err := s.seal(sess, id)
	if err != nil {
		return err
	}
	err = s.q.SaveGrant(ctx, db.SaveGrantParams{
		ID: id, Did: did, SealedData: sealedData, Scope: strings.Join(sess.Scopes, " "), Confidential: s.confidential,
		AccessExpiresAt: accessExpires, RefreshedAt: refreshed,
		ExpiresAt: GrantExpiry(s.confidential, created, refreshed),
	})
	if err != nil {
		return fmt.Errorf("save grant %s: %w", id, err)
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

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
