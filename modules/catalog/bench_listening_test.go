package catalog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/postgres"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/catalog"
)

// BenchmarkListening measures the listener side at two sizes in the same run: 1M tracks,
// 100k artists, 10M likes and 10M play events (PLYR_BENCH_LISTENING_TRACKS sets the
// tracks; the rest scale with it), and a hundredth of that, each in its own database
// seeded with COPY. Every request goes to the real module behind a real HTTP server
// (Connect, JSON) from 16 concurrent clients for PLYR_BENCH_SECONDS (default 5):
//
//	go test -run '^$' -bench 'Listening' -benchtime 1x -timeout 60m ./modules/catalog/
//
// It reports p50 and p99 at both sizes and p99(large)/p99(small), which the issue wants
// at most 2. Scenarios: search for a common word (in about a tenth of all titles), for a
// rare one, and for a misspelt one; a signed-in track page (counters and whether the
// viewer likes it); the charts by likes and by plays over a week, and all time.
func BenchmarkListening(b *testing.B) {
	largeTracks := benchEnvInt("PLYR_BENCH_LISTENING_TRACKS", 1_000_000)
	small := newListeningBench(b, largeTracks/100)
	large := newListeningBench(b, largeTracks)
	b.Logf("small: %s", small.seedLog)
	b.Logf("large: %s", large.seedLog)

	var lines []string
	for _, sc := range listeningScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			for range b.N {
				d := benchDuration()
				rs := summarize(small.load(b, sc, d), d)
				rl := summarize(large.load(b, sc, d), d)
				ratio := ms(rl.p99) / ms(rs.p99)
				b.ReportMetric(ms(rl.p50), "p50-large-ms")
				b.ReportMetric(ms(rl.p99), "p99-large-ms")
				b.ReportMetric(ratio, "p99-ratio")
				lines = append(lines, fmt.Sprintf("%-18s %s: p50 %s p99 %s (%.0f req/s) | %s: p50 %s p99 %s (%.0f req/s) | p99 ratio %.2f",
					sc.name, small.label, roundMs(rs.p50), roundMs(rs.p99), rs.rps, large.label, roundMs(rl.p50), roundMs(rl.p99), rl.rps, ratio))
			}
		})
	}
	b.Logf("listener side, %d clients, %s each:\n%s", benchClients, benchDuration(), strings.Join(lines, "\n"))
}

// listeningScenario is one request the benchmark sends.
type listeningScenario struct {
	name      string
	procedure string
	// signedIn sends the requests as one of the seeded listeners.
	signedIn bool
	request  func(c *listeningBench, client, i int) proto.Message
}

func listeningScenarios() []listeningScenario {
	search := func(q func(c *listeningBench) string) func(c *listeningBench, _, _ int) proto.Message {
		return func(c *listeningBench, _, _ int) proto.Message { return &catalogv1.SearchRequest{Q: q(c)} }
	}
	top := func(by catalogv1.TopBy, w catalogv1.TopWindow) func(*listeningBench, int, int) proto.Message {
		return func(*listeningBench, int, int) proto.Message {
			return &catalogv1.ListTopTracksRequest{By: by, Window: w, Limit: 10}
		}
	}
	return []listeningScenario{
		{name: "search-common", procedure: catalogv1connect.SearchServiceSearchProcedure, request: search(func(c *listeningBench) string { return benchWord(0) })},
		{name: "search-rare", procedure: catalogv1connect.SearchServiceSearchProcedure, request: search(func(c *listeningBench) string { return benchWord(benchWords - 1) })},
		{name: "search-misspelt", procedure: catalogv1connect.SearchServiceSearchProcedure, request: search(func(c *listeningBench) string {
			w := benchWord(40)
			return w[:len(w)-1] + "x"
		})},
		{name: "track-page", procedure: catalogv1connect.CatalogServiceGetTrackProcedure, signedIn: true,
			request: func(c *listeningBench, client, i int) proto.Message {
				return &catalogv1.GetTrackRequest{Id: c.plan.track((client*104729 + i*7919) % c.plan.tracks).id.String()}
			}},
		{name: "top-likes-week", procedure: catalogv1connect.PlayServiceListTopTracksProcedure, request: top(catalogv1.TopBy_TOP_BY_LIKES, catalogv1.TopWindow_TOP_WINDOW_WEEK)},
		{name: "top-plays-week", procedure: catalogv1connect.PlayServiceListTopTracksProcedure, request: top(catalogv1.TopBy_TOP_BY_PLAYS, catalogv1.TopWindow_TOP_WINDOW_WEEK)},
		{name: "top-plays-all", procedure: catalogv1connect.PlayServiceListTopTracksProcedure, request: top(catalogv1.TopBy_TOP_BY_PLAYS, catalogv1.TopWindow_TOP_WINDOW_ALL)},
	}
}

