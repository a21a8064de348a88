package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/plyrfm/plyr/internal/atprotofanstest"
	"github.com/plyrfm/plyr/internal/audiotest"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media"
	gateflow "github.com/plyrfm/plyr/workflows/gate"
)

// account makes an account with a developer token and returns the token.
func (s *stack) account(tb testing.TB, did, handle string) string {
	tb.Helper()
	ids := s.app.Identity()
	_, err := ids.EnsureAccount(context.Background(), did, handle)
	require.NoError(tb, err)
	token, err := ids.IssueDeveloperToken(context.Background(), did, "test", time.Hour)
	require.NoError(tb, err)
	return token.Value
}

// noRedirects is a client that shows redirects rather than following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (s *stack) audio(tb testing.TB, method, fileID, token string) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(method, s.url+"/audio/"+fileID, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := noRedirects.Do(req)
	require.NoError(tb, err)
	res.Body.Close()
	return res
}

func TestSupporterGatedTracks(t *testing.T) {
	fans := atprotofanstest.New(t)
	s := newStackWith(t, stackOptions{maxUpload: 64 << 20, atprotofans: fans.URL})
	s.setFlag(t, aliceDID, media.FlagLossless)
	const carolDID, bobDID = "did:plc:carol", "did:plc:bob"
	carol, bob := s.account(t, carolDID, "carol.test"), s.account(t, bobDID, "bob.test")
	fans.AddSupporter(carolDID, aliceDID)
	ctx := rpctest.WithToken(context.Background(), s.token)

	// A lossless track: its original and its MP3 are both gated.
	code, accepted := s.postUpload(t, s.token, "For fans", "fans.flac", audiotest.Make(t, "flac", 4))
	require.Equal(t, http.StatusAccepted, code)
	last := lastMessage(t, s, accepted["uploadId"])
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
	files := []string{last.FileId, last.OriginalFileId}
	gate := func(on bool) *catalogv1.Track {
		t.Helper()
		res, err := s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: accepted["trackId"], SupportersOnly: &on})
		require.NoError(t, err)
		return res.Track
	}

	t.Run("only an artist who takes support on atprotofans may gate", func(t *testing.T) {
		on := true
		_, err := s.catalog.UpdateTrack(ctx, &catalogv1.UpdateTrackRequest{Id: accepted["trackId"], SupportersOnly: &on})
		require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
		require.Contains(t, err.Error(), "set your support link to atprotofans first")
	})

	identity := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
	support := "atprotofans"
	_, err := identity.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{SupportUrl: &support})
	require.NoError(t, err)

	t.Run("gating moves the audio to the private bucket", func(t *testing.T) {
		require.True(t, gate(true).SupportersOnly)
		waitForObjects(t, s.private, len(files), s.store, 0)
		got, err := s.catalog.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: accepted["trackId"]})
		require.NoError(t, err)
		require.True(t, got.Track.SupportersOnly, "anyone sees that the track is for supporters")
	})

	t.Run("the matrix: anonymous, listener, supporter, artist; GET and HEAD", func(t *testing.T) {
		for _, file := range files {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				res := s.audio(t, method, file, "")
				require.Equal(t, http.StatusUnauthorized, res.StatusCode, "anonymous %s", method)

				res = s.audio(t, method, file, bob)
				require.Equal(t, http.StatusPaymentRequired, res.StatusCode, "listener %s", method)
				require.Equal(t, "true", res.Header.Get("X-Support-Required"))

				for who, token := range map[string]string{"supporter": carol, "artist": s.token} {
					res = s.audio(t, method, file, token)
					require.Equal(t, "private, no-store", res.Header.Get("Cache-Control"), who)
					if method == http.MethodHead {
						require.Equal(t, http.StatusOK, res.StatusCode, "%s HEAD: no redirect", who)
						continue
					}
					require.Equal(t, http.StatusFound, res.StatusCode, who)
					require.Contains(t, res.Header.Get("Location"), "/"+s.private.Bucket()+"/", "%s gets the private bucket", who)
				}
			}
		}
		// The supporter's redirect plays.
		req, _ := http.NewRequest(http.MethodGet, s.url+"/audio/"+last.FileId, nil)
		req.Header.Set("Authorization", "Bearer "+carol)
		req.Header.Set("Range", "bytes=0-1023")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusPartialContent, res.StatusCode)
	})

	t.Run("an atprotofans that fails keeps the track closed", func(t *testing.T) {
		fans.AddSupporter("did:plc:dave", aliceDID)
		dave := s.account(t, "did:plc:dave", "dave.test")
		fans.FailNext(1, http.StatusServiceUnavailable)
		require.Equal(t, http.StatusPaymentRequired, s.audio(t, http.MethodHead, last.FileId, dave).StatusCode)
		require.Equal(t, http.StatusOK, s.audio(t, http.MethodHead, last.FileId, dave).StatusCode, "a failure is not cached")
	})

	t.Run("opening the track moves the audio back", func(t *testing.T) {
		require.False(t, gate(false).SupportersOnly)
		waitForObjects(t, s.store, len(files), s.private, 0)
		for _, file := range files {
			require.Equal(t, http.StatusFound, s.audio(t, http.MethodGet, file, "").StatusCode)
		}
	})

	t.Run("toggled quickly, the audio ends where the last toggle says", func(t *testing.T) {
		for _, on := range []bool{true, false, true, false, true} {
			gate(on)
		}
		// The gate workflow ends once no toggle waits.
		require.Eventually(t, func() bool {
			desc, err := s.temporal.DescribeWorkflowExecution(context.Background(), gateflow.WorkflowID(uuid.MustParse(accepted["trackId"])), "")
			return err == nil && desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
		}, 30*time.Second, 50*time.Millisecond)
		requireKeys(t, s.private, len(files))
		requireKeys(t, s.store, 0)
		require.Equal(t, http.StatusUnauthorized, s.audio(t, http.MethodGet, last.FileId, "").StatusCode)
	})
}

// waitForObjects waits until bucket a holds inA audio objects and bucket b inB. A move
// copies each file before it deletes the old copy, so waiting on the bucket moved to alone
// would catch the last file copied but not yet deleted from the other.
func waitForObjects(t *testing.T, a *storage.Client, inA int, b *storage.Client, inB int) {
	t.Helper()
	count := func(c *storage.Client) int {
		keys, err := c.List(context.Background(), "audio/")
		if err != nil {
			return -1
		}
		return len(keys)
	}
	require.Eventually(t, func() bool {
		return count(a) == inA && count(b) == inB
	}, 30*time.Second, 50*time.Millisecond, "%d objects in %s and %d in %s", inA, a.Bucket(), inB, b.Bucket())
}

func requireKeys(t *testing.T, c *storage.Client, n int) {
	t.Helper()
	keys, err := c.List(context.Background(), "audio/")
	require.NoError(t, err)
	require.Len(t, keys, n, "objects in %s: %v", c.Bucket(), keys)
}
