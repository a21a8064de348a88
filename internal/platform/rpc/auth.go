// Package rpc is the shared edge of plyr's HTTP surface: who the caller is, what each
// procedure or route demands of them, how errors look on the wire, and the request logging
// and metrics every handler gets.
//
// # Authentication
//
// Authenticate is the one middleware that knows where credentials come from: the
// HttpOnly session cookie (browsers) or an Authorization: Bearer header (API clients,
// developer tokens). It does not look the credential up straight away; the first handler or
// interceptor that asks (Require) resolves it, once per request, so public routes such as
// /audio never touch the session store.
//
// Each Connect service declares a Policy (procedure → Level) and each plain route is
// wrapped with RequireHTTP: the level a handler needs is written next to the handler, and a
// procedure missing from its policy is refused (fail closed).
package rpc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"connectrpc.com/connect"
	"github.com/google/uuid"
)

// SessionCookie is the name of the browser session cookie where plyr is served over plain
// loopback HTTP (development).
const SessionCookie = "plyr_session"

// SecureSessionCookie is its name over https: the __Host- prefix makes browsers refuse it
// unless it is Secure, host-only and for the whole site, so a sibling subdomain cannot
// plant a session of its own choosing.
const SecureSessionCookie = "__Host-" + SessionCookie

// SessionCookieName is the session cookie's name for a site served over https or not.
func SessionCookieName(secure bool) string {
	if secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// Caller is the authenticated account behind a request.
type Caller struct {
	// DID is the account's ATProto DID.
	DID string
	// Handle is the account's handle as last seen.
	Handle string
	// SessionID is the credential's session.
	SessionID uuid.UUID
	// Kind is what the credential is: the browser's session cookie or a bearer token.
	Kind CredentialKind
	// Admin marks the DIDs configured as administrators.
	Admin bool
}

// CredentialKind is what kind of credential a caller came with. Its values are the ones
// identity stores with each session.
type CredentialKind string

const (
	// BrowserSession is the session cookie of a signed-in browser.
	BrowserSession CredentialKind = "browser"
	// DeveloperToken is a bearer token: a developer token, or an operator's.
	DeveloperToken CredentialKind = "developer"
)

// Browser reports whether the caller came with a browser session (rather than a token).
func (c *Caller) Browser() bool { return c.Kind == BrowserSession }

// Level is what a procedure or route demands of its caller.
type Level int

const (
	// Public never looks at credentials.
	Public Level = iota + 1
	// Optional uses a valid session when there is one. A bad bearer token is refused (a
	// client sent it on purpose); a stale cookie is ignored (the browser keeps sending it).
	Optional
	// Session requires a valid session or token.
	Session
	// Admin requires a session of an administrator.
	Admin
)

// Authenticator resolves a credential to its caller. It returns ErrInvalidCredentials for
// an unknown or expired credential; any other error means the check itself failed.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Caller, error)
}

// ErrInvalidCredentials is returned by an Authenticator for an unknown or expired credential.
var ErrInvalidCredentials = errors.New("invalid or expired credentials")

// ErrUnauthenticated is the error a caller sees when a session is required and missing.
var ErrUnauthenticated = errors.New("authentication required: sign in or send a valid bearer token")

// ErrNotAdmin is the error a signed-in caller sees on an administrators' procedure.
var ErrNotAdmin = errors.New("this is for administrators")

// credentials is the per-request state of authentication, resolved at most once.
type credentials struct {
	auth       Authenticator
	token      string
	fromCookie bool

	once   sync.Once
	caller *Caller
	err    error
}

func (c *credentials) resolve(ctx context.Context) (*Caller, error) {
	c.once.Do(func() {
		caller, err := c.auth.Authenticate(ctx, c.token)
		if err != nil {
			c.err = err
			return
		}
		c.caller = &caller
	})
	return c.caller, c.err
}

type credentialsKey struct{}

// AuthOption configures Authenticate.
type AuthOption func(*authConfig)

type authConfig struct {
	cookie string // the session cookie's name
	origin string // scheme://host[:port] browsers reach plyr at; "" accepts the request's own host
}

// PublicOrigin tells Authenticate where browsers reach plyr (its public URL): the session
// cookie is read under its __Host- name when that is https, and a cookie-authenticated
// request that changes state must come from that origin.
func PublicOrigin(publicURL string) AuthOption {
	return func(c *authConfig) {
		u, err := url.Parse(publicURL)
		if err != nil || u.Host == "" {
			return
		}
		// Browsers leave a scheme's default port out of Origin.
		host := u.Host
		if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
			host = u.Hostname()
		}
		c.origin = u.Scheme + "://" + host
		c.cookie = SessionCookieName(u.Scheme == "https")
	}
}

// ErrCrossSite is what a browser sees when another site tries to act with its session.
var ErrCrossSite = errors.New("refused: this request came from another site")