// Titles are two to four words of a vocabulary of benchWords made-up words, drawn by a
// Zipf law: the first word is in about a tenth of the titles, the last in a handful.
const benchWords = 4000

var benchSyllables = []string{"ka", "lo", "mi", "ren", "sol", "vu", "da", "te", "ri", "no", "sa", "ve", "lu", "mor", "pa", "zi", "ko", "bel", "tu", "wen"}

// benchWord is the word of rank k.
func benchWord(k int) string {
	n := len(benchSyllables)
	return benchSyllables[k%n] + benchSyllables[(k/n)%n] + benchSyllables[(k/(n*n))%n] + "o"
}

func benchTitles() func(i int) string {
	var cdf []float64
	var sum float64
	for k := 1; k <= benchWords; k++ {
		sum += 1 / float64(k)
		cdf = append(cdf, sum)
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return func(i int) string {
		r := rand.New(rand.NewPCG(benchSeed+1, uint64(i)))
		words := make([]string, 2+r.IntN(3))
		for j := range words {
			words[j] = benchWord(pick(cdf, r.Float64()))
		}
		return strings.Join(words, " ")
	}
}

// listeningBench is a seeded catalog with likes and plays, served over HTTP.
type listeningBench struct {
	label   string
	plan    *seedPlan
	likes   int
	plays   int
	url     string
	http    *http.Client
	seedLog string
}

func newListeningBench(b *testing.B, tracks int) *listeningBench {
	b.Helper()
	ctx := context.Background()
	c := &listeningBench{label: sizeLabel(tracks), likes: 10 * tracks, plays: 10 * tracks}
	pool, err := postgres.Connect(ctx, testenv.NewDatabaseURL(b))
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	c.plan = newSeedPlan(tracks)
	c.plan.artists = max(100, tracks/10)
	c.plan.albumsPerArtist = max(1, int(float64(tracks)*seedAlbumShare/seedAlbumSize)/c.plan.artists)
	c.plan.title = benchTitles()
	base, baseLog := c.plan.seed(b, pool)
	extra := c.seedListening(b, pool)
	c.seedLog = fmt.Sprintf("%s; then %d likes and %d plays in %s (all %s)", baseLog, c.likes, c.plays, extra.Round(time.Millisecond), (base + extra).Round(time.Second))

	m := catalog.New(catalog.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(),
		Config:   catalog.Config{Namespace: "fm.plyr", PublicURL: "https://plyr.example", DefaultHiddenTags: []string{hiddenTag}},
		Accounts: benchAccounts{}, Records: &starts{},
	})
	b.Cleanup(m.Close)
	tokens := rpctest.Tokens{}
	for i := range benchClients {
		tokens[fmt.Sprintf("listener-%d", i)] = rpc.Caller{DID: benchArtistDID(i * 37 % c.plan.artists)}
	}
	srv := rpctest.NewServer(b, tokens, m)
	transport := &http.Transport{MaxIdleConnsPerHost: 4 * benchClients}
	b.Cleanup(transport.CloseIdleConnections)
	c.url, c.http = srv.URL, &http.Client{Transport: transport}
	return c
}

