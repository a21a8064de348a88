package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/devstack/testenv/testtemporal"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/workflows/housekeeping"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startMultipart leaves a multipart upload of key with one part and no end, as a process
// killed mid-upload does, and returns when storage says it started.
func startMultipart(t *testing.T, cfg storage.Config, key string) time.Time {
	t.Helper()
	ctx := context.Background()
	raw := s3.New(s3.Options{
		Region: cfg.Region, BaseEndpoint: aws.String(cfg.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
	})
	created, err := raw.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &cfg.Bucket, Key: &key})
	require.NoError(t, err)
	_, err = raw.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &cfg.Bucket, Key: &key, UploadId: created.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("part"), ContentLength: aws.Int64(4),
	})
	require.NoError(t, err)
	all, err := storage.New(cfg).ListIncompleteUploads(ctx, key, time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, all, 1)
	return all[0].Initiated
}

// nextSecond waits until the wall clock is in a later second: storage gives times to the
// second.
func nextSecond() {
	now := time.Now()
	time.Sleep(time.Until(now.Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

// TestHousekeepAtStartup starts two workers' housekeeping as RunWorkers does, the first
// as plyr dev (alone with its storage), the second as another process configured anew.
func TestHousekeepAtStartup(t *testing.T) {
	ctx := context.Background()
	errs := &lockedBuffer{}
	logger := logging.New(errs, slog.LevelError) // only errors are written
	bucket := testenv.NewBucket(t)
	tc := testtemporal.NewClient(t, logging.Discard())
	t.Cleanup(func() { _ = tc.ScheduleClient().GetHandle(ctx, housekeeping.ScheduleID).Delete(ctx) })
	infra := Infra{DB: testenv.NewDatabase(t), Temporal: tc, Storage: storage.New(bucket), Keys: sealedKeys(t)}
	newApp := func(h config.Housekeeping) *App {
		cfg := config.Config{
			ShutdownTimeout: 5 * time.Second,
			Identity:        config.Identity{PublicURL: "http://127.0.0.1:1", SessionTTL: time.Hour},
			Media: config.Media{
				MaxUploadBytes: 1 << 20, MaxDuration: time.Hour, MaxConcurrentUploads: 4,
				Concurrency: 1, AudioURLTTL: 10 * time.Minute, TempDir: t.TempDir(),
			},
			Housekeeping: h,
		}
		a, err := New(cfg, infra, logger, metrics.New())
		require.NoError(t, err)
		return a
	}

	// A process killed mid-upload left an unfinished multipart upload.
	startMultipart(t, bucket, "staging/"+uuid.NewString())
	nextSecond()
	a := newApp(config.Housekeeping{Interval: 20 * time.Minute, StartupGrace: 0})
	nextSecond()
	// An upload this process is receiving began after it started.
	receiving := "staging/" + uuid.NewString()
	startMultipart(t, bucket, receiving)

	a.housekeepAtStartup(ctx)
	left, err := infra.Storage.ListIncompleteUploads(ctx, "", time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, left, 1)
	require.Equal(t, receiving, left[0].Key, "the dead upload was aborted; the one arriving stays")

	// Another worker, with another interval and a grace that spares the upload arriving.
	newApp(config.Housekeeping{Interval: 30 * time.Minute, StartupGrace: time.Hour}).housekeepAtStartup(ctx)
	require.Empty(t, errs.String(), "creating the schedule again must not fail")
	left, err = infra.Storage.ListIncompleteUploads(ctx, "", time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, left, 1)

	desc, err := tc.ScheduleClient().GetHandle(ctx, housekeeping.ScheduleID).Describe(ctx)
	require.NoError(t, err)
	require.Len(t, desc.Schedule.Spec.Intervals, 1)
	require.Equal(t, 30*time.Minute, desc.Schedule.Spec.Intervals[0].Every, "the latest configuration wins")
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok, "the schedule starts a workflow")
	require.Equal(t, housekeeping.Name, action.Workflow)
	require.Equal(t, housekeeping.TaskQueue, action.TaskQueue)
}

// sealedKeys is a keyring for an App in this package's tests (New requires one).
func sealedKeys(tb testing.TB) *sealed.Keyring {
	tb.Helper()
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(tb, err)
	return keys
}

// No sweep aborts a multipart upload that may still be a slow upload arriving: the
// multipart age (and a non-zero startup grace) cover the longest body the pacing allows.
func TestLongestUpload_BoundsTheMultipartSweeps(t *testing.T) {
	a := &App{cfg: config.Config{Media: config.Media{
		MaxUploadBytes: 1536 << 20, UploadMinKiBps: 16, UploadRateGrace: 30 * time.Second,
	}}}
	require.Equal(t, 30*time.Second+98304*time.Second, a.longestUpload(), "1536 MiB at 16 KiB/s after 30 s")
	acts := a.housekeepingActivities()
	require.Greater(t, acts.Config.MultipartMaxAge, a.longestUpload())

	a.cfg.Media.UploadMinKiBps = 0
	require.Equal(t, 7*24*time.Hour, a.longestUpload(), "no minimum rate: a week")
}
