//go:build nodevstack

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/plyrfm/plyr/internal/platform/config"
)

// runDev is unavailable in builds without the development stack (the production image):
// they link no private PostgreSQL, S3, Temporal server or reference PDS.
func runDev(context.Context, func(), config.Config, *slog.Logger, io.Writer, func(struct{})) error {
	return errors.New("this plyr was built without the development stack (-tags nodevstack): use plyr serve and plyr worker")
}
