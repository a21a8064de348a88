package identity

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
	"github.com/plyrfm/plyr/modules/identity/internal/signin"
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
	returnTo := signin.ReturnPath(r.Form.Get("return_to"))
	switch {
	case r.Method == http.MethodPost && !rpc.SameOrigin(r, m.public.Scheme+"://"+m.public.Host):
		m.browserError(w, r, returnTo, ierr.CrossSiteSignIn)
		return
	case r.Method == http.MethodGet && !ownNavigation(r):
		m.confirmSignIn(w, identifier, pds, returnTo)
		return
	case (identifier == "") == (pds == ""):
		m.browserError(w, r, returnTo, ErrInvalidInput.Withf("give either identifier (a handle or DID) or pds (to create an account)"))
		return
	}
	var started signin.Started
	var err error
	if pds != "" {
		started, err = m.signin.BeginSignUp(ctx, pds, returnTo)
	} else {
		started, err = m.signin.BeginLogin(ctx, identifier, returnTo)
	}
	if err != nil {
		m.browserError(w, r, returnTo, err)
		return
	}
	// The sign-in belongs to this browser: the callback must come back to it (login CSRF
	// otherwise: a callback someone completed for their own account, fed to another
	// browser, would sign that browser in as them).
	http.SetCookie(w, &http.Cookie{Name: m.signin.CookieName(), Value: started.State, Path: "/", HttpOnly: true,
		Secure: m.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthstore.RequestTTL.Seconds())})
	http.Redirect(w, r, started.AuthURL, http.StatusSeeOther)
}

// loopback reports whether plyr is a development server on this machine.
func (m *Module) loopback() bool {
	return m.public.Scheme == "http" && signin.IsLoopbackHost(m.public.Hostname())
}

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
	to := signin.WithQuery(returnTo, "auth_error", ce.Code().String())
	to = signin.WithQuery(to, "auth_error_description", ce.Message())
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// handleCallback completes a sign-in and does what it was for.
func (m *Module) handleCallback(w http.ResponseWriter, r *http.Request) {
	out, err := m.signin.Complete(r)
	if out.Matched {
		http.SetCookie(w, &http.Cookie{Name: m.signin.CookieName(), Path: "/", Secure: m.secure, MaxAge: -1})
	}
	if err != nil {
		to := "/"
		if out.Matched {
			to = out.ReturnTo
		}
		m.browserError(w, r, to, err)
		return
	}
	if out.Session != nil {
		m.setCookie(w, *out.Session)
	}
	if out.SignedIn != "" && m.signedIn != nil {
		m.signedIn(r.Context(), out.SignedIn)
	}
	http.Redirect(w, r, out.ReturnTo, http.StatusSeeOther)
}

// handleClientMetadata serves the OAuth client metadata (the client_id of a non-loopback
// client is this document's URL).
func (m *Module) handleClientMetadata(w http.ResponseWriter, _ *http.Request) {
	meta := m.app.Config.ClientMetadata()
	meta.ClientName = &m.cfg.AppName
	uri := m.public.String()
	meta.ClientURI = &uri
	if m.app.Config.IsConfidential() {
		jwks := uri + "/.well-known/jwks.json"
		meta.JWKSURI = &jwks
	}
	writeJSON(w, meta)
}

// handleJWKS serves the confidential client's public key; a public client has none.
func (m *Module) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if !m.app.Config.IsConfidential() {
		rpc.WriteHTTPError(w, r, m.logger, ErrNotFound.Withf("plyr is a public OAuth client here: it has no keys"))
		return
	}
	writeJSON(w, m.app.Config.PublicJWKS())
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

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(v)
}
