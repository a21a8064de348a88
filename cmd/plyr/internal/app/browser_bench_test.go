package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/web"
)

// BenchmarkWebClient measures the web client's budgets in headless Chromium (web/bench/
// budgets.mjs), each next to a baseline in the same run: the first contentful paint of the
// feed over 10 cold loads against a bare page's, when the feed's tracks show, the
// JavaScript a cold load runs (gzipped), and press-play-to-playing on the track page
// against a bare <audio> element playing the same /audio URL.
func BenchmarkWebClient(b *testing.B) {
	if web.App() == nil {
		b.Fatal("built without the web client: run `make bench` (or `make web` first)")
	}
	chromium := os.Getenv("PLYR_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, file, _, _ := runtime.Caller(0)
	webDir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "web")

	s := newStack(b, 32<<20)
	trackID, fileID := s.uploadTrack(b, s.token, "Bench sine")

	// The baselines are served by plyr's own listener's neighbour on loopback; the audio one
	// plays plyr's /audio URL (so the same redirect and storage), without the app.
	baseline := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/audio" {
			// The URL is given at the press, as the app's player does.
			fmt.Fprintf(w, `<!doctype html><title>audio</title><audio></audio>`+
				`<button onclick="const a = document.querySelector('audio'); a.src = '%s/audio/%s'; a.play()">Play</button>`, s.url, fileID)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>baseline</title><p>Latest tracks</p>`)
	}))
	defer baseline.Close()

	for b.Loop() {
		cmd := exec.Command("node", "bench/budgets.mjs")
		cmd.Dir = webDir
		cmd.Env = append(os.Environ(),
			"PLYR_URL="+s.url, "PLYR_TRACK_ID="+trackID,
			"PLYR_BASELINE_URL="+baseline.URL+"/", "PLYR_BASELINE_AUDIO="+baseline.URL+"/audio",
			"PLYR_CHROMIUM="+chromium)
		out, err := cmd.CombinedOutput()
		require.NoError(b, err, "%s", out)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var r struct {
			Runs         int     `json:"runs"`
			BaselineFCP  float64 `json:"baseline_fcp_ms"`
			FeedFCP      float64 `json:"feed_fcp_ms"`
			FeedShown    float64 `json:"feed_tracks_shown_ms"`
			InitialJSKB  float64 `json:"initial_js_gzip_kb"`
			BaselinePlay float64 `json:"baseline_play_ms"`
			AppPlay      float64 `json:"app_play_ms"`
		}
		require.NoError(b, json.Unmarshal([]byte(lines[len(lines)-1]), &r), "%s", out)
		b.Logf("medians of %d cold loads: first contentful paint: feed %.0f ms, bare page %.0f ms; feed tracks shown at %.0f ms",
			r.Runs, r.FeedFCP, r.BaselineFCP, r.FeedShown)
		b.Logf("initial JavaScript %.1f kB gzipped (budget 120 kB)", r.InitialJSKB)
		b.Logf("press play to playing: track page %.0f ms, bare <audio> %.0f ms", r.AppPlay, r.BaselinePlay)
		b.ReportMetric(r.FeedFCP, "feed-fcp-ms")
		b.ReportMetric(r.BaselineFCP, "baseline-fcp-ms")
		b.ReportMetric(r.FeedShown, "feed-shown-ms")
		b.ReportMetric(r.InitialJSKB, "initial-js-kB")
		b.ReportMetric(r.AppPlay, "play-ms")
		b.ReportMetric(r.BaselinePlay, "baseline-play-ms")
	}
}
