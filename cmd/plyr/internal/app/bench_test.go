package app_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/plyrfm/plyr/internal/audiotest"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/workflows/upload"
)

// Benchmarks run the whole stack and measure for themselves, so run them once each:
//
//	make bench   (go test -run '^$' -bench . -benchtime 1x ./internal/app/)
//
// PLYR_BENCH_UPLOADS (default 20) and PLYR_BENCH_SECONDS (default 5) change their size.

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// fiveMegabyteMP3 is about 5 MB of 192 kb/s MP3 (3:38), the size the issue names.
func fiveMegabyteMP3(b *testing.B) []byte {
	b.Helper()
	mp3 := audiotest.Make(b, "mp3", 218.5)
	b.Logf("test file: %.2f MB MP3", float64(len(mp3))/1e6)
	return mp3
}

// BenchmarkUploadToPlayable measures, for a 5 MB MP3, the time from the end of the POST
// (the 202) to WatchUpload reporting READY: validation (download, sniff, ffprobe, full
// decode), storing and publishing.
func BenchmarkUploadToPlayable(b *testing.B) {
	s := newStack(b, 64<<20)
	mp3 := fiveMegabyteMP3(b)
	n := envInt("PLYR_BENCH_UPLOADS", 20)

	// One upload first, so the measured ones do not pay for cold caches.
	s.uploadAndWait(b, mp3)
	var latencies, inspections []time.Duration
	var lastTrack string
	b.ResetTimer()
	for range b.N {
		for range n {
			var d time.Duration
			d, lastTrack = s.uploadAndWaitTrack(b, mp3)
			latencies = append(latencies, d)
			b.StopTimer()
			inspections = append(inspections, s.activityDurations(b, upload.WorkflowID(uuid.MustParse(lastTrack)))[upload.ProgressActivity])
			b.StartTimer()
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	slices.Sort(inspections)
	p50, p95 := percentile(latencies, 0.50), percentile(latencies, 0.95)
	b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p95.Milliseconds()), "p95-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Milliseconds()), "max-ms")
	b.ReportMetric(float64(percentile(inspections, 0.50).Milliseconds()), "inspect-p50-ms")
	b.Logf("upload-to-playable over %d uploads of %.1f MB: p50 %s, p95 %s, min %s, max %s; InspectUpload p50 %s",
		len(latencies), float64(len(mp3))/1e6, p50, p95, latencies[0], latencies[len(latencies)-1],
		percentile(inspections, 0.50))
	b.Logf("where the last upload's time went (activity start to completion, from its history): %s",
		s.activityTimes(b, upload.WorkflowID(uuid.MustParse(lastTrack))))
}

// uploadAndWait uploads audio and returns the time from the 202 to READY.
func (s *stack) uploadAndWait(b *testing.B, audio []byte) time.Duration {
	d, _ := s.uploadAndWaitTrack(b, audio)
	return d
}

func (s *stack) uploadAndWaitTrack(b *testing.B, audio []byte) (time.Duration, string) {
	b.Helper()
	code, accepted := s.postUpload(b, s.token, "bench", "bench.mp3", uniqueMP3(audio))
	require.Equal(b, 202, code, accepted)
	start := time.Now()
	msgs := s.watch(b, accepted["uploadId"])
	elapsed := time.Since(start)
	last := msgs[len(msgs)-1]
	require.Equal(b, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
	return elapsed, accepted["trackId"]
}

// activityTimes lists how long each activity of a workflow ran, and the whole workflow.
func (s *stack) activityTimes(b *testing.B, workflowID string) string {
	b.Helper()
	iter := s.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	names := map[int64]string{}
	started := map[int64]time.Time{}
	var first, last time.Time
	var out []string
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(b, err)
		at := ev.GetEventTime().AsTime()
		if first.IsZero() {
			first = at
		}
		last = at
		switch {
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			names[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case ev.GetActivityTaskStartedEventAttributes() != nil:
			started[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()] = at
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			id := ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
			out = append(out, fmt.Sprintf("%s %s", names[id], at.Sub(started[id]).Round(time.Millisecond)))
		}
	}
	return fmt.Sprintf("%s; workflow %s", strings.Join(out, ", "), last.Sub(first).Round(time.Millisecond))
}

// activityDurations is how long each activity of a workflow ran (its last attempt, from
// start to completion), by activity type.
func (s *stack) activityDurations(b *testing.B, workflowID string) map[string]time.Duration {
	b.Helper()
	iter := s.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	names := map[int64]string{}
	started := map[int64]time.Time{}
	out := map[string]time.Duration{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(b, err)
		switch {
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			names[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case ev.GetActivityTaskStartedEventAttributes() != nil:
			started[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()] = ev.GetEventTime().AsTime()
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			id := ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
			out[names[id]] = ev.GetEventTime().AsTime().Sub(started[id])
		}
	}
	return out
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// BenchmarkAudioRangeGET measures 64 KB Range GETs with 50 concurrent clients against
// /audio/{fileId} (each request follows the 302 to the presigned URL), against Go's
// http.ServeContent serving the same file straight from disk, and against the presigned
// URL reused (what a browser does while the redirect is cached), all in one run.
func BenchmarkAudioRangeGET(b *testing.B) {
	s := newStack(b, 64<<20)
	mp3 := fiveMegabyteMP3(b)
	code, accepted := s.postUpload(b, s.token, "bench", "bench.mp3", uniqueMP3(mp3))
	require.Equal(b, 202, code)
	msgs := s.watch(b, accepted["uploadId"])
	fileID := msgs[len(msgs)-1].FileId
	require.NotEmpty(b, fileID)

	path := filepath.Join(b.TempDir(), "bench.mp3")
	require.NoError(b, os.WriteFile(path, mp3, 0o644))
	modTime := time.Now()
	disk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "bench.mp3", modTime, f)
	}))
	defer disk.Close()

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(s.url + "/audio/" + fileID)
	require.NoError(b, err)
	res.Body.Close()
	presigned := res.Header.Get("Location")
	require.NotEmpty(b, presigned)

	duration := time.Duration(envInt("PLYR_BENCH_SECONDS", 5)) * time.Second
	const clients, rangeSize = 50, 64 << 10
	b.ResetTimer()
	diskRPS := rangeLoad(b, disk.URL+"/bench.mp3", mp3, clients, rangeSize, duration)
	plyrRPS := rangeLoad(b, s.url+"/audio/"+fileID, mp3, clients, rangeSize, duration)
	directRPS := rangeLoad(b, presigned, mp3, clients, rangeSize, duration)
	redirectRPS := redirectLoad(b, s.url+"/audio/"+fileID, clients, duration)
	b.StopTimer()

	b.ReportMetric(plyrRPS, "plyr-req/s")
	b.ReportMetric(diskRPS, "servecontent-req/s")
	b.ReportMetric(directRPS, "presigned-req/s")
	b.ReportMetric(redirectRPS, "redirect-only-req/s")
	b.ReportMetric(plyrRPS/diskRPS, "plyr/servecontent")
	b.Logf("64 KB ranges, %d clients, %s each: ServeContent from disk %.0f req/s (%.0f MB/s); "+
		"/audio with redirect %.0f req/s (%.0f MB/s), ratio %.3f; presigned URL reused %.0f req/s (ratio %.3f); "+
		"plyr's part alone (the 302) %.0f req/s",
		clients, duration, diskRPS, diskRPS*rangeSize/1e6, plyrRPS, plyrRPS*rangeSize/1e6, plyrRPS/diskRPS,
		directRPS, directRPS/diskRPS, redirectRPS)
}

