package legal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/internal/auddtest"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	legalv1 "github.com/plyrfm/plyr/internal/gen/plyr/legal/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/legal/v1/legalv1connect"
	"github.com/plyrfm/plyr/internal/platform/audd"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/legal"
)

const (
	alice = "did:plc:alice"
	bob   = "did:plc:bob"
	admin = "did:plc:admin"
)

// catalogFake holds the tracks the module asks about.
type catalogFake struct {
	mu     sync.Mutex
	tracks map[uuid.UUID]legal.Track
}

func (c *catalogFake) Track(_ context.Context, id uuid.UUID) (legal.Track, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tracks[id]
	return t, ok, nil
}

type mediaFake struct{}

func (mediaFake) AudioURL(_ context.Context, fileID uuid.UUID, _ time.Duration) (string, error) {
	return "https://storage.test/audio/" + fileID.String(), nil
}

// dm is a message the sender fake delivered.
type dm struct{ to, text, id string }

// categorised is an error of the sender fake with its category.
type categorised struct{ category string }

func (c categorised) Error() string { return "chat: " + c.category }

// senderFake is a chat service in memory: it can refuse a recipient, or accept a
// message and then fail (as a chat service that times out after accepting it).
type senderFake struct {
	mu   sync.Mutex
	sent []dm
	// refuse answers every message to a recipient with this category.
	refuse map[string]string
	// acceptThenFail makes the next message be delivered, and the call fail.
	acceptThenFail bool
}

func (s *senderFake) Send(_ context.Context, to, text string, dedupeAfter time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.refuse[to]; c != "" {
		return "", categorised{c}
	}
	if !dedupeAfter.IsZero() {
		for _, m := range s.sent {
			if m.to == to && m.text == text {
				return m.id, nil
			}
		}
	}
	m := dm{to: to, text: text, id: fmt.Sprintf("msg-%d", len(s.sent)+1)}
	s.sent = append(s.sent, m)
	if s.acceptThenFail {
		s.acceptThenFail = false
		return "", categorised{"network"}
	}
	return m.id, nil
}

func (s *senderFake) Category(err error) string {
	var c categorised
	if errors.As(err, &c) {
		return c.category
	}
	return "unknown"
}

func (s *senderFake) messages() []dm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]dm(nil), s.sent...)
}

// workflowsFake records what the module started.
type workflowsFake struct {
	mu        sync.Mutex
	notices   []string
	takedowns []uuid.UUID
	started   []uuid.UUID
	signals   []string
}

func (w *workflowsFake) SendNotice(_ context.Context, key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notices = append(w.notices, key)
	return nil
}

func (w *workflowsFake) ApplyTakedown(_ context.Context, trackID uuid.UUID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.takedowns = append(w.takedowns, trackID)
	return nil
}

func (w *workflowsFake) StartDMCA(_ context.Context, noticeID, _ uuid.UUID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = append(w.started, noticeID)
	return nil
}

func (w *workflowsFake) SignalDMCA(_ context.Context, noticeID, _ uuid.UUID, step string, _ time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.signals = append(w.signals, noticeID.String()+":"+step)
	return nil
}

func (w *workflowsFake) noticeKeys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.notices...)
}

type fixture struct {
	pool      *pgxpool.Pool
	module    *legal.Module
	catalog   *catalogFake
	sender    *senderFake
	workflows *workflowsFake
	audd      *auddtest.Server
	url       string
	client    legalv1connect.LegalServiceClient
}

type options struct {
	noScanner, noSender bool
	config              legal.Config
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	f := &fixture{
		pool: testenv.NewDatabase(t), catalog: &catalogFake{tracks: map[uuid.UUID]legal.Track{}},
		sender: &senderFake{refuse: map[string]string{}}, workflows: &workflowsFake{},
	}
	cfg := o.config
	cfg.AdminDID, cfg.PublicURL = admin, "https://plyr.test"
	deps := legal.Deps{
		DB: f.pool, Logger: logging.Discard(), Metrics: metrics.New(), Catalog: f.catalog, Media: mediaFake{},
		Workflows: f.workflows, Config: cfg,
	}
	if !o.noScanner {
		f.audd = auddtest.New(t, "audd-token")
		deps.Scanner = audd.New(audd.Config{URL: f.audd.URL(), Token: "audd-token"})
	}
	if !o.noSender {
		deps.Sender = f.sender
	}
	f.module = legal.New(deps)
	srv := rpctest.NewServer(t, rpctest.Tokens{
		"alice-token": {DID: alice}, "bob-token": {DID: bob}, "admin-token": {DID: admin, Admin: true},
	}, f.module)
	f.url = srv.URL
	f.client = legalv1connect.NewLegalServiceClient(srv.Client(), srv.URL)
	return f
}

