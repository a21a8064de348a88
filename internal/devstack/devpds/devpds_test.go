package devpds_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestNetwork_OAuthSignIn proves the harness end to end with indigo's own client: an
// account signs in headlessly and the session reaches the PDS.
func TestNetwork_OAuthSignIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	require.Equal(t, "https://"+devpds.Hostname, net.Issuer)

	handle := "smoke" + strings.ToLower(time.Now().Format("150405.000000"))[7:] + ".test"
	acct, err := net.CreateAccount(ctx, handle, "smoke-pass-123")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(acct.DID, "did:plc:"), acct.DID)

	cfg := oauth.NewLocalhostConfig("http://127.0.0.1:9/auth/callback",
		[]string{"atproto", "include:fm.plyr.authFullApp", "blob:*/*"})
	app := oauth.NewClientApp(&cfg, oauth.NewMemStore())
	app.Client = net.HTTPClient()
	app.Resolver.Client = net.HTTPClient()
	app.Dir = net.Directory()

	authURL, err := app.StartAuthFlow(ctx, handle)
	require.NoError(t, err)
	callback, err := devpds.NewBrowser(net.Transport(nil)).Authorize(ctx, authURL,
		devpds.Credentials{Handle: handle, Password: "smoke-pass-123"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9", callback.Host)

	sess, err := app.ProcessCallback(ctx, callback.Query())
	require.NoError(t, err)
	require.Equal(t, acct.DID, sess.AccountDID.String())
	// The permission set comes back expanded into repo permissions.
	require.Contains(t, strings.Join(sess.Scopes, " "), "collection=fm.plyr.track")

	resumed, err := app.ResumeSession(ctx, syntax.DID(acct.DID), sess.SessionID)
	require.NoError(t, err)
	var out struct {
		Handle string `json:"handle"`
	}
	require.NoError(t, resumed.APIClient().Get(ctx, "com.atproto.server.getSession", nil, &out))
	require.Equal(t, handle, out.Handle)
}
