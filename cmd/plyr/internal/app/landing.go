package app

import (
	"html/template"
	"net/http"
)

// landingPage is what a browser sees at / until the web client is built into the binary:
// where it is, and what the sign-in it comes back from did. Sign-in and its errors
// redirect here (auth_error, auth_error_description, account_added, scope_upgraded,
// developer_token), so a person never lands on a 404 or on raw JSON.
var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>plyr</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}
.err{color:#b00020}@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.err{color:#ff7a85}}</style>
</head><body>
<h1>plyr</h1>
{{if .Error}}<p class="err" role="alert">Signing in did not work: {{.Description}} <small>({{.Error}})</small></p>
<form method="post" action="/auth/start"><label>Handle <input name="identifier" autocomplete="username"></label> <button>Try again</button></form>
{{else if .AccountAdded}}<p role="status">The account was added to this browser.</p>
{{else if .ScopeUpgraded}}<p role="status">plyr can now scrobble to teal.fm for you.</p>
{{else if .DeveloperToken}}<p role="status">Your developer token is ready. Claim it once with IdentityService/ClaimDeveloperToken and this code: <code>{{.DeveloperToken}}</code></p>
{{else}}<p>plyr is running, but this binary was built without its web client; the API is at this address.
Build the client with <code>make web</code> (or <code>make dev</code>, which builds it), then rebuild plyr.</p>
<form method="post" action="/auth/start"><label>Handle <input name="identifier" autocomplete="username"></label> <button>Sign in</button></form>
{{end}}
</body></html>
`))

// landing serves the landing page.
func landing(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	description := q.Get("auth_error_description")
	if description == "" {
		description = "the sign-in was cancelled or refused"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	_ = landingPage.Execute(w, struct {
		Error, Description, DeveloperToken string
		AccountAdded, ScopeUpgraded        bool
	}{
		Error: q.Get("auth_error"), Description: description, DeveloperToken: q.Get("developer_token"),
		AccountAdded: q.Get("account_added") != "", ScopeUpgraded: q.Get("scope_upgraded") != "",
	})
}
