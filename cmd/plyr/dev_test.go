//go:build !nodevstack

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/devstack/testenv/testtemporal"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/media/v1/mediav1connect"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/ports"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// stopBound is how long Ctrl-C may take: every component has a bounded stop, so anything
// near this means one of them hung.
const stopBound = 20 * time.Second

// devRun is a `plyr dev` running in this process.
type devRun struct {
	ready  devReady
	cancel context.CancelFunc
	done   chan error
	out    *bytes.Buffer
}

// startDev runs `plyr dev` with the environment env (on top of free ports and dataDir).
func startDev(t *testing.T, dataDir string, env map[string]string) *devRun {
	t.Helper()
	uiPort, err := ports.Free("127.0.0.1")
	require.NoError(t, err)
	vars := map[string]string{
		"PLYR_DATA_DIR": dataDir, "PLYR_HTTP_ADDR": "127.0.0.1:0", "PLYR_DEV_TEMPORAL_ADDR": "127.0.0.1:0",
		"PLYR_TEMPORAL_UI_ADDR": fmt.Sprintf("127.0.0.1:%d", uiPort), "PLYR_DEV_S3_ADDR": "127.0.0.1:0",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Parse(func(k string) string { return vars[k] })
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	r := &devRun{cancel: cancel, done: make(chan error, 1), out: &bytes.Buffer{}}
	readyc := make(chan devReady, 1)
	go func() {
		r.done <- runDev(ctx, func() {}, cfg, logging.Discard(), r.out, func(d devReady) { readyc <- d })
	}()
	select {
	case r.ready = <-readyc:
	case err := <-r.done:
		t.Fatalf("plyr dev stopped before it was up: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("plyr dev did not come up")
	}
	return r
}

// stop cancels the run like Ctrl-C and returns how long it took to end.
func (r *devRun) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	r.cancel()
	select {
	case err := <-r.done:
		require.NoError(t, err)
		return time.Since(start)
	case <-time.After(2 * stopBound):
		t.Fatal("plyr dev did not stop")
		return 0
	}
}

func (r *devRun) url(path string) string { return "http://" + r.ready.HTTPAddr + path }

// dataDir is a temporary directory the postgres user can enter when the tests run as root.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

func TestDev_UpUploadPlayStopAndReuse(t *testing.T) {
	dataDir := dataDir(t)
	t.Setenv("PLYR_DATA_DIR", dataDir) // for `plyr admin token`, which finds the stack by dev.env

	first := startDev(t, dataDir, nil)
	require.Contains(t, first.out.String(), "plyr dev is up")
	res, err := http.Get(first.url("/readyz"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	// A token, as the README says: the last line of `plyr admin token`.
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), func() {}, []string{"admin", "token", "--did", "did:plc:devtest", "--handle", "dev.test"}, &out, io.Discard))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(token, "plyr_"), out.String())

	song := audiotest.Make(t, "mp3", 3)
	trackID, fileID := uploadAndWait(t, first, token, song)

	// The Temporal Web UI lists the completed upload workflow.
	res, err = http.Get("http://" + first.ready.Config.TemporalUIAddr + "/api/v1/namespaces/default/workflows")
	require.NoError(t, err)
	var listing struct {
		Executions []struct {
			Execution struct{ WorkflowID string } `json:"execution"`
			Status    string                      `json:"status"`
		} `json:"executions"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&listing))
	res.Body.Close()
	// It lists the upload, completed, the write of the track's record (which an operator
	// token's account, holding no PDS grant, cannot make: it ends failed: auth), and the
	// track's copyright check (off in dev: no AudD token).
	statuses := map[string]string{}
	for _, e := range listing.Executions {
		statuses[e.Execution.WorkflowID] = e.Status
	}
	require.Equal(t, "WORKFLOW_EXECUTION_STATUS_COMPLETED", statuses["upload/"+trackID], statuses)
	require.Contains(t, statuses, "copyright/"+trackID)
	require.Len(t, statuses, 3, statuses)
	for id := range statuses {
		if id != "upload/"+trackID && id != "copyright/"+trackID {
			require.True(t, strings.HasPrefix(id, "record/did:plc:devtest/fm.plyr.track/"), id)
		}
	}

	requireRange(t, first, fileID, song)

	took := first.stop(t)
	t.Logf("plyr dev stopped in %s", took)
	require.Less(t, took, stopBound)
	require.NoFileExists(t, filepath.Join(dataDir, devEnvFile))
	require.NoFileExists(t, filepath.Join(dataDir, "pg", "postmaster.pid"), "postgres still running")

	// A second run reuses the data: the track and its audio are still there.
	second := startDev(t, dataDir, nil)
	t.Cleanup(func() { second.stop(t) })
	list := catalogv1connect.NewCatalogServiceClient(http.DefaultClient, second.url(""), connect.WithProtoJSON())
	tracks, err := list.ListTracks(context.Background(), &catalogv1.ListTracksRequest{})
	require.NoError(t, err)
	require.Len(t, tracks.Tracks, 1)
	require.Equal(t, trackID, tracks.Tracks[0].Id)
	requireRange(t, second, fileID, song)
}

func TestDev_ExternalServicesReplaceEmbeddedOnes(t *testing.T) {
	bucket := testenv.NewBucket(t)
	dataDir := dataDir(t)
	r := startDev(t, dataDir, map[string]string{
		"DATABASE_URL":     testenv.NewDatabaseURL(t),
		"TEMPORAL_ADDRESS": testtemporal.Address(t),
		"S3_ENDPOINT":      bucket.Endpoint, "S3_BUCKET": bucket.Bucket,
		"S3_ACCESS_KEY_ID": bucket.AccessKeyID, "S3_SECRET_ACCESS_KEY": bucket.SecretAccessKey,
	})
	t.Cleanup(func() { r.stop(t) })
	require.NoDirExists(t, filepath.Join(dataDir, "pg"), "an embedded postgres was started")
	require.NoDirExists(t, filepath.Join(dataDir, "s3"), "an embedded s3 was started")
	require.NoFileExists(t, filepath.Join(dataDir, "temporal.db"), "an embedded temporal was started")
	require.NotContains(t, r.out.String(), "Temporal UI", "no UI without the embedded server")
	require.Equal(t, bucket.Endpoint, r.ready.Config.S3.Endpoint)
	res, err := http.Get(r.url("/readyz"))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

// uploadAndWait uploads audio and follows WatchUpload to READY.
func uploadAndWait(t *testing.T, r *devRun, token string, audio []byte) (trackID, fileID string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("title", "dev test")
	fw, _ := w.CreateFormFile("file", "song.mp3")
	_, _ = fw.Write(audio)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, r.url("/upload"), &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var accepted map[string]string
	require.NoError(t, json.NewDecoder(res.Body).Decode(&accepted))
	res.Body.Close()
	require.Equal(t, http.StatusAccepted, res.StatusCode, accepted)

	media := mediav1connect.NewMediaServiceClient(http.DefaultClient, r.url(""), connect.WithProtoJSON())
	ctx, cancel := context.WithTimeout(rpctest.WithToken(context.Background(), token), time.Minute)
	defer cancel()
	stream, err := media.WatchUpload(ctx, &mediav1.WatchUploadRequest{UploadId: accepted["uploadId"]})
	require.NoError(t, err)
	var last *mediav1.WatchUploadResponse
	for stream.Receive() {
		last = stream.Msg()
	}
	require.NoError(t, stream.Err())
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
	return accepted["trackId"], last.FileId
}

func requireRange(t *testing.T, r *devRun, fileID string, want []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url("/audio/"+fileID), nil)
	req.Header.Set("Range", "bytes=100-4195")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusPartialContent, res.StatusCode)
	require.Equal(t, want[100:4196], got)
}

// TestDev_SignInOfflineAsADemoAccount is the newcomer's path of `make dev-pds`: the
// reference PDS runs on loopback with demo accounts, a browser on this machine signs in
// through it, and the session cookie works on GetMe.
func TestDev_SignInOfflineAsADemoAccount(t *testing.T) {
	r := startDev(t, dataDir(t), map[string]string{"PLYR_DEV_PDS": "true"})
	t.Cleanup(func() { r.stop(t) })
	require.Contains(t, r.out.String(), "Sign in as alice.test")

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Typed into the address bar: the browser says Sec-Fetch-Site: none.
	req, err := http.NewRequest(http.MethodGet, r.url("/auth/start?identifier=alice.test"), nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "none")
	res, err := browser.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	authURL := res.Header.Get("Location")
	require.True(t, strings.HasPrefix(authURL, "http://localhost:"), "the PDS's sign-in page is on this machine: %s", authURL)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	callback, err := devpds.NewBrowser(nil).Authorize(ctx, authURL, devpds.Credentials{Handle: "alice.test", Password: "alice-pass"})
	require.NoError(t, err)
	res, err = browser.Get(callback.String())
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)

	ids := identityv1connect.NewIdentityServiceClient(browser, r.url(""))
	me, err := ids.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.Equal(t, "alice.test", me.Account.Handle)

	// New accounts are offered on the local PDS, so signing up works offline too.
	options, err := ids.ListPdsOptions(ctx, &identityv1.ListPdsOptionsRequest{})
	require.NoError(t, err)
	require.True(t, options.Enabled)
	require.Len(t, options.Options, 1)
	require.True(t, strings.HasPrefix(options.Options[0].Url, "http://localhost:"), options.Options[0].Url)
}

func TestDevStack_StopIsBoundedWhenAComponentHangs(t *testing.T) {
	stack := &devStack{logger: logging.Discard(), timeout: 100 * time.Millisecond}
	var stopped []string
	stack.onStop(func(context.Context) { stopped = append(stopped, "first") })
	stack.onStop(func(context.Context) { select {} }) // a worker that never returns
	stack.onStop(func(context.Context) { stopped = append(stopped, "last") })

	done := make(chan struct{})
	go func() { stack.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a hung component held the stop")
	}
	require.Equal(t, []string{"last", "first"}, stopped, "the others still stop, newest first")
}

func TestRedactURL(t *testing.T) {
	require.Equal(t, "postgres://plyr:***@127.0.0.1:5432/plyr?sslmode=disable",
		redactURL("postgres://plyr:s3cret@127.0.0.1:5432/plyr?sslmode=disable"))
	require.Equal(t, "postgres://127.0.0.1/plyr", redactURL("postgres://127.0.0.1/plyr"))
}

func TestRun_Usage(t *testing.T) {
	var stderr bytes.Buffer
	require.ErrorIs(t, run(context.Background(), func() {}, []string{"bogus"}, io.Discard, &stderr), errUsage)
	require.Contains(t, stderr.String(), `unknown command "bogus"`)
	require.ErrorIs(t, run(context.Background(), func() {}, []string{"admin", "token"}, io.Discard, &stderr), errUsage)
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), func() {}, []string{"help"}, &stdout, io.Discard))
	for _, v := range config.Vars {
		require.Contains(t, stdout.String(), v.Name)
	}
}
