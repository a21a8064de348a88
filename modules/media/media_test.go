package media_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	mediaact "github.com/plyrfm/plyr/activities/media"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/media/v1/mediav1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows/upload"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const alice, bob = "did:plc:alice", "did:plc:bob"

// fakeWorkflows records starts and plays back scripted states per track.
type fakeWorkflows struct {
	mu       sync.Mutex
	started  []upload.Input
	startErr error
	script   map[uuid.UUID][]media.UploadState // Observe returns these in turn; the last repeats
	missing  bool                              // Observe reports the workflow gone
	ended    chan struct{}                     // closing it ends the workflows for AwaitEnd
	looks    int                               // Observe calls
	flaky    int                               // Observe fails this many times first, as Temporal may
}

func (f *fakeWorkflows) Start(_ context.Context, in upload.Input) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return f.startErr
	}
	f.started = append(f.started, in)
	return nil
}

// AwaitEnd returns when ended is closed (never, if it is nil) or ctx ends.
func (f *fakeWorkflows) AwaitEnd(ctx context.Context, _ uuid.UUID) error {
	select {
	case <-f.ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeWorkflows) Observe(_ context.Context, trackID uuid.UUID) (media.UploadState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.looks++
	if f.flaky > 0 {
		f.flaky--
		return media.UploadState{}, errors.New("context deadline exceeded: temporal did not answer")
	}
	if f.missing {
		return media.UploadState{}, media.ErrWorkflowNotFound
	}
	states := f.script[trackID]
	if len(states) == 0 {
		return media.UploadState{Running: true}, nil
	}
	s := states[0]
	if len(states) > 1 {
		f.script[trackID] = states[1:]
	}
	return s, nil
}

type fixture struct {
	module    *media.Module
	pool      *pgxpool.Pool
	store     *storage.Client
	workflows *fakeWorkflows
	url       string
	http      *http.Client
	watch     mediav1connect.MediaServiceClient
}

func newFixture(t *testing.T, maxUpload int64) *fixture {
	t.Helper()
	return newFixtureWatching(t, maxUpload, 5*time.Millisecond)
}

func newFixtureWatching(t *testing.T, maxUpload int64, watchInterval time.Duration) *fixture {
	t.Helper()
	return newFixtureWith(t, fixtureOptions{
		limits:        media.Limits{MaxUploadBytes: maxUpload, MaxConcurrentUploads: 4, AudioURLTTL: 10 * time.Minute},
		watchInterval: watchInterval,
	})
}

type fixtureOptions struct {
	limits        media.Limits
	watchInterval time.Duration
	// storage wraps the test storage the module writes to, when set.
	storage func(media.ObjectStore) media.ObjectStore
	// publicURL is the module's PublicURL.
	publicURL string
}

func newFixtureWith(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{pool: testenv.NewDatabase(t), store: testenv.NewStorage(t), workflows: &fakeWorkflows{script: map[uuid.UUID][]media.UploadState{}}}
	var store media.ObjectStore = f.store
	if o.storage != nil {
		store = o.storage(store)
	}
	f.module = media.New(media.Deps{
		DB: f.pool, Storage: store, Workflows: f.workflows, Logger: logging.Discard(), Metrics: metrics.New(),
		Limits: o.limits, WatchInterval: o.watchInterval, PublicURL: o.publicURL,
	})
	srv := rpctest.NewServer(t, rpctest.Tokens{
		"alice-token": {DID: alice, Handle: "alice.test"},
		"bob-token":   {DID: bob, Handle: "bob.test"},
	}, f.module)
	f.url, f.http = srv.URL, srv.Client()
	f.watch = mediav1connect.NewMediaServiceClient(srv.Client(), srv.URL, connect.WithProtoJSON())
	return f
}

type part struct{ name, filename, body string }

func form(parts ...part) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		var pw io.Writer
		if p.filename != "" {
			pw, _ = w.CreateFormFile(p.name, p.filename)
		} else {
			pw, _ = w.CreateFormField(p.name)
		}
		_, _ = io.WriteString(pw, p.body)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func (f *fixture) post(t *testing.T, token string, body io.Reader, contentType string, size int64) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/upload", body)
	require.NoError(t, err)
	req.ContentLength = size
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var fields map[string]any
	_ = json.NewDecoder(res.Body).Decode(&fields)
	out := map[string]string{}
	for k, v := range fields {
		out[k] = fmt.Sprint(v)
	}
	return res, out
}

