// Package watch shares one poll of a long-running job among everyone watching it.
//
// WatchUpload streams used to look at the upload workflow themselves, each on its own
// ticker: ten browser tabs on one upload were ten describe-and-query round trips to
// Temporal per tick, and nothing bounded how many tabs there could be. A Hub runs one
// poller per watched key, started by the first watcher and stopped with the last, and
// hands every watcher the latest state; it refuses watchers past a per-key bound.
package watch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrTooManyWatchers is returned by Subscribe when a key has as many watchers as allowed.
var ErrTooManyWatchers = errors.New("too many watchers")

// Config says how a Hub looks at a key.
type Config[K comparable, S any] struct {
	// Look returns the key's current state.
	Look func(ctx context.Context, key K) (S, error)
	// Final reports whether a look is the last one worth making (the job ended, or the
	// look failed for good).
	Final func(S, error) bool
	// Ended, when set, blocks until the key's job ends (or ctx does), so the poller looks
	// at once instead of waiting for the next tick.
	Ended func(ctx context.Context, key K) error
	// Interval paces the looks.
	Interval time.Duration
	// MaxPerKey bounds the watchers of one key.
	MaxPerKey int
	// ticker makes the pacing ticker; tests replace it.
	ticker func(time.Duration) (<-chan time.Time, func())
}

// Hub shares polls among watchers.
type Hub[K comparable, S any] struct {
	cfg Config[K, S]

	mu    sync.Mutex
	polls map[K]*poll[K, S]
}

// New returns a hub.
func New[K comparable, S any](cfg Config[K, S]) *Hub[K, S] {
	if cfg.ticker == nil {
		cfg.ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	return &Hub[K, S]{cfg: cfg, polls: map[K]*poll[K, S]{}}
}

// poll is the one poller of a key and its watchers.
type poll[K comparable, S any] struct {
	watchers map[*Watcher[K, S]]struct{}
	stop     context.CancelFunc
	// latest is the newest look, once there is one.
	latest *result[S]
}

type result[S any] struct {
	state S
	err   error
}

// Watcher receives a key's states.
type Watcher[K comparable, S any] struct {
	hub *Hub[K, S]
	key K
	// updated holds a token when a state arrived that Latest has not returned yet.
	updated chan struct{}
}

// Subscribe starts watching key. Close the watcher when done.
func (h *Hub[K, S]) Subscribe(key K) (*Watcher[K, S], error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.polls[key]
	if p != nil && len(p.watchers) >= h.cfg.MaxPerKey || h.cfg.MaxPerKey <= 0 {
		return nil, ErrTooManyWatchers
	}
	if p == nil {
		ctx, cancel := context.WithCancel(context.Background())
		p = &poll[K, S]{watchers: map[*Watcher[K, S]]struct{}{}, stop: cancel}
		h.polls[key] = p
		go h.run(ctx, key, p)
	}
	w := &Watcher[K, S]{hub: h, key: key, updated: make(chan struct{}, 1)}
	p.watchers[w] = struct{}{}
	if p.latest != nil {
		w.updated <- struct{}{}
	}
	return w, nil
}

// Updated signals that a new state is ready for Latest.
func (w *Watcher[K, S]) Updated() <-chan struct{} { return w.updated }

// Latest returns the newest state of the key.
func (w *Watcher[K, S]) Latest() (S, error) {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	var zero S
	p := w.hub.polls[w.key]
	if p == nil || p.latest == nil {
		return zero, errors.New("watch: no state yet")
	}
	return p.latest.state, p.latest.err
}

// Close stops watching; the last watcher of a key stops its poller.
func (w *Watcher[K, S]) Close() {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.polls[w.key]
	if p == nil {
		return
	}
	delete(p.watchers, w)
	if len(p.watchers) == 0 {
		p.stop()
		delete(h.polls, w.key)
	}
}

// run polls key until its job's state is final or nobody watches any more.
func (h *Hub[K, S]) run(ctx context.Context, key K, p *poll[K, S]) {
	ticks, stopTicker := h.cfg.ticker(h.cfg.Interval)
	defer stopTicker()
	var ended chan struct{}
	if h.cfg.Ended != nil {
		ended = make(chan struct{})
		go func() {
			_ = h.cfg.Ended(ctx, key)
			close(ended)
		}()
	}
	for {
		state, err := h.cfg.Look(ctx, key)
		if ctx.Err() != nil {
			return
		}
		h.publish(p, state, err)
		if h.cfg.Final(state, err) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ended:
			ended = nil // look now; from here on only the ticker paces the looks
		case <-ticks:
		}
	}
}

func (h *Hub[K, S]) publish(p *poll[K, S], state S, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.latest = &result[S]{state: state, err: err}
	for w := range p.watchers {
		select {
		case w.updated <- struct{}{}:
		default: // a token is already waiting: Latest will return this state
		}
	}
}
