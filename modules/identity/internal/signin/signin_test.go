package signin

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReturnPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "/"},
		{"a path", "/settings?tab=tokens", "/settings?tab=tokens"},
		{"another site", "https://evil.example/", "/"},
		{"scheme-relative", "//evil.example/x", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"relative", "settings", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ReturnPath(tt.in))
		})
	}
}

func TestWithQuery(t *testing.T) {
	t.Parallel()
	require.Equal(t, "/settings?auth_error=not_found&tab=x", WithQuery("/settings?tab=x", "auth_error", "not_found"))
	require.Equal(t, "/?auth_error=x", WithQuery("/?auth_error=y", "auth_error", "x"), "a key is set, not repeated")
}

func TestSignUpURL_OnlyOffered(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{AccountCreation: true, Offered: []string{"https://pds.example/"}}}
	got, err := s.signUpURL("HTTPS://PDS.example")
	require.NoError(t, err)
	require.Equal(t, "https://pds.example", got)
	for _, bad := range []string{"https://other.example", "https://pds.example/path", "https://user@pds.example", "http://pds.example"} {
		_, err := s.signUpURL(bad)
		require.Error(t, err, bad)
	}
	off := &Service{cfg: Config{Offered: []string{"https://pds.example"}}}
	_, err = off.signUpURL("https://pds.example")
	require.Error(t, err)
}
