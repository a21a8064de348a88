package identity

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
)

// handleStart sends the browser to sign in: identifier=<handle or DID> signs in (or
// pds=<offered PDS URL> creates an account there), return_to=<path> is where to land. It
// takes a form POST from plyr's own pages, or a GET the person made themselves (typed or
// bookmarked: Sec-Fetch-Site none).
//
// Login CSRF: a sign-in ends the browser's current session and signs it in as whoever
// completes it, so another site must not be able to start one. A GET that another site
// (or anything that is not a browser's own navigation) sends answers a page that asks the
// person to confirm with a same-origin POST; a cross-origin POST is refused.
func (m *Module) handleStart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// The sign-in cookie is set on the host the browser asked; the callback comes back to
	// the public URL's host. Move the browser there first (localhost vs 127.0.0.1 in
	// development; behind a proxy the Host header may legitimately differ, so only a
	// loopback public URL does this).
	if m.loopback() && r.Host != m.public.Host {
		if r.Method != http.MethodGet {
			m.browserError(w, r, "/", ErrInvalidInput.Withf("start signing in at %s", m.public.String()))
			return
		}
		http.Redirect(w, r, m.public.String()+r.URL.RequestURI(), http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		m.browserError(w, r, "/", ErrInvalidInput.Withf("the sign-in form could not be read"))
		return
	}
	identifier, pds := strings.TrimSpace(r.Form.Get("identifier")), strings.TrimSpace(r.Form.Get("pds"))
	flow := oauthstore.Flow{Kind: flowLogin, ReturnTo: returnPath(r.Form.Get("return_to"))}
	switch {
	case r.Method == http.MethodPost && !rpc.SameOrigin(r, m.public.Scheme+"://"+m.public.Host):
		m.browserError(w, r, flow.ReturnTo, errCrossSiteSignIn)
		return
	case r.Method == http.MethodGet && !ownNavigation(r):
		m.confirmSignIn(w, identifier, pds, flow.ReturnTo)
		return
	}
	s := signIn{identifier: identifier, flow: flow}
	switch {
	case (identifier == "") == (pds == ""):
		m.browserError(w, r, flow.ReturnTo, ErrInvalidInput.Withf("give either identifier (a handle or DID) or pds (to create an account)"))
		return
	case pds != "":
		offered, err := m.signUpURL(pds)
		if err != nil {
			m.browserError(w, r, flow.ReturnTo, err)
			return
		}
		s = signIn{pds: offered, prompt: "create", flow: oauthstore.Flow{Kind: flowSignup, ReturnTo: flow.ReturnTo}}
	}
	authURL, state, err := m.begin(ctx, s)
	if err != nil {
		m.browserError(w, r, flow.ReturnTo, err)
		return
	}
	// The sign-in belongs to this browser: the callback must come back to it (login CSRF
	// otherwise: a callback someone completed for their own account, fed to another
	// browser, would sign that browser in as them).
	http.SetCookie(w, &http.Cookie{Name: m.signInCookie(), Value: state, Path: "/", HttpOnly: true,
		Secure: m.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthstore.RequestTTL.Seconds())})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// loopback reports whether plyr is a development server on this machine.
func (m *Module) loopback() bool {
	return m.public.Scheme == "http" && isLoopbackHost(m.public.Hostname())
}

// errCrossSiteSignIn refuses a sign-in another site tried to start.
var errCrossSiteSignIn = rpc.NewError(connect.CodePermissionDenied, "another site tried to start a sign-in here; start it on plyr")

// ownNavigation reports whether a GET is the person's own: typed, bookmarked or a link on
// plyr itself, as the browser's Sec-Fetch-Site says.
func ownNavigation(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "none" || site == "same-origin"
}

