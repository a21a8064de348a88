package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"regexp"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

// BenchmarkSubsonic measures what a Subsonic app costs the server on a large catalog, and
// its playback, each next to what the web client does for the same, in one run:
//
//	go test -run '^$' -bench BenchmarkSubsonic -benchtime 1x -timeout 30m ./cmd/plyr/internal/app/
//	make bench   (all the benchmarks)
//
// The catalog is PLYR_BENCH_SUBSONIC_TRACKS tracks (default 100,000) seeded with SQL, and
// one uploaded track. The sub-benchmarks:
//
//   - search3-sync: a full sync as apps do it (search3 with an empty query, songs only,
//     pages of 500 by songOffset until a short page): total time, per-page p50/p95, the
//     last tenth of the pages against the first (a sync must not slow down as it goes),
//     and the memory of the process (the server runs in it): the peak heap in use,
//     sampled every 10 ms, over the heap before the sync; bytes allocated; peak RSS.
//   - search3-sync-again: the same sync right after the first.
//   - listtracks-sync: the baseline, the same walk through the web client's listing
//     (CatalogService ListTracks, pages of 100 by page token, JSON), measured alike.
//   - unmarked-page: one page at a deep offset no page of a sync ended at (an app that
//     fetches pages out of order, or a sync that resumes in another server process).
//   - stream-ttfb: time to the first audio byte of GET /rest/stream.view following its
//     redirect to storage, next to GET /audio/{fileId} (the web player's path), for the
//     uploaded track, PLYR_BENCH_STREAMS times each (default 50), interleaved.
//   - summary: the table of all of them.
//
// Every sync is checked to see each track exactly once. Timings are reported, never
// asserted. PLYR_BENCH_EXPLAIN=1 (or a sync over 20 s) prints the plans of the library's
// track queries on the seeded catalog, each twice: as a generic plan (which a prepared
// statement may switch to after five runs) and as a custom plan (the values bound).
//
// The client runs in the process too: the heap and allocations measured include its
// reading of each page (the body, and a decoding of the songs' ids and a few fields).
func BenchmarkSubsonic(b *testing.B) {
	s := newStack(b, 64<<20)
	tracks := envInt("PLYR_BENCH_SUBSONIC_TRACKS", 100_000)
	streams := envInt("PLYR_BENCH_STREAMS", 50)

	trackID, fileID := s.uploadTrack(b, s.token, "Time to first byte")
	seedLog := seedSubsonicLibrary(b, s, tracks)
	want := tracks + 1 // the seeded tracks and the upload
	uploaded := "tr-" + trackID

	var first, again, web syncRun
	var unmarked time.Duration
	var stream, audio ttfbRun
	b.Run("search3-sync", func(b *testing.B) {
		for range b.N {
			first = s.subsonicSync(b, 500, want, uploaded)
		}
		first.report(b)
	})
	b.Run("search3-sync-again", func(b *testing.B) {
		for range b.N {
			again = s.subsonicSync(b, 500, want, uploaded)
		}
		again.report(b)
	})
	b.Run("listtracks-sync", func(b *testing.B) {
		for range b.N {
			web = s.listTracksSync(b, 100, want, trackID)
		}
		web.report(b)
	})
	b.Run("unmarked-page", func(b *testing.B) {
		// An offset no sync stopped at: the page walks every track before it.
		skip := max(1, want-1007)
		for range b.N {
			t0 := time.Now()
			got := s.search3Page(b, 500, skip)
			unmarked = time.Since(t0)
			require.Len(b, got.ids, min(500, want-skip))
		}
		b.ReportMetric(benchMillis(unmarked), "ms")
		b.Logf("one page of 500 at offset %d, where no sync's page ended: %s", skip, unmarked.Round(time.Microsecond))
	})
	b.Run("stream-ttfb", func(b *testing.B) {
		for range b.N {
			stream, audio = s.streamTTFB(b, trackID, fileID, streams)
		}
		for _, r := range []struct {
			name string
			run  ttfbRun
		}{{"stream", stream}, {"audio", audio}} {
			b.ReportMetric(benchMillis(percentile(r.run.ttfb, 0.50)), r.name+"-p50-ms")
			b.ReportMetric(benchMillis(percentile(r.run.ttfb, 0.95)), r.name+"-p95-ms")
			b.ReportMetric(benchMillis(percentile(r.run.redirect, 0.50)), r.name+"-302-p50-ms")
		}
		b.Logf("first audio byte over %d requests each: stream.view %s, /audio %s", streams, stream, audio)
	})

	// The summary: a benchmark of its own, since a benchmark with sub-benchmarks shows its
	// log only with -v (and at most 10 lines of it).
	b.Run("summary", func(b *testing.B) {
		if len(first.pages) == 0 || len(again.pages) == 0 || len(web.pages) == 0 || len(stream.ttfb) == 0 {
			b.Skip("the summary needs every other sub-benchmark")
		}
		var out strings.Builder
		fmt.Fprintf(&out, "%s\n", seedLog)
		fmt.Fprintf(&out, "%-30s %5s %7s %8s %9s %9s %9s %10s %10s %9s %9s\n", "full sync", "pages", "page", "total",
			"page p50", "page p95", "last/1st", "peak heap", "heap +", "alloc", "peak RSS")
		for _, r := range []struct {
			name string
			run  syncRun
		}{{"search3, 500 a page", first}, {"search3 again, 500 a page", again}, {"ListTracks, 100 a page", web}} {
			fmt.Fprintf(&out, "%-30s %5d %7s %8s %9s %9s %9.2f %7.0f MiB %6.0f MiB %5.0f MiB %5.0f MiB\n", r.name, len(r.run.pages),
				r.run.pageKB(), r.run.total.Round(time.Millisecond), roundMillis(percentile(r.run.sorted(), 0.50)), roundMillis(percentile(r.run.sorted(), 0.95)),
				r.run.slowdown(), mib(r.run.peakHeap), mib(r.run.peakHeap-min(r.run.peakHeap, r.run.heapBefore)), mib(r.run.allocated), mib(uint64(r.run.peakRSS)))
		}
		fmt.Fprintf(&out, "search3 page at an unmarked offset: %s\n", roundMillis(unmarked))
		fmt.Fprintf(&out, "time to first audio byte, %d each: stream.view %s; /audio %s\n", streams, stream, audio)
		b.Log("\n" + strings.TrimSpace(out.String()))
		b.ReportMetric(first.total.Seconds(), "search3-sync-s")
		b.ReportMetric(web.total.Seconds(), "listtracks-sync-s")
		b.ReportMetric(first.total.Seconds()/web.total.Seconds(), "search3/listtracks")

		if os.Getenv("PLYR_BENCH_EXPLAIN") == "1" || first.total > 20*time.Second || again.total > 20*time.Second {
			// Printed, not logged: go test keeps only 10 lines of a benchmark's log.
			fmt.Print(explainLibrary(b, s, want))
		}
	})
}