func (f *fixture) stagedKeys(t *testing.T) []string {
	t.Helper()
	keys, err := f.store.List(context.Background(), "")
	require.NoError(t, err)
	return keys
}

func (f *fixture) uploadRows(t *testing.T) (n int) {
	t.Helper()
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT count(*) FROM media.uploads").Scan(&n))
	return n
}

func TestUpload_AcceptsAndStartsTheWorkflow(t *testing.T) {
	f := newFixture(t, 10<<20)
	// The file comes before the title: the form is streamed in whatever order it arrives.
	body, ct := form(part{"file", "song.mp3", "ID3 pretend audio"}, part{"title", "", "  My Song  "})
	res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))

	require.Equal(t, http.StatusAccepted, res.StatusCode)
	require.Len(t, f.workflows.started, 1)
	in := f.workflows.started[0]
	require.Equal(t, out["trackId"], in.TrackID.String())
	require.Equal(t, out["uploadId"], in.UploadID.String())
	require.Equal(t, alice, in.ArtistDID)
	require.Equal(t, "My Song", in.Title)
	require.Equal(t, "staging/"+in.UploadID.String(), in.StagingKey)

	var staged bytes.Buffer
	_, err := f.store.Download(context.Background(), in.StagingKey, &staged)
	require.NoError(t, err)
	require.Equal(t, "ID3 pretend audio", staged.String())

	var status, filename string
	require.NoError(t, f.pool.QueryRow(context.Background(),
		"SELECT status, filename FROM media.uploads WHERE id = $1", in.UploadID).Scan(&status, &filename))
	require.Equal(t, "processing", status)
	require.Equal(t, "song.mp3", filename)
}

func TestUpload_RefusedRequestsLeaveNothing(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		parts    []part
		ctype    string // overrides the form's content type
		wantCode int
		wantMsg  string
	}{
		{"no token", "", []part{{"title", "", "x"}, {"file", "a.mp3", "data"}}, "", 401, "authentication required"},
		{"wrong token", "stolen", []part{{"title", "", "x"}, {"file", "a.mp3", "data"}}, "", 401, "authentication required"},
		{"no file", "alice-token", []part{{"title", "", "x"}}, "", 400, "the field file is required"},
		{"no title", "alice-token", []part{{"file", "a.mp3", "data"}}, "", 400, "the field title is required"},
		{"blank title", "alice-token", []part{{"title", "", "   "}, {"file", "a.mp3", "data"}}, "", 400, "the field title is required"},
		{"title too long", "alice-token", []part{{"title", "", strings.Repeat("é", 129)}, {"file", "a.mp3", "data"}}, "", 400, "longer than 256 bytes of UTF-8"},
		{"two files", "alice-token", []part{{"title", "", "x"}, {"file", "a.mp3", "data"}, {"file", "b.mp3", "data"}}, "", 400, "one file per upload"},
		{"huge extra field", "alice-token", []part{{"title", "", "x"}, {"notes", "", strings.Repeat("n", 5000)}, {"file", "a.mp3", "d"}}, "", 400, "longer than 4096 bytes"},
		{"not a form", "alice-token", nil, "application/json", 400, "multipart/form-data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 10<<20)
			body, ct := form(tt.parts...)
			if tt.ctype != "" {
				ct = tt.ctype
			}
			res, out := f.post(t, tt.token, body, ct, int64(body.Len()))
			require.Equal(t, tt.wantCode, res.StatusCode)
			require.Contains(t, out["message"], tt.wantMsg)
			require.Empty(t, f.stagedKeys(t))
			require.Zero(t, f.uploadRows(t))
			require.Empty(t, f.workflows.started)
		})
	}
}

