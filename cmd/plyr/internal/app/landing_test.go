package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// A sign-in that fails sends the browser to /, which says what happened in a page a
// person can read (escaped), not JSON or a 404.
func TestLanding_ShowsWhatTheSignInDid(t *testing.T) {
	tests := []struct {
		name, query, want, absent string
	}{
		{"an error", "auth_error=not_found&auth_error_description=no+account+nobody.test+exists", "no account nobody.test exists", ""},
		{"hostile text is escaped", "auth_error=x&auth_error_description=%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;", "<script>"},
		{"an account added", "account_added=1", "The account was added", ""},
		{"nothing to say", "", "plyr is running", "did not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			landing(rec, httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Contains(t, rec.Header().Get("Content-Type"), "text/html")
			require.Contains(t, rec.Body.String(), tt.want)
			if tt.absent != "" {
				require.NotContains(t, rec.Body.String(), tt.absent)
			}
		})
	}
}