// seedListening adds likes and plays: listener l likes likes/artists tracks spread over
// the catalog, at times over the past year; plays are spread the same way, a third of
// them anonymous. The per-day play counts are aggregated from the plays.
func (c *listeningBench) seedListening(b *testing.B, pool *pgxpool.Pool) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	p := c.plan
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET statement_timeout = 0; SET maintenance_work_mem = '256MB'")
	require.NoError(b, err)
	restore, err := dropKeysAndIndexes(ctx, conn.Conn(), []string{"catalog.likes", "catalog.plays", "catalog.track_play_days"})
	require.NoError(b, err)
	conn.Release()

	now := time.Now().UTC()
	year := (365 * 24 * time.Hour).Microseconds()
	listeners := p.artists
	perListener := c.likes / listeners
	copyInto := func(table string, columns []string, next func() ([]any, bool)) error {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
			return err
		}
		_, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{"catalog", table}, columns, &rowSource{next: next})
		return err
	}
	subject := func(t seedTrack) (string, string) {
		did, rkey := benchArtistDID(t.artist), atproto.RecordKey(t.createdAt, t.id)
		var digest [32]byte
		copy(digest[:16], t.id[:])
		copy(digest[16:], t.id[:])
		return "at://" + did + "/fm.plyr.track/" + rkey, "bafyrei" + cidEncoding.EncodeToString(digest[:])
	}
	var g errgroup.Group
	g.Go(func() error {
		l, k := 0, 0
		return copyInto("likes", []string{"id", "did", "track_id", "record_rkey", "subject_uri", "subject_cid", "sort_key", "created_at"}, func() ([]any, bool) {
			if k == perListener {
				l, k = l+1, 0
			}
			if l == listeners {
				return nil, false
			}
			t := p.track((l*7919 + k*104729) % p.tracks)
			var id uuid.UUID
			binary.BigEndian.PutUint32(id[0:4], uint32(l)) // bytes 6 and 8 are the version's and variant's
			binary.BigEndian.PutUint32(id[12:16], uint32(k))
			id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
			at := now.Add(-time.Duration(rand.New(rand.NewPCG(uint64(l), uint64(k))).Int64N(year)) * time.Microsecond)
			uri, cid := subject(t)
			row := []any{[16]byte(id), benchArtistDID(l), [16]byte(t.id), atproto.RecordKey(at, id), uri, cid, -at.UnixMicro(), at}
			k++
			return row, true
		})
	})
	g.Go(func() error {
		i := 0
		return copyInto("plays", []string{"track_id", "listener_did", "visitor", "listened_ms", "played_at"}, func() ([]any, bool) {
			if i == c.plays {
				return nil, false
			}
			r := rand.New(rand.NewPCG(benchSeed+2, uint64(i)))
			t := p.track(r.IntN(p.tracks))
			var listener, visitor any
			if r.IntN(3) == 0 {
				visitor = fmt.Sprintf("%032x", r.Uint64())
			} else {
				listener = benchArtistDID(r.IntN(listeners))
			}
			at := now.Add(-time.Duration(r.Int64N(year)) * time.Microsecond)
			i++
			return []any{[16]byte(t.id), listener, visitor, int64(30_000 + r.IntN(200_000)), at}, true
		})
	})
	require.NoError(b, g.Wait())
	conn, err = pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET statement_timeout = 0; SET maintenance_work_mem = '256MB'")
	require.NoError(b, err)
	_, err = conn.Exec(ctx, `INSERT INTO catalog.track_play_days (day, track_id, plays)
		SELECT (played_at AT TIME ZONE 'UTC')::date, track_id, count(*) FROM catalog.plays GROUP BY 1, 2`)
	require.NoError(b, err)
	for _, stage := range restore {
		for _, stmt := range stage {
			_, err = conn.Exec(ctx, stmt)
			require.NoError(b, err, stmt)
		}
	}
	_, err = conn.Exec(ctx, "VACUUM (ANALYZE) catalog.likes, catalog.plays, catalog.track_play_days")
	require.NoError(b, err)
	return time.Since(start)
}