func TestUpload_OverTheCap(t *testing.T) {
	const limit = 1 << 20
	t.Run("declared length: refused before the body is read", func(t *testing.T) {
		f := newFixture(t, limit)
		body := &countingReader{r: bytes.NewReader(make([]byte, 8<<20))}
		res, out := f.post(t, "alice-token", body, "multipart/form-data; boundary=x", 8<<20)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		require.Equal(t, "the file is larger than the 1 MiB limit", out["message"])
		require.Empty(t, f.stagedKeys(t))
	})
	t.Run("streamed without a length: stops near the cap", func(t *testing.T) {
		f := newFixture(t, limit)
		buf, ct := form(part{"title", "", "big"}, part{"file", "big.wav", string(make([]byte, 40<<20))})
		body := &countingReader{r: buf}
		res, out := f.post(t, "alice-token", body, ct, -1)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		require.Equal(t, "the file is larger than the 1 MiB limit", out["message"])
		require.Less(t, body.read(), int64(limit+16<<20), "read far past the cap")
		require.Empty(t, f.stagedKeys(t))
		require.Zero(t, f.uploadRows(t))
	})
	t.Run("exactly at the cap is accepted", func(t *testing.T) {
		f := newFixture(t, limit)
		buf, ct := form(part{"title", "", "fits"}, part{"file", "fits.wav", string(make([]byte, limit))})
		res, _ := f.post(t, "alice-token", buf, ct, int64(buf.Len()))
		require.Equal(t, http.StatusAccepted, res.StatusCode)
	})
}

func TestUpload_WorkflowCannotStart(t *testing.T) {
	f := newFixture(t, 10<<20)
	f.workflows.startErr = errors.New("temporal unreachable")
	body, ct := form(part{"title", "", "x"}, part{"file", "a.mp3", "data"})
	res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "could not start processing the upload; try again", out["message"])
	require.Empty(t, f.stagedKeys(t))
	var status string
	require.NoError(t, f.pool.QueryRow(context.Background(), "SELECT status FROM media.uploads").Scan(&status))
	require.Equal(t, "failed", status)
}

// accept posts a valid upload as alice and returns its input.
func (f *fixture) accept(t *testing.T) upload.Input {
	t.Helper()
	body, ct := form(part{"title", "", "song"}, part{"file", "a.mp3", "data"})
	res, _ := f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	return f.workflows.started[len(f.workflows.started)-1]
}

func (f *fixture) watchAll(t *testing.T, token, uploadID string) ([]*mediav1.WatchUploadResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(rpctest.WithToken(context.Background(), token), 10*time.Second)
	defer cancel()
	stream, err := f.watch.WatchUpload(ctx, &mediav1.WatchUploadRequest{UploadId: uploadID})
	if err != nil {
		return nil, err
	}
	var msgs []*mediav1.WatchUploadResponse
	for stream.Receive() {
		msgs = append(msgs, stream.Msg())
	}
	return msgs, stream.Err()
}

func TestWatchUpload_FollowsTheWorkflowToReady(t *testing.T) {
	f := newFixture(t, 10<<20)
	in := f.accept(t)
	f.workflows.script[in.TrackID] = []media.UploadState{
		{Running: true, Phase: upload.PhaseQueued},
		{Running: true, Phase: upload.PhaseValidating, Step: "download", Fraction: 1},
		{Running: true, Phase: upload.PhaseValidating, Step: "decode", Fraction: 0.5},
		{Running: true, Phase: upload.PhaseValidating, Step: "decode", Fraction: 0.5}, // unchanged: not resent
		{Running: true}, // the query did not answer: the phase is kept
		{Running: true, Phase: upload.PhaseStoring},
		{Running: true, Phase: upload.PhasePublishing},
		{Output: upload.Output{Status: upload.StatusReady, FileID: in.FileID, DurationMs: 20000}},
	}
	msgs, err := f.watchAll(t, "alice-token", in.UploadID.String())
	require.NoError(t, err)

	type step struct {
		phase   mediav1.UploadPhase
		percent int32
	}
	var got []step
	for _, m := range msgs {
		require.Equal(t, in.TrackID.String(), m.TrackId)
		got = append(got, step{m.Phase, m.ProgressPercent})
	}
	// The streams of an upload share one poll that keeps only its latest look, so a
	// stream slower than the poll sees some steps merged into later ones; whatever it sees
	// comes in order, once each, and ends with the ending.
	want := []step{
		{mediav1.UploadPhase_UPLOAD_PHASE_QUEUED, 0},
		{mediav1.UploadPhase_UPLOAD_PHASE_VALIDATING, 30},
		{mediav1.UploadPhase_UPLOAD_PHASE_VALIDATING, 55},
		{mediav1.UploadPhase_UPLOAD_PHASE_STORING, 85},
		{mediav1.UploadPhase_UPLOAD_PHASE_PUBLISHING, 95},
		{mediav1.UploadPhase_UPLOAD_PHASE_DONE, 100},
	}
	require.NotEmpty(t, got)
	require.Equal(t, want[len(want)-1], got[len(got)-1])
	next := 0
	for _, g := range got {
		for next < len(want) && want[next] != g {
			next++
		}
		require.Less(t, next, len(want), "%v is not in order, or was sent twice: %v", g, got)
		next++
	}
	last := msgs[len(msgs)-1]
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status)
	require.Equal(t, in.FileID.String(), last.FileId)
	require.Equal(t, int32(20000), last.DurationMs)
}

