package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
)

// runServe runs the HTTP API against external services.
func runServe(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger) error {
	return runApp(ctx, stopSignals, cfg, logger, func(a *app.App) error {
		return a.ServeHTTP(ctx, cfg.HTTPAddr, func(addr net.Addr) {
			logger.Info("serving", "addr", addr.String())
		})
	})
}

// runWorker runs the Temporal workers against external services.
func runWorker(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger) error {
	return runApp(ctx, stopSignals, cfg, logger, func(a *app.App) error {
		logger.Info("workers running")
		return a.RunWorkers(ctx)
	})
}

// runApp connects to the services, assembles plyr and runs one of its parts until ctx
// ends. Once it does, a second Ctrl-C ends the process at once.
func runApp(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger, part func(*app.App) error) error {
	infra, closeInfra, err := connectInfra(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeInfra()
	a, err := app.New(cfg, infra, logger, metrics.New())
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); stopSignals() }()
	return part(a)
}
