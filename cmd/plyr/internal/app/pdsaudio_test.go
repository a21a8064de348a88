package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/workflows/pdsmigration"
)

// blobTap sits between plyr and the reference PDS and misbehaves on uploadBlob as told:
// the next `times` uploads answer `status` (413, 500, 400…) without reaching the PDS, or
// hang (status 0) until plyr gives up; with nonce set, the next upload is answered 401
// use_dpop_nonce with a nonce of the tap's (as a PDS that rotated its nonce does), so
// plyr must send the body again.
type blobTap struct {
	base http.RoundTripper
	// script, when not empty, decides the next uploads one by one: 0 passes, -1 is a PDS
	// that is down, a status is answered as is.
	mu      sync.Mutex
	script  []int
	status  atomic.Int32
	times   atomic.Int32
	nonce   atomic.Bool
	uploads atomic.Int32 // uploadBlob requests seen
	stored  atomic.Int32 // uploadBlob requests the PDS answered 200
}

func (b *blobTap) wrap(base http.RoundTripper) http.RoundTripper { b.base = base; return b }

func (b *blobTap) misbehave(status, times int) {
	b.status.Store(int32(status))
	b.times.Store(int32(times))
}

func (b *blobTap) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/xrpc/com.atproto.repo.uploadBlob" {
		return b.base.RoundTrip(r)
	}
	b.uploads.Add(1)
	b.mu.Lock()
	next := 0
	if len(b.script) > 0 {
		next, b.script = b.script[0], b.script[1:]
	}
	b.mu.Unlock()
	switch {
	case next == -1:
		_, _ = io.Copy(io.Discard, r.Body)
		return nil, errors.New("dial tcp: connect: connection refused")
	case next > 0:
		_, _ = io.Copy(io.Discard, r.Body)
		return answer(r, next, `{"error":"Scripted","message":"the tap says no"}`, nil), nil
	}
	if b.nonce.CompareAndSwap(true, false) {
		_, _ = io.Copy(io.Discard, r.Body)
		return answer(r, http.StatusUnauthorized, `{"error":"use_dpop_nonce","message":"DPoP nonce mismatch"}`, http.Header{
			"Www-Authenticate": {`DPoP error="use_dpop_nonce", error_description="DPoP nonce mismatch"`},
			"Dpop-Nonce":       {"rotated-by-the-tap"},
		}), nil
	}
	if b.times.Load() > 0 {
		b.times.Add(-1)
		_, _ = io.Copy(io.Discard, r.Body)
		if b.status.Load() == 0 {
			<-r.Context().Done() // a PDS that never answers
			return nil, r.Context().Err()
		}
		return answer(r, int(b.status.Load()), `{"error":"Scripted","message":"the tap says no"}`, nil), nil
	}
	res, err := b.base.RoundTrip(r)
	if err == nil && res.StatusCode == http.StatusOK {
		b.stored.Add(1)
	}
	return res, err
}

func answer(r *http.Request, status int, body string, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}
}