func TestWatchUpload_Endings(t *testing.T) {
	tests := []struct {
		name       string
		final      media.UploadState
		missing    bool
		rowStatus  string // recorded ending, for a workflow that is gone
		wantStatus mediav1.UploadStatus
		wantError  string
	}{
		{"rejected", media.UploadState{Output: upload.Output{Status: upload.StatusRejected, Reason: "the file is empty"}}, false, "",
			mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, "the file is empty"},
		{"failed", media.UploadState{Failed: true}, false, "",
			mediav1.UploadStatus_UPLOAD_STATUS_FAILED, upload.FailedMessage},
		{"gone, ending recorded", media.UploadState{}, true, "rejected",
			mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, "recorded reason"},
		{"gone, never ended", media.UploadState{}, true, "",
			mediav1.UploadStatus_UPLOAD_STATUS_FAILED, upload.FailedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 10<<20)
			in := f.accept(t)
			f.workflows.script[in.TrackID] = []media.UploadState{tt.final}
			f.workflows.missing = tt.missing
			if tt.rowStatus != "" {
				// Recorded while the first look was under way, so WatchUpload finds it on its fallback.
				f.workflows.missing = true
				_, err := f.pool.Exec(context.Background(), "UPDATE media.uploads SET status = $1, error = 'recorded reason' WHERE id = $2", tt.rowStatus, in.UploadID)
				require.NoError(t, err)
			}
			msgs, err := f.watchAll(t, "alice-token", in.UploadID.String())
			require.NoError(t, err)
			last := msgs[len(msgs)-1]
			require.Equal(t, tt.wantStatus, last.Status)
			require.Equal(t, tt.wantError, last.Error)
			require.Empty(t, last.FileId)
		})
	}
}

func TestWatchUpload_EndingIsPushedWithoutWaitingForALook(t *testing.T) {
	f := newFixtureWatching(t, 10<<20, time.Hour) // no second look would come in time
	f.workflows.ended = make(chan struct{})
	in := f.accept(t)
	f.workflows.script[in.TrackID] = []media.UploadState{
		{Running: true, Phase: upload.PhaseValidating},
		{Output: upload.Output{Status: upload.StatusReady, FileID: in.FileID, DurationMs: 1}},
	}
	time.AfterFunc(50*time.Millisecond, func() { close(f.workflows.ended) })
	msgs, err := f.watchAll(t, "alice-token", in.UploadID.String())
	require.NoError(t, err)
	require.NotEmpty(t, msgs) // the first look's message may merge into the ending (shared poll)
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, msgs[len(msgs)-1].Status)
}

func TestWatchUpload_EndedUploadIsAnsweredFromItsRow(t *testing.T) {
	f := newFixture(t, 10<<20)
	in := f.accept(t)
	require.NoError(t, f.module.RecordFile(context.Background(), mediaact.File{
		ID: in.FileID, OwnerDID: alice, StorageKey: mediaact.AudioKey(in.FileID, "mp3"), ContentType: "audio/mpeg",
		Format: "mp3", Codec: "mp3", SizeBytes: 4, DurationMs: 1234, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}))
	require.NoError(t, f.module.FinishUpload(context.Background(), in.UploadID, "ready", ""))
	f.workflows.missing = true // must not be asked

	msgs, err := f.watchAll(t, "alice-token", in.UploadID.String())
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, msgs[0].Status)
	require.Equal(t, int32(1234), msgs[0].DurationMs)
	require.Equal(t, in.FileID.String(), msgs[0].FileId)
}

