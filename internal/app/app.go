// Package app assembles plyr from its parts: it builds the modules with their
// dependencies, one HTTP handler for every route, and the Temporal workers. cmd/plyr
// decides which of these a process runs (serve, worker, dev); the end-to-end tests run
// the same assembly in-process.
//
// Nothing here opens connections: the caller passes the database pool, the Temporal
// client and the storage client in Infra, so the same App runs against the embedded
// development stack, the test environment, or production services.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/operator"
	"github.com/plyrfm/plyr/internal/platform/ratelimit"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/storage"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/modules/catalog"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows"
)

// Infra are the connections the App works through.
type Infra struct {
	DB       *pgxpool.Pool
	Temporal client.Client
	Storage  *storage.Client
	// Keys seal OAuth tokens at rest; required (operator commands use identity.NewOperator).
	Keys *sealed.Keyring
	// ATProto is plyr's outbound ATProto: in production an SSRF-safe client and a directory
	// on it (internal/platform/atproto); in development and tests, the reference PDS's.
	ATProto ATProto
}

// ATProto is how plyr reaches ATProto services.
type ATProto struct {
	HTTPClient *http.Client
	Directory  atid.Directory
	// AllowLoopbackPDS accepts a PDS at http://localhost (the development PDS only).
	AllowLoopbackPDS bool
}

// App is plyr assembled.
type App struct {
	cfg     config.Config
	infra   Infra
	logger  *slog.Logger
	metrics *metrics.Metrics

	identity *identity.Module
	catalog  *catalog.Module
	media    *media.Module

	handler http.Handler
	// started is when New ran: the startup cleanup removes nothing newer.
	started time.Time
	// operator serves /metrics, /readyz and /healthz on their own listener; nil when
	// cfg.OperatorAddr is empty and handler serves them.
	operator http.Handler
}

// New builds the modules and the HTTP handler.
func New(cfg config.Config, infra Infra, logger *slog.Logger, m *metrics.Metrics) (*App, error) {
	a := &App{cfg: cfg, infra: infra, logger: logger, metrics: m, started: time.Now()}
	idCfg, err := identityConfig(cfg.Identity, infra.ATProto.AllowLoopbackPDS)
	if err != nil {
		return nil, err
	}
	if a.identity, err = identity.New(identity.Deps{
		DB: infra.DB, Logger: logger, Metrics: m, Config: idCfg, Keys: infra.Keys,
		HTTPClient: infra.ATProto.HTTPClient, Directory: infra.ATProto.Directory,
	}); err != nil {
		return nil, err
	}
	a.catalog = catalog.New(catalog.Deps{DB: infra.DB, Logger: logger, Metrics: m, Handles: a.identity})
	a.media = media.New(media.Deps{
		DB: infra.DB, Storage: infra.Storage, Logger: logger, Metrics: m,
		Workflows: media.NewTemporalUploads(infra.Temporal, m),
		Limits: media.Limits{
			MaxUploadBytes:          cfg.Media.MaxUploadBytes,
			MaxConcurrentUploads:    cfg.Media.MaxConcurrentUploads,
			MaxUploadsPerAccount:    cfg.Media.MaxUploadsPerAccount,
			UploadIdleTimeout:       cfg.Media.UploadIdleTimeout,
			UploadMinBytesPerSecond: uploadMinRate(cfg.Media.UploadMinKiBps),
			UploadRateGrace:         cfg.Media.UploadRateGrace,
			AudioURLTTL:             cfg.Media.AudioURLTTL,
		},
	})
	mux := http.NewServeMux()
	a.identity.Mount(mux)
	a.catalog.Mount(mux)
	a.media.Mount(mux)
	var opMux *http.ServeMux
	if cfg.OperatorAddr != "" {
		opMux = http.NewServeMux()
		a.operator = opMux
	}
	operator.Mount(mux, opMux, operator.Endpoints{
		Healthz: http.HandlerFunc(a.healthz), Readyz: http.HandlerFunc(a.readyz), Metrics: m.Handler(),
	})

	limited := rateLimits(cfg.RateLimits)(mux)
	a.handler = rpc.Observe(logger, m, mux)(securityHeaders(rpc.Authenticate(a.identity, rpc.PublicOrigin(cfg.Identity.PublicURL))(limited)))
	return a, nil
}

// rateLimits limits, per client address and per account, sign-in starts (GET, and POST
// where the sign-in page posts), uploads and every procedure that may change state.
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
	return ratelimit.Middleware(ratelimit.Routes{
		"GET /auth/start": signIn, "POST /auth/start": signIn, "POST /upload": uploads,
	}, changes)
}

// uploadMinRate is the media module's minimum upload rate for PLYR_UPLOAD_MIN_KIBPS,
// where 0 means no minimum (the module reads 0 as its default, and negative as none).
func uploadMinRate(kibps int) int64 {
	if kibps <= 0 {
		return -1
	}
	return int64(kibps) << 10
}

