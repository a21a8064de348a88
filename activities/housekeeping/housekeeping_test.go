package housekeeping_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/plyrfm/plyr/activities/housekeeping"
	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// processing stands in for the media module: the keys it holds belong to uploads still
// processing. (modules/media tests the real query.)
type processing map[string]bool

func (p processing) StagingInUse(_ context.Context, keys []string, _ time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range keys {
		if p[k] {
			out[k] = true
		}
	}
	return out, nil
}

type fixture struct {
	cfg   storage.Config
	store *storage.Client
	raw   *s3.Client
	acts  *housekeeping.Activities
	env   *testsuite.TestActivityEnvironment
}

func newFixture(t *testing.T, inUse processing) *fixture {
	t.Helper()
	f := &fixture{cfg: testenv.NewBucket(t)}
	f.store = storage.New(f.cfg)
	f.raw = s3.New(s3.Options{
		Region: f.cfg.Region, BaseEndpoint: aws.String(f.cfg.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(f.cfg.AccessKeyID, f.cfg.SecretAccessKey, ""),
	})
	f.acts = &housekeeping.Activities{
		Uploads: inUse, Storage: f.store,
		Config: housekeeping.Config{TempDir: t.TempDir()},
		Identity: func(context.Context, time.Time, int) (housekeeping.IdentityCounts, error) {
			return housekeeping.IdentityCounts{}, errors.New("not in this test")
		},
	}
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.acts.Register(map[string]worker.ActivityRegistry{
		housekeeping.TaskQueue: f.env, housekeeping.TempFilesTaskQueue: f.env,
	})
	return f
}

func (f *fixture) put(t *testing.T, key string) storage.Object {
	t.Helper()
	ctx := context.Background()
	_, err := f.store.Upload(ctx, key, strings.NewReader("audio"), 100)
	require.NoError(t, err)
	objs, err := f.store.ListOlder(ctx, key, time.Now().Add(time.Hour), 1)
	require.NoError(t, err)
	require.Len(t, objs, 1)
	return objs[0]
}

// startMultipart leaves a multipart upload of key with one part and no end, as a process
// killed mid-upload does.
func (f *fixture) startMultipart(t *testing.T, key string) storage.MultipartUpload {
	t.Helper()
	ctx := context.Background()
	created, err := f.raw.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &f.cfg.Bucket, Key: &key})
	require.NoError(t, err)
	_, err = f.raw.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &f.cfg.Bucket, Key: &key, UploadId: created.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("part"), ContentLength: aws.Int64(4),
	})
	require.NoError(t, err)
	all, err := f.store.ListIncompleteUploads(ctx, "", time.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	for _, u := range all {
		if u.UploadID == aws.ToString(created.UploadId) {
			return u
		}
	}
	t.Fatalf("multipart upload of %s not listed", key)
	return storage.MultipartUpload{}
}

func (f *fixture) keys(t *testing.T) []string {
	t.Helper()
	keys, err := f.store.List(context.Background(), "")
	require.NoError(t, err)
	return keys
}