func TestWatchUpload_OnlyTheUploader(t *testing.T) {
	f := newFixture(t, 10<<20)
	in := f.accept(t)
	tests := []struct {
		name, token, id string
		want            connect.Code
	}{
		{"someone else's", "bob-token", in.UploadID.String(), connect.CodeNotFound},
		{"unknown", "alice-token", uuid.NewString(), connect.CodeNotFound},
		{"not an id", "alice-token", "123", connect.CodeInvalidArgument},
		{"anonymous", "", in.UploadID.String(), connect.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.watchAll(t, tt.token, tt.id)
			require.Equal(t, tt.want, connect.CodeOf(err))
		})
	}
}

func TestWatchUpload_DrainEndsStreams(t *testing.T) {
	f := newFixture(t, 10<<20)
	in := f.accept(t) // the fake keeps it running forever
	done := make(chan error, 1)
	go func() { _, err := f.watchAll(t, "alice-token", in.UploadID.String()); done <- err }()
	time.Sleep(50 * time.Millisecond)
	f.module.Drain()
	select {
	case err := <-done:
		require.Equal(t, connect.CodeUnavailable, connect.CodeOf(err))
	case <-time.After(5 * time.Second):
		t.Fatal("a watcher outlived Drain")
	}
}

func TestAudio(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 10<<20)
	fileID := uuid.NewString()
	key := "audio/" + fileID + ".mp3"
	data := bytes.Repeat([]byte("0123456789"), 1000)
	_, err := f.store.Upload(ctx, key, bytes.NewReader(data), 1<<20)
	require.NoError(t, err)
	require.NoError(t, f.module.RecordFile(ctx, mediaact.File{
		ID: uuid.MustParse(fileID), OwnerDID: alice, StorageKey: key, ContentType: "audio/mpeg", Format: "mp3", Codec: "mp3",
		SizeBytes: int64(len(data)), DurationMs: 1000, SampleRate: 44100, Channels: 2, SHA256: make([]byte, 32),
	}))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("HEAD answers from the file's row", func(t *testing.T) {
		res, err := http.Head(f.url + "/audio/" + fileID)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "bytes", res.Header.Get("Accept-Ranges"))
		require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))
		require.Equal(t, fmt.Sprint(len(data)), res.Header.Get("Content-Length"))
	})
	t.Run("GET redirects to a short-lived URL that serves ranges", func(t *testing.T) {
		res, err := noRedirect.Get(f.url + "/audio/" + fileID)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusFound, res.StatusCode)
		require.Equal(t, "private, max-age=300", res.Header.Get("Cache-Control"))
		loc := res.Header.Get("Location")
		require.Contains(t, loc, "X-Amz-Expires=600")

		req, _ := http.NewRequest(http.MethodGet, f.url+"/audio/"+fileID, nil)
		req.Header.Set("Range", "bytes=-25")
		res, err = http.DefaultClient.Do(req) // follows the redirect, keeping Range
		require.NoError(t, err)
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusPartialContent, res.StatusCode)
		require.Equal(t, data[len(data)-25:], got)
	})
	for _, id := range []string{uuid.NewString(), "not-an-id"} {
		t.Run("unknown "+id, func(t *testing.T) {
			res, err := noRedirect.Get(f.url + "/audio/" + id)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusNotFound, res.StatusCode)
		})
	}
}

type countingReader struct {
	mu sync.Mutex
	r  io.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) read() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// rawFilePart returns a form with a title and a file part whose Content-Disposition is
// written by hand, to send file names a well-behaved client would not.
func rawFilePart(title, disposition string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	tw, _ := w.CreateFormField("title")
	_, _ = io.WriteString(tw, title)
	fw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {disposition}})
	_, _ = io.WriteString(fw, "data")
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

