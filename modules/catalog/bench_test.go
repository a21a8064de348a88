package catalog_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/postgres"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/catalog"
)

// BenchmarkCatalog measures the listings of the catalog at two sizes in the same run: a
// catalog of 10k tracks and one of 1M (PLYR_BENCH_TRACKS), each in its own database,
// seeded with COPY. Every listing is a page of 50 tracks with artist, album, tags and
// counters, served by the real module behind a real HTTP server (Connect, JSON, as the
// web client speaks it), to 16 concurrent clients for PLYR_BENCH_SECONDS (default 5)
// after a short warm-up:
//
//	go test -run '^$' -bench 'Catalog' -benchtime 1x -timeout 30m ./modules/catalog/
//	make bench   (all the benchmarks)
//
// It reports p50, p99 and requests per second at both sizes and the ratio
// p99(large)/p99(small), which the issue wants at most 1.5: keyset pages must cost the
// same whatever the catalog's size. Timings are reported, never asserted. When a ratio is
// above 1.5 (or PLYR_BENCH_EXPLAIN=1), the plans of that listing's queries on the large
// database are logged (EXPLAIN (ANALYZE, BUFFERS), with the arguments the module sent).
//
// The identity module is a stand-in here (benchAccounts): profiles cost nothing, so the
// numbers are the catalog's own work, its queries and the serialisation.
//
// Seeding streams generated rows through COPY into bare tables (keys and indexes dropped,
// then rebuilt from their own definitions) and runs VACUUM ANALYZE: about 40 s for 1M
// tracks, 2M track tags and 1M records on two cores. PLYR_BENCH_SEED_STEPS=1 logs each
// step (with -v).
func BenchmarkCatalog(b *testing.B) {
	ctx := context.Background()
	small := newBenchCatalog(b, 10_000)
	large := newBenchCatalog(b, benchEnvInt("PLYR_BENCH_TRACKS", 1_000_000))

	type row struct {
		name         string
		small, large loadResult
		sizeBytes    int
	}
	var rows []row
	var flagged []benchScenario
	for _, sc := range benchScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			var r row
			for range b.N {
				r = row{name: sc.name}
				r.sizeBytes = small.check(b, sc)
				large.check(b, sc)
				// Small, large, large, small, half the duration each: a machine whose load
				// drifts during the run weighs on both sizes alike.
				half := benchDuration() / 2
				var smallRuns, largeRuns []time.Duration
				for _, c := range []*benchCatalog{small, large, large, small} {
					lat := c.load(b, sc, half)
					if c == small {
						smallRuns = append(smallRuns, lat...)
					} else {
						largeRuns = append(largeRuns, lat...)
					}
				}
				r.small, r.large = summarize(smallRuns, 2*half), summarize(largeRuns, 2*half)
				for _, m := range []struct {
					c   *benchCatalog
					res loadResult
				}{{small, r.small}, {large, r.large}} {
					b.Logf("%s on %s: %d calls, p50 %s, p99 %s, max %s, %.0f req/s", sc.name, m.c.label, m.res.calls,
						m.res.p50, m.res.p99, m.res.max, m.res.rps)
				}
			}
			ratio := r.large.p99.Seconds() / r.small.p99.Seconds()
			for _, m := range []struct {
				label string
				res   loadResult
			}{{small.label, r.small}, {large.label, r.large}} {
				b.ReportMetric(ms(m.res.p50), "p50-ms-"+m.label)
				b.ReportMetric(ms(m.res.p99), "p99-ms-"+m.label)
				b.ReportMetric(m.res.rps, "req/s-"+m.label)
			}
			b.ReportMetric(ratio, "p99-ratio")
			rows = append(rows, r)
			if ratio > 1.5 || os.Getenv("PLYR_BENCH_EXPLAIN") == "1" {
				flagged = append(flagged, sc)
			}
		})
	}

	// The summary: a benchmark of its own, since a benchmark with sub-benchmarks shows its
	// log only with -v.
	b.Run("summary", func(b *testing.B) {
		var out strings.Builder
		fmt.Fprintf(&out, "%s\n%s\n", small.seedLog, large.seedLog)
		fmt.Fprintf(&out, "catalog listings, pages of %d, %d clients, %s each (after a %s warm-up)\n",
			benchPageSize, benchClients, benchDuration(), benchWarmUp())
		fmt.Fprintf(&out, "%-18s %7s | %9s %9s %7s | %9s %9s %7s | %s\n", "listing", "page",
			"p50 "+small.label, "p99 "+small.label, "req/s", "p50 "+large.label, "p99 "+large.label, "req/s", "p99 "+large.label+"/"+small.label)
		worst := 0.0
		for _, r := range rows {
			ratio := r.large.p99.Seconds() / r.small.p99.Seconds()
			worst = max(worst, ratio)
			fmt.Fprintf(&out, "%-18s %6.1fK | %9s %9s %7.0f | %9s %9s %7.0f | %.2f\n", r.name, float64(r.sizeBytes)/1024,
				roundMs(r.small.p50), roundMs(r.small.p99), r.small.rps, roundMs(r.large.p50), roundMs(r.large.p99), r.large.rps, ratio)
		}
		b.Log("\n" + strings.TrimSpace(out.String()))
		b.ReportMetric(worst, "worst-p99-ratio")
		b.ReportMetric(large.seeded.Seconds(), "seed-s-"+large.label)
		// The plans of a listing whose p99 grew with the catalog (of every listing, at both
		// sizes, with PLYR_BENCH_EXPLAIN=1).
		catalogs := []*benchCatalog{large}
		if os.Getenv("PLYR_BENCH_EXPLAIN") == "1" {
			catalogs = []*benchCatalog{small, large}
		}
		for _, sc := range flagged {
			for _, c := range catalogs {
				for _, q := range c.captured[sc.name] {
					// Printed, not logged: go test keeps only 10 lines of a benchmark's log.
					fmt.Printf("EXPLAIN (ANALYZE, BUFFERS) of %s (%s) on the %s catalog:\n%s\n\n", q.name, sc.name, c.label, c.explain(ctx, b, q))
				}
			}
		}
	})
}