func TestPDSAudio(t *testing.T) {
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	tap := &blobTap{}
	s := newStackWith(t, stackOptions{maxUpload: 16 << 20, pds: net, tap: tap.wrap,
		records: config.Records{WriteAttempts: 3, WriteTimeout: 3 * time.Second}})
	acct, token := s.signIn(t, net, "blobby")
	ctx := rpctest.WithToken(context.Background(), token)

	uploads := 0
	upload := func(t *testing.T, title string) (*mediav1.WatchUploadResponse, string) {
		t.Helper()
		uploads++ // each upload its own bytes (the same bytes twice are one track)
		code, accepted := s.postUpload(t, token, title, "song.mp3", audiotest.Make(t, "mp3", 1+float64(uploads)/10))
		require.Equal(t, http.StatusAccepted, code, accepted)
		prev := s.token
		s.token = token
		defer func() { s.token = prev }()
		last := lastMessage(t, s, accepted["uploadId"])
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
		return last, accepted["trackId"]
	}

	t.Run("without the flag and the setting, nothing goes to the PDS", func(t *testing.T) {
		last, _ := upload(t, "Plain")
		require.Empty(t, last.PdsBlob)
		require.Zero(t, tap.uploads.Load())
	})

	s.setFlag(t, acct.DID, "pds-audio-uploads")
	identity := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
	on := true
	_, err = identity.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{PdsAudioUploads: &on})
	require.NoError(t, err)

	t.Run("the audio becomes a blob in the track's first record, byte for byte", func(t *testing.T) {
		tap.nonce.Store(true) // the PDS rotated its nonce: the body must be sent again, whole
		last, trackID := upload(t, "On my PDS")
		require.Equal(t, "on_pds", last.PdsBlob)
		tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
		require.Equal(t, catalogv1.PdsAudioState_PDS_AUDIO_STATE_ON_PDS, tr.PdsAudio.GetState())

		rec := pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri]
		blob, ok := rec["audioBlob"].(map[string]any)
		require.True(t, ok, "audioBlob in the record: %v", rec)
		require.Equal(t, "audio/mpeg", blob["mimeType"])
		cid := blob["ref"].(map[string]any)["$link"].(string)
		require.Equal(t, tr.PdsAudio.BlobCid, cid)
		delete(rec, "_cid")
		validator, err := lexicons.NewValidator("fm.plyr")
		require.NoError(t, err)
		require.NoError(t, validator.Validate(trackCollection, rec), "the record with its blob is valid")

		_, want := s.get(t, s.url+"/audio/"+last.FileId, "")
		require.Equal(t, want, getBlob(t, net, acct.DID, cid), "the PDS has the audio byte for byte")
		require.Equal(t, int64(len(want)), tr.PdsAudio.SizeBytes)
	})

	t.Run("a PDS that refuses the size leaves the audio on plyr, recorded", func(t *testing.T) {
		tap.misbehave(http.StatusRequestEntityTooLarge, 1)
		last, trackID := upload(t, "Too big")
		require.Equal(t, "too_large", last.PdsBlob)
		require.Empty(t, last.Error)
		tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
		require.Equal(t, catalogv1.PdsAudioState_PDS_AUDIO_STATE_TOO_LARGE, tr.PdsAudio.GetState())
		require.NotContains(t, pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri], "audioBlob")
	})

	t.Run("a PDS that fails, then answers, gets the blob", func(t *testing.T) {
		before := tap.uploads.Load()
		tap.misbehave(http.StatusInternalServerError, 1)
		last, _ := upload(t, "Second try")
		require.Equal(t, "on_pds", last.PdsBlob)
		require.Equal(t, before+2, tap.uploads.Load(), "retried once")
	})

	t.Run("a PDS that hangs is given up on and tried again", func(t *testing.T) {
		tap.misbehave(0, 1)
		last, _ := upload(t, "Hung")
		require.Equal(t, "on_pds", last.PdsBlob)
	})

	t.Run("a PDS that refuses the audio fails the copy visibly, not the track", func(t *testing.T) {
		tap.misbehave(http.StatusBadRequest, 10)
		last, trackID := upload(t, "Refused")
		tap.misbehave(0, 0)
		require.Equal(t, "failed", last.PdsBlob)
		require.Contains(t, last.Error, "copying it to your PDS failed")
		require.Contains(t, last.Error, "the tap says no")
		tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
		require.Equal(t, catalogv1.PdsAudioState_PDS_AUDIO_STATE_FAILED, tr.PdsAudio.GetState())
		require.Contains(t, tr.PdsAudio.Reason, "the tap says no")
	})
}

