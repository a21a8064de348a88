package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/syntax"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	legalact "github.com/plyrfm/plyr/activities/legal"
	mediaact "github.com/plyrfm/plyr/activities/media"
	recordsact "github.com/plyrfm/plyr/activities/records"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/workflows"
	"github.com/plyrfm/plyr/workflows/copyright"
	"github.com/plyrfm/plyr/workflows/notice"
)

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
	recordActivities := &recordsact.Activities{
		Sources: a.recordSources(), PDS: recordPDS{a.identity}, Validator: a.lexicons,
	}
	mediaActivities := &mediaact.Activities{
		Storage:        a.infra.Storage,
		PrivateStorage: a.infra.PrivateStorage,
		PDS:            recordPDS{a.identity},
		Migrations:     a.media,
		Exports:        a.media,
		Records:        a.media,
		Limits: mediaact.Limits{MaxBytes: a.cfg.Media.MaxUploadBytes, MaxDuration: a.cfg.Media.MaxDuration, BlobTimeout: a.cfg.Media.BlobTimeout,
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
	workflows.Register(light, workflows.Options{
		RecordWriteAttempts: a.cfg.Records.WriteAttempts, RecordWriteTimeout: a.cfg.Records.WriteTimeout,
		BlobAttempts: a.cfg.Records.BlobAttempts,
		NoticeRetry:  shortened(notice.DefaultRetry, a.cfg.Legal.NoticeRetryInterval),
		ScanRetry:    shortened(copyright.DefaultScanRetry, a.cfg.Legal.ScanRetryInterval),
	})

	// "plyr-media": ffmpeg, as many at once as the machine has cores for.
	heavy := worker.New(a.infra.Temporal, workflows.MediaTaskQueue, worker.Options{
		WorkerStopTimeout:                  stopTimeout,
		MaxConcurrentActivityExecutionSize: a.cfg.Media.Concurrency,
		MaxHeartbeatThrottleInterval:       heartbeatThrottle,
		Interceptors:                       interceptors,
	})
	workflows.RegisterMedia(heavy)
	// Each activity package puts its steps on the queue they run on.
	queues := map[string]worker.ActivityRegistry{workflows.TaskQueue: light, workflows.MediaTaskQueue: heavy}
	catalogActivities.Register(queues)
	recordActivities.Register(queues)
	mediaActivities.Register(queues)
	(&legalact.Activities{Legal: a.legal}).Register(queues)
	a.housekeepingActivities().Register(queues)
	return []worker.Worker{light, heavy}
}

// shortened is policy with its waits shortened to start at interval (tests); nil, for the
// policy as it is, when interval is 0.
func shortened(policy temporal.RetryPolicy, interval time.Duration) *temporal.RetryPolicy {
	if interval <= 0 {
		return nil
	}
	policy.InitialInterval, policy.MaximumInterval = interval, 10*interval
	return &policy
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

// recordPDS gives the record steps identity's PDS access by DID. identity's answers for
// an account plyr holds no live grant for become recordsact.ErrNoAccess, both when the
// client is made and when a request finds the grant dead, so the record shows failed:
// auth rather than being retried as a network failure.
type recordPDS struct{ identity *identity.Module }

func (p recordPDS) ForDID(ctx context.Context, did string) (*atclient.APIClient, error) {
	c, err := p.identity.PDSForDID(ctx, did)
	if err != nil {
		return nil, noAccess(err)
	}
	c.Auth = noAccessAuth{c.Auth}
	return c, nil
}

type noAccessAuth struct{ atclient.AuthMethod }

func (a noAccessAuth) DoWithAuth(c *http.Client, req *http.Request, endpoint syntax.NSID) (*http.Response, error) {
	res, err := a.AuthMethod.DoWithAuth(c, req, endpoint)
	return res, noAccess(err)
}

func noAccess(err error) error {
	if errors.Is(err, identity.ErrNoPDSAccess) || errors.Is(err, identity.ErrAccountExpired) {
		return fmt.Errorf("%w: %w", recordsact.ErrNoAccess, err)
	}
	return err
}