func roundMs(d time.Duration) string { return fmt.Sprintf("%.1fms", ms(d)) }

const (
	benchClients  = 16
	benchPageSize = 50
	benchSeed     = 20260611
)

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchDuration() time.Duration {
	return time.Duration(benchEnvInt("PLYR_BENCH_SECONDS", 5)) * time.Second
}

// benchWarmUp runs before each measurement, unmeasured: the first requests fill caches.
func benchWarmUp() time.Duration { return min(time.Second, benchDuration()/5) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sizeLabel is 10k, 1M…
func sizeLabel(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	default:
		return strconv.Itoa(n)
	}
}

// --- The listings --------------------------------------------------------------------

// benchScenario is one listing the benchmark measures.
type benchScenario struct {
	name string
	// request is what client c sends as its i-th request.
	request func(c *benchCatalog, client, i int) *catalogv1.ListTracksRequest
	// check is what every page of the listing must be (checked once, before measuring).
	check func(tb testing.TB, c *benchCatalog, req *catalogv1.ListTracksRequest, res *catalogv1.ListTracksResponse)
}

func benchScenarios() []benchScenario {
	noHidden := func(tb testing.TB, _ *benchCatalog, _ *catalogv1.ListTracksRequest, res *catalogv1.ListTracksResponse) {
		for _, tr := range res.Tracks {
			require.NotContains(tb, tr.Tags, hiddenTag, "the discovery feed hides the anonymous viewer's hidden tags")
		}
	}
	return []benchScenario{
		{
			name:    "feed-first-page",
			request: func(*benchCatalog, int, int) *catalogv1.ListTracksRequest { return &catalogv1.ListTracksRequest{} },
			check:   noHidden,
		},
		{
			name: "feed-page-20",
			request: func(c *benchCatalog, _, _ int) *catalogv1.ListTracksRequest {
				return &catalogv1.ListTracksRequest{PageToken: c.deepToken}
			},
			check: noHidden,
		},
		{
			name: "tag-first-page",
			request: func(c *benchCatalog, _, _ int) *catalogv1.ListTracksRequest {
				return &catalogv1.ListTracksRequest{Tag: c.topTag}
			},
			check: func(tb testing.TB, _ *benchCatalog, req *catalogv1.ListTracksRequest, res *catalogv1.ListTracksResponse) {
				for _, tr := range res.Tracks {
					require.Contains(tb, tr.Tags, req.Tag)
				}
			},
		},
		{
			name: "artist-first-page",
			request: func(c *benchCatalog, client, i int) *catalogv1.ListTracksRequest {
				// Every client walks through all the artists, each from its own place.
				return &catalogv1.ListTracksRequest{ArtistDid: benchArtistDID((client*7919 + i) % c.plan.artists)}
			},
			check: func(tb testing.TB, _ *benchCatalog, req *catalogv1.ListTracksRequest, res *catalogv1.ListTracksResponse) {
				for _, tr := range res.Tracks {
					require.Equal(tb, req.ArtistDid, tr.ArtistDid)
				}
			},
		},
	}
}

