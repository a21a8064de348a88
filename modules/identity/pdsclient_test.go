package identity_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/modules/identity"
)

// fakePDS answers its first request as a PDS does when the access token has expired
// early (401, WWW-Authenticate: DPoP error="invalid_token"), then accepts any request,
// recording the access token each one carried.
type fakePDS struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
}

func newFakePDS(t *testing.T) *fakePDS {
	t.Helper()
	p := &fakePDS{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.tokens = append(p.tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "DPoP "))
		first := len(p.tokens) == 1
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if first {
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", error_description="token expired"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"InvalidToken"}`))
			return
		}
		_, _ = w.Write([]byte(`{"did":"did:plc:refresh1","handle":"x.test"}`))
	}))
	t.Cleanup(p.Close)
	return p
}

// Workflows reach an account's PDS by DID; a PDS that calls the token expired gets a
// refresh through plyr's refresher (its lease, its detached deadline), never indigo's
// own, and the request is sent again with the new token.
func TestPDSForDID_RefreshesThroughTheModule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTokenServer(t, false)
	pds := newFakePDS(t)
	m, _ := refreshModule(t, 4)
	data := expiredGrant(t, ts, 1)
	data.HostURL = pds.URL
	data.AccessToken = accessToken(time.Now().Add(2 * time.Hour)) // fresh by its expiry: only the PDS says otherwise
	signedIn(t, m, data)

	client, err := m.PDSForDID(ctx, data.AccountDID.String())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, client.Get(ctx, "com.atproto.server.getSession", nil, &out))

	require.Len(t, ts.arrived, 1, "one refresh, at the authorization server plyr knows")
	require.Equal(t, "refresh-1", <-ts.arrived)
	pds.mu.Lock()
	defer pds.mu.Unlock()
	require.Len(t, pds.tokens, 2)
	require.Equal(t, data.AccessToken, pds.tokens[0])
	require.NotEqual(t, pds.tokens[0], pds.tokens[1], "the request was sent again with the refreshed token")
	stored, err := m.GrantDataForTest(ctx, data.AccountDID.String(), data.SessionID)
	require.NoError(t, err)
	require.Equal(t, stored.AccessToken, pds.tokens[1])
	require.Equal(t, "rotated-refresh-1", stored.RefreshToken)

	_, err = m.PDSForDID(ctx, "did:plc:nobody")
	require.ErrorIs(t, err, identity.ErrNoPDSAccess)
}

// A grant deleted while a request to its PDS is under way (a logout, a sweep) stays
// deleted: the PDS's nonce handshake saves a nonce, never the whole grant again.
func TestPDSClient_NonceHandshakeDoesNotBringADeletedGrantBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTokenServer(t, false)
	m, pool := refreshModule(t, 4)
	data := expiredGrant(t, ts, 2)
	data.AccessToken = accessToken(time.Now().Add(time.Hour))
	var calls atomic.Int32
	pdsServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			// The user logs out while plyr's request is at the PDS.
			_, err := pool.Exec(context.Background(), "DELETE FROM identity.grants WHERE id = $1", data.SessionID)
			require.NoError(t, err)
			w.Header().Set("DPoP-Nonce", "fresh-nonce")
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"use_dpop_nonce"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(pdsServer.Close)
	data.HostURL = pdsServer.URL
	signedIn(t, m, data)

	client, err := m.PDSForDID(ctx, data.AccountDID.String())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, client.Get(ctx, "com.atproto.server.getSession", nil, &out))
	require.EqualValues(t, 2, calls.Load(), "the request was sent again with the nonce")

	var grants int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM identity.grants WHERE id = $1", data.SessionID).Scan(&grants))
	require.Zero(t, grants, "the deleted grant came back")
}
