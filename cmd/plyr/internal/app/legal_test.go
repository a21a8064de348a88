package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/internal/auddtest"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/chattest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	legalv1 "github.com/plyrfm/plyr/internal/gen/plyr/legal/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/legal/v1/legalv1connect"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/legal"
	"github.com/plyrfm/plyr/workflows/copyright"
	"github.com/plyrfm/plyr/workflows/dmca"
	"github.com/plyrfm/plyr/workflows/housekeeping"
)

// moderation is a stack with the legal module's outside world: a fake AudD, a platform
// account on the reference PDS, and a fake chat service the PDS proxies its DMs to.
type moderation struct {
	*stack
	net   *devpds.Network
	chat  *chattest.Server
	audd  *auddtest.Server
	legal legalv1connect.LegalServiceClient
	admin string // the admin's token
}

func newModeration(t *testing.T, scans bool) *moderation {
	t.Helper()
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	chat := chattest.New(t, net)
	handle := fmt.Sprintf("plyr-bot%d.test", time.Now().UnixNano()%1_000_000_000)
	bot, err := net.CreateAccount(context.Background(), handle, "bot-pass-123")
	require.NoError(t, err)
	m := &moderation{net: net, chat: chat}
	cfg := config.Legal{
		PlatformHandle: bot.Handle, PlatformPassword: bot.Password, ChatServiceDID: chat.DID,
		ModerationAdminDID: adminDID, CopyrightThresholdPct: 30, RepeatInfringerThreshold: 3, ReportsPerHour: 10,
		NoticeRetryInterval: 100 * time.Millisecond, ScanRetryInterval: 100 * time.Millisecond,
	}
	if scans {
		m.audd = auddtest.New(t, "audd-token")
		cfg.AuddToken, cfg.AuddURL = "audd-token", m.audd.URL()
	}
	m.stack = newStackWith(t, stackOptions{maxUpload: 16 << 20, pds: net, legal: cfg, auddClient: scans})
	m.legal = legalv1connect.NewLegalServiceClient(m.http, m.url, connect.WithProtoJSON())
	m.admin = m.adminToken(t)
	return m
}

// flaggingAnswer is AudD hearing one song in three of four segments.
func flaggingAnswer() auddtest.Answer {
	hit := auddtest.Song{Artist: "Famous Band", Title: "Big Hit", Album: "Hits", ISRC: "USAAA0000001"}
	other := auddtest.Song{Artist: "Someone", Title: "Else"}
	return auddtest.Matches(
		auddtest.Group{Offset: 0, Songs: []auddtest.Song{hit}},
		auddtest.Group{Offset: 12 * time.Second, Songs: []auddtest.Song{hit}},
		auddtest.Group{Offset: 24 * time.Second, Songs: []auddtest.Song{other}},
		auddtest.Group{Offset: 36 * time.Second, Songs: []auddtest.Song{hit}},
	)
}

// upload publishes a track of alice's and returns its id.
func (m *moderation) upload(t *testing.T, title string) string {
	t.Helper()
	code, accepted := m.postUpload(t, m.token, title, "song.mp3", uniqueMP3(audiotest.Make(t, "mp3", 3)))
	require.Equal(t, http.StatusAccepted, code, accepted)
	last := lastMessage(t, m.stack, accepted["uploadId"])
	require.Equal(t, "UPLOAD_STATUS_READY", last.Status.String(), last.Error)
	return accepted["trackId"]
}

// checked waits for the track's copyright check to end.
func (m *moderation) checked(t *testing.T, trackID string) copyright.Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out copyright.Output
	require.NoError(t, m.temporal.GetWorkflow(ctx, copyright.WorkflowID(uuid.MustParse(trackID)), "").Get(ctx, &out))
	return out
}

func (m *moderation) flag(t *testing.T, trackID string) *legalv1.GetFlagResponse {
	t.Helper()
	res, err := m.legal.GetFlag(rpctest.WithToken(context.Background(), m.admin), &legalv1.GetFlagRequest{TrackId: trackID})
	require.NoError(t, err)
	return res
}

// visible says whether an anonymous listener can see the track and hear its audio.
func (m *moderation) visible(t *testing.T, trackID string) (page bool, audio int) {
	t.Helper()
	res, err := m.catalog.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: trackID})
	page = err == nil
	owner, err := m.catalog.GetTrack(rpctest.WithToken(context.Background(), m.token), &catalogv1.GetTrackRequest{Id: trackID})
	require.NoError(t, err, "the artist always sees their track")
	if res != nil {
		require.False(t, res.Track.TakenDown)
	}
	r := m.audio(t, http.MethodGet, owner.Track.FileId, "")
	r.Body.Close()
	return page, r.StatusCode
}