// benchCatalog is a seeded catalog served by the module over HTTP.
type benchCatalog struct {
	label   string
	plan    *seedPlan
	pool    *pgxpool.Pool
	url     string
	http    *http.Client
	client  catalogv1connect.CatalogServiceClient
	seeded  time.Duration
	seedLog string
	// topTag is the most used tag; deepToken the token of the discovery feed's 20th page.
	topTag    string
	deepToken string
	// capture records the queries of one request; captured holds them by listing.
	capture  *queryCapture
	captured map[string][]capturedQuery
}

func newBenchCatalog(b *testing.B, tracks int) *benchCatalog {
	b.Helper()
	ctx := context.Background()
	c := &benchCatalog{label: sizeLabel(tracks), capture: &queryCapture{}, captured: map[string][]capturedQuery{}}
	pool, err := postgres.Connect(ctx, testenv.NewDatabaseURL(b), func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = c.capture })
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	c.pool = pool
	c.plan = newSeedPlan(tracks)
	c.seeded, c.seedLog = c.plan.seed(b, pool)

	m := catalog.New(catalog.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(),
		Config: catalog.Config{
			Namespace: "fm.plyr", PublicURL: "https://plyr.example", DefaultHiddenTags: []string{hiddenTag},
		},
		Accounts: benchAccounts{}, Records: &starts{},
	})
	srv := rpctest.NewServer(b, rpctest.Tokens{}, m)
	transport := &http.Transport{MaxIdleConnsPerHost: 4 * benchClients}
	b.Cleanup(transport.CloseIdleConnections)
	c.url, c.http = srv.URL, &http.Client{Transport: transport}
	c.client = catalogv1connect.NewCatalogServiceClient(c.http, srv.URL, connect.WithProtoJSON())

	c.topTag = c.plan.tagNames[1] // the Zipf head (0 is the hidden tag)
	req := &catalogv1.ListTracksRequest{}
	for page := 1; page < 20; page++ {
		res, err := c.client.ListTracks(ctx, req)
		require.NoError(b, err)
		require.NotEmpty(b, res.NextPageToken)
		req.PageToken = res.NextPageToken
	}
	c.deepToken = req.PageToken
	return c
}

// check checks a page of the listing, recording its queries, and returns its size (JSON).
func (c *benchCatalog) check(b *testing.B, sc benchScenario) int {
	b.Helper()
	req := sc.request(c, 0, 0)
	c.capture.start()
	res, err := c.client.ListTracks(context.Background(), req)
	c.captured[sc.name] = c.capture.stop()
	require.NoError(b, err)
	require.Len(b, res.Tracks, benchPageSize, "%s on %s: a full page", sc.name, c.label)
	require.NotEmpty(b, res.NextPageToken)
	sc.check(b, c, req, res)
	withAlbum, withTags := 0, 0
	for _, tr := range res.Tracks {
		require.NotEmpty(b, tr.ArtistHandle)
		if tr.Album != nil {
			withAlbum++
		}
		if len(tr.Tags) > 0 {
			withTags++
		}
	}
	require.Positive(b, withAlbum, "some tracks of a page have an album")
	require.Equal(b, benchPageSize, withTags, "every track has tags")
	page, err := protojson.Marshal(res)
	require.NoError(b, err)
	return len(page)
}

