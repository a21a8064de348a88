package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

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
	if !c.byAccount.limits() {
		return true, 0 // and no need to look the caller up
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

// tooMany is the error a refused client sees, with Retry-After in its metadata.
func (c *Class) tooMany(wait time.Duration) *connect.Error {
	secs := seconds(wait)
	err := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("too many %s from this client; try again in %d s", c.name, secs))
	err.Meta().Set("Retry-After", strconv.Itoa(secs))
	return err
}

// Routes maps "METHOD /path" (exact path, no patterns) to the class that limits it.
type Routes map[string]*Class

// Middleware limits the plain routes that routes names and, when rpcs is not nil, every
// Connect procedure that may change state; every other request passes through. It must
// run inside rpc.Authenticate, so that it can see the caller. A HEAD request counts as
// the GET it mirrors.
//
// A procedure may change state unless its .proto declares it idempotency_level =
// NO_SIDE_EFFECTS: the same option connect-go's generated code turns into
// connect.Spec.IdempotencyLevel, read here from the descriptors the generated packages
// register. Doing it in one middleware rather than in each service's interceptors means
// a new module's procedures are limited without wiring, and a flood is refused before
// Connect decodes its body or the access policy looks up its credentials.
func Middleware(routes Routes, rpcs *Class) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			class := routes[method+" "+r.URL.Path]
			if class == nil && rpcs != nil && changesState(r.URL.Path) {
				class = rpcs
			}
			if class == nil {
				next.ServeHTTP(w, r)
				return
			}
			if ok, wait := class.check(r.Context(), r.RemoteAddr, r.Header); !ok {
				err := class.tooMany(wait)
				w.Header().Set("Retry-After", err.Meta().Get("Retry-After"))
				// The client need not send the rest of a body we refuse (an upload).
				w.Header().Set("Connection", "close")
				// The Connect protocol's unary error: status 429 and {"code", "message"}.
				rpc.WriteErrorStatus(w, http.StatusTooManyRequests, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// changesState reports whether path is /<service>/<method> of a registered Connect or
// gRPC procedure that is not declared NO_SIDE_EFFECTS.
func changesState(path string) bool {
	service, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || service == "" || method == "" || strings.Contains(method, "/") {
		return false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service + "." + method))
	if err != nil {
		return false
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return false
	}
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	return opts.GetIdempotencyLevel() != descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}
