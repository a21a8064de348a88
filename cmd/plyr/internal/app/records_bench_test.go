package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"testing"
	"time"

	catalogact "github.com/plyrfm/plyr/activities/catalog"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// BenchmarkRecordSync measures how fast plyr writes track records to the reference PDS:
// one signed-in artist publishes PLYR_BENCH_RECORDS tracks (default 50) through the
// catalog module's door, as the upload workflow does (CreateDraftTrack, PublishTrack,
// which starts each record's workflow), and the clock runs from the first publish until
// every record is synced. Next to it, in the same run and on the same PDS, the PDS's own
// speed: as many bare putRecord calls with a password session, one after another and
// 16 at a time, so the report shows plyr's overhead (Temporal, a getRecord before each
// put, validation, bookkeeping) over the PDS.
//
//	go test -run '^$' -bench RecordSync -benchtime 1x ./cmd/plyr/internal/app/
//
// Timings are reported, never asserted.
func BenchmarkRecordSync(b *testing.B) {
	ctx := context.Background()
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(b, err)
	// Record writes as in production (no shortened retry budget).
	s := newStackWith(b, stackOptions{maxUpload: 16 << 20, pds: net})
	acct := benchSignIn(b, s, net, "rec")
	n := envInt("PLYR_BENCH_RECORDS", 50)
	cat := s.app.Catalog()

	// One record first, so the measured ones do not pay for a cold start (the artist's
	// OAuth session, the workers' caches).
	publishAndAwait(b, s, acct.DID, 1)

	var plyr, sequential, concurrent time.Duration
	var publishing time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ids := make([]uuid.UUID, n)
		for i := range ids {
			ids[i] = uuid.New()
			require.NoError(b, cat.CreateDraftTrack(ctx, ids[i], acct.DID, fmt.Sprintf("Bench %d", i), time.Now().UTC()))
		}
		before := syncedRecords(b, s, acct.DID)
		b.StartTimer()
		start := time.Now()
		for _, id := range ids {
			require.NoError(b, cat.PublishTrack(ctx, catalogact.Publication{TrackID: id, FileID: uuid.New(), FileType: "mp3", DurationMs: 180_000}))
		}
		publishing = time.Since(start)
		awaitSynced(b, s, acct.DID, before+n)
		plyr = time.Since(start)
		b.StopTimer()

		// The PDS alone: the same records (shape and size), written straight.
		pw, err := atclient.LoginWithPasswordHost(ctx, net.Listen, acct.Handle, acct.Password, "", nil)
		require.NoError(b, err)
		sequential = rawPuts(b, pw, acct, s.url, n, 1)
		concurrent = rawPuts(b, pw, acct, s.url, n, 16)
		b.StartTimer()
	}
	b.StopTimer()

	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.ReportMetric(rate(plyr), "records/s")
	b.ReportMetric(rate(sequential), "pds-seq-records/s")
	b.ReportMetric(rate(concurrent), "pds-16-records/s")
	b.ReportMetric(rate(plyr)/rate(concurrent), "plyr/pds-16")
	b.Logf("%d track records: plyr %s (%.1f records/s; publishing took %s), until all synced", n, plyr.Round(time.Millisecond), rate(plyr), publishing.Round(time.Millisecond))
	b.Logf("bare putRecord to the same PDS: one at a time %s (%.1f records/s), 16 at a time %s (%.1f records/s)",
		sequential.Round(time.Millisecond), rate(sequential), concurrent.Round(time.Millisecond), rate(concurrent))
	b.Logf("plyr / PDS throughput: %.2f of one-at-a-time, %.2f of 16-at-a-time", rate(plyr)/rate(sequential), rate(plyr)/rate(concurrent))
}

// publishAndAwait publishes k tracks of did's and waits until their records are synced.
func publishAndAwait(b *testing.B, s *stack, did string, k int) {
	b.Helper()
	ctx := context.Background()
	before := syncedRecords(b, s, did)
	for i := range k {
		id := uuid.New()
		require.NoError(b, s.app.Catalog().CreateDraftTrack(ctx, id, did, fmt.Sprintf("Warm-up %d", i), time.Now().UTC()))
		require.NoError(b, s.app.Catalog().PublishTrack(ctx, catalogact.Publication{TrackID: id, FileID: uuid.New(), FileType: "mp3", DurationMs: 180_000}))
	}
	awaitSynced(b, s, did, before+k)
}

// syncedRecords counts did's synced track records; it fails on a failed one.
func syncedRecords(b *testing.B, s *stack, did string) int {
	b.Helper()
	var synced, failed int
	require.NoError(b, s.infra.DB.QueryRow(context.Background(), `
		SELECT count(*) FILTER (WHERE state = 'synced'), count(*) FILTER (WHERE state = 'failed')
		FROM catalog.records WHERE did = $1 AND kind = 'track'`, did).Scan(&synced, &failed))
	require.Zero(b, failed, "a track record failed:\n%s", s.logs.String())
	return synced
}

// awaitSynced polls until did has want synced track records.
func awaitSynced(b *testing.B, s *stack, did string, want int) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for syncedRecords(b, s, did) < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d track records synced of %d after 5 minutes", syncedRecords(b, s, did), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawPuts writes n track records with putRecord, parallel at a time, and returns how long
// it took.
func rawPuts(b *testing.B, c *atclient.APIClient, acct devpds.Account, publicURL string, n, parallel int) time.Duration {
	b.Helper()
	ctx := context.Background()
	work := make(chan int)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for range parallel {
		wg.Go(func() {
			for i := range work {
				at := time.Now().UTC()
				id := uuid.New()
				record := map[string]any{
					"$type": trackCollection, "title": fmt.Sprintf("Bare %d", i), "artist": acct.Handle,
					"audioUrl": publicURL + "/audio/" + uuid.NewString(), "fileType": "mp3", "duration": 180,
					"createdAt": atproto.Datetime(at),
				}
				body := map[string]any{"repo": acct.DID, "collection": trackCollection, "rkey": atproto.RecordKey(at, id), "record": record}
				if err := c.Post(ctx, "com.atproto.repo.putRecord", body, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	return elapsed
}

// benchSignIn makes an account on the PDS and signs it in to plyr through OAuth (what
// signIn does, for a benchmark).
func benchSignIn(b *testing.B, s *stack, net *devpds.Network, name string) devpds.Account {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	handle := fmt.Sprintf("%s%d.test", name, time.Now().UnixNano()%1_000_000_000)
	acct, err := net.CreateAccount(ctx, handle, name+"-pass-123")
	require.NoError(b, err)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/auth/start?identifier="+url.QueryEscape(acct.Handle), nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	res, err := browser.Do(req)
	require.NoError(b, err)
	res.Body.Close()
	require.Equal(b, http.StatusSeeOther, res.StatusCode)
	callback, err := devpds.NewBrowser(net.Transport(nil)).Authorize(ctx, res.Header.Get("Location"),
		devpds.Credentials{Handle: acct.Handle, Password: acct.Password})
	require.NoError(b, err)
	res, err = browser.Get(callback.String())
	require.NoError(b, err)
	res.Body.Close()
	require.Equal(b, http.StatusSeeOther, res.StatusCode)
	base, _ := url.Parse(s.url)
	for _, c := range jar.Cookies(base) {
		if c.Name == rpc.SessionCookie {
			return acct
		}
	}
	b.Fatal("signed in without a session cookie")
	return acct
}