// --- The syncs -----------------------------------------------------------------------

// syncRun is what one full sync measured.
type syncRun struct {
	total time.Duration
	pages []time.Duration // in the order they were read
	// Memory of the process: heap in use before (after a GC) and at its peak, bytes
	// allocated during the sync, and the peak RSS (the high-water mark, reset before).
	heapBefore, peakHeap, allocated uint64
	peakRSS                         int64
	// bytes is the size of the answers' bodies (search3 only: 0 for ListTracks).
	bytes int
}

// pageKB is the mean size of a page's answer, "-" when not known.
func (r syncRun) pageKB() string {
	if r.bytes == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f KB", float64(r.bytes)/float64(len(r.pages))/1024)
}

func (r syncRun) sorted() []time.Duration { return slices.Sorted(slices.Values(r.pages)) }

// slowdown is the median page of the last tenth of the sync over that of the first
// tenth: about 1 when a page costs the same wherever it is.
func (r syncRun) slowdown() float64 {
	tenth := max(1, len(r.pages)/10)
	med := func(d []time.Duration) time.Duration { return percentile(slices.Sorted(slices.Values(d)), 0.5) }
	return med(r.pages[len(r.pages)-tenth:]).Seconds() / med(r.pages[:tenth]).Seconds()
}

func (r syncRun) report(b *testing.B) {
	sorted := r.sorted()
	b.ReportMetric(r.total.Seconds(), "total-s")
	b.ReportMetric(benchMillis(percentile(sorted, 0.50)), "page-p50-ms")
	b.ReportMetric(benchMillis(percentile(sorted, 0.95)), "page-p95-ms")
	b.ReportMetric(r.slowdown(), "last/first-page")
	b.ReportMetric(mib(r.peakHeap), "peak-heap-MiB")
	b.ReportMetric(mib(r.peakHeap-min(r.peakHeap, r.heapBefore)), "heap-growth-MiB")
	b.ReportMetric(mib(r.allocated), "alloc-MiB")
	b.ReportMetric(mib(uint64(r.peakRSS)), "peak-rss-MiB")
	if r.bytes > 0 {
		b.ReportMetric(float64(r.bytes)/float64(len(r.pages))/1024, "page-KB")
	}
	b.Logf("%d pages (%s each) in %s: page p50 %s, p95 %s, max %s, first %s, last tenth/first tenth %.2f; heap %.0f MiB before, peak %.0f MiB; %.0f MiB allocated; peak RSS %.0f MiB",
		len(r.pages), r.pageKB(), r.total.Round(time.Millisecond), roundMillis(percentile(sorted, 0.50)), roundMillis(percentile(sorted, 0.95)),
		roundMillis(sorted[len(sorted)-1]), roundMillis(r.pages[0]), r.slowdown(), mib(r.heapBefore), mib(r.peakHeap), mib(r.allocated), mib(uint64(r.peakRSS)))
}

