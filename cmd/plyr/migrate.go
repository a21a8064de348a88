package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/postgres"
)

func runMigrate(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprintln(stderr, "usage: plyr migrate up|status")
		return errUsage
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if args[0] == "up" {
		applied, err := postgres.Migrate(ctx, pool)
		if err != nil {
			return err
		}
		logger.Info("migrations applied", "versions", applied)
		fmt.Fprintf(stdout, "applied %d migration(s)\n", len(applied))
		return nil
	}
	status, err := postgres.Status(ctx, pool)
	if err != nil {
		return err
	}
	for _, s := range status {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(stdout, "%05d  %-8s  %s\n", s.Version, state, s.Source)
	}
	return nil
}
