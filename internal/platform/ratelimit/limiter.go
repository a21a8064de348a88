// Package ratelimit bounds how often one client address or one account may do something
// expensive or state-changing: start a sign-in, upload, call a mutating RPC. A refused
// request is answered 429 (Connect code resource_exhausted) with a Retry-After header in
// whole seconds.
//
// # Design note
//
// Limiter is GCRA (the generic cell rate algorithm), which is a token bucket stored as one
// timestamp per key: the theoretical arrival time (TAT) of the next request. A key whose
// TAT has passed is in the same state as a key never seen, so idle keys can be forgotten
// without changing any answer; a periodic sweep does that, and a hard cap on keys bounds
// memory even under a flood of distinct keys. The state lives in memory, per process:
// with several API servers behind a balancer each enforces its own limit, which is the
// usual trade for needing no shared store on the hot path.
//
// Client addresses come from the connection (RemoteAddr) unless it is a configured trusted
// proxy, in which case the proxy's forwarding header is believed (see ClientAddrs). IPv6
// clients are keyed by their /64, the block one subscriber usually holds, so that rotating
// through a prefix does not multiply the allowance.
package ratelimit

import (
	"sync"
	"time"
)

// Limit allows Events requests at once and refills at Events per Per: a client that has
// been quiet may burst Events requests, then gets one every Per/Events. The zero Limit
// allows everything.
type Limit struct {
	Events int
	Per    time.Duration
}

// Enabled reports whether the limit restricts anything.
func (l Limit) Enabled() bool { return l.Events > 0 && l.Per > 0 }

// DefaultMaxKeys bounds the keys a Limiter remembers when Options.MaxKeys is zero. A key
// costs about a hundred bytes, so the default is a few megabytes at most.
const DefaultMaxKeys = 50_000

// sweepEvery is how often a Limiter forgets keys whose state has run out.
const sweepEvery = time.Minute

// Limiter applies one Limit to many keys. It is safe for concurrent use.
type Limiter struct {
	interval  time.Duration // between two requests at the sustained rate: Per/Events
	tolerance time.Duration // how far ahead of now the TAT may run: a full burst
	now       func() time.Time
	maxKeys   int

	mu        sync.Mutex
	tat       map[string]time.Time
	nextSweep time.Time
}

// NewLimiter returns a limiter for limit, remembering at most maxKeys keys (0: the
// default) and reading the time from now (nil: time.Now).
func NewLimiter(limit Limit, maxKeys int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	l := &Limiter{now: now, maxKeys: maxKeys, tat: map[string]time.Time{}}
	if limit.Enabled() {
		l.interval = limit.Per / time.Duration(limit.Events)
		l.tolerance = l.interval * time.Duration(limit.Events)
	}
	return l
}

// Allow counts one request for key. When it is over the limit, Allow counts nothing and
// returns false with how long until a request would be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if !l.limits() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(now)

	tat, seen := l.tat[key]
	if !seen || tat.Before(now) {
		tat = now
	}
	next := tat.Add(l.interval)
	if allowAt := next.Add(-l.tolerance); allowAt.After(now) {
		return false, allowAt.Sub(now)
	}
	if !seen && len(l.tat) >= l.maxKeys {
		l.evict(now)
	}
	l.tat[key] = next
	return true, 0
}

// limits reports whether the limiter refuses anything at all.
func (l *Limiter) limits() bool { return l.interval > 0 }

// Len is how many keys the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tat)
}

// maybeSweep forgets, once per sweepEvery, the keys whose TAT has passed: they are in the
// state of a key never seen.
func (l *Limiter) maybeSweep(now time.Time) {
	if now.Before(l.nextSweep) {
		return
	}
	l.nextSweep = now.Add(sweepEvery)
	l.forgetIdle(now)
}

func (l *Limiter) forgetIdle(now time.Time) {
	for k, tat := range l.tat {
		if !tat.After(now) {
			delete(l.tat, k)
		}
	}
}

// evict makes room for a new key in a full limiter: first the idle keys go; if that is not
// enough (more distinct active keys than maxKeys), arbitrary keys go until a tenth of the
// room is free, so the next evictions are not one full scan per new key. The keys dropped
// that way start afresh: bounded memory costs some precision under such a flood.
func (l *Limiter) evict(now time.Time) {
	l.forgetIdle(now)
	if len(l.tat) < l.maxKeys {
		return
	}
	target := l.maxKeys - max(1, l.maxKeys/10)
	for k := range l.tat {
		if len(l.tat) <= target {
			break
		}
		delete(l.tat, k)
	}
}