func TestModeration_FlagNoticesAndTakedown(t *testing.T) {
	m := newModeration(t, true)
	m.audd.Default(flaggingAnswer())
	track := m.upload(t, "Suspicious")
	require.Equal(t, copyright.Output{Status: copyright.StatusFlagged}, m.checked(t, track))

	// Both DMs went through the PDS's chat proxy, signed by the platform account.
	toArtist, toAdmin := m.chat.Messages(aliceDID), m.chat.Messages(adminDID)
	require.Len(t, toArtist, 1)
	require.Len(t, toAdmin, 1)
	require.Contains(t, toArtist[0].Text, "“Big Hit” by Famous Band (3 of 4 matched segments)")
	require.Contains(t, toAdmin[0].Text, m.url+"/admin/flags/"+track)
	flag := m.flag(t, track)
	require.Equal(t, legalv1.ScanStatus_SCAN_STATUS_FLAGGED, flag.Flag.Status)
	require.EqualValues(t, 75, flag.Flag.DominantPct)
	require.NotNil(t, flag.Flag.NotifiedAt)
	require.Len(t, m.audd.Requests(), 1)
	require.True(t, m.audd.Requests()[0].AccurateOffsets)

	// Flagged is not taken down: a human decides.
	page, audio := m.visible(t, track)
	require.True(t, page)
	require.Equal(t, http.StatusFound, audio)
	_, err := m.legal.ResolveFlag(rpctest.WithToken(context.Background(), m.token), &legalv1.ResolveFlagRequest{TrackId: track, Decision: legalv1.Decision_DECISION_TAKE_DOWN})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err), "only admins decide")
	_, err = m.legal.ResolveFlag(rpctest.WithToken(context.Background(), m.admin), &legalv1.ResolveFlagRequest{
		TrackId: track, Decision: legalv1.Decision_DECISION_TAKE_DOWN, Note: "not theirs",
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		page, audio := m.visible(t, track)
		return !page && audio == http.StatusUnavailableForLegalReasons
	}, time.Minute, 100*time.Millisecond, "the takedown reaches the track's page and its audio")
	owner, err := m.catalog.GetTrack(rpctest.WithToken(context.Background(), m.token), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err)
	require.True(t, owner.Track.TakenDown)
	reviewed, err := m.catalog.GetTrack(rpctest.WithToken(context.Background(), m.admin), &catalogv1.GetTrackRequest{Id: track})
	require.NoError(t, err, "an admin still sees it, to review and restore it")
	require.True(t, reviewed.Track.TakenDown)
	_, err = m.catalog.GetTrack(rpctest.WithToken(context.Background(), m.account(t, "did:plc:listener", "listener.test")), &catalogv1.GetTrackRequest{Id: track})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err), "a listener does not")
	feed, err := m.catalog.ListTracks(context.Background(), &catalogv1.ListTracksRequest{})
	require.NoError(t, err)
	for _, tr := range feed.Tracks {
		require.NotEqual(t, track, tr.Id, "the feed leaves it out")
	}
	require.Eventually(t, func() bool { return len(m.chat.Messages(aliceDID)) == 2 }, time.Minute, 100*time.Millisecond)
	require.Contains(t, m.chat.Messages(aliceDID)[1].Text, "was taken down from plyr")

	_, err = m.legal.RestoreTrack(rpctest.WithToken(context.Background(), m.admin), &legalv1.RestoreTrackRequest{TrackId: track})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		page, audio := m.visible(t, track)
		return page && audio == http.StatusFound
	}, time.Minute, 100*time.Millisecond)
	require.Eventually(t, func() bool { return len(m.chat.Messages(aliceDID)) == 3 }, time.Minute, 100*time.Millisecond)

	if *updateHistories {
		var notice string
		require.NoError(t, m.infra.DB.QueryRow(context.Background(),
			"SELECT key FROM legal.notices WHERE kind = 'takedown_artist' AND key LIKE $1", "takedown/"+track+"/%").Scan(&notice))
		for file, id := range map[string]string{
			"upload_ready_copyright.json": "upload/" + track,
			"copyright_flagged.json":      "copyright/" + track,
			"takedown_restored.json":      "takedown/" + track,
			"notice_sent.json":            "notice/" + notice,
		} {
			writeHistory(t, m.stack, id, filepath.Join("..", "..", "..", "..", "workflows", "testdata", file))
		}
	}
}