// Authenticate returns middleware that records the request's credentials for Require.
//
// A request that authenticates by the session cookie and changes state (any method but
// GET, HEAD and OPTIONS) must come from plyr's own origin: its Origin header names it, or
// the browser's Sec-Fetch-Site says same-origin. A browser always sends one of the two on
// such a request, so a cross-site form or fetch riding on the cookie is refused (403)
// whatever route it targets, Connect or plain (POST /upload). A client that sends neither
// is not a browser and cannot be tricked into sending someone's cookie.
func Authenticate(auth Authenticator, opts ...AuthOption) func(http.Handler) http.Handler {
	cfg := authConfig{cookie: SessionCookie}
	for _, o := range opts {
		o(&cfg)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, fromCookie := credentialFrom(r, cfg.cookie)
			if token == "" {
				next.ServeHTTP(w, r)
				return
			}
			if fromCookie && changesState(r.Method) && !SameOrigin(r, cfg.origin) {
				WriteError(w, connect.NewError(connect.CodePermissionDenied, ErrCrossSite))
				return
			}
			creds := &credentials{auth: auth, token: token, fromCookie: fromCookie}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), credentialsKey{}, creds)))
		})
	}
}

func changesState(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// SameOrigin reports whether a browser request comes from origin (scheme://host[:port];
// "" means the request's own host): by its Origin header, else by Sec-Fetch-Site. A
// request with neither is not from a browser and passes.
func SameOrigin(r *http.Request, origin string) bool {
	if o := r.Header.Get("Origin"); o != "" {
		if origin == "" {
			u, err := url.Parse(o)
			return err == nil && u.Host == r.Host
		}
		return o == origin
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	default:
		return false
	}
}

// credentialFrom returns the bearer token, or else the session cookie. A bearer header
// wins because a client that sets one means it.
func credentialFrom(r *http.Request, cookie string) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(value), false
		}
		return "", false
	}
	if c, err := r.Cookie(cookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// Require returns the caller the level allows. The caller is nil for Public, and for
// Optional without valid credentials. The error is ErrUnauthenticated, or a wrapped
// failure of the check itself.
func Require(ctx context.Context, level Level) (*Caller, error) {
	if level == Public {
		return nil, nil
	}
	creds, _ := ctx.Value(credentialsKey{}).(*credentials)
	if creds == nil {
		if level == Optional {
			return nil, nil
		}
		return nil, ErrUnauthenticated
	}
	caller, err := creds.resolve(ctx)
	switch {
	case err == nil && level == Admin && !caller.Admin:
		return nil, ErrNotAdmin
	case err == nil:
		return caller, nil
	case !errors.Is(err, ErrInvalidCredentials):
		return nil, fmt.Errorf("check credentials: %w", err)
	case level == Optional && creds.fromCookie:
		return nil, nil
	default:
		return nil, ErrUnauthenticated
	}
}

// CallerFrom returns the caller already resolved for this request, or nil. Handlers call
// it after their policy's Require has run (Connect) or inside RequireHTTP (plain routes).
func CallerFrom(ctx context.Context) *Caller {
	creds, _ := ctx.Value(credentialsKey{}).(*credentials)
	if creds == nil {
		return nil
	}
	caller, err := creds.resolve(ctx)
	if err != nil {
		return nil
	}
	return caller
}

// Policy maps each procedure of a Connect service to the level it requires.
type Policy map[string]Level

// NewAuthInterceptor enforces policy on every call. A procedure missing from the policy
// is refused: forgetting to declare a level must not make an endpoint public.
func NewAuthInterceptor(policy Policy) connect.Interceptor {
	return &authInterceptor{policy: policy}
}

type authInterceptor struct{ policy Policy }

func (a *authInterceptor) check(ctx context.Context, procedure string) error {
	level, ok := a.policy[procedure]
	if !ok {
		return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("%s has no access policy", procedure))
	}
	_, err := Require(ctx, level)
	return authError(err)
}

func (a *authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := a.check(ctx, req.Spec().Procedure); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a *authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a *authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := a.check(ctx, conn.Spec().Procedure); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// authError turns Require's error into the Connect error a client sees.
func authError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnauthenticated):
		return connect.NewError(connect.CodeUnauthenticated, ErrUnauthenticated)
	case errors.Is(err, ErrNotAdmin):
		return connect.NewError(connect.CodePermissionDenied, ErrNotAdmin)
	default:
		// The session store is unreachable: say so without internals, so clients retry.
		return connect.NewError(connect.CodeUnavailable, errors.New("cannot check credentials right now"))
	}
}

// RequireHTTP wraps a plain HTTP handler with a level check; inside, CallerFrom returns
// the caller.
func RequireHTTP(level Level, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := Require(r.Context(), level); err != nil {
			WriteError(w, authError(err).(*connect.Error))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Anonymous is ctx with no caller: what a procedure answers there is what anyone may see
// (a module rendering a public page through another module's reads).
func Anonymous(ctx context.Context) context.Context {
	return context.WithValue(ctx, credentialsKey{}, (*credentials)(nil))
}

// WithCaller is ctx with caller as its authenticated caller: for a module that checks the
// credentials of a protocol of its own (Subsonic's API keys) and then calls handlers that
// ask Require and CallerFrom, as a bearer token would have made them see it.
func WithCaller(ctx context.Context, caller Caller) context.Context {
	creds := &credentials{caller: &caller}
	creds.once.Do(func() {}) // resolved: the caller above is the answer
	return context.WithValue(ctx, credentialsKey{}, creds)
}
