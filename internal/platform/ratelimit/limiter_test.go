package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestLimiter_BurstThenSustainedRate(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(Limit{Events: 3, Per: time.Minute}, 0, clock.Now)

	for i := range 3 {
		ok, _ := l.Allow("a")
		require.True(t, ok, "request %d of the burst", i+1)
	}
	ok, wait := l.Allow("a")
	require.False(t, ok)
	require.Equal(t, 20*time.Second, wait, "one request refills every Per/Events")

	clock.Advance(19 * time.Second)
	ok, wait = l.Allow("a")
	require.False(t, ok, "a refused request does not count, but the wait is not over")
	require.Equal(t, time.Second, wait)

	clock.Advance(time.Second)
	ok, _ = l.Allow("a")
	require.True(t, ok)
	ok, _ = l.Allow("a")
	require.False(t, ok, "only one refilled")

	clock.Advance(time.Hour)
	for range 3 {
		ok, _ = l.Allow("a")
		require.True(t, ok, "a quiet client gets its whole burst back, no more")
	}
	ok, _ = l.Allow("a")
	require.False(t, ok)
}

func TestLimiter_KeysAreIndependent(t *testing.T) {
	l := NewLimiter(Limit{Events: 1, Per: time.Minute}, 0, newFakeClock().Now)
	ok, _ := l.Allow("a")
	require.True(t, ok)
	ok, _ = l.Allow("a")
	require.False(t, ok)
	ok, _ = l.Allow("b")
	require.True(t, ok)
}

func TestLimiter_ZeroLimitAllowsEverything(t *testing.T) {
	l := NewLimiter(Limit{}, 0, newFakeClock().Now)
	for range 1000 {
		ok, _ := l.Allow("a")
		require.True(t, ok)
	}
	require.Zero(t, l.Len(), "a disabled limiter remembers nothing")
}

func TestLimiter_ForgetsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(Limit{Events: 2, Per: time.Minute}, 0, clock.Now)
	for i := range 100 {
		l.Allow(fmt.Sprint("client-", i))
	}
	require.Equal(t, 100, l.Len())

	// Their state runs out after Per/Events; the next sweep comes within sweepEvery.
	clock.Advance(sweepEvery + time.Second)
	ok, _ := l.Allow("newcomer")
	require.True(t, ok)
	require.Equal(t, 1, l.Len(), "idle keys are forgotten, the newcomer is kept")
}

func TestLimiter_MemoryIsBoundedUnderAFlood(t *testing.T) {
	clock := newFakeClock()
	const maxKeys = 100
	l := NewLimiter(Limit{Events: 1, Per: time.Hour}, maxKeys, clock.Now)
	for i := range 10 * maxKeys {
		ok, _ := l.Allow(fmt.Sprint("spoofed-", i))
		require.True(t, ok, "every new key gets its first request")
		require.LessOrEqual(t, l.Len(), maxKeys)
	}
}

func TestLimiter_FullLimiterDropsIdleKeysFirst(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(Limit{Events: 1, Per: 30 * time.Second}, 10, clock.Now)
	for i := range 9 {
		l.Allow(fmt.Sprint("idle-", i))
	}
	clock.Advance(40 * time.Second) // their state ran out, before the periodic sweep
	ok, _ := l.Allow("active")
	require.True(t, ok)
	require.Equal(t, 10, l.Len())

	ok, _ = l.Allow("newcomer") // full: room is made
	require.True(t, ok)
	require.Equal(t, 2, l.Len(), "the idle keys went, not the active one")
	ok, _ = l.Allow("active")
	require.False(t, ok, "the active key is still limited")
}

func TestLimiter_ConcurrentUse(t *testing.T) {
	l := NewLimiter(Limit{Events: 50, Per: time.Hour}, 0, newFakeClock().Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if ok, _ := l.Allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, 50, allowed, "exactly the burst gets through, however the calls interleave")
}