// track adds a public track of alice's to the catalog.
func (f *fixture) track(title string) legal.Track {
	file := uuid.New()
	t := legal.Track{ID: uuid.New(), Title: title, ArtistDID: alice, ArtistHandle: "alice.test", FileID: &file, Public: true}
	f.catalog.mu.Lock()
	f.catalog.tracks[t.ID] = t
	f.catalog.mu.Unlock()
	return t
}

func as(token string) context.Context { return rpctest.WithToken(context.Background(), token) }

func codeOf(err error) connect.Code { return connect.CodeOf(err) }

// song is one recognised segment for the AudD fake.
func song(artist, title string) auddtest.Song {
	return auddtest.Song{Artist: artist, Title: title, Album: "An Album", ISRC: "USXXX0000001", SongLink: "https://lis.tn/x"}
}

// answer is an AudD answer with one group per segment.
func answer(songs ...auddtest.Song) auddtest.Answer {
	var groups []auddtest.Group
	for i, s := range songs {
		groups = append(groups, auddtest.Group{Offset: time.Duration(i) * 12 * time.Second, Songs: []auddtest.Song{s}})
	}
	return auddtest.Matches(groups...)
}

func (f *fixture) scanned(t *testing.T, tr legal.Track, a auddtest.Answer) legalact.Scan {
	t.Helper()
	f.audd.Script("https://storage.test/audio/"+tr.FileID.String(), a)
	s, err := f.module.ScanTrack(context.Background(), tr.ID)
	require.NoError(t, err)
	return s
}

func TestTerms_ArePublic(t *testing.T) {
	f := newFixture(t, options{})
	res, err := f.client.GetTerms(context.Background(), (&legalv1.GetTermsRequest{}))
	require.NoError(t, err)
	require.Equal(t, legal.TermsVersion(), res.Version)
	require.Contains(t, res.TermsMarkdown, "# Terms of service")
	require.Contains(t, res.PrivacyMarkdown, "# Privacy policy")
	require.False(t, res.EffectiveAt.AsTime().IsZero())
}