// getBlob reads a blob back from the PDS.
func getBlob(t *testing.T, net *devpds.Network, did, cid string) []byte {
	t.Helper()
	c := atclient.NewAPIClient(net.PDSURL)
	c.Client = net.HTTPClient()
	req := atclient.NewAPIRequest(http.MethodGet, "com.atproto.sync.getBlob", nil)
	req.QueryParams = map[string][]string{"did": {did}, "cid": {cid}}
	res, err := c.Do(context.Background(), req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var buf bytes.Buffer
	_, err = io.Copy(&buf, res.Body)
	require.NoError(t, err)
	return buf.Bytes()
}

// TestPDSMigration: an artist's tracks already on plyr are copied to their PDS in a
// migration whose progress streams to the client; a PDS that refuses a size skips that
// track, one that is down fails it, and an admin's retry finishes the batch once it is back.
func TestPDSMigration(t *testing.T) {
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	tap := &blobTap{}
	s := newStackWith(t, stackOptions{maxUpload: 16 << 20, pds: net, tap: tap.wrap,
		records: config.Records{WriteAttempts: 3, WriteTimeout: 3 * time.Second, BlobAttempts: 2}})
	acct, token := s.signIn(t, net, "mover")
	ctx := rpctest.WithToken(context.Background(), token)

	// Three tracks on plyr only, their records written.
	var tracks []string
	created := map[string]string{}
	for i, title := range []string{"One", "Two", "Three"} {
		code, accepted := s.postUpload(t, token, title, "song.mp3", audiotest.Make(t, "mp3", 1+float64(i)/10))
		require.Equal(t, http.StatusAccepted, code)
		prev := s.token
		s.token = token
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, lastMessage(t, s, accepted["uploadId"]).Status)
		s.token = prev
		tr := s.awaitRecord(t, token, accepted["trackId"], catalogv1.RecordState_RECORD_STATE_SYNCED)
		tracks = append(tracks, tr.Id)
		created[tr.Record.Uri] = pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri]["createdAt"].(string)
	}

	_, err = s.media.StartPdsMigration(ctx, &mediav1.StartPdsMigrationRequest{})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err), "the flag comes first")
	s.setFlag(t, acct.DID, "pds-audio-uploads")

	// The second track is too large for this PDS; the third meets a PDS that is down.
	tap.mu.Lock()
	tap.script = []int{0, http.StatusRequestEntityTooLarge, -1, -1}
	tap.mu.Unlock()
	started, err := s.media.StartPdsMigration(ctx, &mediav1.StartPdsMigrationRequest{TrackIds: tracks})
	require.NoError(t, err)
	require.Equal(t, int32(3), started.TrackCount)

	_, err = s.media.StartPdsMigration(ctx, &mediav1.StartPdsMigrationRequest{})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "one migration at a time")

	msgs := watchMigration(t, s, ctx, started.MigrationId)
	final := msgs[len(msgs)-1]
	for i := 1; i < len(msgs); i++ {
		require.GreaterOrEqual(t, msgs[i].Processed, msgs[i-1].Processed, "progress never goes back")
	}
	require.Equal(t, mediav1.MigrationStatus_MIGRATION_STATUS_FAILED, final.Status)
	require.Equal(t, []int32{3, 3, 1, 1, 1}, []int32{final.Total, final.Processed, final.Migrated, final.Skipped, final.Failed})
	require.Equal(t, mediav1.MigrationItemStatus_MIGRATION_ITEM_STATUS_FAILED, final.LastStatus)
	require.Equal(t, tracks[2], final.LastTrackId)
	require.Equal(t, "too large for your PDS", final.Items[1].Reason)

	// What the stream said is what the listing says.
	list, err := s.media.ListPdsMigrations(ctx, &mediav1.ListPdsMigrationsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Migrations, 1)
	require.Equal(t, final.Migrated, list.Migrations[0].Migrated)
	require.Equal(t, final.Failed, list.Migrations[0].Failed)

	// The migrated track's record names its blob; createdAt and every other field kept.
	requireBlobRecord := func(trackID string) {
		t.Helper()
		tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
		rec := pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri]
		require.Contains(t, rec, "audioBlob", "the record names the blob")
		require.Equal(t, created[tr.Record.Uri], rec["createdAt"], "createdAt kept")
		require.Equal(t, catalogv1.PdsAudioState_PDS_AUDIO_STATE_ON_PDS, tr.PdsAudio.GetState())
	}
	requireBlobRecord(tracks[0])

	// An admin retries once the PDS is back: the failed track is copied, the rest stays.
	admin := s.adminToken(t)
	_, err = s.media.RetryPdsMigration(ctx, &mediav1.RetryPdsMigrationRequest{MigrationId: started.MigrationId})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err), "retries are for admins")
	retried, err := s.media.RetryPdsMigration(rpctest.WithToken(context.Background(), admin),
		&mediav1.RetryPdsMigrationRequest{MigrationId: started.MigrationId})
	require.NoError(t, err)
	require.Equal(t, int32(1), retried.Retried)
	final = lastOf(watchMigration(t, s, ctx, started.MigrationId))
	require.Equal(t, mediav1.MigrationStatus_MIGRATION_STATUS_DONE, final.Status)
	require.Equal(t, []int32{3, 2, 1, 0}, []int32{final.Processed, final.Migrated, final.Skipped, final.Failed})
	requireBlobRecord(tracks[2])

	// Findable by DID in the Temporal UI.
	desc, err := s.temporal.DescribeWorkflowExecution(context.Background(),
		pdsmigration.WorkflowID(acct.DID, uuid.MustParse(started.MigrationId)), "")
	require.NoError(t, err)
	require.Contains(t, fmt.Sprint(desc.WorkflowExecutionInfo.SearchAttributes), acct.DID)
}

func watchMigration(t *testing.T, s *stack, ctx context.Context, id string) []*mediav1.PdsMigration {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	stream, err := s.media.WatchPdsMigration(ctx, &mediav1.WatchPdsMigrationRequest{MigrationId: id})
	require.NoError(t, err)
	var msgs []*mediav1.PdsMigration
	for stream.Receive() {
		msgs = append(msgs, stream.Msg())
	}
	require.NoError(t, stream.Err())
	require.NotEmpty(t, msgs)
	return msgs
}

func lastOf(msgs []*mediav1.PdsMigration) *mediav1.PdsMigration { return msgs[len(msgs)-1] }
