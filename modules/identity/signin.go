package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"

	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
	"github.com/plyrfm/plyr/modules/identity/internal/par"
	"github.com/plyrfm/plyr/modules/identity/internal/scope"
)

// What happens when a sign-in comes back.
const (
	flowLogin          = "login"
	flowSignup         = "signup"
	flowAddAccount     = "add_account"
	flowDeveloperToken = "developer_token"
	flowScopeUpgrade   = "scope_upgrade"
)

// signIn describes a sign-in to start.
type signIn struct {
	// identifier is the handle or DID signing in; empty for sign-up.
	identifier string
	// pds is where to create an account (sign-up only).
	pds    string
	prompt string
	teal   bool
	flow   oauthstore.Flow
}

// begin resolves the account's authorization server, pushes the authorization request
// and remembers what to do on return. It returns the URL to send the browser to and the
// request's state.
func (m *Module) begin(ctx context.Context, s signIn) (authURL, state string, err error) {
	if m.oauth == nil {
		return "", "", ErrSignInOff
	}
	var meta *oauth.AuthServerMetadata
	var accountDID *syntax.DID
	var hint string
	if s.pds != "" {
		var err error
		if meta, err = m.authServer(ctx, s.pds); err != nil {
			return "", "", err
		}
	} else {
		atIdent, err := syntax.ParseAtIdentifier(s.identifier)
		if err != nil {
			return "", "", ErrInvalidInput.Withf("%q is neither a handle nor a DID", s.identifier)
		}
		ident, err := m.dir.Lookup(ctx, atIdent)
		if err != nil {
			m.logger.InfoContext(ctx, "resolve account", "identifier", s.identifier, "error", err.Error())
			if noSuchAccount(err) {
				return "", "", ErrNotFound.Withf("no account %s exists", s.identifier)
			}
			return "", "", ErrPDSUnreachable.Withf("could not look up %s; try again", s.identifier)
		}
		pds := ident.PDSEndpoint()
		if pds == "" {
			return "", "", ErrInvalidInput.Withf("%s names no PDS", s.identifier)
		}
		if meta, err = m.authServer(ctx, pds); err != nil {
			return "", "", err
		}
		accountDID, hint = &ident.DID, s.identifier
		if s.flow.Kind == flowLogin {
			// Someone who scrobbles keeps the teal scopes when signing in again.
			if teal, err := m.q.TealScrobbling(ctx, ident.DID.String()); err == nil && teal {
				s.teal = true
			}
		}
	}

	data, err := par.Push(ctx, m.http, m.oauth.Config, meta, par.Request{
		Scopes: scope.Requested(m.cfg.Namespace, s.teal), LoginHint: hint, Prompt: s.prompt,
	})
	var refused *par.Error
	if errors.As(err, &refused) {
		m.logger.WarnContext(ctx, "authorization request refused", "issuer", meta.Issuer, "error", err.Error())
		return "", "", ErrSignInRefused.Withf("the PDS refused to start signing in (%s)", refused.Code)
	}
	if err != nil {
		m.logger.WarnContext(ctx, "authorization request", "issuer", meta.Issuer, "error", err.Error())
		return "", "", ErrPDSUnreachable.Withf("could not reach the account's PDS: its authorization server did not answer")
	}
	data.AccountDID = accountDID
	if _, err := m.q.DeleteExpiredAuthRequests(ctx); err != nil {
		m.logger.WarnContext(ctx, "clean up expired authorization requests", "error", err.Error())
	}
	if err := m.store.Begin(ctx, *data, s.flow); err != nil {
		return "", "", err
	}
	q := url.Values{"client_id": {m.oauth.Config.ClientID}, "request_uri": {data.RequestURI}}
	return meta.AuthorizationEndpoint + "?" + q.Encode(), data.State, nil
}