// load warms up, then runs the listing's load for d and returns the latencies.
func (c *benchCatalog) load(b *testing.B, sc benchScenario, d time.Duration) []time.Duration {
	b.Helper()
	// Under load, the clients send the request a browser sends (JSON, gzip accepted) and
	// read the answer without decoding it: the machine's cores are the server's.
	call := func(ctx context.Context, client, i int) error {
		body, err := protojson.Marshal(sc.request(c, client, i))
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+catalogv1connect.CatalogServiceListTracksProcedure, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport leaves the body compressed
		res, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		n, err := io.Copy(io.Discard, res.Body)
		if err == nil && (res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || n == 0) {
			err = fmt.Errorf("%s: HTTP %d, %q, %d bytes", sc.name, res.StatusCode, res.Header.Get("Content-Encoding"), n)
		}
		return err
	}
	_, err := runCatalogLoad(benchWarmUp(), call)
	require.NoError(b, err)
	lat, err := runCatalogLoad(d, call)
	require.NoError(b, err)
	require.NotEmpty(b, lat, "%s on %s: no call finished in %s", sc.name, c.label, d)
	return lat
}

// explain runs EXPLAIN (ANALYZE, BUFFERS) of a captured query with its arguments.
func (c *benchCatalog) explain(ctx context.Context, tb testing.TB, q capturedQuery) string {
	rows, err := c.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS)\n"+q.sql, q.args...)
	require.NoError(tb, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(tb, err)
	return strings.Join(lines, "\n")
}

// loadResult is what a load run measured.
type loadResult struct {
	calls         int
	p50, p99, max time.Duration
	rps           float64
}

// runCatalogLoad has benchClients clients call one after another for d; it returns the
// latencies of their calls.
func runCatalogLoad(d time.Duration, call func(ctx context.Context, client, i int) error) ([]time.Duration, error) {
	ctx := context.Background()
	deadline := time.Now().Add(d)
	latencies := make([][]time.Duration, benchClients)
	var g errgroup.Group
	for c := range benchClients {
		g.Go(func() error {
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if err := call(ctx, c, i); err != nil {
					return err
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
			return nil
		})
	}
	err := g.Wait()
	return slices.Concat(latencies...), err
}

// summarize is the percentiles and throughput of calls made over d.
func summarize(latencies []time.Duration, d time.Duration) loadResult {
	all := slices.Sorted(slices.Values(latencies))
	p := func(q float64) time.Duration { return all[int(float64(len(all)-1)*q)] }
	return loadResult{calls: len(all), p50: p(0.5), p99: p(0.99), max: all[len(all)-1], rps: float64(len(all)) / d.Seconds()}
}

// queryCapture is a pgx tracer that, while on, records the queries sent (sqlc's, with the
// arguments), for EXPLAIN.
type queryCapture struct {
	on  atomic.Bool
	mu  sync.Mutex
	got []capturedQuery
}

type capturedQuery struct {
	name, sql string
	args      []any
}

func (q *queryCapture) start() {
	q.mu.Lock()
	q.got = nil
	q.mu.Unlock()
	q.on.Store(true)
}

func (q *queryCapture) stop() []capturedQuery {
	q.on.Store(false)
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.got
}

func (q *queryCapture) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if q.on.Load() {
		name, _, _ := strings.Cut(strings.TrimPrefix(d.SQL, "-- name: "), " ")
		q.mu.Lock()
		q.got = append(q.got, capturedQuery{name: name, sql: d.SQL, args: slices.Clone(d.Args)})
		q.mu.Unlock()
	}
	return ctx
}

func (q *queryCapture) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// benchAccounts stands in for the identity module with every seeded artist: artist i is
// benchArtistDID(i), handle artist<i>.plyr.test.
type benchAccounts struct{}

func benchArtistDID(i int) string { return fmt.Sprintf("did:plc:bench%019d", i) }

