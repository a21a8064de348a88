package identity_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
)

// The identity benchmarks run 50 clients against the module over HTTP (Connect, JSON) on
// a local PostgreSQL, for PLYR_BENCH_SECONDS (default 5) each, once:
//
//	make bench   (go test -run '^$' -bench . -benchtime 1x ./modules/identity/)
//
// Each client has its own browser session holding two accounts. plyr.fm measured
// /auth/me at about 720 ms and /auth/switch-account at about 800 ms in production.

const benchClients = 50

func benchDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("PLYR_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 5 * time.Second
}

func BenchmarkGetMe(b *testing.B) {
	f := newLocalFixture(b)
	sessions := benchSessions(b, f)
	b.ResetTimer()
	for range b.N {
		runLoad(b, "GetMe", sessions, func(ctx context.Context, _ int) error {
			_, err := f.client.GetMe(ctx, &identityv1.GetMeRequest{})
			return err
		})
	}
}

func BenchmarkSwitchAccount(b *testing.B) {
	f := newLocalFixture(b)
	sessions := benchSessions(b, f)
	b.ResetTimer()
	for range b.N {
		runLoad(b, "SwitchAccount", sessions, func(ctx context.Context, i int) error {
			// Alternate between the session's two accounts.
			_, err := f.client.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: fmt.Sprintf("did:plc:bench%d%s", i/2, []string{"a", "b"}[i%2])})
			return err
		})
	}
}

// benchSessions makes one browser session per client, each holding two accounts.
func benchSessions(b *testing.B, f localFixture) []context.Context {
	b.Helper()
	out := make([]context.Context, benchClients)
	for c := range out {
		out[c] = f.browser(b, fmt.Sprintf("did:plc:bench%da", c), fmt.Sprintf("did:plc:bench%db", c))
	}
	return out
}

// runLoad has each client call its own session for the duration, reports latency
// percentiles and throughput, and returns the throughput (calls per second).
func runLoad(b *testing.B, name string, sessions []context.Context, call func(ctx context.Context, i int) error) float64 {
	b.Helper()
	deadline := time.Now().Add(benchDuration())
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, len(sessions))
	for c, ctx := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				start := time.Now()
				if err := call(ctx, c*2+i%2); err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	slices.Sort(all)
	p := func(q float64) time.Duration { return all[int(float64(len(all)-1)*q)] }
	rps := float64(len(all)) / benchDuration().Seconds()
	b.ReportMetric(float64(p(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(rps, "req/s")
	b.Logf("%s, %d clients, %s: %d calls, p50 %s, p99 %s, max %s, %.0f req/s",
		name, len(sessions), benchDuration(), len(all), p(0.5), p(0.99), all[len(all)-1], rps)
	return rps
}