// load warms up, then sends the scenario's requests for d and returns the latencies.
func (c *listeningBench) load(b *testing.B, sc listeningScenario, d time.Duration) []time.Duration {
	b.Helper()
	call := func(ctx context.Context, client, i int) error {
		body, err := protojson.Marshal(sc.request(c, client, i))
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+sc.procedure, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Encoding", "gzip")
		if sc.signedIn {
			req.Header.Set("Authorization", fmt.Sprintf("Bearer listener-%d", client))
		}
		res, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		n, err := io.Copy(io.Discard, res.Body)
		if err == nil && (res.StatusCode != http.StatusOK || n == 0) {
			err = fmt.Errorf("%s on %s: HTTP %d, %d bytes", sc.name, c.label, res.StatusCode, n)
		}
		return err
	}
	_, err := runCatalogLoad(benchWarmUp(), call)
	require.NoError(b, err)
	lat, err := runCatalogLoad(d, call)
	require.NoError(b, err)
	require.NotEmpty(b, lat)
	return lat
}

// BenchmarkQueueToStream measures how long a queue write takes to reach another tab's
// WatchQueue stream (PUT /queue, then the stream's message), beside the PUT's own round
// trip as the baseline, over PLYR_BENCH_QUEUE_WRITES writes (default 300) one after
// another:
//
//	go test -run '^$' -bench 'QueueToStream' -benchtime 1x ./modules/catalog/
func BenchmarkQueueToStream(b *testing.B) {
	writes := benchEnvInt("PLYR_BENCH_QUEUE_WRITES", 300)
	l := newQueueBench(b)
	for range b.N {
		ctx, cancel := context.WithCancel(rpctest.WithToken(context.Background(), "bob-token"))
		stream, err := l.queue.WatchQueue(ctx, &catalogv1.WatchQueueRequest{})
		require.NoError(b, err)
		require.True(b, stream.Receive(), stream.Err())
		rev := stream.Msg().Revision
		got := make(chan time.Time, writes)
		go func() {
			for stream.Receive() {
				got <- time.Now()
			}
		}()
		var toStream, roundTrip []time.Duration
		track := uuid.NewString()
		for range writes {
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPut, l.url+"/queue", strings.NewReader(fmt.Sprintf(`{"state":{"trackIds":[%q]}}`, track)))
			req.Header.Set("Authorization", "Bearer bob-token")
			req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, rev))
			res, err := l.http.Do(req)
			require.NoError(b, err)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			require.Equal(b, http.StatusOK, res.StatusCode)
			roundTrip = append(roundTrip, time.Since(t0))
			rev++
			select {
			case at := <-got:
				toStream = append(toStream, at.Sub(t0))
			case <-time.After(5 * time.Second):
				b.Fatal("a write never reached the stream")
			}
		}
		cancel()
		s, r := summarize(toStream, time.Second), summarize(roundTrip, time.Second)
		b.ReportMetric(ms(s.p50), "stream-p50-ms")
		b.ReportMetric(ms(s.p99), "stream-p99-ms")
		b.ReportMetric(ms(r.p50), "put-p50-ms")
		b.Logf("queue write → other tab's stream: p50 %s p99 %s max %s; the PUT alone (baseline): p50 %s p99 %s (%d writes)",
			roundMs(s.p50), roundMs(s.p99), roundMs(s.max), roundMs(r.p50), roundMs(r.p99), writes)
	}
}

// queueBench is a catalog module on an empty database, for the queue.
type queueBench struct {
	url   string
	http  *http.Client
	queue catalogv1connect.QueueServiceClient
}

func newQueueBench(b *testing.B) queueBench {
	b.Helper()
	m := catalog.New(catalog.Deps{
		DB: testenv.NewDatabase(b), Logger: logging.Discard(), Metrics: metrics.New(),
		Config: catalog.Config{Namespace: "fm.plyr", PublicURL: "https://plyr.example"}, Accounts: benchAccounts{}, Records: &starts{},
	})
	b.Cleanup(m.Close)
	srv := rpctest.NewServer(b, rpctest.Tokens{"bob-token": {DID: bob}}, m)
	return queueBench{url: srv.URL, http: srv.Client(), queue: catalogv1connect.NewQueueServiceClient(srv.Client(), srv.URL, connect.WithProtoJSON())}
}
