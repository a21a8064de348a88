// Package storage is plyr's object storage: one S3 API client for Cloudflare R2 in
// production and the embedded versitygw in development and tests, so both run the same
// code and differ only in endpoint and keys.
//
// Design notes:
//   - Uploads of unknown length are streamed as multipart uploads with two 8 MiB buffers (one
//     filling from the client while the other is sent), so an upload's memory is bounded
//     whatever its size, and nothing is spooled to the API server's disk.
//   - Keys are chosen by callers so that no key is a "directory" of another: filesystem
//     backends such as versitygw cannot hold both a/b and a/b/c, R2 can, so a scheme that
//     broke that rule would pass in production and fail locally.
//   - Request checksums are sent only when an operation requires them: R2 and local servers
//     then behave the same (aws-sdk-go-v2's default aws-chunked trailers are not portable).
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// PartSize is the size of each part of a streamed upload (S3's minimum is 5 MiB).
const PartSize = 8 << 20

// ErrNotFound is returned for a key that does not exist.
var ErrNotFound = errors.New("object not found")

// ErrTooLarge is returned by Upload when the body is longer than its limit.
var ErrTooLarge = errors.New("object larger than the limit")

// Config locates a bucket.
type Config struct {
	// Endpoint is the S3 API URL the server talks to.
	Endpoint string
	// PublicEndpoint, when set, is the URL written into presigned URLs instead of Endpoint
	// (clients may reach storage under another name than the server does).
	PublicEndpoint  string
	Region          string
	Bucket          string
	AccessKeyID     string
	SecretAccessKey string
}

// Client reads and writes objects in one bucket.
type Client struct {
	s3      *s3.Client
	presign *s3.PresignClient
	bucket  string
	// publicEndpoint is the endpoint presigned URLs name.
	publicEndpoint string
}

// New builds a client. It does not contact the server; Ping does.
func New(cfg Config) *Client {
	base := aws.Config{
		Region:                     cfg.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}},
		RetryMaxAttempts:           3,
	}
	client := func(endpoint string) *s3.Client {
		return s3.NewFromConfig(base, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true // required by local servers, accepted by R2
		})
	}
	internal := client(cfg.Endpoint)
	public, publicEndpoint := internal, cfg.Endpoint
	if cfg.PublicEndpoint != "" && cfg.PublicEndpoint != cfg.Endpoint {
		public, publicEndpoint = client(cfg.PublicEndpoint), cfg.PublicEndpoint
	}
	return &Client{s3: internal, presign: s3.NewPresignClient(public), bucket: cfg.Bucket, publicEndpoint: publicEndpoint}
}

// PublicEndpoint is the endpoint presigned URLs point browsers at ("" for AWS's default).
func (c *Client) PublicEndpoint() string { return c.publicEndpoint }

// Bucket is the bucket's name.
func (c *Client) Bucket() string { return c.bucket }

// Ping checks that the bucket is reachable with these credentials.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &c.bucket})
	if err != nil {
		return fmt.Errorf("reach bucket %s: %w", c.bucket, err)
	}
	return nil
}

// EnsureBucket creates the bucket when it does not exist (development and tests).
func (c *Client) EnsureBucket(ctx context.Context) error {
	if c.Ping(ctx) == nil {
		return nil
	}
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &c.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", c.bucket, err)
	}
	return nil
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Size        int64
	ContentType string
	ETag        string
}

// Head describes key, or returns ErrNotFound.
func (c *Client) Head(ctx context.Context, key string) (ObjectInfo, error) {
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return ObjectInfo{}, notFound(fmt.Errorf("head %s: %w", key, err))
	}
	return ObjectInfo{Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType), ETag: aws.ToString(out.ETag)}, nil
}

// Download writes the object's bytes to w and returns how many were written.
func (c *Client) Download(ctx context.Context, key string, w io.Writer) (int64, error) {
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return 0, notFound(fmt.Errorf("get %s: %w", key, err))
	}
	defer out.Body.Close()
	n, err := io.Copy(w, out.Body)
	if err != nil {
		return n, fmt.Errorf("read %s: %w", key, err)
	}
	return n, nil
}

