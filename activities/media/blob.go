package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
)

// UploadBlobName is the registered name of UploadBlob.
const UploadBlobName = "UploadBlob"

// ErrorTypeBlobRefused is the ApplicationError type of a blob the PDS refused for a reason
// retrying cannot change (other than its size, which is TooLarge): no retry.
const ErrorTypeBlobRefused = "blob_refused"

// PDS hands out API clients acting on an account's repository (identity's).
type PDS interface {
	ForDID(ctx context.Context, did string) (*atclient.APIClient, error)
}

// BlobInput names the file to copy to its owner's PDS.
type BlobInput struct {
	FileID uuid.UUID
	DID    string
}

// BlobOutcome is how a copy to the PDS ended. A PDS that refuses the blob for its size
// (413) is an outcome, not an error: the audio stays on plyr's storage only.
type BlobOutcome struct {
	// Blob is the blob as the PDS describes it ($type blob, ref, mimeType, size), for the
	// track's record.
	Blob map[string]any `json:",omitempty"`
	CID  string         `json:",omitempty"`
	Size int64          `json:",omitempty"`
	// TooLarge: the PDS answered 413.
	TooLarge bool `json:",omitempty"`
	// Skipped says why nothing was sent (a gated file: supporter-only audio never goes to
	// a PDS, where anyone could read it).
	Skipped string `json:",omitempty"`
}

// maxBlobAnswer bounds the PDS's answer to uploadBlob (a small JSON object).
const maxBlobAnswer = 64 << 10

// UploadBlob copies a stored audio file to its owner's PDS as a blob, streamed from
// storage (never held in memory), with its real content type. If the PDS asks for a new
// DPoP nonce, the request is sent again from a fresh read of the object (GetBody), so a
// retried request never sends an empty body. Network trouble and 5xx are errors to retry;
// a refusal the PDS means (4xx) fails at once; 413 is TooLarge.
func (a *Activities) UploadBlob(ctx context.Context, in BlobInput) (BlobOutcome, error) {
	defer keepAlive(ctx)()
	file, err := a.Records.File(ctx, in.FileID)
	if err != nil {
		return BlobOutcome{}, err
	}
	if file.Gated {
		return BlobOutcome{Skipped: "the track is for supporters only"}, nil
	}
	store := a.Storage
	if file.Private {
		store = a.PrivateStorage
	}
	// A PDS that stops answering is given up on after the allowance, and tried again.
	ctx, cancel := context.WithTimeout(ctx, a.Limits.blobAllowance(file.SizeBytes))
	defer cancel()
	client, err := a.PDS.ForDID(ctx, in.DID)
	if err != nil {
		return BlobOutcome{}, temporal.NewNonRetryableApplicationError("plyr cannot write to this PDS: "+err.Error(), ErrorTypeBlobRefused, err)
	}
	open := func() (io.ReadCloser, error) {
		body, _, err := store.Open(ctx, file.StorageKey)
		return body, err
	}
	body, err := open()
	if err != nil {
		return BlobOutcome{}, err
	}
	defer body.Close()
	req := atclient.NewAPIRequest(http.MethodPost, "com.atproto.repo.uploadBlob", body)
	req.Headers = http.Header{"Content-Type": {file.ContentType}}
	req.GetBody = open
	res, err := client.Do(ctx, req)
	if err != nil {
		return BlobOutcome{}, fmt.Errorf("upload blob: %w", err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxBlobAnswer))
	if err != nil {
		return BlobOutcome{}, fmt.Errorf("read the PDS's answer: %w", err)
	}
	switch {
	case res.StatusCode == http.StatusRequestEntityTooLarge:
		return BlobOutcome{TooLarge: true}, nil
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return BlobOutcome{}, fmt.Errorf("the PDS answered %d: %s", res.StatusCode, xrpcMessage(answer))
	case res.StatusCode != http.StatusOK:
		return BlobOutcome{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the PDS refused the audio (%d): %s", res.StatusCode, xrpcMessage(answer)), ErrorTypeBlobRefused, nil)
	}
	var out struct {
		Blob map[string]any `json:"blob"`
	}
	if err := json.Unmarshal(answer, &out); err != nil || out.Blob == nil {
		return BlobOutcome{}, errors.New("the PDS's answer to uploadBlob holds no blob")
	}
	ref, _ := out.Blob["ref"].(map[string]any)
	cid, _ := ref["$link"].(string)
	size, _ := out.Blob["size"].(float64)
	if cid == "" || int64(size) != file.SizeBytes {
		return BlobOutcome{}, fmt.Errorf("the PDS stored %v bytes as %q; %d were sent", out.Blob["size"], cid, file.SizeBytes)
	}
	return BlobOutcome{Blob: out.Blob, CID: cid, Size: int64(size)}, nil
}

// xrpcMessage is an XRPC error body's words ({"error": …, "message": …}), or its start.
func xrpcMessage(body []byte) string {
	var e struct{ Error, Message string }
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error + ": " + e.Message
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}
