package identity

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
)

// handleStart sends the browser to sign in: ?identifier=<handle or DID> signs in (or
// ?pds=<offered PDS URL> creates an account there), ?return_to=<path> is where to land.
func (m *Module) handleStart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	identifier, pds := q.Get("identifier"), q.Get("pds")
	flow := oauthstore.Flow{Kind: flowLogin, ReturnTo: returnPath(q.Get("return_to"))}
	s := signIn{identifier: identifier, flow: flow}
	switch {
	case (identifier == "") == (pds == ""):
		m.writeError(ctx, w, ErrInvalidInput.Withf("give either identifier (a handle or DID) or pds (to create an account)"))
		return
	case pds != "":
		offered, err := m.signUpURL(pds)
		if err != nil {
			m.writeError(ctx, w, err)
			return
		}
		s = signIn{pds: offered, prompt: "create", flow: oauthstore.Flow{Kind: flowSignup, ReturnTo: flow.ReturnTo}}
	}
	authURL, state, err := m.begin(ctx, s)
	if err != nil {
		m.writeError(ctx, w, err)
		return
	}
	// The sign-in belongs to this browser: the callback must come back to it (login CSRF
	// otherwise: a callback someone completed for their own account, fed to another
	// browser, would sign that browser in as them).
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: state, Path: "/auth/callback", HttpOnly: true,
		Secure: m.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthstore.RequestTTL.Seconds())})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// signInCookie binds a sign-in started at /auth/start to the browser that started it.
const signInCookie = "plyr_signin"

// ErrOtherBrowser marks a sign-in callback arriving in another browser than the one that
// started it.
var ErrOtherBrowser = rpc.NewError(connect.CodePermissionDenied, "this sign-in was started in another browser; start again here")

// sameBrowser checks that a callback arrives where its sign-in started: with the sign-in
// cookie for flows started at /auth/start, with the session that asked for flows started
// by a signed-in browser.
func (m *Module) sameBrowser(r *http.Request, req db.AuthRequest) bool {
	switch req.Flow {
	case flowLogin, flowSignup:
		c, err := r.Cookie(signInCookie)
		return err == nil && c.Value == req.State
	default:
		c, err := r.Cookie(rpc.SessionCookie)
		if err != nil || req.SessionID == nil {
			return false
		}
		caller, err := m.Authenticate(r.Context(), c.Value)
		return err == nil && caller.SessionID == req.SessionID.String()
	}
}

// handleCallback completes a sign-in and does what it was for.
func (m *Module) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, req, err := m.finishSignIn(r)
	if req.State != "" {
		http.SetCookie(w, &http.Cookie{Name: signInCookie, Path: "/auth/callback", MaxAge: -1})
	}
	if err != nil {
		if req.State == "" {
			m.writeError(ctx, w, err)
			return
		}
		code := "sign_in_failed"
		var denied *oauth.AuthRequestCallbackError
		if errors.As(err, &denied) {
			code = denied.ErrorCode
		} else {
			m.logger.WarnContext(ctx, "sign-in callback", "flow", req.Flow, "error", err.Error())
		}
		http.Redirect(w, r, withQuery(req.ReturnTo, "auth_error", code), http.StatusSeeOther)
		return
	}
	did, grant := sess.AccountDID.String(), sess.SessionID
	returnTo := req.ReturnTo
	switch req.Flow {
	case flowLogin, flowSignup:
		token, err := m.newBrowserSession(ctx, did, grant)
		if err != nil {
			m.writeError(ctx, w, err)
			return
		}
		// One browser, one session: signing in afresh ends the one the cookie held.
		if old, err := r.Cookie(rpc.SessionCookie); err == nil {
			if caller, err := m.Authenticate(ctx, old.Value); err == nil && caller.Browser() {
				m.endSession(ctx, uuid.MustParse(caller.SessionID), "replaced by a new sign-in")
			}
		}
		m.setCookie(w, token)
		m.logger.InfoContext(ctx, "signed in", "did", did, "flow", req.Flow)
	case flowAddAccount:
		if err := m.linkAccount(ctx, *req.SessionID, did, grant); err != nil {
			m.writeError(ctx, w, err)
			return
		}
		returnTo = withQuery(returnTo, "account_added", "1")
	case flowScopeUpgrade, flowDeveloperToken:
		if did != req.ExpectedDid {
			m.dropGrant(ctx, grant)
			http.Redirect(w, r, withQuery(returnTo, "auth_error", "wrong_account"), http.StatusSeeOther)
			return
		}
		if req.Flow == flowScopeUpgrade {
			if err := m.linkAccount(ctx, *req.SessionID, did, grant); err != nil {
				m.writeError(ctx, w, err)
				return
			}
			returnTo = withQuery(returnTo, "scope_upgraded", "1")
			break
		}
		code, err := m.newDeveloperToken(ctx, *req.SessionID, did, grant, req.TokenName, time.Duration(req.TokenTtlSeconds)*time.Second)
		if err != nil {
			m.writeError(ctx, w, err)
			return
		}
		returnTo = withQuery(returnTo, "developer_token", code)
	}
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// handleClientMetadata serves the OAuth client metadata (the client_id of a non-loopback
// client is this document's URL).
func (m *Module) handleClientMetadata(w http.ResponseWriter, _ *http.Request) {
	meta := m.oauth.Config.ClientMetadata()
	meta.ClientName = &m.cfg.AppName
	uri := m.public.String()
	meta.ClientURI = &uri
	if m.oauth.Config.IsConfidential() {
		jwks := uri + "/.well-known/jwks.json"
		meta.JWKSURI = &jwks
	}
	writeJSON(w, meta)
}

// handleJWKS serves the confidential client's public key; a public client has none.
func (m *Module) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if !m.oauth.Config.IsConfidential() {
		rpc.WriteError(w, connect.NewError(connect.CodeNotFound, errors.New("plyr is a public OAuth client here: it has no keys")))
		return
	}
	writeJSON(w, m.oauth.Config.PublicJWKS())
}

func (m *Module) setCookie(w http.ResponseWriter, t Token) {
	http.SetCookie(w, m.cookie(t.Value, time.Until(t.ExpiresAt)))
}

// cookie is the session cookie: HttpOnly, SameSite=Lax, Secure unless plyr is plain
// loopback HTTP (development). maxAge <= 0 deletes it.
func (m *Module) cookie(value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: rpc.SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: m.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds()),
	}
	if maxAge <= 0 {
		c.MaxAge = -1
	}
	return c
}

// setCookieOnCall sets a cookie on a Connect call's response.
func setCookieOnCall(ctx context.Context, c *http.Cookie) {
	if call, ok := connect.CallInfoForHandlerContext(ctx); ok {
		call.ResponseHeader().Add("Set-Cookie", c.String())
	}
}

// writeError answers a plain route with the module's error mapping.
func (m *Module) writeError(ctx context.Context, w http.ResponseWriter, err error) {
	rpc.WriteError(w, rpc.ConnectError(ctx, m.logger, err))
}

func withQuery(path, key, value string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(v)
}