func TestReports_OnlyTheReporterAndAdminsSeeThem(t *testing.T) {
	f := newFixture(t, options{})
	res, err := f.client.CreateReport(as("alice-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_COMMENT, TargetId: "c-1", TargetName: "a rude comment",
		Reason: legalv1.ReportReason_REPORT_REASON_ABUSE, Description: "calls people names",
	}))
	require.NoError(t, err)
	id := res.ReportId

	mine, err := f.client.ListMyReports(as("alice-token"), (&legalv1.ListMyReportsRequest{}))
	require.NoError(t, err)
	require.Len(t, mine.Reports, 1)
	require.Equal(t, id, mine.Reports[0].Id)
	require.Empty(t, mine.Reports[0].ReporterDid, "a reporter is not shown DIDs")
	theirs, err := f.client.ListMyReports(as("bob-token"), (&legalv1.ListMyReportsRequest{}))
	require.NoError(t, err)
	require.Empty(t, theirs.Reports)

	_, err = f.client.ListReports(as("bob-token"), (&legalv1.ListReportsRequest{}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	_, err = f.client.ResolveReport(as("alice-token"), (&legalv1.ResolveReportRequest{ReportId: id, Decision: legalv1.Decision_DECISION_DISMISS}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	_, err = f.client.CreateReport(context.Background(), (&legalv1.CreateReportRequest{}))
	require.Equal(t, connect.CodeUnauthenticated, codeOf(err))

	all, err := f.client.ListReports(as("admin-token"), (&legalv1.ListReportsRequest{}))
	require.NoError(t, err)
	require.Len(t, all.Reports, 1)
	require.Equal(t, alice, all.Reports[0].ReporterDid)

	// The admin's DM about it is recorded and its workflow started.
	key := "report/" + id + "/admin"
	require.Equal(t, []string{key}, f.workflows.noticeKeys())
	require.NoError(t, f.module.SendNotice(context.Background(), key))
	sent := f.sender.messages()
	require.Len(t, sent, 1)
	require.Equal(t, admin, sent[0].to)
	require.Contains(t, sent[0].text, "New report (abuse) of a comment: “a rude comment” [c-1]")
	require.Contains(t, sent[0].text, "calls people names")

	resolved, err := f.client.ResolveReport(as("admin-token"), (&legalv1.ResolveReportRequest{
		ReportId: id, Decision: legalv1.Decision_DECISION_DISMISS, Note: "banter",
	}))
	require.NoError(t, err)
	require.Equal(t, admin, resolved.Report.Resolution.By)
	require.Equal(t, legalv1.Decision_DECISION_DISMISS, resolved.Report.Resolution.Decision)
	_, err = f.client.ResolveReport(as("admin-token"), (&legalv1.ResolveReportRequest{ReportId: id, Decision: legalv1.Decision_DECISION_DISMISS}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err))
	open, err := f.client.ListReports(as("admin-token"), (&legalv1.ListReportsRequest{}))
	require.NoError(t, err)
	require.Empty(t, open.Reports, "resolved reports leave the open list")
}

func TestReports_AreChecked(t *testing.T) {
	f := newFixture(t, options{})
	for name, req := range map[string]*legalv1.CreateReportRequest{
		"no target type": {TargetId: "x", Reason: legalv1.ReportReason_REPORT_REASON_SPAM},
		"no target id":   {TargetType: legalv1.TargetType_TARGET_TYPE_TAG, Reason: legalv1.ReportReason_REPORT_REASON_SPAM},
		"id too long":    {TargetType: legalv1.TargetType_TARGET_TYPE_TAG, TargetId: strings.Repeat("x", 101), Reason: legalv1.ReportReason_REPORT_REASON_SPAM},
		"no reason":      {TargetType: legalv1.TargetType_TARGET_TYPE_TAG, TargetId: "x"},
		"long text":      {TargetType: legalv1.TargetType_TARGET_TYPE_TAG, TargetId: "x", Reason: legalv1.ReportReason_REPORT_REASON_SPAM, Description: strings.Repeat("é", 1001)},
		"not a web URL":  {TargetType: legalv1.TargetType_TARGET_TYPE_TAG, TargetId: "x", Reason: legalv1.ReportReason_REPORT_REASON_SPAM, TargetUrl: "javascript:alert(1)"},
	} {
		_, err := f.client.CreateReport(as("alice-token"), (req))
		require.Equal(t, connect.CodeInvalidArgument, codeOf(err), name)
	}
	_, err := f.client.CreateReport(as("alice-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_TAG, TargetId: "x", Reason: legalv1.ReportReason_REPORT_REASON_SPAM,
		Description: strings.Repeat("é", 1000),
	}))
	require.NoError(t, err, "1000 characters is the limit, not 1000 bytes")
}

func TestReports_TenAnHourHoldsUnderConcurrency(t *testing.T) {
	f := newFixture(t, options{})
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			_, err := f.client.CreateReport(as("alice-token"), (&legalv1.CreateReportRequest{
				TargetType: legalv1.TargetType_TARGET_TYPE_TRACK, TargetId: fmt.Sprint("t-", i), Reason: legalv1.ReportReason_REPORT_REASON_SPAM,
			}))
			switch {
			case err == nil:
				ok.Add(1)
			case codeOf(err) == connect.CodeResourceExhausted:
				limited.Add(1)
				require.Contains(t, err.Error(), "you can file 10 reports an hour; try again in")
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(10), ok.Load())
	require.Equal(t, int32(6), limited.Load())
	// Another account is not held back by alice.
	_, err := f.client.CreateReport(as("bob-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_TRACK, TargetId: "t", Reason: legalv1.ReportReason_REPORT_REASON_SPAM,
	}))
	require.NoError(t, err)
	// An hour on, alice may report again.
	_, err = f.pool.Exec(context.Background(), "UPDATE legal.reports SET created_at = created_at - interval '61 minutes' WHERE reporter_did = $1", alice)
	require.NoError(t, err)
	_, err = f.client.CreateReport(as("alice-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_TRACK, TargetId: "t", Reason: legalv1.ReportReason_REPORT_REASON_SPAM,
	}))
	require.NoError(t, err)
}