// TestModeration_WorkerKilledBetweenTheDMs: the artist's DM is sent; the chat service
// takes the admin's and never answers; the worker dies. The worker that takes over finds
// the admin's DM already there: each gets exactly one.
func TestModeration_WorkerKilledBetweenTheDMs(t *testing.T) {
	m := newModeration(t, true)
	m.audd.Default(flaggingAnswer())
	m.chat.SetFault(adminDID, chattest.AcceptThenHang)
	track := m.upload(t, "Killed")
	require.Eventually(t, func() bool { return len(m.chat.Messages(adminDID)) == 1 }, time.Minute, 50*time.Millisecond)
	require.Len(t, m.chat.Messages(aliceDID), 1)
	m.restartWorkers(t)
	m.chat.SetFault(adminDID, chattest.NoFault)
	require.Equal(t, copyright.Output{Status: copyright.StatusFlagged}, m.checked(t, track))
	require.Len(t, m.chat.Messages(aliceDID), 1)
	require.Len(t, m.chat.Messages(adminDID), 1)
	for _, n := range m.flag(t, track).Notices {
		require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_SENT, n.Status, n.Kind)
	}
}

// TestModeration_DMFailures: a chat service that is down is retried, then recorded as a
// network failure; a recipient who blocked the platform account is tried once.
func TestModeration_DMFailures(t *testing.T) {
	m := newModeration(t, true)
	m.audd.Default(flaggingAnswer())
	m.chat.SetFault(aliceDID, chattest.Down)
	m.chat.SetFault(adminDID, chattest.Blocked)
	track := m.upload(t, "Unlucky")
	require.Equal(t, copyright.Output{Status: copyright.StatusFlagged}, m.checked(t, track))
	notices := m.flag(t, track).Notices
	require.Len(t, notices, 2)
	require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_FAILED, notices[0].Status)
	require.Equal(t, "network", notices[0].Category)
	require.Equal(t, legalv1.NoticeStatus_NOTICE_STATUS_FAILED, notices[1].Status)
	require.Equal(t, "dm_blocked", notices[1].Category)
	var artistTries, adminTries int
	require.NoError(t, m.infra.DB.QueryRow(context.Background(),
		"SELECT (SELECT attempts FROM legal.notices WHERE key = $1), (SELECT attempts FROM legal.notices WHERE key = $2)",
		"copyright/"+track+"/artist", "copyright/"+track+"/admin").Scan(&artistTries, &adminTries))
	require.Equal(t, 8, artistTries, "retried as far as the policy goes")
	require.Equal(t, 1, adminTries, "a block is not retried")
	require.Nil(t, m.flag(t, track).Flag.NotifiedAt)
	if *updateHistories {
		writeHistory(t, m.stack, "copyright/"+track, filepath.Join("..", "..", "..", "..", "workflows", "testdata", "copyright_dm_failed.json"))
	}
}

// TestModeration_DMCATimerSurvivesRestarts: a countered notice's timer is Temporal's: a
// restart of the workers neither loses it nor starts a second one.
func TestModeration_DMCATimerSurvivesRestarts(t *testing.T) {
	m := newModeration(t, false)
	track := m.upload(t, "Claimed")
	require.Equal(t, copyright.Output{Status: copyright.StatusOff, Reason: "no recogniser is configured"}, m.checked(t, track))
	admin := rpctest.WithToken(context.Background(), m.admin)
	status, err := m.legal.GetModerationStatus(admin, &legalv1.GetModerationStatusRequest{})
	require.NoError(t, err)
	require.False(t, status.ScansEnabled, "the admin view says scans are off")
	require.True(t, status.DmsEnabled)

	filed, err := m.legal.FileDmcaNotice(admin, &legalv1.FileDmcaNoticeRequest{
		TrackId: track, ComplainantName: "Label Inc.", ComplainantContact: "label@example.com", Work: "Big Hit",
		Urls: []string{m.url + "/track/" + track}, Statement: "Good faith; accurate; authorised.",
	})
	require.NoError(t, err)
	notice := uuid.MustParse(filed.Notice.Id)
	require.Eventually(t, func() bool { page, _ := m.visible(t, track); return !page }, time.Minute, 100*time.Millisecond)
	require.Eventually(t, func() bool { return len(m.chat.Messages(aliceDID)) == 1 }, time.Minute, 100*time.Millisecond)
	require.Contains(t, m.chat.Messages(aliceDID)[0].Text, "/dmca/"+filed.Notice.Id)

	countered, err := m.legal.FileCounterNotice(rpctest.WithToken(context.Background(), m.token), &legalv1.FileCounterNoticeRequest{
		NoticeId: filed.Notice.Id, Name: "Alice", Contact: "alice@example.com", Statement: "Removed by mistake; I wrote it.",
	})
	require.NoError(t, err)
	due := countered.Notice.RestoreDue.AsTime()
	state := func() dmca.State {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var st dmca.State
		require.Eventually(t, func() bool {
			v, err := m.temporal.QueryWorkflow(ctx, dmca.WorkflowID(notice), "", dmca.QueryState)
			return err == nil && v.Get(&st) == nil && st.Stage == dmca.StageCountered
		}, 30*time.Second, 100*time.Millisecond)
		return st
	}
	require.True(t, due.Equal(state().RestoreDue))
	m.restartWorkers(t)
	require.True(t, due.Equal(state().RestoreDue), "the same timer after a restart")
	m.restartWorkers(t)
	require.True(t, due.Equal(state().RestoreDue))
	timers := 0
	iter := m.temporal.GetWorkflowHistory(context.Background(), dmca.WorkflowID(notice), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		if e.EventType == enumspb.EVENT_TYPE_TIMER_STARTED {
			timers++
		}
	}
	require.Equal(t, 1, timers, "one durable timer, not lost and not doubled")
	page, _ := m.visible(t, track)
	require.False(t, page, "still down while the timer runs")

	// The complainant withdraws: the workflow ends and the track is back.
	_, err = m.legal.WithdrawDmcaNotice(admin, &legalv1.WithdrawDmcaNoticeRequest{NoticeId: filed.Notice.Id})
	require.NoError(t, err)
	var out dmca.Output
	require.NoError(t, m.temporal.GetWorkflow(context.Background(), dmca.WorkflowID(notice), "").Get(context.Background(), &out))
	require.Equal(t, dmca.StageWithdrawn, out.Status)
	require.Eventually(t, func() bool { page, _ := m.visible(t, track); return page }, time.Minute, 100*time.Millisecond)
	if *updateHistories {
		writeHistory(t, m.stack, dmca.WorkflowID(notice), filepath.Join("..", "..", "..", "..", "workflows", "testdata", "dmca_countered_withdrawn.json"))
	}
}