func (benchAccounts) Profiles(_ context.Context, dids []string) (map[string]catalog.AccountProfile, error) {
	out := make(map[string]catalog.AccountProfile, len(dids))
	for _, did := range dids {
		n, err := strconv.Atoi(strings.TrimPrefix(did, "did:plc:bench"))
		if err != nil {
			continue
		}
		out[did] = catalog.AccountProfile{
			Handle:      fmt.Sprintf("artist%d.plyr.test", n),
			DisplayName: fmt.Sprintf("Artist %d", n),
			AvatarURL:   fmt.Sprintf("https://cdn.example/avatar/plain/%s/bafkrei%d@jpeg", did, n),
		}
	}
	return out, nil
}

func (benchAccounts) HiddenTags(context.Context, string) ([]string, error) {
	return []string{hiddenTag}, nil
}

func (a benchAccounts) ResolveHandle(ctx context.Context, handle string) (string, bool) {
	did, ok, _ := a.DIDByHandle(ctx, handle)
	return did, ok
}

func (benchAccounts) DIDByHandle(_ context.Context, handle string) (string, bool, error) {
	var n int
	if _, err := fmt.Sscanf(handle, "artist%d.plyr.test", &n); err != nil {
		return "", false, nil
	}
	return benchArtistDID(n), true, nil
}

// --- Seeding -------------------------------------------------------------------------

const hiddenTag = "ai"

// seedPlan describes a catalog of tracks; track(i) derives track i from the seed alone,
// so each table's COPY generates its rows as it streams, in parallel with the others.
type seedPlan struct {
	tracks, artists, albumsPerArtist int
	base                             time.Time
	// stepMicros is the time between two tracks' creations (a year's span in all).
	stepMicros int64
	// tagNames are the tags, the hidden one first; tagIDs their ids, once inserted;
	// tagCDF the cumulative Zipf weights of the others (1…).
	tagNames []string
	tagIDs   []int64
	tagCDF   []float64
	// title names track i; nil names it "Track i of <genre>".
	title func(i int) string
}

// seedTrack is a track of the plan.
type seedTrack struct {
	id                     uuid.UUID
	artist                 int
	createdAt              time.Time
	album                  int // -1: none
	tags                   [3]int
	ntags                  int
	durationMs             int32
	plays, likes, comments int64
	image                  bool
}

const (
	seedTags        = 500
	seedHiddenShare = 0.05 // of tracks tagged hiddenTag
	seedAlbumShare  = 0.3  // of tracks on an album
	seedAlbumSize   = 10   // tracks per album, about
	seedImageShare  = 0.2  // of tracks with their own artwork
)

var seedGenres = []string{"electronic", "ambient", "hip-hop", "lo-fi", "house", "techno", "jazz", "indie", "rock", "folk",
	"experimental", "drum-and-bass", "pop", "soul", "classical", "metal", "punk", "dub", "garage", "synthwave"}

func newSeedPlan(tracks int) *seedPlan {
	p := &seedPlan{tracks: tracks, artists: max(100, tracks/500)}
	p.albumsPerArtist = max(1, int(float64(tracks)*seedAlbumShare/seedAlbumSize)/p.artists)
	p.base = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	p.stepMicros = max(1, (365*24*time.Hour).Microseconds()/int64(tracks))
	p.tagNames = []string{hiddenTag}
	p.tagNames = append(p.tagNames, seedGenres...)
	for i := len(p.tagNames); i < seedTags; i++ {
		p.tagNames = append(p.tagNames, fmt.Sprintf("tag%03d", i))
	}
	// Zipf (s = 1) over the tags but the hidden one: the head is on ~15% of picks.
	var sum float64
	for k := 1; k < seedTags; k++ {
		sum += 1 / float64(k)
		p.tagCDF = append(p.tagCDF, sum)
	}
	for k := range p.tagCDF {
		p.tagCDF[k] /= sum
	}
	return p
}