// identityConfig turns the environment's identity settings into the module's.
func identityConfig(c config.Identity, allowLoopbackPDS bool) (identity.Config, error) {
	out := identity.Config{
		PublicURL: c.PublicURL, Namespace: c.Namespace, ClientKeyID: c.OAuthClientKeyID,
		SessionTTL: c.SessionTTL, AdminDIDs: c.AdminDIDs, AccountCreation: c.AccountCreation,
		AllowLoopbackPDS: allowLoopbackPDS,
	}
	for _, o := range c.PDSOptions {
		out.PDSOptions = append(out.PDSOptions, identity.PDSOption{Name: o.Name, URL: o.URL, Recommended: o.Recommended, Description: o.Description})
	}
	if c.OAuthClientKey != "" {
		key, err := atcrypto.ParsePrivateMultibase(c.OAuthClientKey)
		if err != nil {
			return identity.Config{}, fmt.Errorf("PLYR_OAUTH_CLIENT_KEY: %w", err)
		}
		out.ClientKey = key
	}
	return out, nil
}

// Handler serves every route.
func (a *App) Handler() http.Handler { return a.handler }

// Identity is the identity module, for operator commands.
func (a *App) Identity() *identity.Module { return a.identity }

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

// RunWorkers runs the Temporal workers until ctx ends, then stops them, waiting at most
// the shutdown timeout: a worker stuck in an activity must not hold the process.
func (a *App) RunWorkers(ctx context.Context) error {
	// Inspection temp files a killed worker left behind (the schedule sweeps them too).
	if n, err := mediaact.SweepTempFiles(a.cfg.Media.TempDir, 10*time.Second); err != nil {
		a.logger.Warn("sweep inspection temp files", "dir", a.cfg.Media.TempDir, "removed", n, "error", err.Error())
	} else if n > 0 {
		a.logger.Info("removed inspection temp files left by a stopped worker", "dir", a.cfg.Media.TempDir, "removed", n)
	}
	ws := a.newWorkers()
	for i, w := range ws {
		if err := w.Start(); err != nil {
			stopAll(ws[:i], a.cfg.ShutdownTimeout, a.logger)
			return fmt.Errorf("start worker: %w", err)
		}
	}
	go a.housekeepAtStartup(ctx)
	<-ctx.Done()
	stopAll(ws, a.cfg.ShutdownTimeout, a.logger)
	return nil
}

func (a *App) newWorkers() []worker.Worker {
	stopTimeout := a.cfg.ShutdownTimeout / 2 // activities get half; the rest is margin
	interceptors := []interceptor.WorkerInterceptor{plyrtemporal.NewOutcomeInterceptor(a.metrics)}

	catalogActivities := &catalogact.Activities{Tracks: a.catalog}
	mediaActivities := &mediaact.Activities{
		Storage: a.infra.Storage,
		Records: a.media,
		Limits: mediaact.Limits{MaxBytes: a.cfg.Media.MaxUploadBytes, MaxDuration: a.cfg.Media.MaxDuration,
			MinDecodeSpeed: a.cfg.Media.MinDecodeSpeed},
		TempDir: a.cfg.Media.TempDir,
	}

	// Heartbeats reach the server at least every 2 s: within the steps' 10 s heartbeat
	// timeout with room to spare, and often enough for WatchUpload's progress.
	const heartbeatThrottle = 2 * time.Second
	// "plyr": workflows and light steps.
	light := worker.New(a.infra.Temporal, workflows.TaskQueue, worker.Options{
		WorkerStopTimeout: stopTimeout, Interceptors: interceptors, MaxHeartbeatThrottleInterval: heartbeatThrottle,
	})
	workflows.Register(light)

	// "plyr-media": ffmpeg, as many at once as the machine has cores for.
	heavy := worker.New(a.infra.Temporal, workflows.MediaTaskQueue, worker.Options{
		WorkerStopTimeout:                  stopTimeout,
		MaxConcurrentActivityExecutionSize: a.cfg.Media.Concurrency,
		MaxHeartbeatThrottleInterval:       heartbeatThrottle,
		Interceptors:                       interceptors,
	})
	// Each activity package puts its steps on the queue they run on.
	queues := map[string]worker.ActivityRegistry{workflows.TaskQueue: light, workflows.MediaTaskQueue: heavy}
	catalogActivities.Register(queues)
	mediaActivities.Register(queues)
	a.housekeepingActivities().Register(queues)
	return []worker.Worker{light, heavy}
}

func stopAll(ws []worker.Worker, timeout time.Duration, logger *slog.Logger) {
	done := make(chan struct{})
	go func() {
		for _, w := range ws {
			w.Stop()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		logger.Warn("temporal workers did not stop in time; leaving them behind", "timeout", timeout.String())
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