func TestScan_AFlagStaysUntilAHumanResolvesIt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Midnight Drive")
	// Four of six segments are the same song: 66% ≥ 30%.
	s := f.scanned(t, tr, answer(song("Famous Band", "Big Hit"), song("famous band ", "BIG HIT"), song("Famous Band", "Big Hit"),
		song("Other", "Thing"), song("Famous Band", "Big Hit"), song("Third", "One")))
	require.True(t, s.Flagged)

	keys, err := f.module.CopyrightNotices(ctx, tr.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"copyright/" + tr.ID.String() + "/artist", "copyright/" + tr.ID.String() + "/admin"}, keys)
	for _, k := range keys {
		require.NoError(t, f.module.SendNotice(ctx, k))
		require.NoError(t, f.module.SendNotice(ctx, k), "again: already sent, nothing happens")
	}
	sent := f.sender.messages()
	require.Len(t, sent, 2)
	require.Equal(t, alice, sent[0].to)
	require.Contains(t, sent[0].text, "“Midnight Drive”")
	require.Contains(t, sent[0].text, "“Big Hit” by Famous Band (4 of 6 matched segments)")
	require.Contains(t, sent[0].text, "reply to this message")
	require.NotContains(t, sent[0].text, "confidence")
	require.Equal(t, admin, sent[1].to)
	require.Contains(t, sent[1].text, "6 matched segments; the dominant match is “Big Hit” by Famous Band with 66% (threshold 30%)")
	require.Contains(t, sent[1].text, "https://plyr.test/admin/flags/"+tr.ID.String())

	flag := f.flag(t, tr.ID)
	require.Equal(t, legalv1.ScanStatus_SCAN_STATUS_FLAGGED, flag.Flag.Status)
	require.EqualValues(t, 66, flag.Flag.DominantPct)
	require.Len(t, flag.Flag.Matches, 6)
	require.EqualValues(t, 24000, flag.Flag.Matches[2].OffsetMs)
	require.NotNil(t, flag.Flag.NotifiedAt, "the artist's DM went out")
	require.Len(t, flag.Notices, 2)

	// A later scan that finds nothing does not clear the flag.
	s = f.scanned(t, tr, auddtest.NoMatch())
	require.True(t, s.Flagged)
	require.NoError(t, f.module.RecordScanFailure(ctx, tr.ID, "AudD was down"))
	require.Equal(t, legalv1.ScanStatus_SCAN_STATUS_FLAGGED, f.flag(t, tr.ID).Flag.Status)
	open, err := f.client.ListFlags(as("admin-token"), (&legalv1.ListFlagsRequest{}))
	require.NoError(t, err)
	require.Len(t, open.Flags, 1)

	_, err = f.client.ResolveFlag(as("alice-token"), (&legalv1.ResolveFlagRequest{TrackId: tr.ID.String(), Decision: legalv1.Decision_DECISION_FALSE_POSITIVE}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	res, err := f.client.ResolveFlag(as("admin-token"), (&legalv1.ResolveFlagRequest{
		TrackId: tr.ID.String(), Decision: legalv1.Decision_DECISION_FALSE_POSITIVE, Note: "the artist wrote Big Hit",
	}))
	require.NoError(t, err)
	require.Equal(t, admin, res.Flag.Resolution.By)
	_, err = f.client.ResolveFlag(as("admin-token"), (&legalv1.ResolveFlagRequest{TrackId: tr.ID.String(), Decision: legalv1.Decision_DECISION_DISMISS}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err))
	events := f.flag(t, tr.ID).Events
	require.Len(t, events, 1)
	require.Equal(t, "false_positive", events[0].Kind)
	require.Equal(t, admin, events[0].Actor)
	open, err = f.client.ListFlags(as("admin-token"), (&legalv1.ListFlagsRequest{}))
	require.NoError(t, err)
	require.Empty(t, open.Flags)
}

func (f *fixture) flag(t *testing.T, id uuid.UUID) *legalv1.GetFlagResponse {
	t.Helper()
	res, err := f.client.GetFlag(as("admin-token"), (&legalv1.GetFlagRequest{TrackId: id.String()}))
	require.NoError(t, err)
	return res
}

func TestScan_Outcomes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{config: legal.Config{ThresholdPct: 50}})

	// Two of five is 40%: under this deployment's 50%.
	tr := f.track("Clear")
	require.False(t, f.scanned(t, tr, answer(song("A", "X"), song("A", "X"), song("B", "Y"), song("C", "Z"), song("D", "W"))).Flagged)
	require.Equal(t, legalv1.ScanStatus_SCAN_STATUS_CLEAR, f.flag(t, tr.ID).Flag.Status)
	keys, err := f.module.CopyrightNotices(ctx, tr.ID)
	require.NoError(t, err)
	require.Empty(t, keys, "a clear scan sends nothing")

	// The single-song shape of the standard API: one match is 100%.
	single := f.track("Single")
	require.True(t, f.scanned(t, single, auddtest.SingleSong(song("Solo", "Only"))).Flagged)

	// AudD refuses the token: not worth retrying.
	refused := f.track("Refused")
	f.audd.Script("https://storage.test/audio/"+refused.FileID.String(), auddtest.Error(auddtest.CodeWrongToken, "invalid api_token"))
	_, err = f.module.ScanTrack(ctx, refused.ID)
	var failure *legalact.Failure
	require.ErrorAs(t, err, &failure)
	require.False(t, failure.Retryable)
	require.NotContains(t, err.Error(), "audd-token", "the token never shows")

	// AudD is down: retried by the workflow (a plain error).
	down := f.track("Down")
	f.audd.Script("https://storage.test/audio/"+down.FileID.String(), auddtest.HTTPStatus(http.StatusBadGateway))
	_, err = f.module.ScanTrack(ctx, down.ID)
	require.Error(t, err)
	require.False(t, errors.As(err, &failure))
	// Given up on: failed, not clear.
	require.NoError(t, f.module.RecordScanFailure(ctx, down.ID, "AudD answered 502"))
	flag := f.flag(t, down.ID).Flag
	require.Equal(t, legalv1.ScanStatus_SCAN_STATUS_FAILED, flag.Status)
	require.Equal(t, "AudD answered 502", flag.Error)
	failed, err := f.client.ListFlags(as("admin-token"), (&legalv1.ListFlagsRequest{Filter: legalv1.FlagFilter_FLAG_FILTER_FAILED}))
	require.NoError(t, err)
	require.Len(t, failed.Flags, 1)

	// A track that is not public (processing, gone) is not scanned.
	hidden := f.track("Hidden")
	hidden.Public = false
	f.catalog.tracks[hidden.ID] = hidden
	s, err := f.module.ScanTrack(ctx, hidden.ID)
	require.NoError(t, err)
	require.NotEmpty(t, s.Skipped)
	s, err = f.module.ScanTrack(ctx, uuid.New())
	require.NoError(t, err)
	require.Equal(t, "the track is gone", s.Skipped)

	status, err := f.client.GetModerationStatus(as("admin-token"), (&legalv1.GetModerationStatusRequest{}))
	require.NoError(t, err)
	require.True(t, status.ScansEnabled)
	require.EqualValues(t, 50, status.ThresholdPct)
	require.EqualValues(t, 1, status.OpenFlags)
	require.EqualValues(t, 1, status.FailedScans)
}