// redirectLoad measures /audio's own work: the lookup and the presigned 302, not followed.
func redirectLoad(b *testing.B, url string, clients int, d time.Duration) float64 {
	b.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: clients * 2}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				res, err := client.Do(req)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusFound && ctx.Err() == nil {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / d.Seconds()
}

// rangeLoad runs clients goroutines fetching random 64 KB ranges of url for d and returns
// requests per second. Every response is checked against the original bytes.
func rangeLoad(b *testing.B, url string, original []byte, clients, size int, d time.Duration) float64 {
	b.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	var failure atomic.Value
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			buf := make([]byte, size)
			for ctx.Err() == nil {
				start := rng.IntN(len(original) - size)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, start+size-1))
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failure.Store(err.Error())
					}
					return
				}
				n, err := io.ReadFull(res.Body, buf)
				res.Body.Close()
				if ctx.Err() != nil {
					return
				}
				if err != nil || res.StatusCode != http.StatusPartialContent || n != size || string(buf) != string(original[start:start+size]) {
					failure.Store(fmt.Sprintf("bad range response: status %d, %d bytes, err %v", res.StatusCode, n, err))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if f := failure.Load(); f != nil {
		b.Fatalf("%s: %v", url, f)
	}
	return float64(done.Load()) / d.Seconds()
}