// Open returns a reader of the object's bytes and its size; the caller closes it.
func (c *Client) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return nil, 0, notFound(fmt.Errorf("get %s: %w", key, err))
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// OpenFrom returns a reader of the object's bytes from offset on and how many there are;
// the caller closes it. An offset at or past the end reads nothing.
func (c *Client) OpenFrom(ctx context.Context, key string, offset int64) (io.ReadCloser, int64, error) {
	if offset <= 0 {
		return c.Open(ctx, key)
	}
	rng := "bytes=" + strconv.FormatInt(offset, 10) + "-"
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &c.bucket, Key: &key, Range: &rng})
	if err != nil {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable {
			return io.NopCloser(strings.NewReader("")), 0, nil
		}
		return nil, 0, notFound(fmt.Errorf("get %s from %d: %w", key, offset, err))
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Copy copies src to dst inside the bucket, setting dst's content type.
func (c *Client) Copy(ctx context.Context, src, dst, contentType string) error {
	_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            &c.bucket,
		Key:               &dst,
		CopySource:        aws.String(c.bucket + "/" + src),
		ContentType:       &contentType,
		MetadataDirective: types.MetadataDirectiveReplace,
	})
	if err != nil {
		return notFound(fmt.Errorf("copy %s to %s: %w", src, dst, err))
	}
	return nil
}

// CopyFrom copies key from another bucket on the same storage (the same account and
// credentials: R2's buckets, versitygw's) to the same key in this one, server-side: the
// bytes do not pass through plyr.
func (c *Client) CopyFrom(ctx context.Context, fromBucket, key, contentType string) error {
	_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            &c.bucket,
		Key:               &key,
		CopySource:        aws.String(fromBucket + "/" + key),
		ContentType:       &contentType,
		MetadataDirective: types.MetadataDirectiveReplace,
	})
	if err != nil {
		return notFound(fmt.Errorf("copy %s from %s to %s: %w", key, fromBucket, c.bucket, err))
	}
	return nil
}

// Delete removes key. Deleting a key that does not exist succeeds, so retries are safe.
func (c *Client) Delete(ctx context.Context, key string) error {
	_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &c.bucket, Key: &key})
	if err != nil && !errors.Is(notFound(err), ErrNotFound) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// List returns the keys under prefix (for tests and operators; not for request paths).
func (c *Client) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: &c.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Object is a stored object as a listing describes it.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
}

// ListOlder returns at most limit objects under prefix last modified before cutoff, in key
// order. It pages through the whole prefix when it must: S3 cannot filter by time.
func (c *Client) ListOlder(ctx context.Context, prefix string, cutoff time.Time, limit int) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: &c.bucket, Prefix: &prefix})
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			modified := aws.ToTime(o.LastModified)
			if modified.Before(cutoff) && len(out) < limit {
				out = append(out, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: modified})
			}
		}
	}
	return out, nil
}

// MultipartUpload is a multipart upload that was started and neither completed nor
// aborted. Its parts take storage space (and are billed) until it is aborted.
type MultipartUpload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// ListIncompleteUploads returns at most limit incomplete multipart uploads under prefix
// that were started before cutoff.
func (c *Client) ListIncompleteUploads(ctx context.Context, prefix string, cutoff time.Time, limit int) ([]MultipartUpload, error) {
	var out []MultipartUpload
	in := &s3.ListMultipartUploadsInput{Bucket: &c.bucket, Prefix: &prefix}
	for len(out) < limit {
		page, err := c.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list multipart uploads under %q: %w", prefix, err)
		}
		for _, u := range page.Uploads {
			initiated := aws.ToTime(u.Initiated)
			if initiated.Before(cutoff) && len(out) < limit {
				out = append(out, MultipartUpload{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId), Initiated: initiated})
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
	return out, nil
}

// AbortUpload abandons an incomplete multipart upload and frees its parts. Aborting one
// that is already gone succeeds, so retries are safe.
func (c *Client) AbortUpload(ctx context.Context, key, uploadID string) error {
	_, err := c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &c.bucket, Key: &key, UploadId: &uploadID})
	var gone *types.NoSuchUpload
	if err != nil && !errors.As(err, &gone) && !errors.Is(notFound(err), ErrNotFound) {
		return fmt.Errorf("abort multipart upload of %s: %w", key, err)
	}
	return nil
}

