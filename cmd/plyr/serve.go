package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/plyrfm/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
)

// runServe runs the HTTP API against external services.
func runServe(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger) error {
	infra, closeInfra, err := connectInfra(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeInfra()
	a := app.New(cfg, infra, logger, metrics.New())
	go func() { <-ctx.Done(); stopSignals() }()
	return a.ServeHTTP(ctx, cfg.HTTPAddr, func(addr net.Addr) {
		logger.Info("serving", "addr", addr.String())
	})
}

// runWorker runs the Temporal workers against external services.
func runWorker(ctx context.Context, stopSignals func(), cfg config.Config, logger *slog.Logger) error {
	infra, closeInfra, err := connectInfra(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeInfra()
	a := app.New(cfg, infra, logger, metrics.New())
	go func() { <-ctx.Done(); stopSignals() }()
	logger.Info("workers running")
	return a.RunWorkers(ctx)
}
