package watch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// manualTicks is a ticker the test drives.
type manualTicks chan time.Time

func (m manualTicks) ticker(time.Duration) (<-chan time.Time, func()) { return m, func() {} }

func newHub(t *testing.T, looks *atomic.Int32, ticks manualTicks, maxPerKey int) *Hub[string, int32] {
	t.Helper()
	return New(Config[string, int32]{
		Look: func(context.Context, string) (int32, error) { return looks.Add(1), nil },
		Final: func(s int32, err error) bool {
			return err != nil || s >= 3
		},
		Interval: time.Hour, MaxPerKey: maxPerKey, ticker: ticks.ticker,
	})
}

func next(t *testing.T, w *Watcher[string, int32]) int32 {
	t.Helper()
	select {
	case <-w.Updated():
	case <-time.After(10 * time.Second):
		t.Fatal("no update")
	}
	s, err := w.Latest()
	require.NoError(t, err)
	return s
}

// Many watchers of one key share one look per tick.
func TestHub_WatchersShareOnePoll(t *testing.T) {
	var looks atomic.Int32
	ticks := make(manualTicks)
	hub := newHub(t, &looks, ticks, 8)

	var watchers []*Watcher[string, int32]
	for range 5 {
		w, err := hub.Subscribe("upload-1")
		require.NoError(t, err)
		watchers = append(watchers, w)
	}
	for _, w := range watchers {
		require.Equal(t, int32(1), next(t, w))
	}
	ticks <- time.Now() // the poller takes the tick only once it has published
	for _, w := range watchers {
		require.Equal(t, int32(2), next(t, w))
	}
	require.Equal(t, int32(2), looks.Load(), "five watchers, two ticks: two looks, not ten")
	for _, w := range watchers {
		w.Close()
	}
}

// A key's watchers are bounded; a closed watcher frees its place.
func TestHub_BoundsWatchersPerKey(t *testing.T) {
	var looks atomic.Int32
	hub := newHub(t, &looks, make(manualTicks), 2)
	a, err := hub.Subscribe("upload-1")
	require.NoError(t, err)
	_, err = hub.Subscribe("upload-1")
	require.NoError(t, err)
	_, err = hub.Subscribe("upload-1")
	require.ErrorIs(t, err, ErrTooManyWatchers)
	_, err = hub.Subscribe("upload-2")
	require.NoError(t, err, "another upload has its own bound")
	a.Close()
	_, err = hub.Subscribe("upload-1")
	require.NoError(t, err)
}

// The poller stops at a final state, and a late watcher still gets it.
func TestHub_FinalStateEndsThePoll(t *testing.T) {
	var looks atomic.Int32
	ticks := make(manualTicks, 8)
	hub := newHub(t, &looks, ticks, 8)
	w, err := hub.Subscribe("upload-1")
	require.NoError(t, err)
	ticks <- time.Now()
	ticks <- time.Now()
	require.Eventually(t, func() bool { s, err := w.Latest(); return err == nil && s == 3 }, 10*time.Second, time.Millisecond)
	late, err := hub.Subscribe("upload-1")
	require.NoError(t, err)
	require.Equal(t, int32(3), next(t, late))
	ticks <- time.Now()
	require.Equal(t, int32(3), looks.Load(), "no look after the final one")
}

// A hub that allows no watchers starts no poll for a refused one.
func TestHub_RefusedWatcherStartsNoPoll(t *testing.T) {
	var looks atomic.Int32
	hub := newHub(t, &looks, make(manualTicks), 0)
	_, err := hub.Subscribe("upload-1")
	require.ErrorIs(t, err, ErrTooManyWatchers)
	require.Empty(t, hub.polls)
	require.Zero(t, looks.Load())
}
