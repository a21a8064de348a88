package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/audiotest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/workflows/recordsync"
	"github.com/plyrfm/plyr/workflows/signinsync"
)

const trackCollection = "fm.plyr.track"

// pdsTap sits between plyr and the reference PDS. It counts track record writes, can make
// the PDS unreachable, and can let a track record write reach the PDS and then never
// answer, as if the worker that sent it died right after the PDS committed it. (Other
// records, the profile the sign-in sync writes, pass untouched.)
type pdsTap struct {
	base  http.RoundTripper
	down  atomic.Bool
	puts  atomic.Int32
	stall atomic.Bool
	// stalled is closed when a write has reached the PDS and its answer is being held;
	// release ends the hold (at the end of the test).
	stalled     chan struct{}
	stalledOnce sync.Once
	release     chan struct{}
	// collection is whose writes are counted and stalled (trackCollection by default).
	collection string
}

func newTap() *pdsTap {
	return &pdsTap{stalled: make(chan struct{}), release: make(chan struct{}), collection: trackCollection}
}

func (p *pdsTap) wrap(base http.RoundTripper) http.RoundTripper { p.base = base; return p }

func (p *pdsTap) RoundTrip(r *http.Request) (*http.Response, error) {
	repo := strings.HasPrefix(r.URL.Path, "/xrpc/com.atproto.repo.")
	if repo && p.down.Load() {
		return nil, errors.New("dial tcp: connect: connection refused")
	}
	res, err := p.base.RoundTrip(r)
	if err == nil && r.URL.Path == "/xrpc/com.atproto.repo.putRecord" && res.StatusCode == http.StatusOK && writes(r, p.collection) {
		p.puts.Add(1)
		if p.stall.Load() {
			p.stalledOnce.Do(func() { close(p.stalled) })
			<-p.release // the PDS has the record; plyr never hears of it
		}
	}
	return res, err
}

// writes reports whether a write request's body names collection.
func writes(r *http.Request, collection string) bool {
	if r.GetBody == nil {
		return false
	}
	body, err := r.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	var in struct {
		Collection string `json:"collection"`
	}
	return json.NewDecoder(body).Decode(&in) == nil && in.Collection == collection
}

// newPDSStack is a stack on the reference PDS, with record writes tried for a few
// seconds at most.
func newPDSStack(t *testing.T, tap *pdsTap) (*stack, *devpds.Network) {
	t.Helper()
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	o := stackOptions{maxUpload: 16 << 20, pds: net, records: config.Records{WriteAttempts: 3, WriteTimeout: 3 * time.Second}}
	if tap != nil {
		o.tap = tap.wrap
	}
	return newStackWith(t, o), net
}

// signIn makes an account on the PDS, signs it in to plyr through OAuth and returns it
// with its plyr session token.
func (s *stack) signIn(t testing.TB, net *devpds.Network, name string) (devpds.Account, string) {
	t.Helper()
	handle := fmt.Sprintf("%s%d.test", name, time.Now().UnixNano()%1_000_000_000)
	acct, err := net.CreateAccount(context.Background(), handle, name+"-pass-123")
	require.NoError(t, err)
	return acct, s.signInAs(t, net, acct)
}

// signInAs signs an existing account in to plyr and returns its session token.
func (s *stack) signInAs(t testing.TB, net *devpds.Network, acct devpds.Account) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	handle := acct.Handle

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/auth/start?identifier="+url.QueryEscape(handle), nil)
	req.Header.Set("Sec-Fetch-Site", "none") // typed into the address bar
	res, err := browser.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	callback, err := devpds.NewBrowser(net.Transport(nil)).Authorize(ctx, res.Header.Get("Location"),
		devpds.Credentials{Handle: acct.Handle, Password: acct.Password})
	require.NoError(t, err)
	res, err = browser.Get(callback.String())
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	base, _ := url.Parse(s.url)
	for _, c := range jar.Cookies(base) {
		if c.Name == rpc.SessionCookie {
			return c.Value
		}
	}
	t.Fatal("signed in without a session cookie")
	return ""
}

// uploadTrack uploads a short MP3 as token's account and waits until it is playable.
func (s *stack) uploadTrack(t testing.TB, token, title string) (trackID, fileID string) {
	t.Helper()
	code, accepted := s.postUpload(t, token, title, "song.mp3", uniqueMP3(audiotest.Make(t, "mp3", 3)))
	require.Equal(t, http.StatusAccepted, code, accepted)
	prev := s.token
	s.token = token
	msgs := s.watch(t, accepted["uploadId"])
	s.token = prev
	last := msgs[len(msgs)-1]
	require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, last.Status, last.Error)
	return accepted["trackId"], last.FileId
}