// measureSync runs walk (which reads every page, timing each) with the process's memory
// watched, and returns what it measured.
func measureSync(b *testing.B, walk func(page func(func()))) syncRun {
	b.Helper()
	var r syncRun
	var sampler heapSampler
	sampler.start()
	r.heapBefore = sampler.before
	rssBefore := resetPeakRSS(b)
	allocsBefore := heapAllocs()
	t0 := time.Now()
	walk(func(read func()) {
		p0 := time.Now()
		read()
		r.pages = append(r.pages, time.Since(p0))
	})
	r.total = time.Since(t0)
	r.peakHeap = sampler.stop()
	r.allocated = heapAllocs() - allocsBefore
	r.peakRSS = max(peakRSS(b), rssBefore)
	return r
}

// search3Result is what a sync reads of a search3 page.
type search3Result struct {
	ids              []string
	bytes            int // the answer's body
	onAlbums, tagged int
	named, invalid   int // songs with an artist name; of them, those named handle.invalid (no account)
}

// search3Page reads one page of songs of the whole library.
func (s *stack) search3Page(b *testing.B, size, skip int) search3Result {
	b.Helper()
	params := url.Values{
		"query": {""}, "songCount": {strconv.Itoa(size)}, "songOffset": {strconv.Itoa(skip)},
		"artistCount": {"0"}, "albumCount": {"0"},
		"apiKey": {s.token}, "f": {"json"}, "v": {"1.16.1"}, "c": {"bench"},
	}
	res, body := s.rest(b, "search3", params, false)
	require.Equal(b, http.StatusOK, res.StatusCode)
	var answer struct {
		R struct {
			Status string `json:"status"`
			Error  struct {
				Message string `json:"message"`
			} `json:"error"`
			Result struct {
				Song []struct {
					ID      string `json:"id"`
					AlbumID string `json:"albumId"`
					Artist  string `json:"artist"`
					Genre   string `json:"genre"`
				} `json:"song"`
			} `json:"searchResult3"`
		} `json:"subsonic-response"`
	}
	require.NoError(b, json.Unmarshal(body, &answer))
	require.Equal(b, "ok", answer.R.Status, "search3 at %d: %s", skip, answer.R.Error.Message)
	out := search3Result{bytes: len(body)}
	for _, song := range answer.R.Result.Song {
		out.ids = append(out.ids, song.ID)
		if strings.HasPrefix(song.AlbumID, "al-") {
			out.onAlbums++
		}
		if song.Genre != "" {
			out.tagged++
		}
		if song.Artist != "" {
			out.named++
		}
		if song.Artist == "handle.invalid" {
			out.invalid++
		}
	}
	return out
}

