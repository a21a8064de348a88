package app_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

// refusals records the errors of the requests that went through it.
type refusals struct {
	base http.RoundTripper
	mu   sync.Mutex
	errs []string
}

func (r *refusals) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.base.RoundTrip(req)
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, req.URL.Host+": "+err.Error())
		r.mu.Unlock()
	}
	return res, err
}

// TestUpdateTrack_FeatureHandleAtAPrivateAddress: a featured artist's handle whose
// resolution leads to a private address is not followed there. The network here is the
// reference PDS, which lives on loopback, reached through production's client, which
// refuses non-public addresses: every handle on it "resolves to a private address". The
// edit is refused as invalid input, nothing is changed, and the only connections tried
// were refused before they were made.
func TestUpdateTrack_FeatureHandleAtAPrivateAddress(t *testing.T) {
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	victim, err := net.CreateAccount(context.Background(), fmt.Sprintf("inside%d.test", time.Now().UnixNano()%1_000_000_000), "victim-pass-123")
	require.NoError(t, err)

	guarded := &refusals{base: net.Transport(atproto.NewClient().Transport)}
	client := &http.Client{Transport: guarded}
	dir := &atid.BaseDirectory{PLCURL: net.PLCURL, HTTPClient: *client, SkipDNSDomainSuffixes: []string{".test"}}
	s := newStackWith(t, stackOptions{maxUpload: 16 << 20, atproto: &app.ATProto{HTTPClient: client, Directory: dir}})
	trackID, _ := s.uploadTrack(t, s.token, "Featuring?")

	ctx := rpctest.WithToken(context.Background(), s.token)
	_, err = s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: trackID, SetFeatures: true, Features: []string{victim.Handle}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "invalid_argument")
	require.Contains(t, err.Error(), "does not resolve")

	got, err := s.catalog.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: trackID})
	require.NoError(t, err)
	require.Empty(t, got.Track.Features)
	guarded.mu.Lock()
	defer guarded.mu.Unlock()
	require.NotEmpty(t, guarded.errs, "the resolution was tried")
	for _, e := range guarded.errs {
		require.Contains(t, e, "not a public IP address")
	}
}