// noSuchAccount tells a lookup that found no account (the handle or DID does not exist,
// or the DID document names no handle or another one) from one that could not be made.
func noSuchAccount(err error) bool {
	for _, target := range []error{atid.ErrHandleNotFound, atid.ErrDIDNotFound, atid.ErrHandleMismatch, atid.ErrHandleNotDeclared, atid.ErrHandleReservedTLD, atid.ErrInvalidHandle} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// authServer finds the authorization server of a PDS. In production that is indigo's
// resolver: https only, through the SSRF-safe client. The development PDS lives at
// http://localhost, which only a development configuration accepts.
func (m *Module) authServer(ctx context.Context, pdsURL string) (*oauth.AuthServerMetadata, error) {
	u, err := url.Parse(pdsURL)
	if err != nil {
		return nil, ErrInvalidInput.Withf("%q is not a URL", pdsURL)
	}
	if m.cfg.AllowLoopbackPDS && u.Scheme == "http" && isLoopbackHost(u.Hostname()) {
		return m.loopbackAuthServer(ctx, u)
	}
	asURL, err := m.oauth.Resolver.ResolveAuthServerURL(ctx, pdsURL)
	if err != nil {
		m.logger.InfoContext(ctx, "resolve authorization server", "pds", pdsURL, "error", err.Error())
		return nil, ErrPDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", u.Host)
	}
	meta, err := m.oauth.Resolver.ResolveAuthServerMetadata(ctx, asURL)
	if err != nil {
		m.logger.InfoContext(ctx, "authorization server metadata", "issuer", asURL, "error", err.Error())
		return nil, ErrPDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", u.Host)
	}
	return meta, nil
}

// loopbackAuthServer resolves a development PDS's authorization server over plain HTTP,
// with the same checks indigo makes except the scheme.
func (m *Module) loopbackAuthServer(ctx context.Context, pds *url.URL) (*oauth.AuthServerMetadata, error) {
	var resource struct {
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := m.getJSON(ctx, pds.Scheme+"://"+pds.Host+"/.well-known/oauth-protected-resource", &resource); err != nil || len(resource.AuthorizationServers) == 0 {
		return nil, ErrPDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", pds.Host)
	}
	issuer := strings.TrimRight(resource.AuthorizationServers[0], "/")
	as, err := url.Parse(issuer)
	if err != nil || as.Scheme != "http" || !isLoopbackHost(as.Hostname()) {
		return nil, ErrPDSUnreachable.Withf("could not reach the account's PDS: a loopback PDS must use a loopback authorization server")
	}
	var meta oauth.AuthServerMetadata
	if err := m.getJSON(ctx, issuer+"/.well-known/oauth-authorization-server", &meta); err != nil || strings.TrimRight(meta.Issuer, "/") != issuer {
		return nil, ErrPDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", pds.Host)
	}
	return &meta, nil
}

// finishSignIn completes the token exchange of a returning sign-in and records the account.
// It returns the grant and the flow the sign-in was for.
// A callback arriving in another browser than the one its sign-in started in is refused
// before anything is spent, with an empty request (so the caller answers with the error
// instead of redirecting to the flow's page).
func (m *Module) finishSignIn(r *http.Request) (*oauth.ClientSessionData, db.AuthRequest, error) {
	ctx, params := r.Context(), r.URL.Query()
	// The flow is read first: indigo deletes the request once it has exchanged the code.
	req, err := m.q.GetAuthRequest(ctx, params.Get("state"))
	if err != nil {
		return nil, db.AuthRequest{}, ErrNotFound.Withf("this sign-in has expired or was already used; start again")
	}
	if !m.sameBrowser(r, req) {
		return nil, db.AuthRequest{}, ErrOtherBrowser
	}
	sess, err := m.oauth.ProcessCallback(ctx, params)
	if err != nil {
		return nil, req, err
	}
	m.recordProfile(ctx, sess.AccountDID, sess.HostURL)
	return sess, req, nil
}

// recordProfile stores the account's handle, avatar and PDS. A handle is stored only when
// it is verified both ways: it resolves to the DID, and the DID document claims it. The
// directory's view comes first; a brand-new account's DID lookup may not show a verified
// handle yet, and then the handle its PDS claims (describeRepo) is a candidate that must
// pass the same check: a PDS can claim any handle, and showing it unverified would let
// anyone appear as anyone. Otherwise the account shows handle.invalid until a later
// sign-in verifies it.
func (m *Module) recordProfile(ctx context.Context, did syntax.DID, pdsURL string) {
	handle := syntax.HandleInvalid.String()
	if ident, err := m.dir.LookupDID(ctx, did); err == nil && ident.Handle != syntax.HandleInvalid {
		handle = ident.Handle.String()
	} else if claimed, ok := m.claimedHandle(ctx, did, pdsURL); ok {
		handle = claimed.String()
	} else {
		m.logger.WarnContext(ctx, "no verified handle for account", "did", did.String())
	}
	err := m.q.UpdateAccountProfile(ctx, db.UpdateAccountProfileParams{
		Did: did.String(), Handle: handle, AvatarUrl: m.avatarURL(ctx, pdsURL, did), PdsUrl: pdsURL,
	})
	if err != nil {
		m.logger.ErrorContext(ctx, "record account profile", "did", did.String(), "error", err.Error())
	}
}

// claimedHandle is the handle the account's PDS claims for it, if that handle resolves to
// the DID and the DID document claims it back (the directory's LookupHandle checks both).
func (m *Module) claimedHandle(ctx context.Context, did syntax.DID, pdsURL string) (syntax.Handle, bool) {
	var repo struct {
		Handle string `json:"handle"`
	}
	if err := m.getJSON(ctx, pdsURL+"/xrpc/com.atproto.repo.describeRepo?repo="+url.QueryEscape(did.String()), &repo); err != nil {
		return "", false
	}
	claimed, err := syntax.ParseHandle(repo.Handle)
	if err != nil {
		return "", false
	}
	ident, err := m.dir.LookupHandle(ctx, claimed.Normalize())
	if err != nil || ident.DID != did {
		return "", false
	}
	return ident.Handle, true
}

// avatarURL is the account's Bluesky profile picture, served by its PDS, or "".
func (m *Module) avatarURL(ctx context.Context, pdsURL string, did syntax.DID) string {
	var rec struct {
		Value struct {
			Avatar struct {
				Ref struct {
					Link string `json:"$link"`
				} `json:"ref"`
			} `json:"avatar"`
		} `json:"value"`
	}
	q := url.Values{"repo": {did.String()}, "collection": {"app.bsky.actor.profile"}, "rkey": {"self"}}
	if err := m.getJSON(ctx, pdsURL+"/xrpc/com.atproto.repo.getRecord?"+q.Encode(), &rec); err != nil {
		return ""
	}
	cid := rec.Value.Avatar.Ref.Link
	if cid == "" {
		return ""
	}
	return pdsURL + "/xrpc/com.atproto.sync.getBlob?" + url.Values{"did": {did.String()}, "cid": {cid}}.Encode()
}

// getJSON fetches a small JSON document through the module's outbound client.
func (m *Module) getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := m.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, res.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
}

// signUpURL checks a sign-up PDS against the offered ones. Nothing leaves plyr for a PDS
// that is not offered: this is the SSRF gate of account creation.
func (m *Module) signUpURL(raw string) (string, error) {
	if !m.cfg.AccountCreation {
		return "", ErrAccountCreationOff
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", ErrNotOffered.Withf("%q is not offered for new accounts", raw)
	}
	for _, o := range m.cfg.PDSOptions {
		offered, err := url.Parse(strings.TrimRight(o.URL, "/"))
		if err == nil && strings.EqualFold(offered.Scheme, u.Scheme) && strings.EqualFold(offered.Host, u.Host) {
			return offered.Scheme + "://" + offered.Host, nil
		}
	}
	return "", ErrNotOffered.Withf("%q is not offered for new accounts", raw)
}

// returnPath keeps a return_to that is a path on plyr, and refuses anything else (an open
// redirect otherwise).
func returnPath(raw string) string {
	if raw == "" || len(raw) > 512 || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, "\\") {
		return "/"
	}
	if u, err := url.Parse(raw); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return raw
}