// subsonicSync is a full sync through search3, pages of size, as apps do it: until a page
// comes back short. It checks that every track was seen exactly once.
func (s *stack) subsonicSync(b *testing.B, size, want int, mustSee string) syncRun {
	b.Helper()
	seen := make(map[string]int, want)
	var total search3Result
	r := measureSync(b, func(page func(func())) {
		for skip := 0; ; skip += size {
			var got search3Result
			page(func() { got = s.search3Page(b, size, skip) })
			for _, id := range got.ids {
				seen[id]++
			}
			total.onAlbums += got.onAlbums
			total.tagged += got.tagged
			total.bytes += got.bytes
			total.named += got.named
			total.invalid += got.invalid
			if len(got.ids) < size {
				return
			}
		}
	})
	r.bytes = total.bytes
	requireOnce(b, seen, want)
	require.Contains(b, seen, mustSee, "the uploaded track is in the sync")
	require.Positive(b, total.onAlbums, "some songs are on albums")
	require.Equal(b, want, total.named, "every song names its artist")
	require.Greater(b, total.tagged, want/2, "most songs have a genre")
	require.Less(b, total.invalid, want/2, "artists with an account or a name of their own show it")
	return r
}

// listTracksSync walks the web client's listing (the discovery feed, newest first) in
// pages of size by page token, as alice, and checks it sees every track once.
func (s *stack) listTracksSync(b *testing.B, size, want int, mustSee string) syncRun {
	b.Helper()
	ctx := rpctest.WithToken(context.Background(), s.token)
	seen := make(map[string]int, want)
	r := measureSync(b, func(page func(func())) {
		req := &catalogv1.ListTracksRequest{PageSize: int32(size)}
		for {
			var res *catalogv1.ListTracksResponse
			page(func() {
				var err error
				res, err = s.catalog.ListTracks(ctx, req)
				require.NoError(b, err)
			})
			for _, t := range res.Tracks {
				seen[t.Id]++
			}
			if res.NextPageToken == "" {
				return
			}
			req.PageToken = res.NextPageToken
		}
	})
	requireOnce(b, seen, want)
	require.Contains(b, seen, mustSee, "the uploaded track is in the listing")
	return r
}

// requireOnce checks that a sync saw want tracks, each once.
func requireOnce(b *testing.B, seen map[string]int, want int) {
	b.Helper()
	for id, n := range seen {
		require.Equal(b, 1, n, "track %s seen %d times", id, n)
	}
	require.Len(b, seen, want, "every track, once")
}

// --- Memory --------------------------------------------------------------------------

// heapSampler watches the heap in use (live and dead objects, and free space in spans
// holding objects: MemStats.HeapInuse) every 10 ms, from runtime/metrics (which does not
// stop the world), and keeps the highest.
type heapSampler struct {
	before uint64
	peak   uint64
	quit   chan struct{}
	wg     sync.WaitGroup
}

var heapInUseMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

func heapInUse() uint64 {
	samples := make([]rtmetrics.Sample, len(heapInUseMetrics))
	for i, name := range heapInUseMetrics {
		samples[i].Name = name
	}
	rtmetrics.Read(samples)
	var n uint64
	for _, s := range samples {
		n += s.Value.Uint64()
	}
	return n
}

// heapAllocs is the bytes allocated on the heap since the process started.
func heapAllocs() uint64 {
	samples := []rtmetrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	rtmetrics.Read(samples)
	return samples[0].Value.Uint64()
}