// PresignGet returns a URL that reads key for ttl without credentials. contentType, when
// set, is the Content-Type the storage answers with.
func (c *Client) PresignGet(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error) {
	in := &s3.GetObjectInput{Bucket: &c.bucket, Key: &key}
	if contentType != "" {
		in.ResponseContentType = &contentType
	}
	req, err := c.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// PresignDownload returns a URL that reads key for ttl without credentials, answered as
// an attachment named filename (a download, not a page).
func (c *Client) PresignDownload(ctx context.Context, key string, ttl time.Duration, contentType, filename string) (string, error) {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": filename})
	in := &s3.GetObjectInput{Bucket: &c.bucket, Key: &key, ResponseContentType: &contentType, ResponseContentDisposition: &disposition}
	req, err := c.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// Upload streams r to key and returns its size. A body longer than maxSize is not stored:
// Upload stops reading one byte past the limit, abandons what it sent, and returns
// ErrTooLarge. The body is read in PartSize pieces; at most two are held at a time.
func (c *Client) Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error) {
	limited := &io.LimitedReader{R: r, N: maxSize + 1}
	first := make([]byte, PartSize)
	n, err := io.ReadFull(limited, first)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		// The whole body fits in one part: a single PUT.
		if int64(n) > maxSize {
			return 0, ErrTooLarge
		}
		_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &c.bucket, Key: &key, Body: bytes.NewReader(first[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return 0, fmt.Errorf("put %s: %w", key, err)
		}
		return int64(n), nil
	case err != nil:
		return 0, fmt.Errorf("read upload body: %w", err)
	}
	if int64(n) > maxSize {
		return 0, ErrTooLarge
	}
	return c.uploadMultipart(ctx, key, limited, maxSize, first)
}

func (c *Client) uploadMultipart(ctx context.Context, key string, r io.Reader, maxSize int64, first []byte) (size int64, err error) {
	created, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return 0, fmt.Errorf("start multipart upload of %s: %w", key, err)
	}
	uploadID := created.UploadId
	defer func() {
		if err != nil {
			// Leave nothing behind: the parts sent so far are discarded.
			_, _ = c.s3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: &c.bucket, Key: &key, UploadId: uploadID,
			})
		}
	}()

	var parts []types.CompletedPart
	var inflight chan error // the part being sent, if any
	send := func(number int32, data []byte) {
		done := make(chan error, 1)
		inflight = done
		go func() {
			out, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &c.bucket, Key: &key, UploadId: uploadID, PartNumber: aws.Int32(number),
				Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
			})
			if err != nil {
				done <- fmt.Errorf("upload part %d of %s: %w", number, key, err)
				return
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
			done <- nil
		}()
	}
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}

	buffers := [2][]byte{first, make([]byte, PartSize)}
	size = int64(len(first))
	send(1, first)
	for number := int32(2); ; number++ {
		buf := buffers[(number-1)%2]
		n, readErr := io.ReadFull(r, buf)
		size += int64(n)
		// Whatever was read, the previous part must land before its buffer is reused.
		if err := wait(); err != nil {
			return 0, err
		}
		if size > maxSize {
			return 0, ErrTooLarge
		}
		if n > 0 {
			send(number, buf[:n])
		}
		if readErr == io.EOF || readErr == io.ErrUnexpectedEOF {
			break
		}
		if readErr != nil {
			_ = wait()
			return 0, fmt.Errorf("read upload body: %w", readErr)
		}
	}
	if err := wait(); err != nil {
		return 0, err
	}
	_, err = c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &c.bucket, Key: &key, UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return 0, fmt.Errorf("complete multipart upload of %s: %w", key, err)
	}
	return size, nil
}

// notFound maps the S3 "no such key" family of errors to ErrNotFound, keeping the rest.
func notFound(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	return err
}