func (f *fixture) incomplete(t *testing.T) []string {
	t.Helper()
	all, err := f.store.ListIncompleteUploads(context.Background(), "", time.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	var keys []string
	for _, u := range all {
		keys = append(keys, u.Key)
	}
	return keys
}

// nextSecond waits until the wall clock is in a later second: storage lists times to the
// second, and the tests need a stale and a fresh object whose times differ.
func nextSecond() {
	now := time.Now()
	time.Sleep(time.Until(now.Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

func (f *fixture) run(t *testing.T, name string, in housekeeping.SweepInput) int {
	t.Helper()
	v, err := f.env.ExecuteActivity(name, in)
	require.NoError(t, err)
	var n int
	require.NoError(t, v.Get(&n))
	return n
}

func TestSweepStaging(t *testing.T) {
	inUse := processing{}
	f := newFixture(t, inUse)
	stale := f.put(t, "staging/"+uuid.NewString())
	stillProcessing := f.put(t, "staging/"+uuid.NewString())
	inUse[stillProcessing.Key] = true
	elsewhere := f.put(t, "audio/"+uuid.NewString()+".mp3")
	nextSecond()
	fresh := f.put(t, "staging/"+uuid.NewString())
	require.True(t, stale.LastModified.Before(fresh.LastModified))

	// As the schedule would see it a day after the fresh object was written: the stale
	// ones are just past the age.
	in := housekeeping.SweepInput{Now: fresh.LastModified.Add(housekeeping.DefaultStagingMaxAge)}
	require.Equal(t, 1, f.run(t, housekeeping.SweepStagingName, in))
	require.ElementsMatch(t, []string{stillProcessing.Key, elsewhere.Key, fresh.Key}, f.keys(t),
		"the stale object went; an upload in progress, other prefixes and a fresh object stay")

	require.Equal(t, 0, f.run(t, housekeeping.SweepStagingName, in), "a second run finds nothing")
}

func TestSweepStaging_Batch(t *testing.T) {
	f := newFixture(t, processing{})
	f.acts.Config.BatchSize = 2
	for range 3 {
		f.put(t, "staging/"+uuid.NewString())
	}
	in := housekeeping.SweepInput{Now: time.Now().Add(housekeeping.DefaultStagingMaxAge + time.Hour)}
	require.Equal(t, 2, f.run(t, housekeeping.SweepStagingName, in), "at most a batch per run")
	require.Len(t, f.keys(t), 1)
	require.Equal(t, 1, f.run(t, housekeeping.SweepStagingName, in))
	require.Empty(t, f.keys(t))
}

func TestSweepMultipartUploads(t *testing.T) {
	f := newFixture(t, processing{})
	stale := f.startMultipart(t, "staging/"+uuid.NewString())
	nextSecond()
	fresh := f.startMultipart(t, "staging/"+uuid.NewString())
	require.True(t, stale.Initiated.Before(fresh.Initiated))

	in := housekeeping.SweepInput{Now: fresh.Initiated.Add(housekeeping.DefaultMultipartMaxAge)}
	require.Equal(t, 1, f.run(t, housekeeping.SweepMultipartUploadsName, in))
	require.Equal(t, []string{fresh.Key}, f.incomplete(t), "the stale upload was aborted, the fresh one stays")
	require.Equal(t, 0, f.run(t, housekeeping.SweepMultipartUploadsName, in), "a second run finds nothing")
}

func TestSweepTempFiles(t *testing.T) {
	f := newFixture(t, processing{})
	dir := f.acts.Config.TempDir
	left := filepath.Join(dir, mediaact.TempFilePrefix+"left-by-a-killed-worker")
	fresh := filepath.Join(dir, mediaact.TempFilePrefix+"just-created")
	other := filepath.Join(dir, "someone-elses-file")
	for _, p := range []string{left, fresh, other} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	}
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(left, old, old))
	require.NoError(t, os.Chtimes(other, old, old))

	require.Equal(t, 1, f.run(t, housekeeping.SweepTempFilesName, housekeeping.SweepInput{Now: time.Now()}))
	require.NoFileExists(t, left)
	require.FileExists(t, fresh)
	require.FileExists(t, other)
}

func TestSweepIdentity(t *testing.T) {
	f := newFixture(t, processing{})
	var gotNow time.Time
	var gotLimit int
	f.acts.Identity = func(_ context.Context, now time.Time, limit int) (housekeeping.IdentityCounts, error) {
		gotNow, gotLimit = now, limit
		return housekeeping.IdentityCounts{Sessions: 2, Grants: 1}, nil
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	v, err := f.env.ExecuteActivity(housekeeping.SweepIdentityName, housekeeping.SweepInput{Now: now})
	require.NoError(t, err)
	var counts housekeeping.IdentityCounts
	require.NoError(t, v.Get(&counts))
	require.Equal(t, housekeeping.IdentityCounts{Sessions: 2, Grants: 1}, counts)
	require.True(t, now.Equal(gotNow), "the sweep measures from the workflow's time")
	require.Equal(t, housekeeping.DefaultBatchSize, gotLimit)
}

func TestSweepAtStartup(t *testing.T) {
	f := newFixture(t, processing{})
	staleObject := f.put(t, "staging/"+uuid.NewString())
	staleUpload := f.startMultipart(t, "staging/"+uuid.NewString())
	nextSecond()
	freshObject := f.put(t, "staging/"+uuid.NewString())
	freshUpload := f.startMultipart(t, "staging/"+uuid.NewString())
	// The cutoff sits between the two: what came before it is a dead process's.
	cutoff := freshObject.LastModified
	require.True(t, staleObject.LastModified.Before(cutoff) && staleUpload.Initiated.Before(cutoff))
	require.False(t, freshUpload.Initiated.Before(cutoff))

	counts, err := housekeeping.SweepAtStartup(context.Background(), f.acts, time.Now(), cutoff)
	require.NoError(t, err)
	require.Equal(t, housekeeping.StartupCounts{Staging: 1, Multipart: 1}, counts)
	require.Equal(t, []string{freshObject.Key}, f.keys(t))
	require.Equal(t, []string{freshUpload.Key}, f.incomplete(t))
}
