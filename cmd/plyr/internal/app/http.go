package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/operator"
	"github.com/plyrfm/plyr/internal/platform/ratelimit"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/internal/platform/webclient"
	"github.com/plyrfm/plyr/modules/subsonic"
	"github.com/plyrfm/plyr/web"
)

// buildHTTP mounts every module's routes and the operator endpoints, behind the
// middleware every request passes: observation, security headers, credentials (with the
// same-origin rule for cookies), rate limits.
func (a *App) buildHTTP() error {
	mux := http.NewServeMux()
	a.identity.Mount(mux)
	a.catalog.Mount(mux)
	a.media.Mount(mux)
	a.legal.Mount(mux)
	a.sharing.Mount(mux)
	a.subsonic.Mount(mux)
	client, err := a.webClient()
	if err != nil {
		return fmt.Errorf("web client: %w", err)
	}
	mux.Handle("/", client)
	var opMux *http.ServeMux
	if a.cfg.OperatorAddr != "" {
		opMux = http.NewServeMux()
		a.operator = opMux
	}
	operator.Mount(mux, opMux, operator.Endpoints{
		Healthz: http.HandlerFunc(a.healthz), Readyz: http.HandlerFunc(a.readyz), Metrics: a.metrics.Handler(),
	})

	limited := rateLimits(a.cfg.RateLimits)(mux)
	a.handler = rpc.Observe(a.logger, a.metrics, mux)(securityHeaders(rpc.Authenticate(a.identity, rpc.PublicOrigin(a.cfg.Identity.PublicURL))(limited)))
	return nil
}

// webClient serves the web client at / and its client routes (or, in a binary built
// without it, the landing page that says how to build it). Paths under the API's prefixes
// never answer the app: an unknown one is a 404 in Connect's error shape.
func (a *App) webClient() (http.Handler, error) {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		rpc.WriteError(w, connect.NewError(connect.CodeNotFound, errors.New("no such route")))
	})
	// /audio and /images redirect to presigned storage URLs: the page may load from there.
	var media []string
	if a.infra.Storage != nil {
		if origin := webclient.Origin(a.infra.Storage.PublicEndpoint()); origin != "" {
			media = append(media, origin)
		}
	}
	public, _ := url.Parse(a.cfg.Identity.PublicURL)
	return webclient.New(webclient.Options{
		App:      web.App(),
		Fallback: http.HandlerFunc(landing),
		Reserved: []string{"/plyr.", "/auth/", "/audio/", "/images/", "/upload/", "/.well-known/", "/queue", "/now-playing/",
			"/healthz", "/readyz", "/metrics", "/oauth-client-metadata.json", "/oembed", "/sitemaps/"},
		MediaOrigins:  media,
		InsecureForms: public != nil && public.Scheme == "http",
		NotFound:      notFound,
		// Embeds are for other sites' pages; nothing else may be framed.
		Framable: []string{"/embed/"},
		// Pages people share carry their link preview in the HTML crawlers read.
		Head: a.sharing.PageHead,
	})
}

// rateLimits limits, per client address and per account, sign-in starts (GET, and POST
// where the sign-in page posts), uploads (audio and images share the budget: both cost
// storage and decoding) and every procedure that may change state.
func rateLimits(c config.RateLimits) func(http.Handler) http.Handler {
	g := ratelimit.New(ratelimit.Options{
		Addrs: ratelimit.ClientAddrs{TrustedProxies: c.TrustedProxies, Header: c.ClientIPHeader},
	})
	signIn := g.Class("sign-ins", ratelimit.Rule{
		PerAddr: ratelimit.Limit(c.SignInPerAddr), PerAccount: ratelimit.Limit(c.SignInPerAccount),
	})
	uploads := g.Class("uploads", ratelimit.Rule{
		PerAddr: ratelimit.Limit(c.UploadPerAddr), PerAccount: ratelimit.Limit(c.UploadPerAccount),
	})
	changes := g.Class("changes", ratelimit.Rule{
		PerAddr: ratelimit.Limit(c.WritePerAddr), PerAccount: ratelimit.Limit(c.WritePerAccount),
	})
	routes := ratelimit.Routes{
		"GET /auth/start": signIn, "POST /auth/start": signIn, "POST /upload": uploads, "POST /images": uploads,
		"PUT /queue": changes,
	}
	// Subsonic changes things with GET as well as POST; its apps sign in by a parameter,
	// so these count per client address.
	for _, name := range subsonic.WriteMethods() {
		for _, path := range subsonic.Paths(name) {
			routes["GET "+path], routes["POST "+path] = changes, changes
		}
	}
	return ratelimit.Middleware(routes, changes)
}

// Handler serves every route.
func (a *App) Handler() http.Handler { return a.handler }

// OperatorHandler serves /metrics, /readyz and /healthz for the operator listener; nil
// when PLYR_OPERATOR_ADDR is not set and Handler serves them.
func (a *App) OperatorHandler() http.Handler { return a.operator }

// ServeHTTP listens on addr, and on the operator address when one is configured, and
// serves until ctx ends, then stops within the configured shutdown timeout. ready, when
// set, receives the public listener's bound address once listening.
func (a *App) ServeHTTP(ctx context.Context, addr string, ready func(net.Addr)) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	public := a.newServer(a.handler)
	// Long-lived streams (WatchUpload) end when shutdown begins; clients reconnect.
	public.RegisterOnShutdown(a.media.Drain)
	public.RegisterOnShutdown(a.catalog.Drain)
	servers, listeners := []*http.Server{public}, []net.Listener{l}
	if a.operator != nil {
		ol, err := net.Listen("tcp", a.cfg.OperatorAddr)
		if err != nil {
			l.Close()
			return fmt.Errorf("listen on %s (operator endpoints): %w", a.cfg.OperatorAddr, err)
		}
		a.logger.Info("serving operator endpoints", "addr", ol.Addr().String())
		servers, listeners = append(servers, a.newServer(a.operator)), append(listeners, ol)
	}
	if ready != nil {
		ready(l.Addr())
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	select {
	case err := <-errc:
		for _, srv := range servers {
			_ = srv.Close()
		}
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			a.logger.Warn("http server did not drain in time; closing connections", "error", err.Error())
			_ = srv.Close()
		}
	}
	a.Close()
	return nil
}

// newServer is an HTTP server for h with plyr's timeouts, speaking HTTP/1.1 and h2c.
func (a *App) newServer(h http.Handler) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true) // Connect and gRPC clients may speak h2c
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		Protocols:         &protocols,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
}

func (a *App) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyz checks, concurrently and briefly, that each backing service answers.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]func(context.Context) error{
		"database": a.infra.DB.Ping,
		"temporal": func(ctx context.Context) error { return plyrtemporal.Ping(ctx, a.infra.Temporal) },
		"storage":  a.infra.Storage.Ping,
	}
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for name, check := range checks {
		go func() { results <- result{name, check(ctx)} }()
	}
	status, code := map[string]string{}, http.StatusOK
	for range checks {
		res := <-results
		status[res.name] = "ok"
		if res.err != nil {
			status[res.name], code = "unavailable", http.StatusServiceUnavailable
			a.logger.WarnContext(r.Context(), "readiness check failed", "component", res.name, "error", res.err.Error())
		}
	}
	writeJSON(w, code, status)
}

// securityHeaders are set on every response.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}
