package app_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/devstack/testenv/testtemporal"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/media/v1/mediav1connect"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// stack is plyr assembled the way `plyr dev` assembles it, on the test environment's
// PostgreSQL, Temporal and S3, serving over a real listener. Temporal task queues are
// shared by everything on the test server, so a process runs one stack at a time.
type stack struct {
	url      string
	http     *http.Client
	catalog  catalogv1connect.CatalogServiceClient
	media    mediav1connect.MediaServiceClient
	store    *storage.Client
	private  *storage.Client
	temporal client.Client
	logs     *syncBuffer
	token    string // alice's developer token
	app      *app.App

	cfg   config.Config
	infra app.Infra
	// stopWorkers stops this stack's workers (as a process that dies would), at most once.
	stopWorkers func()
}

const aliceDID = "did:plc:alice"

// mp3Tags numbers uniqueMP3's tags.
var mp3Tags atomic.Int64

// uniqueMP3 is mp3 with an ID3v1 tag of its own (128 bytes at the end, which decoders
// skip): an artist's second upload of the same bytes is their first track again, so tests
// that mean a new track send bytes of their own.
func uniqueMP3(mp3 []byte) []byte {
	tag := make([]byte, 128)
	copy(tag, "TAG")
	copy(tag[3:33], fmt.Sprintf("take %d", mp3Tags.Add(1)))
	return append(append([]byte(nil), mp3...), tag...)
}

// adminDID is every stack's administrator (adminToken).
const adminDID = "did:plc:admin"

// adminToken is a developer token of the stack's administrator.
func (s *stack) adminToken(tb testing.TB) string {
	tb.Helper()
	return s.account(tb, adminDID, "admin.test")
}

// stackOptions shape a stack.
type stackOptions struct {
	maxUpload int64
	// pds makes the stack's ATProto network the reference PDS (sign-in, records); tap,
	// when set, wraps plyr's outbound requests to it.
	pds *devpds.Network
	tap func(http.RoundTripper) http.RoundTripper
	// records shortens the record writes' retry budget and per-try bound.
	records config.Records
	// atproto, when set, replaces the stack's ATProto network altogether.
	atproto *app.ATProto
	// atprotofans, when set, is where supporters are checked (a fake).
	atprotofans string
	// maxDuration is the longest audio accepted (an hour when 0).
	maxDuration time.Duration
	// legal configures scans and DMs; auddClient lets plyr reach a fake AudD on loopback.
	legal      config.Legal
	auddClient bool
	// admins are administrators besides adminDID (accounts that sign in on a PDS).
	admins []string
}

func newStack(tb testing.TB, maxUpload int64) *stack {
	return newStackWith(tb, stackOptions{maxUpload: maxUpload})
}

func newStackWith(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	logs := &syncBuffer{}
	logger := logging.New(logs, slog.LevelInfo)
	s := &stack{logs: logs, store: storage.New(testenv.NewBucket(tb)), temporal: testtemporal.NewClient(tb, logger)}
	pool := testenv.NewDatabase(tb)

	// The listener comes first: its URL is plyr's public URL, where OAuth comes back.
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	s.cfg = config.Config{
		ShutdownTimeout: 5 * time.Second,
		Identity:        config.Identity{PublicURL: srv.URL, SessionTTL: time.Hour, AdminDIDs: append([]string{adminDID}, o.admins...)},
		Media: config.Media{
			MaxUploadBytes: o.maxUpload, MaxDuration: cmp.Or(o.maxDuration, time.Hour), MaxConcurrentUploads: 64,
			Concurrency: 2, AudioURLTTL: 10 * time.Minute, TempDir: tb.TempDir(), AtprotofansURL: o.atprotofans,
			BlobTimeout: 3 * time.Second, // a PDS that hangs is given up quickly
		},
		Records: o.records,
		Legal:   o.legal,
	}
	s.private = storage.New(testenv.NewBucket(tb))
	s.infra = app.Infra{DB: pool, Temporal: s.temporal, Storage: s.store, PrivateStorage: s.private, Keys: testKeys(tb)}
	if o.atprotofans != "" {
		s.infra.AtprotofansClient = &http.Client{Timeout: 5 * time.Second} // the fake is on loopback
	}
	if o.auddClient {
		s.infra.AuddClient = &http.Client{Timeout: 30 * time.Second} // the fake is on loopback
	}
	if o.pds != nil {
		client := o.pds.HTTPClient()
		if o.tap != nil {
			client.Transport = o.tap(client.Transport)
		}
		s.infra.ATProto = app.ATProto{HTTPClient: client, Directory: o.pds.Directory()}
	}
	if o.atproto != nil {
		s.infra.ATProto = *o.atproto
	}
	a, err := app.New(s.cfg, s.infra, logger, metrics.New())
	require.NoError(tb, err)
	s.app = a
	handler = a.Handler()

	s.stopWorkers = s.runWorkers(tb, a)
	tb.Cleanup(func() {
		srv.Close()
		a.Close()
		s.stopWorkers()
	})
	s.url = srv.URL
	s.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	s.catalog = catalogv1connect.NewCatalogServiceClient(s.http, s.url, connect.WithProtoJSON())
	s.media = mediav1connect.NewMediaServiceClient(s.http, s.url, connect.WithProtoJSON())

	ids := a.Identity()
	_, err = ids.EnsureAccount(context.Background(), aliceDID, "alice.test")
	require.NoError(tb, err)
	token, err := ids.IssueDeveloperToken(context.Background(), aliceDID, "e2e", time.Hour)
	require.NoError(tb, err)
	s.token = token.Value
	return s
}

// runWorkers runs a's workers until the returned stop is called (once; later calls wait
// for nothing).
func (s *stack) runWorkers(tb testing.TB, a *app.App) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunWorkers(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			require.NoError(tb, <-done)
		})
	}
}

// postUpload sends a multipart upload and returns the status and decoded JSON body.
func (s *stack) postUpload(tb testing.TB, token, title, filename string, data []byte) (int, map[string]string) {
	tb.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("title", title)
	fw, _ := w.CreateFormFile("file", filename)
	_, _ = fw.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.http.Do(req)
	require.NoError(tb, err)
	defer res.Body.Close()
	var fields map[string]any
	_ = json.NewDecoder(res.Body).Decode(&fields)
	out := map[string]string{}
	for k, v := range fields {
		out[k] = fmt.Sprint(v)
	}
	return res.StatusCode, out
}

// watch follows WatchUpload to its last message and returns every message.
func (s *stack) watch(tb testing.TB, uploadID string) []*mediav1.WatchUploadResponse {
	tb.Helper()
	return s.watchFor(tb, uploadID, 2*time.Minute)
}

// watchFor is watch for uploads that take longer than two minutes.
func (s *stack) watchFor(tb testing.TB, uploadID string, limit time.Duration) []*mediav1.WatchUploadResponse {
	tb.Helper()
	ctx, cancel := context.WithTimeout(rpctest.WithToken(context.Background(), s.token), limit)
	defer cancel()
	stream, err := s.media.WatchUpload(ctx, &mediav1.WatchUploadRequest{UploadId: uploadID})
	require.NoError(tb, err)
	var msgs []*mediav1.WatchUploadResponse
	for stream.Receive() {
		msgs = append(msgs, stream.Msg())
	}
	require.NoError(tb, stream.Err())
	require.NotEmpty(tb, msgs)
	return msgs
}

// get fetches url with an optional Range header, following redirects.
func (s *stack) get(tb testing.TB, url, rangeHeader string) (*http.Response, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	res, err := s.http.Do(req)
	require.NoError(tb, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(tb, err)
	return res, body
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