func (p *seedPlan) track(i int) seedTrack {
	r := rand.New(rand.NewPCG(benchSeed, uint64(i)))
	var t seedTrack
	binary.LittleEndian.PutUint64(t.id[:8], r.Uint64())
	binary.LittleEndian.PutUint64(t.id[8:], r.Uint64())
	t.id[6] = t.id[6]&0x0f | 0x40 // version 4, as uuid.New
	t.id[8] = t.id[8]&0x3f | 0x80
	// Distinct microseconds: track i is created within its own step.
	t.createdAt = p.base.Add(time.Duration(int64(i)*p.stepMicros+r.Int64N(p.stepMicros)) * time.Microsecond)
	t.artist = r.IntN(p.artists)
	t.album = -1
	if r.Float64() < seedAlbumShare {
		t.album = t.artist*p.albumsPerArtist + r.IntN(p.albumsPerArtist)
	}
	want := 1 + r.IntN(3)
	if r.Float64() < seedHiddenShare {
		t.tags[0], t.ntags = 0, 1
	}
	for t.ntags < want {
		k := 1 + pick(p.tagCDF, r.Float64())
		if !slices.Contains(t.tags[:t.ntags], k) {
			t.tags[t.ntags] = k
			t.ntags++
		}
	}
	t.durationMs = 60_000 + r.Int32N(360_000)
	t.plays = int64(r.ExpFloat64() * 300)
	t.likes = t.plays / int64(5+r.IntN(20))
	t.comments = t.likes / int64(2+r.IntN(8))
	t.image = r.Float64() < seedImageShare
	return t
}

// pick is the index of the first cdf value at or above x.
func pick(cdf []float64, x float64) int {
	i, _ := slices.BinarySearch(cdf, x)
	return min(i, len(cdf)-1)
}