// awaitRecord polls the owner's view of a track until its record reaches state.
func (s *stack) awaitRecord(t *testing.T, token, trackID string, state catalogv1.RecordState) *catalogv1.Track {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := s.catalog.ListMyTracks(rpctest.WithToken(context.Background(), token), &catalogv1.ListMyTracksRequest{})
		require.NoError(t, err)
		for _, tr := range res.Tracks {
			if tr.Id == trackID && tr.Record.GetState() == state {
				return tr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("track %s: record never reached %s: %v", trackID, state, res.Tracks)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pdsRecords lists the account's records of a collection as the PDS has them.
func pdsRecords(t *testing.T, net *devpds.Network, did, collection string) map[string]map[string]any {
	t.Helper()
	c := atclient.NewAPIClient(net.PDSURL)
	c.Client = net.HTTPClient()
	var out struct {
		Records []struct {
			URI   string         `json:"uri"`
			CID   string         `json:"cid"`
			Value map[string]any `json:"value"`
		} `json:"records"`
	}
	err := c.Get(context.Background(), "com.atproto.repo.listRecords",
		map[string]any{"repo": did, "collection": collection, "limit": 100}, &out)
	require.NoError(t, err)
	recs := map[string]map[string]any{}
	for _, r := range out.Records {
		r.Value["_cid"] = r.CID // for the test's comparisons only
		recs[r.URI] = r.Value
	}
	return recs
}

func trackRef(t *testing.T, did string, tr *catalogv1.Track) records.Ref {
	t.Helper()
	uri, err := syntax.ParseATURI(tr.Record.GetUri())
	require.NoError(t, err, "track %s has no record URI", tr.Id)
	return records.Ref{DID: did, Collection: uri.Collection().String(), RKey: uri.RecordKey().String()}
}

// TestRecords_UploadWritesTheTrackRecord: a track uploaded by a signed-in artist becomes
// one fm.plyr.track record on the artist's PDS, field by field what plyr means, valid
// against the lexicon; starting its workflow again, twice at once, leaves that one record.
func TestRecords_UploadWritesTheTrackRecord(t *testing.T) {
	s, net := newPDSStack(t, nil)
	acct, token := s.signIn(t, net, "rita")
	trackID, fileID := s.uploadTrack(t, token, "First light")

	tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	ref := trackRef(t, acct.DID, tr)
	require.Equal(t, trackCollection, ref.Collection)
	require.Equal(t, syntax.NewTIDFromTime(tr.CreatedAt.AsTime(), 0).String()[:11], ref.RKey[:11],
		"the rkey is a TID of the track's creation time")

	recs := pdsRecords(t, net, acct.DID, trackCollection)
	require.Len(t, recs, 1)
	got := recs[tr.Record.Uri]
	require.Equal(t, tr.Record.Cid, got["_cid"])
	delete(got, "_cid")
	require.Equal(t, map[string]any{
		"$type":     trackCollection,
		"title":     "First light",
		"artist":    acct.Handle,
		"audioUrl":  s.url + "/audio/" + fileID,
		"fileType":  "mp3",
		"duration":  float64(3),
		"createdAt": atproto.Datetime(tr.CreatedAt.AsTime()),
	}, got)
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	require.NoError(t, v.Validate(trackCollection, got))
	if *updateHistories {
		writeHistory(t, s, recordsync.WorkflowID(ref), filepath.Join("..", "..", "..", "..", "workflows", "testdata", "recordsync_synced.json"))
	}

	// Two starts at once, then another after the first run ended: one record, unchanged.
	starter := recordsync.NewStarter(s.temporal)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { require.NoError(t, starter.Start(context.Background(), ref)) })
	}
	wg.Wait()
	var out recordsync.Output
	require.NoError(t, s.temporal.GetWorkflow(context.Background(), recordsync.WorkflowID(ref), "").Get(context.Background(), &out))
	require.Equal(t, recordsync.StateSynced, out.State)
	require.NoError(t, starter.Start(context.Background(), ref))
	require.NoError(t, s.temporal.GetWorkflow(context.Background(), recordsync.WorkflowID(ref), "").Get(context.Background(), &out))
	after := pdsRecords(t, net, acct.DID, trackCollection)
	require.Len(t, after, 1)
	require.Equal(t, tr.Record.Cid, after[tr.Record.Uri]["_cid"], "an unchanged record is not rewritten")
}

// TestRecords_WorkerKilledBetweenPDSWriteAndDatabase: the worker dies after the PDS has
// committed the record and before plyr recorded it; another worker finishes the job with
// exactly one record, and the track shows it synced.
func TestRecords_WorkerKilledBetweenPDSWriteAndDatabase(t *testing.T) {
	tap := newTap()
	t.Cleanup(func() { close(tap.release) })
	s, net := newPDSStack(t, tap)
	acct, token := s.signIn(t, net, "kai")
	tap.stall.Store(true)
	trackID, _ := s.uploadTrack(t, token, "Interrupted")

	select {
	case <-tap.stalled:
	case <-time.After(time.Minute):
		t.Fatal("the record was never written")
	}
	require.Len(t, pdsRecords(t, net, acct.DID, trackCollection), 1, "the PDS has the record")
	tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_PENDING)
	require.Empty(t, tr.Record.Uri, "plyr never heard back")

	// The worker process dies; another one starts on the same database and Temporal.
	s.stopWorkers()
	tap.stall.Store(false)
	fresh, err := app.New(s.cfg, s.infra, logging.Discard(), metrics.New())
	require.NoError(t, err)
	stop := s.runWorkers(t, fresh)
	t.Cleanup(stop)

	tr = s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	recs := pdsRecords(t, net, acct.DID, trackCollection)
	require.Len(t, recs, 1)
	require.Contains(t, recs, tr.Record.Uri)
	require.Equal(t, tr.Record.Cid, recs[tr.Record.Uri]["_cid"])
	require.Equal(t, int32(1), tap.puts.Load(), "the second worker found the record already right and did not write it again")
}

