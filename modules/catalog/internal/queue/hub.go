package queue

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the NOTIFY channel of queue writes; the payload is "<did> <revision>".
const Channel = "catalog_queue"

// Hub wakes the streams watching an account's queue when any process writes it.
type Hub struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	logger  *slog.Logger

	mu       sync.Mutex
	watchers map[string]map[*Watcher]struct{}
}

// NewHub returns a Hub listening through connections made by connect (a connection of
// its own: it waits on PostgreSQL, never on a client).
func NewHub(connect func(ctx context.Context) (*pgx.Conn, error), logger *slog.Logger) *Hub {
	return &Hub{connect: connect, logger: logger, watchers: map[string]map[*Watcher]struct{}{}}
}

// Watcher is one stream's subscription to an account's queue.
type Watcher struct {
	hub     *Hub
	did     string
	changed chan struct{}
}

// Changed fires (coalesced) when the queue may have changed.
func (w *Watcher) Changed() <-chan struct{} { return w.changed }

// Close ends the subscription.
func (w *Watcher) Close() {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	delete(w.hub.watchers[w.did], w)
	if len(w.hub.watchers[w.did]) == 0 {
		delete(w.hub.watchers, w.did)
	}
}

// Watch subscribes to did's queue.
func (h *Hub) Watch(did string) *Watcher {
	w := &Watcher{hub: h, did: did, changed: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.watchers[did] == nil {
		h.watchers[did] = map[*Watcher]struct{}{}
	}
	h.watchers[did][w] = struct{}{}
	h.mu.Unlock()
	return w
}

func (h *Hub) wake(did string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers[did] {
		select {
		case w.changed <- struct{}{}:
		default: // one pending wake is enough: the stream reads the latest
		}
	}
}

func (h *Hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ws := range h.watchers {
		for w := range ws {
			select {
			case w.changed <- struct{}{}:
			default:
			}
		}
	}
}

// Run listens until ctx ends, reconnecting with backoff.
func (h *Hub) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listen(ctx, func() {
			// Streams that read their queue before this listen took (the first one,
			// or after a lost connection) may have missed a change: they read again.
			h.wakeAll()
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		h.logger.WarnContext(ctx, "queue notifications lost; listening again", "error", err.Error(), "in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (h *Hub) listen(ctx context.Context, listening func()) error {
	conn, err := h.connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		did, _, _ := strings.Cut(n.Payload, " ")
		h.wake(did)
	}
}