func seedAlbumID(j int) uuid.UUID {
	var id uuid.UUID
	binary.BigEndian.PutUint64(id[:8], uint64(benchSeed))
	binary.BigEndian.PutUint64(id[8:], uint64(j))
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

var cidEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// seed writes the plan into pool's database (COPY), then VACUUM ANALYZE; it returns how
// long it took, and what it did.
func (p *seedPlan) seed(b *testing.B, pool *pgxpool.Pool) (time.Duration, string) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	var mu sync.Mutex
	var steps []string
	step := func(name string, f func(conn *pgx.Conn) (int64, error)) error {
		t0 := time.Now()
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		// A COPY of a million rows, or an index build, runs past the pool's statement timeout.
		if _, err := conn.Exec(ctx, "SET statement_timeout = 0; SET maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		defer conn.Exec(ctx, "RESET statement_timeout; RESET maintenance_work_mem") //nolint:errcheck
		n, err := f(conn.Conn())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mu.Lock()
		steps = append(steps, fmt.Sprintf("%s %d rows %s", name, n, time.Since(t0).Round(time.Millisecond)))
		mu.Unlock()
		return nil
	}
	copyRows := func(table string, columns []string, next func() ([]any, bool)) func(conn *pgx.Conn) (int64, error) {
		return func(conn *pgx.Conn) (int64, error) {
			return conn.CopyFrom(ctx, pgx.Identifier{"catalog", table}, columns, &rowSource{next: next})
		}
	}

	// Tags first: the tracks' tags need their ids.
	require.NoError(b, step("tags", func(conn *pgx.Conn) (int64, error) {
		rows, err := conn.Query(ctx, "INSERT INTO catalog.tags (name, created_at) SELECT unnest($1::text[]), $2 RETURNING id, name", p.tagNames, p.base)
		if err != nil {
			return 0, err
		}
		ids := map[string]int64{}
		var id int64
		var name string
		_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error { ids[name] = id; return nil })
		for _, n := range p.tagNames {
			p.tagIDs = append(p.tagIDs, ids[n])
		}
		return int64(len(ids)), err
	}))

	// The big tables are loaded bare and their keys and indexes built afterwards, from
	// their definitions in PostgreSQL's catalog: building an index from sorted rows is
	// many times faster than inserting a million random keys one by one.
	var restore [][]string
	require.NoError(b, step("drop keys and indexes", func(conn *pgx.Conn) (int64, error) {
		var err error
		restore, err = dropKeysAndIndexes(ctx, conn, []string{"catalog.tracks", "catalog.records", "catalog.track_tags", "catalog.albums"})
		if err != nil {
			return 0, err
		}
		return int64(len(restore[0]) + len(restore[1])), nil
	}))

	var g errgroup.Group
	g.Go(func() error {
		i := 0
		return step("artists", copyRows("artists", []string{"did", "display_name", "bio", "created_at"}, func() ([]any, bool) {
			if i == p.artists {
				return nil, false
			}
			name := ""
			if i%2 == 0 { // half keep the display name of their account
				name = fmt.Sprintf("The %d Collective", i)
			}
			row := []any{benchArtistDID(i), name, fmt.Sprintf("Songs from room %d. https://artist%d.example", i, i), p.base.Add(-time.Duration(i) * time.Minute)}
			i++
			return row, true
		}))
	})
	g.Go(func() error {
		j := 0
		total := p.artists * p.albumsPerArtist
		return step("albums", copyRows("albums", []string{"id", "artist_did", "slug", "title", "image_url", "image_thumb_url", "record_rkey", "created_at"}, func() ([]any, bool) {
			if j == total {
				return nil, false
			}
			id := seedAlbumID(j)
			at := p.base.Add(-time.Duration(j+1) * time.Millisecond)
			img := fmt.Sprintf("https://plyr.example/images/%s", id)
			row := []any{[16]byte(id), benchArtistDID(j / p.albumsPerArtist), fmt.Sprintf("album-%d", j), fmt.Sprintf("Album %d", j),
				img + ".webp", img + "-thumb.webp", atproto.RecordKey(at, id), at}
			j++
			return row, true
		}))
	})
	g.Go(func() error {
		i := 0
		return step("tracks", copyRows("tracks", []string{"id", "artist_did", "title", "status", "file_id", "file_type", "duration_ms",
			"created_at", "updated_at", "record_rkey", "play_count", "like_count", "comment_count", "album_id", "image_url", "image_thumb_url",
		}, func() ([]any, bool) {
			if i == p.tracks {
				return nil, false
			}
			t := p.track(i)
			var album any
			if t.album >= 0 {
				album = [16]byte(seedAlbumID(t.album))
			}
			img, thumb := "", ""
			if t.image {
				img = fmt.Sprintf("https://plyr.example/images/%s", t.id)
				img, thumb = img+".webp", img+"-thumb.webp"
			}
			fileID := t.id
			fileID[0] ^= 0xff
			title := fmt.Sprintf("Track %d of %s", i, seedGenres[i%len(seedGenres)])
			if p.title != nil {
				title = p.title(i)
			}
			row := []any{[16]byte(t.id), benchArtistDID(t.artist), title, "ready",
				[16]byte(fileID), "mp3", t.durationMs, t.createdAt, t.createdAt, atproto.RecordKey(t.createdAt, t.id),
				t.plays, t.likes, t.comments, album, img, thumb}
			i++
			return row, true
		}))
	})
	g.Go(func() error {
		i := 0
		return step("records", copyRows("records", []string{"did", "kind", "rkey", "revision", "synced_revision", "uri", "cid", "state", "updated_at"}, func() ([]any, bool) {
			if i == p.tracks {
				return nil, false
			}
			t := p.track(i)
			did, rkey := benchArtistDID(t.artist), atproto.RecordKey(t.createdAt, t.id)
			var digest [32]byte
			copy(digest[:16], t.id[:])
			copy(digest[16:], t.id[:])
			row := []any{did, "track", rkey, int64(1), int64(1), "at://" + did + "/fm.plyr.track/" + rkey,
				"bafyrei" + cidEncoding.EncodeToString(digest[:]), "synced", t.createdAt}
			i++
			return row, true
		}))
	})
	g.Go(func() error {
		i, k := 0, 0
		var t seedTrack
		return step("track_tags", copyRows("track_tags", []string{"track_id", "tag_id", "created_at"}, func() ([]any, bool) {
			if k == t.ntags {
				if i == p.tracks {
					return nil, false
				}
				t, k = p.track(i), 0
				i++
			}
			k++
			return []any{[16]byte(t.id), p.tagIDs[t.tags[k-1]], t.createdAt}, true
		}))
	})
	require.NoError(b, g.Wait())
	copied := time.Since(start)

	// Keys and indexes, two at a time (the machine's cores), then the foreign keys, which
	// check every row.
	t0 := time.Now()
	g = errgroup.Group{}
	g.SetLimit(2)
	for _, stmt := range restore[0] {
		g.Go(func() error { return step(stmt[:min(len(stmt), 60)], execStep(ctx, stmt)) })
	}
	require.NoError(b, g.Wait())
	for _, stmt := range restore[1] {
		require.NoError(b, step(stmt[:min(len(stmt), 60)], execStep(ctx, stmt)))
	}
	indexed := time.Since(t0)

	t0 = time.Now()
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, "SET statement_timeout = 0")
	require.NoError(b, err)
	_, err = conn.Exec(ctx, "VACUUM (ANALYZE) catalog.artists, catalog.albums, catalog.tags, catalog.tracks, catalog.records, catalog.track_tags")
	require.NoError(b, err)
	_, err = conn.Exec(ctx, "RESET statement_timeout")
	require.NoError(b, err)
	conn.Release()
	vacuumed := time.Since(t0)

	var size string
	require.NoError(b, pool.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size))
	total := time.Since(start)
	slices.Sort(steps)
	if os.Getenv("PLYR_BENCH_SEED_STEPS") == "1" {
		b.Logf("seeding %s: %s", sizeLabel(p.tracks), strings.Join(steps, ", "))
	}
	return total, fmt.Sprintf("seeded %s tracks (%d artists, %d albums, %d tags) in %s: COPY %s, keys and indexes %s, VACUUM ANALYZE %s; database %s",
		sizeLabel(p.tracks), p.artists, p.artists*p.albumsPerArtist, len(p.tagNames), total.Round(time.Millisecond),
		copied.Round(time.Millisecond), indexed.Round(time.Millisecond), vacuumed.Round(time.Millisecond), size)
}

