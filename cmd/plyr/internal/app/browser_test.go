package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/atprotofanstest"
	"github.com/plyrfm/plyr/internal/auddtest"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/web"
)

// TestBrowser runs the web client's browser tests (web/tests, Playwright driving Debian's
// headless Chromium) against a whole plyr: this stack, with the reference PDS in loopback
// mode so that the browser signs in on the PDS's own pages, as a person does under
// `make dev-pds`. Screenshots land in web/tests/artifacts (or $PLYR_TEST_ARTIFACTS).
func TestBrowser(t *testing.T) {
	if web.App() == nil {
		t.Fatal("this test binary was built without the web client: run `make test` (or `make web` first)")
	}
	chromium := os.Getenv("PLYR_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s: run `make test` (scripts/ensure-deps browser installs it) or set PLYR_CHROMIUM", chromium)
	}
	_, file, _, _ := runtime.Caller(0)
	webDir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "web")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	net, err := devpds.Start(ctx, devpds.Options{})
	require.NoError(t, err, "start the reference PDS in loopback mode (make pds-harness installs it)")
	t.Cleanup(func() { net.Stop(10 * time.Second) })

	fans := atprotofanstest.New(t) // the second account supports nobody (08-pds-gating)
	// An administrator who signs in on the PDS, for the review screens (09-moderation).
	admin, err := net.CreateAccount(ctx, fmt.Sprintf("mod%d.test", time.Now().UnixNano()%1_000_000), "mod-pass-123")
	require.NoError(t, err)
	adminJSON, _ := json.Marshal(admin)
	// AudD hears the same song in most of every upload, so every track is flagged for
	// review (10-takedown-dmca); nothing is taken down without the admin.
	audd := auddtest.New(t, "audd-token")
	hit := auddtest.Song{Artist: "Famous Band", Title: "Big Hit", Album: "Hits", ISRC: "USAAA0000001", SongLink: "https://lis.tn/big-hit"}
	audd.Default(auddtest.Matches(
		auddtest.Group{Offset: 0, Songs: []auddtest.Song{hit}},
		auddtest.Group{Offset: 12 * time.Second, Songs: []auddtest.Song{hit}},
		auddtest.Group{Offset: 24 * time.Second, Songs: []auddtest.Song{{Artist: "Someone", Title: "Else"}}},
	))
	s := newStackWith(t, stackOptions{
		admins:      []string{admin.DID},
		legal:       config.Legal{AuddToken: "audd-token", AuddURL: audd.URL(), CopyrightThresholdPct: 30, ScanRetryInterval: 100 * time.Millisecond},
		auddClient:  true,
		maxUpload:   32 << 20,
		atprotofans: fans.URL,
		atproto:     &app.ATProto{HTTPClient: net.HTTPClient(), Directory: net.Directory(), AllowLoopbackPDS: true},
		records:     config.Records{WriteAttempts: 3, WriteTimeout: 5 * time.Second},
	})

	var accounts []devpds.Account
	for _, name := range []string{"ada", "bo"} {
		handle := fmt.Sprintf("%s%d.test", name, time.Now().UnixNano()%1_000_000)
		acct, err := net.CreateAccount(ctx, handle, name+"-pass-123")
		require.NoError(t, err)
		accounts = append(accounts, acct)
		// Both may upload lossless files (07-lossless): the flag needs the account row.
		_, err = s.app.Identity().EnsureAccount(ctx, acct.DID, acct.Handle)
		require.NoError(t, err)
		s.setFlag(t, acct.DID, media.FlagLossless)
		s.setFlag(t, acct.DID, media.FlagPDSAudio) // 08-pds-gating
	}
	accountsJSON, _ := json.Marshal(accounts)

	fixtures := t.TempDir()
	mp3 := filepath.Join(fixtures, "sine.mp3")
	require.NoError(t, os.WriteFile(mp3, audiotest.Make(t, "mp3", 20), 0o600))
	flac := filepath.Join(fixtures, "sine.flac")
	require.NoError(t, os.WriteFile(flac, audiotest.Make(t, "flac", 20), 0o600))
	image := filepath.Join(fixtures, "artwork.png")
	ffmpeg := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=0x3366cc:s=600x600", "-frames:v", "1", image)
	out, err := ffmpeg.CombinedOutput()
	require.NoError(t, err, "ffmpeg: %s", out)

	artifacts := os.Getenv("PLYR_TEST_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(webDir, "tests", "artifacts")
	}
	require.NoError(t, os.MkdirAll(artifacts, 0o755))

	run, stop := context.WithTimeout(context.Background(), 15*time.Minute)
	defer stop()
	// PLYR_BROWSER_TESTS narrows the run to some files (tests/05-search-queue.test.mjs …)
	// while working on a screen.
	files := []string{"tests/"}
	if only := strings.Fields(os.Getenv("PLYR_BROWSER_TESTS")); len(only) > 0 {
		files = only
	}
	cmd := exec.CommandContext(run, "node", append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)...)
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(),
		"PLYR_URL="+s.url,
		"PLYR_PDS_URL="+net.PDSURL,
		"PLYR_ACCOUNTS="+string(accountsJSON),
		"PLYR_ADMIN_ACCOUNT="+string(adminJSON),
		"PLYR_TEST_MP3="+mp3,
		"PLYR_TEST_FLAC="+flac,
		"PLYR_TEST_IMAGE="+image,
		"PLYR_TEST_ARTIFACTS="+artifacts,
		"PLYR_CHROMIUM="+chromium,
	)
	out, err = cmd.CombinedOutput()
	t.Logf("browser tests:\n%s", out)
	require.NoError(t, err, "the browser tests failed (output above; screenshots in %s)", artifacts)
}