func TestScan_OffWithoutAToken(t *testing.T) {
	f := newFixture(t, options{noScanner: true, noSender: true})
	tr := f.track("Any")
	s, err := f.module.ScanTrack(context.Background(), tr.ID)
	require.NoError(t, err)
	require.True(t, s.Off)
	status, err := f.client.GetModerationStatus(as("admin-token"), (&legalv1.GetModerationStatusRequest{}))
	require.NoError(t, err)
	require.False(t, status.ScansEnabled)
	require.False(t, status.DmsEnabled)
	_, err = f.client.GetModerationStatus(as("alice-token"), (&legalv1.GetModerationStatusRequest{}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
}

func TestNotices_SentOnceWhateverHappens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Hit")
	require.True(t, f.scanned(t, tr, answer(song("A", "B"))).Flagged)
	keys, err := f.module.CopyrightNotices(ctx, tr.ID)
	require.NoError(t, err)

	// The chat service takes the artist's DM and then times out: the next attempt finds it.
	f.sender.acceptThenFail = true
	err = f.module.SendNotice(ctx, keys[0])
	var failure *legalact.Failure
	require.ErrorAs(t, err, &failure)
	require.Equal(t, "network", failure.Type)
	require.True(t, failure.Retryable)
	require.NoError(t, f.module.SendNotice(ctx, keys[0]))
	require.Len(t, f.sender.messages(), 1, "one message, not two")
	require.NotNil(t, f.flag(t, tr.ID).Flag.NotifiedAt)

	// The admin blocked the platform account: not retried, recorded as such.
	f.sender.refuse[admin] = "dm_blocked"
	err = f.module.SendNotice(ctx, keys[1])
	require.ErrorAs(t, err, &failure)
	require.Equal(t, "dm_blocked", failure.Type)
	require.False(t, failure.Retryable)
	require.NoError(t, f.module.FailNotice(ctx, keys[1], failure.Type, err.Error()))
	require.NoError(t, f.module.SendNotice(ctx, keys[1]), "a DM given up on is not tried again")
	notices := f.flag(t, tr.ID).Notices
	require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_SENT, notices[0].Status)
	require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_FAILED, notices[1].Status)
	require.Equal(t, "dm_blocked", notices[1].Category)
	require.Len(t, f.sender.messages(), 1)
}