func TestUpload_TitlesAndFileNames(t *testing.T) {
	long := strings.Repeat("a", 256)
	tests := []struct {
		name         string
		title        string
		disposition  string // of the file part; default: a plain song.mp3
		wantCode     int
		wantMsg      string // for refusals
		wantTitle    string // for acceptances
		wantFilename string
	}{
		{name: "NUL in the title", title: "a\x00b", wantCode: 400, wantMsg: "the title contains a control character (U+0000)"},
		{name: "escape in the title", title: "a\x1b[31mred", wantCode: 400, wantMsg: "the title contains a control character (U+001B)"},
		{name: "tab inside the title", title: "a\tb", wantCode: 400, wantMsg: "the title contains a control character (U+0009)"},
		{name: "line break inside the title", title: "a\nb", wantCode: 400, wantMsg: "the title contains a control character (U+000A)"},
		{name: "line separator inside the title", title: "a\u2028b", wantCode: 400, wantMsg: "the title contains a control character (U+2028)"},
		{name: "C1 control in the title", title: "a\u0085b", wantCode: 400, wantMsg: "the title contains a control character (U+0085)"},
		{name: "title not UTF-8", title: "caf\xe9", wantCode: 400, wantMsg: "the title is not valid UTF-8"},
		{name: "surrounding whitespace and a final newline are trimmed", title: "\t My Song \r\n", wantCode: 202, wantTitle: "My Song", wantFilename: "song.mp3"},
		{name: "the title is stored in NFC", title: "Cafe\u0301", wantCode: 202, wantTitle: "Caf\u00e9", wantFilename: "song.mp3"},
		{name: "the length counts bytes after NFC", title: strings.Repeat("e\u0301", 128), wantCode: 202,
			wantTitle: strings.Repeat("\u00e9", 128), wantFilename: "song.mp3"},
		{name: "a title is at most 256 bytes, as its record", title: strings.Repeat("\u00e9", 128) + "a", wantCode: 400,
			wantMsg: "the title is longer than 256 bytes of UTF-8"},
		{name: "emoji with joiners are kept", title: "\U0001F469\u200D\U0001F3A4 live", wantCode: 202,
			wantTitle: "\U0001F469\u200D\U0001F3A4 live", wantFilename: "song.mp3"},
		{name: "NUL in the file name", title: "x", disposition: `form-data; name="file"; filename*=UTF-8''a%00b.mp3`,
			wantCode: 400, wantMsg: "the file name contains a control character (U+0000)"},
		{name: "line break in the file name", title: "x", disposition: `form-data; name="file"; filename*=UTF-8''a%0Ab.mp3`,
			wantCode: 400, wantMsg: "the file name contains a control character (U+000A)"},
		{name: "file name not UTF-8", title: "x", disposition: `form-data; name="file"; filename*=UTF-8''a%FFb.mp3`,
			wantCode: 400, wantMsg: "the file name is not valid UTF-8"},
		{name: "file name too long", title: "x", disposition: `form-data; name="file"; filename="` + long + `.mp3"`,
			wantCode: 400, wantMsg: "the file name is longer than 255 characters"},
		{name: "file name in NFC without its directory", title: "x", disposition: `form-data; name="file"; filename*=UTF-8''music%2FCafe%CC%81.mp3`,
			wantCode: 202, wantTitle: "x", wantFilename: "Caf\u00e9.mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 10<<20)
			disposition := tt.disposition
			if disposition == "" {
				disposition = `form-data; name="file"; filename="song.mp3"`
			}
			body, ct := rawFilePart(tt.title, disposition)
			res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))
			require.Equal(t, tt.wantCode, res.StatusCode, out["message"])
			if tt.wantCode != http.StatusAccepted {
				require.Equal(t, "invalid_argument", out["code"])
				require.Contains(t, out["message"], tt.wantMsg)
				require.Empty(t, f.stagedKeys(t))
				require.Zero(t, f.uploadRows(t))
				return
			}
			require.Equal(t, tt.wantTitle, f.workflows.started[0].Title)
			var title, filename string
			require.NoError(t, f.pool.QueryRow(context.Background(),
				"SELECT title, filename FROM media.uploads").Scan(&title, &filename))
			require.Equal(t, tt.wantTitle, title)
			require.Equal(t, tt.wantFilename, filename)
		})
	}
}

// signallingStore tells when an upload body has started streaming to storage, which
// happens after the upload has taken its slots.
type signallingStore struct {
	media.ObjectStore
	started chan string
}

