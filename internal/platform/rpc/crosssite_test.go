package rpc

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// A state change that rides on the session cookie must come from plyr's own origin; a
// bearer token, a safe method or a non-browser client is not at risk.
func TestAuthenticate_RefusesCrossSiteStateChangesByCookie(t *testing.T) {
	const origin = "https://plyr.example"
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		cookie  string // "" sends none
		bearer  string
		refused bool
	}{
		{"cross-site form post", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, SecureSessionCookie, "", true},
		{"cross-site fetch without Origin", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, SecureSessionCookie, "", true},
		{"same-site but another origin", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-site"}, SecureSessionCookie, "", true},
		{"opaque origin (sandboxed frame)", http.MethodPost, map[string]string{"Origin": "null"}, SecureSessionCookie, "", true},
		{"our own page", http.MethodPost, map[string]string{"Origin": origin, "Sec-Fetch-Site": "same-origin"}, SecureSessionCookie, "", false},
		{"our own page, Sec-Fetch-Site only", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, SecureSessionCookie, "", false},
		{"a non-browser client", http.MethodPost, nil, SecureSessionCookie, "", false},
		{"a cross-site GET is only a read", http.MethodGet, map[string]string{"Origin": "https://evil.example"}, SecureSessionCookie, "", false},
		{"a bearer token is never sent by a browser on its own", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, "", "good", false},
		{"no credentials at all", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			h := Authenticate(&fakeAuth{}, PublicOrigin(origin+"/"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
			}))
			req := httptest.NewRequest(tt.method, "/upload", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: tt.cookie, Value: "good"})
			}
			if tt.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tt.refused {
				require.Equal(t, http.StatusForbidden, rec.Code)
				require.False(t, reached)
				return
			}
			require.True(t, reached)
		})
	}
}

// Over https the session cookie is read only under its __Host- name: a plain-named cookie
// (which a sibling subdomain could have planted) is not a credential there.
func TestAuthenticate_HostPrefixedCookieOverHTTPS(t *testing.T) {
	for _, tt := range []struct {
		publicURL, cookie string
		want              bool
	}{
		{"https://plyr.example", SecureSessionCookie, true},
		{"https://plyr.example", SessionCookie, false},
		{"http://127.0.0.1:8080", SessionCookie, true},
	} {
		var caller *Caller
		h := Authenticate(&fakeAuth{}, PublicOrigin(tt.publicURL))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, _ = Require(r.Context(), Optional)
		}))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: tt.cookie, Value: "good"})
		h.ServeHTTP(httptest.NewRecorder(), req)
		require.Equal(t, tt.want, caller != nil, "%s with cookie %s", tt.publicURL, tt.cookie)
	}
}

// A public URL written with its scheme's default port matches the Origin browsers send,
// which leaves that port out.
func TestPublicOrigin_DefaultPorts(t *testing.T) {
	for _, publicURL := range []string{"https://plyr.example:443", "https://plyr.example"} {
		reached := false
		h := Authenticate(&fakeAuth{}, PublicOrigin(publicURL))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
		req := httptest.NewRequest(http.MethodPost, "/upload", nil)
		req.Header.Set("Origin", "https://plyr.example")
		req.AddCookie(&http.Cookie{Name: SecureSessionCookie, Value: "good"})
		h.ServeHTTP(httptest.NewRecorder(), req)
		require.True(t, reached, publicURL)
	}
}