func TestNotices_OffWithoutAPlatformAccount(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{noSender: true})
	tr := f.track("Hit")
	require.True(t, f.scanned(t, tr, answer(song("A", "B"))).Flagged)
	keys, err := f.module.CopyrightNotices(ctx, tr.ID)
	require.NoError(t, err)
	require.NoError(t, f.module.SendNotice(ctx, keys[0]))
	require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_OFF, f.flag(t, tr.ID).Notices[0].Status)
	require.Nil(t, f.flag(t, tr.ID).Flag.NotifiedAt)
}

func TestTakedown_AndRestore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{config: legal.Config{RepeatInfringerThreshold: 2}})
	first, second := f.track("First"), f.track("Second")
	for _, tr := range []legal.Track{first, second} {
		require.True(t, f.scanned(t, tr, answer(song("A", "B"))).Flagged)
	}
	_, err := f.client.ResolveFlag(as("admin-token"), (&legalv1.ResolveFlagRequest{
		TrackId: first.ID.String(), Decision: legalv1.Decision_DECISION_TAKE_DOWN, Note: "clearly not theirs",
	}))
	require.NoError(t, err)
	state, err := f.module.TakedownState(ctx, first.ID)
	require.NoError(t, err)
	require.True(t, state.Down)
	require.Equal(t, []uuid.UUID{first.ID}, f.workflows.takedowns)
	keys := f.workflows.noticeKeys()
	require.Len(t, keys, 1, "the artist is told; one takedown is not a repeat")
	require.True(t, strings.HasPrefix(keys[0], "takedown/"+first.ID.String()+"/"))
	require.NoError(t, f.module.SendNotice(ctx, keys[0]))
	require.Contains(t, f.sender.messages()[0].text, "Your track “First” was taken down from plyr")
	require.True(t, f.flag(t, first.ID).Flag.TakenDown)

	// The second copyright takedown reaches the threshold: the admin hears of it.
	_, err = f.client.ResolveFlag(as("admin-token"), (&legalv1.ResolveFlagRequest{
		TrackId: second.ID.String(), Decision: legalv1.Decision_DECISION_TAKE_DOWN,
	}))
	require.NoError(t, err)
	keys = f.workflows.noticeKeys()
	require.Len(t, keys, 3)
	require.True(t, strings.HasSuffix(keys[2], "/repeat-infringer"))
	require.NoError(t, f.module.SendNotice(ctx, keys[2]))
	last := f.sender.messages()[len(f.sender.messages())-1]
	require.Equal(t, admin, last.to)
	require.Contains(t, last.text, "@alice.test now has 2 copyright takedowns")

	_, err = f.client.RestoreTrack(as("alice-token"), (&legalv1.RestoreTrackRequest{TrackId: first.ID.String()}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	_, err = f.client.RestoreTrack(as("admin-token"), (&legalv1.RestoreTrackRequest{TrackId: first.ID.String(), Note: "licence shown"}))
	require.NoError(t, err)
	state, err = f.module.TakedownState(ctx, first.ID)
	require.NoError(t, err)
	require.False(t, state.Down)
	_, err = f.client.RestoreTrack(as("admin-token"), (&legalv1.RestoreTrackRequest{TrackId: first.ID.String()}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err))
	events := f.flag(t, first.ID).Events
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []string{"take_down", "taken_down", "restored"}, kinds)
}

func TestReports_TakeDownATrack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Reported")
	res, err := f.client.CreateReport(as("bob-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_TRACK, TargetId: tr.ID.String(), Reason: legalv1.ReportReason_REPORT_REASON_EXPLICIT,
	}))
	require.NoError(t, err)
	album, err := f.client.CreateReport(as("bob-token"), (&legalv1.CreateReportRequest{
		TargetType: legalv1.TargetType_TARGET_TYPE_ALBUM, TargetId: "album-1", Reason: legalv1.ReportReason_REPORT_REASON_SPAM,
	}))
	require.NoError(t, err)
	_, err = f.client.ResolveReport(as("admin-token"), (&legalv1.ResolveReportRequest{
		ReportId: album.ReportId, Decision: legalv1.Decision_DECISION_TAKE_DOWN,
	}))
	require.Equal(t, connect.CodeInvalidArgument, codeOf(err), "only tracks are taken down")
	_, err = f.client.ResolveReport(as("admin-token"), (&legalv1.ResolveReportRequest{
		ReportId: res.ReportId, Decision: legalv1.Decision_DECISION_TAKE_DOWN,
	}))
	require.NoError(t, err)
	state, err := f.module.TakedownState(ctx, tr.ID)
	require.NoError(t, err)
	require.True(t, state.Down)
}

