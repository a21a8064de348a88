package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

// startMultipart begins a multipart upload of key and sends one small part, leaving it
// incomplete as a killed process would.
func startMultipart(t *testing.T, cfg storage.Config, key string) string {
	t.Helper()
	ctx := context.Background()
	client := s3.New(s3.Options{
		Region: cfg.Region, BaseEndpoint: aws.String(cfg.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
	})
	created, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &cfg.Bucket, Key: &key})
	require.NoError(t, err)
	_, err = client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &cfg.Bucket, Key: &key, UploadId: created.UploadId, PartNumber: aws.Int32(1),
		Body: strings.NewReader("part one"), ContentLength: aws.Int64(8),
	})
	require.NoError(t, err)
	return aws.ToString(created.UploadId)
}

// laterSecond waits until the wall clock is in a later second than t: S3 listings give
// times to the second, and the tests need two objects whose times differ.
func laterSecond(t time.Time) {
	time.Sleep(time.Until(t.Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

func TestListOlder(t *testing.T) {
	ctx := context.Background()
	store := testenv.NewStorage(t)
	_, err := store.Upload(ctx, "staging/old", strings.NewReader("old"), 100)
	require.NoError(t, err)
	laterSecond(time.Now())
	_, err = store.Upload(ctx, "staging/new", strings.NewReader("new"), 100)
	require.NoError(t, err)
	_, err = store.Upload(ctx, "audio/elsewhere", strings.NewReader("kept"), 100)
	require.NoError(t, err)

	all, err := store.ListOlder(ctx, "staging/", time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, "staging/new", all[0].Key)
	require.Equal(t, "staging/old", all[1].Key)
	require.True(t, all[1].LastModified.Before(all[0].LastModified), "the listing's times tell the objects apart")

	older, err := store.ListOlder(ctx, "staging/", all[0].LastModified, 10)
	require.NoError(t, err)
	require.Equal(t, []storage.Object{all[1]}, older, "only what was modified before the cutoff")

	one, err := store.ListOlder(ctx, "", time.Now().Add(time.Hour), 1)
	require.NoError(t, err)
	require.Len(t, one, 1, "at most limit objects")
}

func TestListIncompleteUploads_AbortUpload(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.NewBucket(t)
	store := storage.New(cfg)
	oldID := startMultipart(t, cfg, "staging/old")
	laterSecond(time.Now())
	newID := startMultipart(t, cfg, "staging/new")

	all, err := store.ListIncompleteUploads(ctx, "", time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Len(t, all, 2)
	byKey := map[string]storage.MultipartUpload{}
	for _, u := range all {
		byKey[u.Key] = u
	}
	require.Equal(t, oldID, byKey["staging/old"].UploadID)
	require.Equal(t, newID, byKey["staging/new"].UploadID)
	require.True(t, byKey["staging/old"].Initiated.Before(byKey["staging/new"].Initiated))

	older, err := store.ListIncompleteUploads(ctx, "", byKey["staging/new"].Initiated, 10)
	require.NoError(t, err)
	require.Equal(t, []storage.MultipartUpload{byKey["staging/old"]}, older)

	require.NoError(t, store.AbortUpload(ctx, "staging/old", oldID))
	require.NoError(t, store.AbortUpload(ctx, "staging/old", oldID), "aborting twice is fine")
	left, err := store.ListIncompleteUploads(ctx, "", time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	require.Equal(t, []storage.MultipartUpload{byKey["staging/new"]}, left)
	keys, err := store.List(ctx, "")
	require.NoError(t, err)
	require.Empty(t, keys, "an incomplete upload is no object")
}