func (s *signallingStore) Upload(ctx context.Context, key string, r io.Reader, maxSize int64) (int64, error) {
	s.started <- key
	return s.ObjectStore.Upload(ctx, key, r, maxSize)
}

// stalledUpload starts an upload whose body sends the form up to the file's first bytes
// and then waits; stop ends it (the body fails) and returns the answer.
func (f *fixture) stalledUpload(t *testing.T, token string, fileBytes int) (stop func() *http.Response) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, f.url+"/upload", pr)
	require.NoError(t, err)
	mw := multipart.NewWriter(pw)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	answered := make(chan *http.Response, 1)
	go func() {
		res, err := f.http.Do(req)
		if err != nil {
			answered <- nil
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		answered <- res
	}()
	tw, _ := mw.CreateFormField("title")
	_, _ = io.WriteString(tw, "stalled")
	fw, _ := mw.CreateFormFile("file", "stalled.wav")
	_, _ = fw.Write(make([]byte, fileBytes))
	return func() *http.Response {
		_ = pw.CloseWithError(errors.New("the client gave up"))
		return <-answered
	}
}

func TestUpload_PerAccountCap(t *testing.T) {
	store := &signallingStore{started: make(chan string, 8)}
	f := newFixtureWith(t, fixtureOptions{
		limits: media.Limits{MaxUploadBytes: 10 << 20, MaxConcurrentUploads: 4, MaxUploadsPerAccount: 2, AudioURLTTL: time.Minute},
		storage: func(s media.ObjectStore) media.ObjectStore {
			store.ObjectStore = s
			return store
		},
	})
	// Alice has two uploads streaming, as many as an account may.
	for range 2 {
		stop := f.stalledUpload(t, "alice-token", 4<<10) // past the head the form sniffs
		t.Cleanup(func() { stop() })
		<-store.started
	}

	body, ct := form(part{"title", "", "third"}, part{"file", "c.mp3", "data"})
	res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Equal(t, "resource_exhausted", out["code"])
	require.Equal(t, "you already have 2 uploads in progress; send this one when one of them is done", out["message"])
	require.Equal(t, "10", res.Header.Get("Retry-After"))

	// Bob still gets one of the free global slots.
	body, ct = form(part{"title", "", "bob's"}, part{"file", "b.mp3", "data"})
	res, _ = f.post(t, "bob-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	require.Len(t, f.workflows.started, 1)
	require.Equal(t, bob, f.workflows.started[0].ArtistDID)
}

func TestUpload_SlowBodiesAreCutOff(t *testing.T) {
	tests := []struct {
		name   string
		limits media.Limits
		// trickle, when set, keeps sending a byte at this pace after the first bytes.
		trickle   time.Duration
		fileBytes int
		wantMsg   string
	}{
		{
			// Past the first 8 MiB part, so a multipart upload is under way when it stops.
			name:      "a body that stops sending",
			limits:    media.Limits{UploadIdleTimeout: 200 * time.Millisecond, UploadMinBytesPerSecond: -1},
			fileBytes: 9 << 20,
			wantMsg:   "the upload was too slow: never pause for 200ms or more",
		},
		{
			name: "a body that trickles below the minimum rate",
			limits: media.Limits{UploadIdleTimeout: time.Hour, UploadMinBytesPerSecond: 64 << 10,
				UploadRateGrace: 200 * time.Millisecond},
			trickle:   5 * time.Millisecond,
			fileBytes: 10,
			wantMsg:   "the upload was too slow: send at least 64 KiB/s, and never pause for 1h0m0s or more",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits := tt.limits
			limits.MaxUploadBytes, limits.MaxConcurrentUploads, limits.AudioURLTTL = 20<<20, 4, time.Minute
			f := newFixtureWith(t, fixtureOptions{limits: limits})

			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				tw, _ := mw.CreateFormField("title")
				_, _ = io.WriteString(tw, "slow")
				fw, _ := mw.CreateFormFile("file", "slow.wav")
				if _, err := fw.Write(make([]byte, tt.fileBytes)); err != nil || tt.trickle == 0 {
					return // and send nothing more until the pipe is closed
				}
				// Trickle until shortly before the server's cut-off (200 ms), then go quiet:
				// bytes that arrive after the server closed make its kernel answer with a
				// reset, which can beat the 408 to the client (seen under -race).
				for stop := time.Now().Add(150 * time.Millisecond); time.Now().Before(stop); {
					if _, err := fw.Write([]byte{0}); err != nil {
						return
					}
					time.Sleep(tt.trickle)
				}
			}()
			t.Cleanup(func() { _ = pw.CloseWithError(errors.New("test over")) })

			res, out := f.post(t, "alice-token", pr, mw.FormDataContentType(), -1)
			require.Equal(t, http.StatusRequestTimeout, res.StatusCode)
			require.Equal(t, "deadline_exceeded", out["code"])
			require.Equal(t, tt.wantMsg, out["message"])
			require.Empty(t, f.stagedKeys(t), "the staged object is discarded")
			require.Zero(t, f.uploadRows(t))
			require.Empty(t, f.workflows.started)
		})
	}
}