// confirmTemplate is the page that asks before a sign-in another site linked to.
var confirmTemplate = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to plyr</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.25rem}@media (prefers-color-scheme:dark){body{background:#111;color:#eee}}</style>
</head><body>
<h1>Sign in to plyr</h1>
{{if .Identifier}}<p>Continue to sign in as <strong>{{.Identifier}}</strong>?</p>{{else if .PDS}}<p>Continue to create an account on <strong>{{.PDS}}</strong>?</p>{{else}}<p>Give your handle to sign in.</p>{{end}}
<form method="post" action="/auth/start">
<p><label>Handle or DID <input name="identifier" value="{{.Identifier}}" autocomplete="username"></label></p>
{{if .PDS}}<input type="hidden" name="pds" value="{{.PDS}}">{{end}}
<input type="hidden" name="return_to" value="{{.ReturnTo}}">
<button type="submit">Continue</button>
</form>
</body></html>
`))

// confirmSignIn answers with the confirmation page.
func (m *Module) confirmSignIn(w http.ResponseWriter, identifier, pds, returnTo string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	_ = confirmTemplate.Execute(w, struct{ Identifier, PDS, ReturnTo string }{identifier, pds, returnTo})
}

// browserError sends a browser navigation that failed back to the app, at returnTo with
// auth_error=<code> (a Connect code name, e.g. not_found) and auth_error_description=<the
// client's message>, instead of answering JSON to a person.
func (m *Module) browserError(w http.ResponseWriter, r *http.Request, returnTo string, err error) {
	ce := rpc.ConnectError(r.Context(), m.logger, err)
	to := withQuery(returnTo, "auth_error", ce.Code().String())
	to = withQuery(to, "auth_error_description", ce.Message())
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// signInCookie binds a sign-in started at /auth/start to the browser that started it;
// __Host- prefixed over https, like the session cookie.
func (m *Module) signInCookie() string {
	if m.secure {
		return "__Host-plyr_signin"
	}
	return "plyr_signin"
}

// ErrOtherBrowser marks a sign-in callback arriving in another browser than the one that
// started it.
var ErrOtherBrowser = rpc.NewError(connect.CodePermissionDenied, "this sign-in was started in another browser; start again here")

// sameBrowser checks that a callback arrives where its sign-in started: with the sign-in
// cookie for flows started at /auth/start, with the session that asked for flows started
// by a signed-in browser.
func (m *Module) sameBrowser(r *http.Request, req db.AuthRequest) bool {
	switch req.Flow {
	case flowLogin, flowSignup:
		c, err := r.Cookie(m.signInCookie())
		return err == nil && c.Value == req.State
	default:
		c, err := r.Cookie(rpc.SessionCookieName(m.secure))
		if err != nil || req.SessionID == nil {
			return false
		}
		caller, err := m.Authenticate(r.Context(), c.Value)
		return err == nil && caller.SessionID == *req.SessionID
	}
}

// handleCallback completes a sign-in and does what it was for.
func (m *Module) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, req, err := m.finishSignIn(r)
	if req.State != "" {
		http.SetCookie(w, &http.Cookie{Name: m.signInCookie(), Path: "/", Secure: m.secure, MaxAge: -1})
	}
	if err != nil {
		if req.State == "" {
			m.browserError(w, r, "/", err)
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
			m.browserError(w, r, returnTo, err)
			return
		}
		// One browser, one session: signing in afresh ends the one the cookie held.
		if old, err := r.Cookie(rpc.SessionCookieName(m.secure)); err == nil {
			if caller, err := m.Authenticate(ctx, old.Value); err == nil && caller.Browser() {
				m.endSession(ctx, caller.SessionID, "replaced by a new sign-in")
			}
		}
		m.setCookie(w, token)
		m.logger.InfoContext(ctx, "signed in", "did", did, "flow", req.Flow)
	case flowAddAccount:
		if err := m.linkAccount(ctx, *req.SessionID, did, grant); err != nil {
			m.browserError(w, r, returnTo, err)
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
				m.browserError(w, r, returnTo, err)
				return
			}
			returnTo = withQuery(returnTo, "scope_upgraded", "1")
			break
		}
		code, err := m.newDeveloperToken(ctx, *req.SessionID, did, grant, req.TokenName, time.Duration(req.TokenTtlSeconds)*time.Second)
		if err != nil {
			m.browserError(w, r, returnTo, err)
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
		Name: rpc.SessionCookieName(m.secure), Value: value, Path: "/", HttpOnly: true, Secure: m.secure,
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
