package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Rule limits one kind of request per client address and per account (the DID of the
// request's caller, when it has one). Either limit may be zero, which disables it.
type Rule struct {
	PerAddr    Limit
	PerAccount Limit
}

// Options configure a Guard.
type Options struct {
	// Addrs tells client addresses apart.
	Addrs ClientAddrs
	// MaxKeys bounds the keys each limiter remembers (0: DefaultMaxKeys).
	MaxKeys int
	// Now is the clock (nil: time.Now); tests pass a fake one.
	Now func() time.Time
}

// Guard hands out Classes that share its address rules and clock.
type Guard struct {
	opts Options
}

// New returns a Guard.
func New(opts Options) *Guard { return &Guard{opts: opts} }

// Class is one kind of limited request (sign-in starts, uploads, mutating RPCs), with a
// limiter per address and one per account.
type Class struct {
	name      string
	addrs     ClientAddrs
	byAddr    *Limiter
	byAccount *Limiter
}

// Class returns a limited kind of request called name (used in the client's message).
func (g *Guard) Class(name string, rule Rule) *Class {
	return &Class{
		name:      name,
		addrs:     g.opts.Addrs,
		byAddr:    NewLimiter(rule.PerAddr, g.opts.MaxKeys, g.opts.Now),
		byAccount: NewLimiter(rule.PerAccount, g.opts.MaxKeys, g.opts.Now),
	}
}

// check counts one request from remoteAddr with headers h; ctx gives the caller. The
// address is checked first, so a flood from one address is refused without looking up
// its credentials. A request refused by the address limit does not count against the
// account.
func (c *Class) check(ctx context.Context, remoteAddr string, h http.Header) (ok bool, retryAfter time.Duration) {
	if ok, wait := c.byAddr.Allow(c.addrs.Key(remoteAddr, h)); !ok {
		return false, wait
	}
	if caller := rpc.CallerFrom(ctx); caller != nil {
		return c.byAccount.Allow(caller.DID)
	}
	return true, 0
}

// seconds is a wait rounded up to whole seconds, at least one: the unit of Retry-After.
func seconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// tooMany is the error a refused client sees, with Retry-After in its metadata (Connect
// sends an error's metadata as response headers).
func (c *Class) tooMany(wait time.Duration) *connect.Error {
	secs := seconds(wait)
	err := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("too many %s from this client; try again in %d s", c.name, secs))
	err.Meta().Set("Retry-After", strconv.Itoa(secs))
	return err
}

// Routes maps "METHOD /path" (exact path, no patterns) to the class that limits it.
type Routes map[string]*Class

// Middleware limits the requests routes names and passes every other request through. It
// must run inside rpc.Authenticate, so that it can see the caller. A HEAD request counts
// as the GET it mirrors.
func Middleware(routes Routes) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			class := routes[method+" "+r.URL.Path]
			if class == nil {
				next.ServeHTTP(w, r)
				return
			}
			if ok, wait := class.check(r.Context(), r.RemoteAddr, r.Header); !ok {
				err := class.tooMany(wait)
				w.Header().Set("Retry-After", err.Meta().Get("Retry-After"))
				// The client need not send the rest of a body we refuse (an upload).
				w.Header().Set("Connection", "close")
				rpc.WriteErrorStatus(w, http.StatusTooManyRequests, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Interceptor limits every Connect procedure that may change state: all but those
// declared NO_SIDE_EFFECTS (idempotency_level in the .proto), which only read. Install it
// before the access policy, so that a flood is refused before its credentials are looked
// up by the policy (the account limit then resolves them itself, once per request).
func Interceptor(class *Class) connect.Interceptor { return &interceptor{class: class} }

type interceptor struct{ class *Class }

func (i *interceptor) limit(ctx context.Context, spec connect.Spec, peer connect.Peer, h http.Header) error {
	if spec.IdempotencyLevel == connect.IdempotencyNoSideEffects {
		return nil
	}
	if ok, wait := i.class.check(ctx, peer.Addr, h); !ok {
		return i.class.tooMany(wait)
	}
	return nil
}

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		if err := i.limit(ctx, req.Spec(), req.Peer(), req.Header()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := i.limit(ctx, conn.Spec(), conn.Peer(), conn.RequestHeader()); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
