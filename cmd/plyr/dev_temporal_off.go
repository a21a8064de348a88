//go:build nodevstack

package main

import (
	"context"
	"errors"
	"time"

	"github.com/plyrfm/plyr/internal/platform/config"
)

// startDevTemporal is unavailable in builds without the development stack.
func startDevTemporal(context.Context, config.Config) (string, func(time.Duration) error, error) {
	return "", nil, errors.New("this plyr was built without the embedded Temporal server (-tags nodevstack): set TEMPORAL_ADDRESS")
}