// TestRecords_PDSDownThenRestore: a PDS that cannot be reached is retried, then the record
// shows failed: network with the reason for its owner; once the PDS is back, RestoreRecord
// writes it.
func TestRecords_PDSDownThenRestore(t *testing.T) {
	tap := newTap()
	s, net := newPDSStack(t, tap)
	acct, token := s.signIn(t, net, "noor")
	tap.down.Store(true)
	trackID, _ := s.uploadTrack(t, token, "Offline")

	tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_FAILED)
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_NETWORK, tr.Record.Failure)
	require.Contains(t, tr.Record.FailureReason, "connection refused")
	if *updateHistories {
		ref := records.Ref{DID: acct.DID, Collection: trackCollection, RKey: atproto.RecordKey(tr.CreatedAt.AsTime(), uuid.MustParse(trackID))}
		writeHistory(t, s, recordsync.WorkflowID(ref), filepath.Join("..", "..", "..", "..", "workflows", "testdata", "recordsync_failed_network.json"))
	}
	public, err := s.catalog.GetTrack(context.Background(), &catalogv1.GetTrackRequest{Id: trackID})
	require.NoError(t, err)
	require.Empty(t, public.Track.Record.FailureReason, "why it failed is the artist's to know")
	unsynced, err := s.catalog.ListMyTracks(rpctest.WithToken(context.Background(), token), &catalogv1.ListMyTracksRequest{UnsyncedOnly: true})
	require.NoError(t, err)
	require.Len(t, unsynced.Tracks, 1)

	tap.down.Store(false)
	restored, err := s.catalog.RestoreRecord(rpctest.WithToken(context.Background(), token), &catalogv1.RestoreRecordRequest{TrackId: trackID})
	require.NoError(t, err)
	require.Equal(t, catalogv1.RecordState_RECORD_STATE_PENDING, restored.Track.Record.State)
	tr = s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	require.Len(t, pdsRecords(t, net, acct.DID, trackCollection), 1)
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_UNSPECIFIED, tr.Record.Failure)

	// Another artist cannot restore it.
	_, other := s.signIn(t, net, "mallory")
	_, err = s.catalog.RestoreRecord(rpctest.WithToken(context.Background(), other), &catalogv1.RestoreRecordRequest{TrackId: trackID})
	require.Error(t, err)
	require.Contains(t, err.Error(), "permission_denied")
}