// execStep is a seeding step that runs one statement.
func execStep(ctx context.Context, stmt string) func(conn *pgx.Conn) (int64, error) {
	return func(conn *pgx.Conn) (int64, error) {
		_, err := conn.Exec(ctx, stmt)
		return 0, err
	}
}

// dropKeysAndIndexes drops the primary keys, unique constraints and indexes of tables,
// and the foreign keys from or to them; it returns the statements that make them again
// as they were: keys and indexes first, then foreign keys.
func dropKeysAndIndexes(ctx context.Context, conn *pgx.Conn, tables []string) ([][]string, error) {
	type constraint struct{ table, name, kind, def string }
	rows, err := conn.Query(ctx, `
		SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid)
		FROM pg_constraint c
		WHERE c.contype IN ('p', 'u', 'f')
		  AND (c.conrelid = ANY($1::text[]::regclass[]) OR c.confrelid = ANY($1::text[]::regclass[]))
		  AND (c.contype = 'f' OR c.conrelid = ANY($1::text[]::regclass[]))
		ORDER BY c.contype = 'f' DESC, c.conname`, tables) // foreign keys first
	if err != nil {
		return nil, err
	}
	constraints, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (constraint, error) {
		var c constraint
		return c, r.Scan(&c.table, &c.name, &c.kind, &c.def)
	})
	if err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY($1::text[]::regclass[])
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))`, tables)
	if err != nil {
		return nil, err
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		return i, r.Scan(&i.name, &i.def)
	})
	if err != nil {
		return nil, err
	}

	restore := make([][]string, 2)
	for _, c := range constraints {
		name := pgx.Identifier{c.name}.Sanitize()
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", c.table, name)); err != nil {
			return nil, err
		}
		stage := 0
		if c.kind == "f" {
			stage = 1
		}
		restore[stage] = append(restore[stage], fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", c.table, name, c.def))
	}
	for _, i := range indexes {
		if _, err := conn.Exec(ctx, "DROP INDEX "+i.name); err != nil {
			return nil, err
		}
		restore[0] = append(restore[0], i.def)
	}
	return restore, nil
}

// rowSource is a pgx.CopyFromSource over a generator: rows are made as COPY streams them.
// Ids go in as [16]byte: pgx encodes a uuid.UUID through its driver.Valuer (a string),
// several times slower.
type rowSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *rowSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}

func (s *rowSource) Values() ([]any, error) { return s.row, nil }

func (s *rowSource) Err() error { return nil }

// SearchAccounts: nobody is found.
func (benchAccounts) SearchAccounts(context.Context, string, int) ([]catalog.AccountMatch, error) {
	return nil, nil
}