func TestUpload_ReaderErrorsStayInTheLogs(t *testing.T) {
	f := newFixture(t, 10<<20)
	// A part with a broken header: the multipart reader's own words (and, for a body
	// failing on a real network, addresses) must not reach the client.
	body := "--x\r\nno colon in this header\r\n\r\ndata\r\n--x--\r\n"
	res, out := f.post(t, "alice-token", strings.NewReader(body), "multipart/form-data; boundary=x", int64(len(body)))
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Equal(t, "invalid_argument", out["code"])
	require.Equal(t, "the body ended early or is not valid multipart", out["message"])
	require.Empty(t, f.stagedKeys(t))
}

// The same bytes sent again while the first upload is processing or ready name that
// upload; once its track's file is removed, they make a new one.
func TestUpload_SameBytesTwice(t *testing.T) {
	f := newFixture(t, 10<<20)
	first := f.accept(t)
	body, ct := form(part{"title", "", "again"}, part{"file", "again.mp3", "data"})
	res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, map[string]string{"uploadId": first.UploadID.String(), "trackId": first.TrackID.String(), "duplicate": "true"}, out)
	require.Len(t, f.workflows.started, 1, "no second workflow")
	require.Empty(t, f.stagedKeysExcept(t, first.StagingKey), "the second body is not kept")

	// Another account's same bytes are its own upload.
	body, ct = form(part{"title", "", "bob's"}, part{"file", "b.mp3", "data"})
	res, _ = f.post(t, "bob-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusAccepted, res.StatusCode)

	// The track is deleted: its file goes, and the bytes are free again.
	require.NoError(t, f.module.FinishUpload(context.Background(), first.UploadID, "ready", ""))
	require.NoError(t, f.module.RemoveFile(context.Background(), first.FileID))
	body, ct = form(part{"title", "", "once more"}, part{"file", "a.mp3", "data"})
	res, out = f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	require.NotEqual(t, first.TrackID.String(), out["trackId"])

	// A rejected upload frees its bytes at once.
	latest := f.workflows.started[len(f.workflows.started)-1]
	require.NoError(t, f.module.FinishUpload(context.Background(), latest.UploadID, "rejected", "no"))
	body, ct = form(part{"title", "", "and again"}, part{"file", "a.mp3", "data"})
	res, _ = f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusAccepted, res.StatusCode)
}

// A lossless file from an account without the lossless-uploads flag is refused as soon as
// its first bytes show what it is, and nothing is staged.
func TestUpload_LosslessNeedsTheFlag(t *testing.T) {
	f := newFixture(t, 10<<20)
	flac := audiotest.Make(t, "flac", 1)
	body, ct := form(part{"title", "", "lossless"}, part{"file", "a.flac", string(flac)})
	res, out := f.post(t, "alice-token", body, ct, int64(body.Len()))
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Contains(t, out["message"], "lossless uploads (FLAC, WAV, AIFF, ALAC) are not turned on for your account")
	require.Empty(t, f.stagedKeys(t))
	require.Empty(t, f.workflows.started)
}

func (f *fixture) stagedKeysExcept(t *testing.T, keep string) []string {
	t.Helper()
	var out []string
	for _, k := range f.stagedKeys(t) {
		if k != keep {
			out = append(out, k)
		}
	}
	return out
}