// TestRecords_RestoreKeepsFieldsPlyrDoesNotManage: a record that gained an audioBlob (and
// another app's field) on the PDS keeps them when plyr writes the track again.
func TestRecords_RestoreKeepsFieldsPlyrDoesNotManage(t *testing.T) {
	s, net := newPDSStack(t, nil)
	acct, token := s.signIn(t, net, "ines")
	trackID, _ := s.uploadTrack(t, token, "Kept")
	tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	ref := trackRef(t, acct.DID, tr)

	// Another writer (Media II's blob upload, another app) adds fields to the record.
	ctx := context.Background()
	pw, err := atclient.LoginWithPasswordHost(ctx, net.Listen, acct.Handle, acct.Password, "", nil) // where the PDS really listens
	require.NoError(t, err)
	var blob struct {
		Blob map[string]any `json:"blob"`
	}
	upload := atclient.NewAPIRequest(http.MethodPost, "com.atproto.repo.uploadBlob", bytes.NewReader(audiotest.Make(t, "mp3", 1)))
	upload.Headers.Set("Content-Type", "audio/mpeg")
	res, err := pw.Do(ctx, upload)
	require.NoError(t, err)
	require.NoError(t, jsonDecode(res, &blob))
	current := pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri]
	delete(current, "_cid")
	current["audioBlob"] = blob.Blob
	current["x.other"] = "kept"
	current["title"] = "Renamed elsewhere"
	require.NoError(t, pw.Post(ctx, "com.atproto.repo.putRecord",
		map[string]any{"repo": acct.DID, "collection": ref.Collection, "rkey": ref.RKey, "record": current}, nil))

	_, err = s.catalog.RestoreRecord(rpctest.WithToken(ctx, token), &catalogv1.RestoreRecordRequest{TrackId: trackID})
	require.NoError(t, err)
	s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	got := pdsRecords(t, net, acct.DID, trackCollection)[tr.Record.Uri]
	require.Equal(t, "Kept", got["title"], "plyr's fields are plyr's")
	require.Equal(t, blob.Blob["ref"], got["audioBlob"].(map[string]any)["ref"], "the audioBlob stays")
	require.Equal(t, "kept", got["x.other"])
	require.Equal(t, atproto.Datetime(tr.CreatedAt.AsTime()), got["createdAt"])
}

// A track from an operator token's account (no OAuth grant) stays playable; its record
// shows failed: auth with the reason.
func TestRecords_OperatorTokenAccountShowsFailedAuth(t *testing.T) {
	s := newStack(t, 16<<20)
	trackID, _ := s.uploadTrack(t, s.token, "Scripted")
	tr := s.awaitRecord(t, s.token, trackID, catalogv1.RecordState_RECORD_STATE_FAILED)
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_AUTH, tr.Record.Failure)
	require.Contains(t, tr.Record.FailureReason, "sign-in")
	require.Equal(t, catalogv1.TrackStatus_TRACK_STATUS_READY, tr.Status)
}