// TestModeration_LostTakedownStartIsResumed: a takedown committed whose workflow never
// started (the process died in between) is applied by the next housekeeping run, and so
// are a restore and a DM.
func TestModeration_LostTakedownStartIsResumed(t *testing.T) {
	m := newModeration(t, false)
	track := m.upload(t, "Lost start")
	ctx := context.Background()
	_, err := m.infra.DB.Exec(ctx, `INSERT INTO legal.takedowns (id, track_id, artist_did, cause, copyright, taken_by)
		VALUES ($1, $2, $3, 'admin', false, $4)`, uuid.New(), track, aliceDID, adminDID)
	require.NoError(t, err)
	housekeep := func() {
		t.Helper()
		run, err := m.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: housekeeping.ScheduleID + "-test-" + uuid.NewString(), TaskQueue: housekeeping.TaskQueue,
		}, housekeeping.Name, housekeeping.Input{})
		require.NoError(t, err)
		require.NoError(t, run.Get(ctx, nil))
	}
	housekeep()
	require.Eventually(t, func() bool {
		page, audio := m.visible(t, track)
		return !page && audio == http.StatusUnavailableForLegalReasons
	},
		time.Minute, 100*time.Millisecond)

	// A DM recorded two hours ago and never started is sent by the next run.
	_, err = m.infra.DB.Exec(ctx, `INSERT INTO legal.notices (key, recipient_did, kind, body, created_at)
		VALUES ('test/lost/admin', $1, 'report_admin', 'A DM whose start was lost.', now() - interval '2 hours')`, adminDID)
	require.NoError(t, err)
	housekeep()
	require.Eventually(t, func() bool {
		for _, msg := range m.chat.Messages(adminDID) {
			if msg.Text == "A DM whose start was lost." {
				return true
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond)

	_, err = m.infra.DB.Exec(ctx, "UPDATE legal.takedowns SET restored_at = now(), restored_by = $2 WHERE track_id = $1", track, adminDID)
	require.NoError(t, err)
	housekeep()
	require.Eventually(t, func() bool { page, audio := m.visible(t, track); return page && audio == http.StatusFound },
		time.Minute, 100*time.Millisecond)
}

func TestTerms_AVersionToAccept(t *testing.T) {
	s := newStack(t, 1<<20)
	ids := identityv1connect.NewIdentityServiceClient(s.http, s.url, connect.WithProtoJSON())
	ctx := rpctest.WithToken(context.Background(), s.token)
	me, err := ids.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.True(t, me.TermsPending)
	require.Equal(t, legal.TermsVersion(), me.TermsVersion)
	_, err = ids.AcceptTerms(ctx, &identityv1.AcceptTermsRequest{Version: "2020-01-01"})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "terms nobody showed are not accepted")
	_, err = ids.AcceptTerms(ctx, &identityv1.AcceptTermsRequest{Version: me.TermsVersion})
	require.NoError(t, err)
	me, err = ids.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.False(t, me.TermsPending)
	// An acceptance of an older version asks again.
	_, err = s.infra.DB.Exec(context.Background(), "UPDATE identity.preferences SET terms_version = '2020-01-01' WHERE did = $1", aliceDID)
	require.NoError(t, err)
	me, err = ids.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.True(t, me.TermsPending)
}