func TestDMCA_CounterNoticeThenRestore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Claimed")
	notice := f.fileNotice(t, tr)
	require.Equal(t, legalv1.DmcaStatus_DMCA_STATUS_TAKEN_DOWN, notice.Status)
	require.Equal(t, []uuid.UUID{uuid.MustParse(notice.Id)}, f.workflows.started)
	state, err := f.module.TakedownState(ctx, tr.ID)
	require.NoError(t, err)
	require.True(t, state.Down)
	keys := f.workflows.noticeKeys()
	require.Len(t, keys, 1)
	require.NoError(t, f.module.SendNotice(ctx, keys[0]))
	text := f.sender.messages()[0].text
	require.Contains(t, text, "after a DMCA notice from Label Inc. about “Big Hit”")
	require.Contains(t, text, "https://plyr.test/dmca/"+notice.Id)

	// The artist sees the notice, without the complainant's contact; nobody else does.
	got, err := f.client.GetDmcaNotice(as("alice-token"), (&legalv1.GetDmcaNoticeRequest{NoticeId: notice.Id}))
	require.NoError(t, err)
	require.Empty(t, got.Notice.ComplainantContact)
	_, err = f.client.GetDmcaNotice(as("bob-token"), (&legalv1.GetDmcaNoticeRequest{NoticeId: notice.Id}))
	require.Equal(t, connect.CodeNotFound, codeOf(err))
	mine, err := f.client.ListMyDmcaNotices(as("alice-token"), (&legalv1.ListMyDmcaNoticesRequest{}))
	require.NoError(t, err)
	require.Len(t, mine.Notices, 1)
	// Only admins restore a DMCA takedown by its notice.
	_, err = f.client.RestoreTrack(as("admin-token"), (&legalv1.RestoreTrackRequest{TrackId: tr.ID.String()}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err))

	counter := &legalv1.FileCounterNoticeRequest{NoticeId: notice.Id, Name: "Alice A.", Contact: "alice@example.com", Statement: "I wrote it."}
	_, err = f.client.FileCounterNotice(as("bob-token"), (counter))
	require.Equal(t, connect.CodeNotFound, codeOf(err))
	countered, err := f.client.FileCounterNotice(as("alice-token"), (counter))
	require.NoError(t, err)
	require.Equal(t, legalv1.DmcaStatus_DMCA_STATUS_COUNTERED, countered.Notice.Status)
	at, due := countered.Notice.CounteredAt.AsTime(), countered.Notice.RestoreDue.AsTime()
	require.GreaterOrEqual(t, due.Sub(at), 14*24*time.Hour, "10 business days are at least two weeks")
	require.Contains(t, f.workflows.signals, notice.Id+":countered")
	_, err = f.client.FileCounterNotice(as("alice-token"), (counter))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err), "once")

	// The wait is over: the workflow closes the notice.
	id := uuid.MustParse(notice.Id)
	closed, err := f.module.CloseDMCA(ctx, id, "restored")
	require.NoError(t, err)
	require.True(t, closed)
	state, err = f.module.TakedownState(ctx, tr.ID)
	require.NoError(t, err)
	require.False(t, state.Down)
	closed, err = f.module.CloseDMCA(ctx, id, "restored")
	require.NoError(t, err)
	require.True(t, closed, "a retried step finds its own work done")
	require.Contains(t, f.workflows.noticeKeys(), "dmca/"+notice.Id+"/restored")
	_, err = f.client.ReportCourtAction(as("admin-token"), (&legalv1.ReportCourtActionRequest{NoticeId: notice.Id}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err))

	record, err := f.client.GetDmcaNotice(as("admin-token"), (&legalv1.GetDmcaNoticeRequest{NoticeId: notice.Id}))
	require.NoError(t, err)
	require.Equal(t, "label@example.com", record.Notice.ComplainantContact)
	var kinds []string
	for _, e := range record.Events {
		kinds = append(kinds, e.Kind+"/"+e.Actor)
	}
	require.Equal(t, []string{"received/" + admin, "countered/" + alice, "restored/plyr"}, kinds)
}

