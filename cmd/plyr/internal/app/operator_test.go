package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/devstack/testenv/testtemporal"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/ports"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

// TestServeHTTP_OperatorListener: with PLYR_OPERATOR_ADDR set, serve answers /metrics and
// /readyz only on the operator listener, and /healthz on both.
func TestServeHTTP_OperatorListener(t *testing.T) {
	logger := logging.New(io.Discard, slog.LevelInfo)
	port, err := ports.Free("127.0.0.1")
	require.NoError(t, err)
	cfg := config.Config{
		ShutdownTimeout: 5 * time.Second,
		OperatorAddr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Identity:        config.Identity{PublicURL: "http://127.0.0.1:1", SessionTTL: time.Hour},
		Media:           config.Media{MaxUploadBytes: 1 << 20, MaxDuration: time.Hour, MaxConcurrentUploads: 1, Concurrency: 1, AudioURLTTL: time.Hour},
	}
	infra := app.Infra{DB: testenv.NewDatabase(t), Temporal: testtemporal.NewClient(t, logger), Storage: storage.New(testenv.NewBucket(t)), PrivateStorage: storage.New(testenv.NewBucket(t)), Keys: testKeys(t)}
	a, err := app.New(cfg, infra, logger, metrics.New())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	listening, served := make(chan net.Addr, 1), make(chan error, 1)
	go func() { served <- a.ServeHTTP(ctx, "127.0.0.1:0", func(addr net.Addr) { listening <- addr }) }()
	public := "http://" + (<-listening).String()
	op := "http://" + cfg.OperatorAddr

	status := func(url string) int {
		res, err := http.Get(url)
		require.NoError(t, err)
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, status(public+"/healthz"))
	require.Equal(t, http.StatusNotFound, status(public+"/metrics"))
	require.Equal(t, http.StatusNotFound, status(public+"/readyz"))
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		require.Equal(t, http.StatusOK, status(op+path), path)
	}

	cancel()
	require.NoError(t, <-served)
}
