//go:build !nodevstack

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/devserver"
	"github.com/plyrfm/plyr/internal/devstack/pgcluster"
	"github.com/plyrfm/plyr/internal/devstack/s3dev"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/ports"
	"github.com/plyrfm/plyr/internal/platform/postgres"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/internal/platform/temporal"
)

// devStack is what `plyr dev` started, stopped in reverse order.
type devStack struct {
	logger  *slog.Logger
	timeout time.Duration
	stops   []func(context.Context)
}

func (s *devStack) onStop(f func(context.Context)) { s.stops = append(s.stops, f) }

// stop runs every stop function, newest first, each bounded by the shutdown timeout.
func (s *devStack) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		done := make(chan struct{})
		go func() { s.stops[i](ctx); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			s.logger.Warn("a component did not stop in time; moving on", "timeout", s.timeout.String())
		}
		cancel()
	}
}

// devReady describes a running dev stack.
type devReady struct {
	HTTPAddr string
	Config   config.Config
}

// runDev starts every component that the environment does not replace, then plyr itself,
// and stops them all when ctx ends. ready, when set, is called once everything is up.
func runDev(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger, stdout io.Writer, ready func(devReady)) error {
	dataDir, err := cfg.AbsDataDir()
	if err != nil {
		return err
	}
	cfg.DataDir = dataDir
	// The public URL (where OAuth returns) needs the real port before anything listens.
	if cfg.HTTPAddr, err = ports.Resolve(cfg.HTTPAddr); err != nil {
		return err
	}
	if cfg.Identity.PublicURL == "" {
		cfg.Identity.PublicURL = "http://" + cfg.HTTPAddr
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	stack := &devStack{logger: logger, timeout: cfg.ShutdownTimeout}
	defer stack.stop()

	if cfg.DatabaseURL == "" {
		cluster, err := startDevPostgres(ctx, cfg, logger)
		if err != nil {
			return err
		}
		stack.onStop(func(ctx context.Context) {
			if err := cluster.Stop(ctx); err != nil {
				logger.Error("stop postgres", "error", err.Error())
			}
		})
		cfg.DatabaseURL = cluster.URL("")
	}
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL, postgres.MaxConns(cfg.DatabaseMaxConns))
	if err != nil {
		return err
	}
	stack.onStop(func(context.Context) { pool.Close() })
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	logger.Info("database ready", "migrations_applied", len(applied))

	if cfg.TemporalAddress == "" {
		addr, stop, err := startDevTemporal(ctx, cfg)
		if err != nil {
			return err
		}
		stack.onStop(func(ctx context.Context) {
			if err := stop(remaining(ctx)); err != nil {
				logger.Error("stop temporal", "error", err.Error())
			}
		})
		cfg.TemporalAddress = addr
	} else {
		cfg.TemporalUIAddr = ""
	}
	tc, err := temporal.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, logger)
	if err != nil {
		return err
	}
	stack.onStop(func(context.Context) { tc.Close() })
	if err := temporal.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		logger.Warn("temporal search attributes", "error", err.Error())
	}

	if cfg.S3.Endpoint == "" {
		srv, err := startDevS3(ctx, cfg, logger)
		if err != nil {
			return err
		}
		stack.onStop(func(ctx context.Context) { srv.Stop(remaining(ctx)) })
		cfg.S3.Endpoint = srv.Endpoint()
		cfg.S3.AccessKeyID, cfg.S3.SecretAccessKey = srv.Credentials()
		// No other process uploads to this storage: whatever an upload left in it before
		// this start (plyr dev killed mid-upload) is dead, and startup removes it.
		cfg.Housekeeping.StartupGrace = 0
	}
	store, private := storage.New(storageConfig(cfg)), storage.New(privateStorageConfig(cfg))
	for _, s := range []*storage.Client{store, private} {
		if err := s.EnsureBucket(ctx); err != nil {
			return err
		}
	}

	keys, err := devSessionKeys(cfg)
	if err != nil {
		return err
	}
	infra := app.Infra{DB: pool, Temporal: tc, Storage: store, PrivateStorage: private, Keys: keys, ATProto: productionATProto(cfg)}
	var demo []devpds.Account
	var pdsURL string
	if cfg.Identity.DevPDS {
		net, err := devpds.Start(ctx, devpds.Options{Demo: demoAccounts, Log: devpds.LogTo(logger.With("component", "pds"))})
		if err != nil {
			return fmt.Errorf("start the reference PDS (make pds-harness installs it): %w", err)
		}
		stack.onStop(func(ctx context.Context) { net.Stop(remaining(ctx)) })
		infra.ATProto = app.ATProto{HTTPClient: net.HTTPClient(), Directory: net.Directory(), AllowLoopbackPDS: true}
		demo, pdsURL = net.Demo, net.PDSURL
		cfg.Identity.PLCURL = net.PLCURL
		// Sign-up works offline too: the local PDS is the one offered for new accounts.
		cfg.Identity.PDSOptions = []config.PDSOption{{
			Name: "this machine's PDS (make dev-pds)", URL: net.PDSURL, Recommended: true,
			Description: "The reference PDS running beside plyr; its accounts live in memory until plyr stops.",
		}}
	}
	a, err := app.New(cfg, infra, logger, metrics.New())
	if err != nil {
		return err
	}
	listening := make(chan net.Addr, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.ServeHTTP(gctx, cfg.HTTPAddr, func(addr net.Addr) { listening <- addr }) })
	g.Go(func() error { return a.RunWorkers(gctx) })

	select {
	case addr := <-listening:
		if err := writeDevEnv(cfg); err != nil {
			logger.Warn("write dev.env", "error", err.Error())
		}
		stack.onStop(func(context.Context) { removeDevEnv(cfg) })
		printDevSummary(stdout, cfg, addr.String(), pdsURL, demo)
		if ready != nil {
			ready(devReady{HTTPAddr: addr.String(), Config: cfg})
		}
	case <-gctx.Done():
	}
	go func() { <-ctx.Done(); stopSignals(); fmt.Fprintln(stdout, "stopping…") }()
	err = g.Wait()
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// startDevPostgres starts the cluster under the data dir, on the port it used last time
// when that port is still free, so URLs in other terminals keep working.
func startDevPostgres(ctx context.Context, cfg config.Config, logger *slog.Logger) (*pgcluster.Cluster, error) {
	portFile := filepath.Join(cfg.DataDir, "pg-port")
	port := cfg.DevPostgresPort
	if port == 0 {
		if b, err := os.ReadFile(portFile); err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && ports.Available(net.JoinHostPort("127.0.0.1", strconv.Itoa(p))) {
				port = p
			}
		}
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{
		Dir: filepath.Join(cfg.DataDir, "pg"), Port: port, BinDir: cfg.PostgresBinDir, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	_ = os.WriteFile(portFile, []byte(strconv.Itoa(cluster.Port())+"\n"), 0o644)
	return cluster, nil
}

// startDevS3 starts versitygw on the data dir with credentials kept there, so presigned
// URLs a browser cached before a restart still verify after it.
func startDevS3(ctx context.Context, cfg config.Config, logger *slog.Logger) (*s3dev.Server, error) {
	credFile := filepath.Join(cfg.DataDir, "s3-credentials")
	access, secret := "", ""
	if b, err := os.ReadFile(credFile); err == nil {
		access, secret, _ = strings.Cut(strings.TrimSpace(string(b)), ":")
	}
	srv, err := s3dev.Start(ctx, s3dev.Options{
		Dir: filepath.Join(cfg.DataDir, "s3"), Addr: cfg.DevS3Addr, AccessKeyID: access, SecretAccessKey: secret,
		Log: slogWriter{logger.With("component", "versitygw")},
	})
	if err != nil {
		return nil, err
	}
	access, secret = srv.Credentials()
	if err := os.WriteFile(credFile, []byte(access+":"+secret+"\n"), 0o600); err != nil {
		srv.Stop(5 * time.Second)
		return nil, fmt.Errorf("keep s3 credentials: %w", err)
	}
	return srv, nil
}

// demoAccounts are made on the development PDS (PLYR_DEV_PDS=1), to sign in offline.
var demoAccounts = []devpds.Account{
	{Handle: "alice.test", Password: "alice-pass"},
	{Handle: "bob.test", Password: "bob-pass"},
}

// devSessionKeys is PLYR_SESSION_KEYS, or a key kept in the data dir (made on first run),
// so sessions survive restarts of the dev stack.
func devSessionKeys(cfg config.Config) (*sealed.Keyring, error) {
	if cfg.Identity.SessionKeys != "" {
		return sessionKeys(cfg.Identity.SessionKeys)
	}
	file := filepath.Join(cfg.DataDir, "session-keys")
	spec, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		spec = []byte(sealed.NewKeySpec("dev"))
		err = os.WriteFile(file, spec, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("development session key: %w", err)
	}
	return sessionKeys(strings.TrimSpace(string(spec)))
}

func printDevSummary(w io.Writer, cfg config.Config, httpAddr, pdsURL string, demo []devpds.Account) {
	fmt.Fprintf(w, "\nplyr dev is up. Data in %s\n\n", cfg.DataDir)
	fmt.Fprintf(w, "  API          http://%s   (Connect, POST /upload, /audio/{id}, /healthz, /readyz, /metrics)\n", httpAddr)
	if cfg.TemporalUIAddr != "" {
		fmt.Fprintf(w, "  Temporal UI  http://%s\n", cfg.TemporalUIAddr)
	}
	fmt.Fprintf(w, "  Temporal     %s (namespace %s)\n", cfg.TemporalAddress, cfg.TemporalNamespace)
	fmt.Fprintf(w, "  PostgreSQL   %s\n", redactURL(cfg.DatabaseURL))
	fmt.Fprintf(w, "  S3           %s (bucket %s)\n", cfg.S3.Endpoint, cfg.S3.Bucket)
	for i, a := range demo {
		if i == 0 {
			fmt.Fprintf(w, "  PDS          %s (the reference PDS, offline; its demo accounts:)\n", pdsURL)
		}
		fmt.Fprintf(w, "  Sign in as %-10s password %-12s http://%s/auth/start?identifier=%s\n", a.Handle, a.Password, httpAddr, a.Handle)
	}
	fmt.Fprintf(w, "\n  Settings for other terminals: %s (KEY='value' lines)\n", filepath.Join(cfg.DataDir, devEnvFile))
	fmt.Fprintf(w, "  A token:  bin/plyr admin token --did did:plc:yourdid --handle you.test\n")
	fmt.Fprintf(w, "  Ctrl-C stops everything.\n\n")
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	at := strings.LastIndex(raw, "@")
	scheme := strings.Index(raw, "://")
	if at < 0 || scheme < 0 {
		return raw
	}
	userinfo := raw[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return raw[:scheme+3] + user + ":***" + raw[at:]
	}
	return raw
}

// remaining is the time left before ctx's deadline.
func remaining(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), 0)
	}
	return 10 * time.Second
}

// slogWriter turns a child process's output lines into log records.
type slogWriter struct{ logger *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			w.logger.Info(line)
		}
	}
	return len(p), nil
}

// startDevTemporal runs the embedded Temporal server and Web UI for `plyr dev`. It is the
// only code that links the Temporal server into plyr; production images build with
// -tags nodevstack and leave it out (about 160 MB).
func startDevTemporal(ctx context.Context, cfg config.Config) (addr string, stop func(time.Duration) error, err error) {
	srv, err := devserver.Start(ctx, devserver.Options{
		Addr: cfg.DevTemporalAddr, UIAddr: cfg.TemporalUIAddr, Namespace: cfg.TemporalNamespace,
		DBFile: filepath.Join(cfg.DataDir, "temporal.db"),
	})
	if err != nil {
		return "", nil, err
	}
	return srv.Addr(), srv.Stop, nil
}