func jsonDecode(res *http.Response, out any) error {
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// awaitProfile polls the artist until their profile record reaches state.
func (s *stack) awaitProfile(t *testing.T, token, did string, state catalogv1.RecordState) *catalogv1.Artist {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := s.catalog.GetArtist(rpctest.WithToken(context.Background(), token),
			&catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Did{Did: did}})
		if err == nil && res.Artist.ProfileRecord.GetState() == state {
			return res.Artist
		}
		if time.Now().After(deadline) {
			t.Fatalf("artist %s: profile record never reached %s (%v, %v)", did, state, res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRecords_SignInWritesTheProfile: signing in makes the account an artist and writes
// its fm.plyr.actor.profile record; a new bio rewrites it; signing in again with nothing
// changed does not.
func TestRecords_SignInWritesTheProfile(t *testing.T) {
	const profiles = "fm.plyr.actor.profile"
	s, net := newPDSStack(t, nil)
	acct, token := s.signIn(t, net, "bea")

	artist := s.awaitProfile(t, token, acct.DID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	require.Equal(t, acct.Handle, artist.Handle)
	if *updateHistories {
		require.NoError(t, s.temporal.GetWorkflow(context.Background(), signinsync.WorkflowID(acct.DID), "").Get(context.Background(), nil))
		writeHistory(t, s, signinsync.WorkflowID(acct.DID), filepath.Join("..", "..", "..", "..", "workflows", "testdata", "signinsync_run.json"))
	}
	require.Equal(t, acct.Handle, artist.DisplayName, "no Bluesky display name: the handle")
	byHandle, err := s.catalog.GetArtist(context.Background(),
		&catalogv1.GetArtistRequest{Artist: &catalogv1.GetArtistRequest_Handle{Handle: acct.Handle}})
	require.NoError(t, err)
	require.Equal(t, acct.DID, byHandle.Artist.Did)

	recs := pdsRecords(t, net, acct.DID, profiles)
	require.Len(t, recs, 1)
	first := recs["at://"+acct.DID+"/"+profiles+"/self"]
	require.NotNil(t, first)
	require.Equal(t, artist.ProfileRecord.Cid, first["_cid"])
	require.Equal(t, atproto.Datetime(artist.CreatedAt.AsTime()), first["createdAt"])
	require.NotContains(t, first, "bio")

	bio := "new EP out now at https://bea.example/ep 🎧"
	updated, err := s.catalog.UpdateMyProfile(rpctest.WithToken(context.Background(), token),
		&catalogv1.UpdateMyProfileRequest{Bio: &bio})
	require.NoError(t, err)
	require.Len(t, updated.Artist.BioLinks, 1)
	require.Equal(t, "https://bea.example/ep", bio[updated.Artist.BioLinks[0].ByteStart:updated.Artist.BioLinks[0].ByteEnd])
	artist = s.awaitProfile(t, token, acct.DID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	second := pdsRecords(t, net, acct.DID, profiles)["at://"+acct.DID+"/"+profiles+"/self"]
	require.Equal(t, bio, second["bio"])
	require.Equal(t, first["createdAt"], second["createdAt"], "createdAt stays")
	require.Contains(t, second, "updatedAt")
	delete(second, "_cid")
	v, err := lexicons.NewValidator(lexicons.DefaultNamespace)
	require.NoError(t, err)
	require.NoError(t, v.Validate(profiles, second))

	// Signing in again changes nothing on the PDS.
	before := artist.ProfileRecord.Cid
	s.signInAs(t, net, acct)
	require.NoError(t, s.temporal.GetWorkflow(context.Background(), signinsync.WorkflowID(acct.DID), "").Get(context.Background(), nil))
	artist = s.awaitProfile(t, token, acct.DID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	require.Equal(t, before, artist.ProfileRecord.Cid)
	require.Equal(t, before, pdsRecords(t, net, acct.DID, profiles)["at://"+acct.DID+"/"+profiles+"/self"]["_cid"])
}

// TestRecords_DeleteGoesRecordFirst: deleting a track removes its record from the PDS
// first; a PDS that cannot be reached deletes nothing and the track comes back showing
// why; once the PDS is back, deleting removes the record, the audio and the track.
func TestRecords_DeleteGoesRecordFirst(t *testing.T) {
	tap := newTap()
	s, net := newPDSStack(t, tap)
	acct, token := s.signIn(t, net, "dee")
	trackID, fileID := s.uploadTrack(t, token, "Short-lived")
	s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_SYNCED)
	ctx := rpctest.WithToken(context.Background(), token)

	// Another artist may not delete it.
	_, other := s.signIn(t, net, "eve")
	_, err := s.catalog.DeleteTrack(rpctest.WithToken(context.Background(), other), &catalogv1.DeleteTrackRequest{Id: trackID})
	require.Error(t, err)
	require.Contains(t, err.Error(), "permission_denied")

	// The PDS is down: nothing is deleted, the track comes back with the reason.
	tap.down.Store(true)
	_, err = s.catalog.DeleteTrack(ctx, &catalogv1.DeleteTrackRequest{Id: trackID})
	require.NoError(t, err)
	tr := s.awaitRecord(t, token, trackID, catalogv1.RecordState_RECORD_STATE_FAILED)
	require.Equal(t, catalogv1.RecordFailure_RECORD_FAILURE_NETWORK, tr.Record.Failure)
	require.Len(t, pdsRecords(t, net, acct.DID, trackCollection), 1)
	res, _ := s.get(t, s.url+"/audio/"+fileID, "bytes=0-9")
	require.Equal(t, http.StatusPartialContent, res.StatusCode, "the audio stays")

	// Back up: the record goes, then the audio and the track.
	tap.down.Store(false)
	_, err = s.catalog.DeleteTrack(ctx, &catalogv1.DeleteTrackRequest{Id: trackID})
	require.NoError(t, err)
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, err := s.catalog.GetTrack(ctx, &catalogv1.GetTrackRequest{Id: trackID})
		head, _ := s.get(t, s.url+"/audio/"+fileID, "bytes=0-9")
		if err != nil && head.StatusCode == http.StatusNotFound {
			require.Contains(t, err.Error(), "not_found")
			break
		}
		require.True(t, time.Now().Before(deadline), "the track was never deleted")
		time.Sleep(100 * time.Millisecond)
	}
	require.Empty(t, pdsRecords(t, net, acct.DID, trackCollection))
}
