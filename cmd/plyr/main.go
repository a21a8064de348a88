// Command plyr is the whole of plyr in one binary:
//
//	plyr dev                 everything on this machine, offline (PostgreSQL, Temporal, S3, API, workers)
//	plyr serve               the HTTP API
//	plyr worker              the Temporal workers
//	plyr migrate up|status   the database migrations
//	plyr admin token         mint a developer bearer token
//
// Configuration comes from the environment (see `plyr help` and the README).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
)

// errUsage marks a command line that was not understood; usage has been printed.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, stop, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "plyr:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand. stopSignals restores default signal handling, so that a
// second Ctrl-C during shutdown ends the process at once.
func run(ctx context.Context, stopSignals func(), args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := logging.New(stderr, logging.ParseLevel(cfg.LogLevel))
	slog.SetDefault(logger) // for libraries that log through the default logger

	switch args[0] {
	case "dev":
		return runDev(ctx, stopSignals, cfg, logger, stdout, nil)
	case "serve":
		return runServe(ctx, stopSignals, cfg, logger)
	case "worker":
		return runWorker(ctx, stopSignals, cfg, logger)
	case "migrate":
		return runMigrate(ctx, cfg, logger, args[1:], stdout, stderr)
	case "admin":
		return runAdmin(ctx, cfg, logger, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	default:
		fmt.Fprintf(stderr, "plyr: unknown command %q\n\n", args[0])
		usage(stderr)
		return errUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `plyr: an audio streaming app on the AT Protocol.

Usage:
  plyr dev                                   run everything on this machine (embedded PostgreSQL, Temporal, S3)
  plyr serve                                 run the HTTP API
  plyr worker                                run the Temporal workers
  plyr migrate up|status                     apply or list database migrations
  plyr admin token --did DID --handle HANDLE mint an operator bearer token (printed last)
  plyr admin flags set|unset|list --did DID  manage feature flags; plyr admin session-key: a new key

Environment:
`)
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(w, "  %-28s %-18s %s\n", v.Name, def, v.Meaning)
	}
}

// newFlagSet is a flag set that reports errors as errUsage instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