func TestDMCA_CourtActionKeepsTheTrackDown(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Claimed")
	notice := f.fileNotice(t, tr)
	_, err := f.client.ReportCourtAction(as("admin-token"), (&legalv1.ReportCourtActionRequest{NoticeId: notice.Id}))
	require.Equal(t, connect.CodeFailedPrecondition, codeOf(err), "court action answers a counter-notice")
	_, err = f.client.FileCounterNotice(as("alice-token"), (&legalv1.FileCounterNoticeRequest{
		NoticeId: notice.Id, Name: "Alice", Contact: "alice@example.com", Statement: "Mine.",
	}))
	require.NoError(t, err)
	court, err := f.client.ReportCourtAction(as("admin-token"), (&legalv1.ReportCourtActionRequest{NoticeId: notice.Id, Note: "case 123"}))
	require.NoError(t, err)
	require.Equal(t, legalv1.DmcaStatus_DMCA_STATUS_COURT_ACTION, court.Notice.Status)
	require.Contains(t, f.workflows.signals, notice.Id+":court_action")
	// The timer fires anyway: nothing happens.
	closed, err := f.module.CloseDMCA(ctx, uuid.MustParse(notice.Id), "restored")
	require.NoError(t, err)
	require.False(t, closed)
	state, err := f.module.TakedownState(ctx, tr.ID)
	require.NoError(t, err)
	require.True(t, state.Down)
}

func TestDMCA_WithdrawnBringsTheTrackBack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, options{})
	tr := f.track("Claimed")
	notice := f.fileNotice(t, tr)
	_, err := f.client.WithdrawDmcaNotice(as("alice-token"), (&legalv1.WithdrawDmcaNoticeRequest{NoticeId: notice.Id}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	res, err := f.client.WithdrawDmcaNotice(as("admin-token"), (&legalv1.WithdrawDmcaNoticeRequest{NoticeId: notice.Id}))
	require.NoError(t, err)
	require.Equal(t, legalv1.DmcaStatus_DMCA_STATUS_WITHDRAWN, res.Notice.Status)
	state, err := f.module.TakedownState(ctx, tr.ID)
	require.NoError(t, err)
	require.False(t, state.Down)
	// A track back up may be noticed again.
	f.fileNotice(t, tr)
}

func (f *fixture) fileNotice(t *testing.T, tr legal.Track) *legalv1.DmcaNotice {
	t.Helper()
	req := &legalv1.FileDmcaNoticeRequest{
		TrackId: tr.ID.String(), ComplainantName: "Label Inc.", ComplainantContact: "label@example.com",
		Work: "Big Hit", Urls: []string{"https://plyr.test/track/" + tr.ID.String()}, Statement: "Good faith, accurate, authorised.",
	}
	_, err := f.client.FileDmcaNotice(as("alice-token"), (req))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	bad := proto.CloneOf(req)
	bad.Urls = []string{"ftp://nope"}
	_, err = f.client.FileDmcaNotice(as("admin-token"), bad)
	require.Equal(t, connect.CodeInvalidArgument, codeOf(err))
	res, err := f.client.FileDmcaNotice(as("admin-token"), (req))
	require.NoError(t, err)
	return res.Notice
}

func TestSensitiveImages_ArePublicAndCacheable(t *testing.T) {
	f := newFixture(t, options{})
	img := uuid.New()
	_, err := f.client.SetImageSensitive(as("bob-token"), (&legalv1.SetImageSensitiveRequest{ImageId: img.String(), Sensitive: true}))
	require.Equal(t, connect.CodePermissionDenied, codeOf(err))
	_, err = f.client.SetImageSensitive(as("admin-token"), (&legalv1.SetImageSensitiveRequest{ImageId: img.String(), Sensitive: true}))
	require.NoError(t, err)

	get := func() (http.Header, map[string][]string) {
		res, err := http.Get(f.url + "/moderation/sensitive-images")
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out map[string][]string
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.Header, out
	}
	h, body := get()
	require.Equal(t, "public, max-age=60, s-maxage=300", h.Get("Cache-Control"))
	require.Equal(t, []string{img.String()}, body["imageIds"])
	require.Contains(t, body["urls"], "https://plyr.test/images/"+img.String()+"/512.webp")

	_, err = f.client.SetImageSensitive(as("admin-token"), (&legalv1.SetImageSensitiveRequest{ImageId: img.String()}))
	require.NoError(t, err)
	_, body = get()
	require.Empty(t, body["imageIds"])
}

// The callers the fixture's tokens stand for, so the policy's levels are what is tested.
var _ = rpc.Caller{}
