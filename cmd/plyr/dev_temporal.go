//go:build !nodevstack

package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/temporal/devserver"
)

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