// start collects garbage (so that before is the live heap, and the peak is the sync's),
// then samples until stop.
func (h *heapSampler) start() {
	runtime.GC()
	h.before = heapInUse()
	h.peak = h.before
	h.quit = make(chan struct{})
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.quit:
				return
			case <-tick.C:
				h.peak = max(h.peak, heapInUse())
			}
		}
	}()
}

// stop ends the sampling and returns the peak.
func (h *heapSampler) stop() uint64 {
	close(h.quit)
	h.wg.Wait()
	return max(h.peak, heapInUse())
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// --- Stream time to first byte --------------------------------------------------------

// ttfbRun is what the first-byte measurements of one path measured, sorted.
type ttfbRun struct {
	ttfb     []time.Duration // request sent to the first byte of audio
	redirect []time.Duration // request sent to plyr's answer (the 302)
}

func (r ttfbRun) String() string {
	if len(r.ttfb) == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s, p95 %s (plyr's 302 p50 %s)", roundMillis(percentile(r.ttfb, 0.5)),
		roundMillis(percentile(r.ttfb, 0.95)), roundMillis(percentile(r.redirect, 0.5)))
}

// streamTTFB measures the time to the first audio byte of stream.view and of /audio for
// the same track, n times each, alternating which goes first; both follow the redirect
// to storage on kept-alive connections, as a player does.
func (s *stack) streamTTFB(b *testing.B, trackID, fileID string, n int) (stream, audio ttfbRun) {
	b.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: 8}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	streamURL := s.url + "/rest/stream.view?" + url.Values{"id": {"tr-" + trackID}, "apiKey": {s.token}, "v": {"1.16.1"}, "c": {"bench"}}.Encode()
	audioURL := s.url + "/audio/" + fileID
	_, whole := s.get(b, audioURL, "")
	require.NotEmpty(b, whole)

	measure := func(u string) (ttfb, redirect time.Duration) {
		var answered time.Time
		trace := &httptrace.ClientTrace{GotFirstResponseByte: func() {
			if answered.IsZero() {
				answered = time.Now() // the first hop's answer: plyr's
			}
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, u, nil)
		require.NoError(b, err)
		t0 := time.Now()
		res, err := client.Do(req)
		require.NoError(b, err)
		defer res.Body.Close()
		first := make([]byte, 1)
		_, err = io.ReadFull(res.Body, first)
		ttfb = time.Since(t0)
		require.NoError(b, err)
		require.Equal(b, http.StatusOK, res.StatusCode, u)
		require.NotEqual(b, strings.TrimPrefix(s.url, "http://"), res.Request.URL.Host, "%s: served from storage, after a redirect", u)
		require.Equal(b, whole[0], first[0])
		rest, err := io.ReadAll(res.Body) // the connection goes back to the pool
		require.NoError(b, err)
		require.Len(b, rest, len(whole)-1)
		return ttfb, answered.Sub(t0)
	}
	for range 3 { // warm-up: connections, caches, prepared statements
		measure(streamURL)
		measure(audioURL)
	}
	for i := range n {
		order := []*ttfbRun{&stream, &audio}
		urls := []string{streamURL, audioURL}
		if i%2 == 1 {
			slices.Reverse(order)
			slices.Reverse(urls)
		}
		for k, r := range order {
			t, h := measure(urls[k])
			r.ttfb = append(r.ttfb, t)
			r.redirect = append(r.redirect, h)
		}
	}
	for _, r := range []*ttfbRun{&stream, &audio} {
		slices.Sort(r.ttfb)
		slices.Sort(r.redirect)
	}
	return stream, audio
}

// --- Seeding -------------------------------------------------------------------------

const (
	subsonicBenchArtists  = 300
	subsonicBenchAccounts = 3   // one artist in 3 has an account (the others show as handle.invalid)
	subsonicBenchTags     = 100 // the genres, then tag020…
)

func subsonicBenchArtist(i int) string { return fmt.Sprintf("did:plc:subsonic%016d", i) }

// seedSubsonicLibrary adds n ready tracks to the stack's catalog, oldest first from a
// year ago, with SQL: 300 artists (a third with an account, half with a display name of
// their own), 30% of tracks on albums of about 10, 1 to 3 tags each from 100 (skewed to
// the first), records synced; then VACUUM ANALYZE. It returns what it did.
func seedSubsonicLibrary(b *testing.B, s *stack, n int) string {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	for i := 0; i < subsonicBenchArtists; i += subsonicBenchAccounts {
		_, err := s.app.Identity().EnsureAccount(ctx, subsonicBenchArtist(i), fmt.Sprintf("artist%d.subsonic.test", i))
		require.NoError(b, err)
	}
	albumsPerArtist := max(1, n*3/10/10/subsonicBenchArtists)
	tags := []string{"electronic", "ambient", "hip-hop", "lo-fi", "house", "techno", "jazz", "indie", "rock", "folk",
		"experimental", "drum-and-bass", "pop", "soul", "classical", "metal", "punk", "dub", "garage", "synthwave"}
	for i := len(tags); i < subsonicBenchTags; i++ {
		tags = append(tags, fmt.Sprintf("tag%03d", i))
	}

	conn, err := s.infra.DB.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	exec := func(sql string, args ...any) {
		b.Helper()
		_, err := conn.Exec(ctx, sql, args...)
		require.NoError(b, err, "%s", sql)
	}
	exec("SET statement_timeout = 0")
	defer exec("RESET statement_timeout")
	// A v4-shaped uuid from a string, and a number in [0, 1) from a seed: the same every run.
	exec(`CREATE OR REPLACE FUNCTION pg_temp.bench_uuid(s text) RETURNS uuid LANGUAGE sql IMMUTABLE AS
		$$ SELECT overlay(overlay(md5(s) placing '4' from 13) placing '8' from 17)::uuid $$`)
	exec(`CREATE OR REPLACE FUNCTION pg_temp.bench_rand(k bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS
		$$ SELECT ((hashint8extended(k, 20260611)::numeric + 9223372036854775808) / 18446744073709551616.0)::float8 $$`)
	exec(`CREATE OR REPLACE FUNCTION pg_temp.bench_artist(i int) RETURNS text LANGUAGE sql IMMUTABLE AS
		$$ SELECT 'did:plc:subsonic' || lpad(i::text, 16, '0') $$`)

	exec(`INSERT INTO catalog.tags (name, created_at) SELECT unnest($1::text[]), now() - interval '2 years' ON CONFLICT (name) DO NOTHING`, tags)
	exec(`INSERT INTO catalog.artists (did, display_name, bio, created_at)
		SELECT pg_temp.bench_artist(a), CASE WHEN a % 2 = 0 THEN format('The %s Collective', a) ELSE '' END,
		       format('Songs from room %s.', a), now() - interval '2 years' + a * interval '1 minute'
		FROM generate_series(0, $1::int - 1) a
		ON CONFLICT (did) DO NOTHING`, subsonicBenchArtists)
	exec(`INSERT INTO catalog.albums (id, artist_did, slug, title, image_url, image_thumb_url, record_rkey, created_at)
		SELECT id, pg_temp.bench_artist(j / $1::int), 'album-' || j, 'Album ' || j,
		       'https://plyr.example/images/' || id || '.webp', 'https://plyr.example/images/' || id || '-thumb.webp',
		       catalog.record_key(at, id), at
		FROM generate_series(0, $1::int * $2::int - 1) j,
		     LATERAL (SELECT pg_temp.bench_uuid('subsonic-album-' || j) AS id, now() - interval '400 days' - j * interval '1 second' AS at) x`,
		albumsPerArtist, subsonicBenchArtists)
	// The tracks, computed once: track i is created a year's n-th after track i-1.
	exec(`CREATE TEMP TABLE bench_tracks ON COMMIT PRESERVE ROWS AS
		SELECT i, pg_temp.bench_uuid('subsonic-track-' || i) AS id, pg_temp.bench_uuid('subsonic-file-' || i) AS file_id,
		       artist, pg_temp.bench_artist(artist) AS artist_did,
		       now() - interval '380 days' + i * (interval '365 days' / $1::int) AS created_at,
		       CASE WHEN pg_temp.bench_rand(i * 8 + 1) < 0.3
		            THEN pg_temp.bench_uuid('subsonic-album-' || (artist * $3::int + floor(pg_temp.bench_rand(i * 8 + 2) * $3::int)::int)) END AS album_id,
		       60000 + floor(pg_temp.bench_rand(i * 8 + 3) * 360000)::int AS duration_ms,
		       floor(-ln(1 - pg_temp.bench_rand(i * 8 + 4)) * 300)::bigint AS plays,
		       1 + floor(pg_temp.bench_rand(i * 8 + 5) * 3)::int AS ntags
		FROM generate_series(0, $1::int - 1) i,
		     LATERAL (SELECT floor(pg_temp.bench_rand(i * 8) * $2::int)::int AS artist) a`,
		n, subsonicBenchArtists, albumsPerArtist)
	exec(`INSERT INTO catalog.tracks (id, artist_did, title, status, file_id, file_type, duration_ms, created_at, updated_at,
		                            record_rkey, play_count, like_count, comment_count, album_id)
		SELECT id, artist_did, format('Track %s of %s', i, ($1::text[])[1 + i % 20]), 'ready', file_id, 'mp3', duration_ms,
		       created_at, created_at, catalog.record_key(created_at, id), plays, plays / 10, plays / 40, album_id
		FROM bench_tracks ORDER BY i`, tags)
	exec(`INSERT INTO catalog.records (did, kind, rkey, revision, synced_revision, uri, cid, state, updated_at)
		SELECT artist_did, 'track', catalog.record_key(created_at, id), 1, 1,
		       'at://' || artist_did || '/fm.plyr.track/' || catalog.record_key(created_at, id),
		       'bafyrei' || translate(md5('cid-' || i) || md5('cid2-' || i), '0189', 'wxyz'), 'synced', created_at
		FROM bench_tracks`)
	// Tags skewed to the head: the k-th pick is tag floor(100 * u^2).
	exec(`INSERT INTO catalog.track_tags (track_id, tag_id, created_at)
		SELECT t.id, g.id, t.created_at
		FROM bench_tracks t
		CROSS JOIN LATERAL generate_series(1, t.ntags) k
		JOIN catalog.tags g ON g.name = ($1::text[])[1 + floor(power(pg_temp.bench_rand(t.i * 8 + 5 + k * 1000003), 2) * $2::int)::int]
		ON CONFLICT DO NOTHING`, tags, len(tags))
	exec("DROP TABLE bench_tracks")
	exec("VACUUM (ANALYZE) catalog.artists, catalog.albums, catalog.tags, catalog.tracks, catalog.records, catalog.track_tags")

	var albums, tagged, onAlbums int
	var size string
	require.NoError(b, conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM catalog.albums),
		(SELECT count(DISTINCT track_id) FROM catalog.track_tags),
		(SELECT count(*) FROM catalog.tracks WHERE album_id IS NOT NULL),
		pg_size_pretty(pg_database_size(current_database()))`).Scan(&albums, &tagged, &onAlbums, &size))
	return fmt.Sprintf("seeded %d tracks (%d artists, %d with an account; %d albums holding %d tracks; %d tracks tagged from %d tags) in %s; database %s",
		n, subsonicBenchArtists, subsonicBenchArtists/subsonicBenchAccounts, albums, onAlbums, tagged, len(tags),
		time.Since(t0).Round(time.Millisecond), size)
}

// --- Plans ---------------------------------------------------------------------------

// explainLibrary explains the queries of a sync's last page on the seeded catalog (want
// tracks): the page by offset, the page after a remembered position, and the reading of
// the page's tracks. Each query is read from queries/ (so the plan is of the query the
// server runs) and prepared, then explained twice: as the server's cached prepared
// statement ends up running it (generic plan) and with its values bound (custom plan).
func explainLibrary(b *testing.B, s *stack, want int) string {
	b.Helper()
	ctx := context.Background()
	conn, err := s.infra.DB.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	skip := max(0, want-500)
	var at time.Time
	var after string
	require.NoError(b, conn.QueryRow(ctx, `SELECT created_at, id::text FROM catalog.tracks
		WHERE status = 'ready' AND NOT taken_down AND NOT deleting ORDER BY created_at, id OFFSET $1 LIMIT 1`, max(0, skip-1)).Scan(&at, &after))
	rows, err := conn.Query(ctx, `SELECT id::text FROM catalog.tracks
		WHERE status = 'ready' AND NOT taken_down AND NOT deleting ORDER BY created_at, id OFFSET $1 LIMIT 500`, skip)
	require.NoError(b, err)
	page, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(b, err)

	var out strings.Builder
	for _, q := range []struct {
		file, name string
		args       map[string]string // SQL literals by parameter
	}{
		{"library.sql", "LibraryTrackIDs", map[string]string{"artist_did": "''", "tag": "''", "skip": strconv.Itoa(skip), "page_limit": "500"}},
		{"library.sql", "LibraryTrackIDsAfter", map[string]string{
			"after_created_at": "'" + at.Format(time.RFC3339Nano) + "'", "after_id": "'" + after + "'", "page_limit": "500"}},
		{"tracks.sql", "ListTracksByIDs", map[string]string{"ids": "'{" + strings.Join(page, ",") + "}'"}},
	} {
		sql, params := namedQuery(b, q.file, q.name)
		values := make([]string, len(params))
		for i, p := range params {
			v, ok := q.args[p]
			require.True(b, ok, "%s: no value for @%s", q.name, p)
			values[i] = v
		}
		_, err := conn.Exec(ctx, "PREPARE bench_explain AS "+sql)
		require.NoError(b, err, "%s", sql)
		for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
			_, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode)
			require.NoError(b, err)
			rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_explain("+strings.Join(values, ", ")+")", pgx.QueryExecModeSimpleProtocol)
			require.NoError(b, err)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(b, err)
			for i, line := range lines {
				if len(line) > 240 { // the custom plan spells out the 500 ids
					lines[i] = line[:240] + "…"
				}
			}
			fmt.Fprintf(&out, "EXPLAIN (ANALYZE, BUFFERS) of %s (%s, %d tracks, skip %d):\n%s\n\n", q.name, mode, want, skip, strings.Join(lines, "\n"))
		}
		_, err = conn.Exec(ctx, "RESET plan_cache_mode; DEALLOCATE bench_explain")
		require.NoError(b, err)
	}
	return out.String()
}

var (
	sqlcParam = regexp.MustCompile(`@([a-z_]+)`)
	sqlcEmbed = regexp.MustCompile(`sqlc\.embed\((\w+)\)`)
)

// namedQuery reads query name of queries/catalog/file and returns it with sqlc's named
// parameters numbered ($1…), and their names in that order (sqlc.embed(t) becomes t.*).
func namedQuery(b *testing.B, file, name string) (string, []string) {
	b.Helper()
	text, err := os.ReadFile("../../../../queries/catalog/" + file)
	require.NoError(b, err)
	_, rest, ok := strings.Cut(string(text), "-- name: "+name+" ")
	require.True(b, ok, "no query %s in %s", name, file)
	rest, _, _ = strings.Cut(rest, "-- name: ")
	var lines []string
	for _, line := range strings.Split(rest, "\n")[1:] {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			lines = append(lines, line)
		}
	}
	sql := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")
	sql = sqlcEmbed.ReplaceAllString(sql, "$1.*")
	var params []string
	sql = sqlcParam.ReplaceAllStringFunc(sql, func(m string) string {
		p := m[1:]
		i := slices.Index(params, p)
		if i < 0 {
			params = append(params, p)
			i = len(params) - 1
		}
		return "$" + strconv.Itoa(i+1)
	})
	return sql, params
}

func benchMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func roundMillis(d time.Duration) string { return fmt.Sprintf("%.1fms", benchMillis(d)) }
