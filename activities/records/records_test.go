package records

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/plyrfm/plyr/lexicons"
)

const (
	did   = "did:plc:artistaaaaaaaaaaaaaaaaaa"
	track = "fm.plyr.track"
	rkey  = "3lbkzq2mv2c2a"

	get = "com.atproto.repo.getRecord"
	put = "com.atproto.repo.putRecord"
	del = "com.atproto.repo.deleteRecord"
)

var ref = Ref{DID: did, Collection: track, RKey: rkey}

// reply is a canned XRPC answer; stored, a record on the fake.
type (
	reply struct {
		status int
		body   string
	}
	stored struct {
		cid   string
		value map[string]any
	}
)

// fakePDS answers com.atproto.repo.{getRecord,putRecord,deleteRecord} as a PDS does.
type fakePDS struct {
	mu       sync.Mutex
	records  map[string]stored // by collection/rkey
	calls    []string          // endpoint NSIDs, in order
	puts     []map[string]any  // putRecord bodies
	deletes  []map[string]any  // deleteRecord bodies
	override map[string]reply  // endpoint → canned answer instead of the real one
	afterGet func()            // runs after a getRecord is answered (another writer)
}

func newFakePDS(t *testing.T) (*fakePDS, *httptest.Server) {
	f := &fakePDS{records: map[string]stored{}, override: map[string]reply{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func fakeCID(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprintf("bafyrei%x", sha256.Sum256(b))[:59]
}

// put stores value as if written earlier, returning its CID.
func (f *fakePDS) put(value map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	cid := fakeCID(value)
	f.records[track+"/"+rkey] = stored{cid: cid, value: value}
	return cid
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakePDS) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if r.Method == http.MethodPost && json.NewDecoder(r.Body).Decode(&body) != nil {
		writeJSON(w, 400, `{"error":"InvalidRequest","message":"expected a JSON body"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	f.calls = append(f.calls, nsid)
	if nsid == put {
		f.puts = append(f.puts, body)
	}
	if c, ok := f.override[nsid]; ok {
		writeJSON(w, c.status, c.body)
		return
	}
	switch {
	case nsid == get && r.Method == http.MethodGet:
		q := r.URL.Query()
		key := q.Get("collection") + "/" + q.Get("rkey")
		rec, ok := f.records[key]
		if !ok || q.Get("repo") != did {
			writeJSON(w, 400, `{"error":"RecordNotFound","message":"Could not locate record: at://`+q.Get("repo")+`/`+key+`"}`)
			return
		}
		out, _ := json.Marshal(map[string]any{"uri": "at://" + did + "/" + key, "cid": rec.cid, "value": rec.value})
		writeJSON(w, 200, string(out))
		if f.afterGet != nil {
			f.afterGet()
		}
	case nsid == put && r.Method == http.MethodPost:
		key := fmt.Sprint(body["collection"]) + "/" + fmt.Sprint(body["rkey"])
		if swap, ok := body["swapRecord"].(string); ok && swap != f.records[key].cid {
			writeJSON(w, 400, `{"error":"InvalidSwap","message":"Record was at `+f.records[key].cid+`"}`)
			return
		}
		rec, _ := body["record"].(map[string]any)
		f.records[key] = stored{cid: fakeCID(rec), value: rec}
		writeJSON(w, 200, `{"uri":"at://`+fmt.Sprint(body["repo"])+"/"+key+`","cid":"`+fakeCID(rec)+`"}`)
	case nsid == del && r.Method == http.MethodPost:
		f.deletes = append(f.deletes, body)
		delete(f.records, fmt.Sprint(body["collection"])+"/"+fmt.Sprint(body["rkey"]))
		writeJSON(w, 200, `{}`)
	default:
		writeJSON(w, 501, `{"error":"MethodNotImplemented","message":"`+nsid+`"}`)
	}
}

type pdsFunc func(ctx context.Context, did string) (*atclient.APIClient, error)

func (p pdsFunc) ForDID(ctx context.Context, did string) (*atclient.APIClient, error) {
	return p(ctx, did)
}

func clientAt(url string) PDS {
	return pdsFunc(func(context.Context, string) (*atclient.APIClient, error) { return atclient.NewAPIClient(url), nil })
}

// fakeSource wants what it is told and records what it is asked and settles.
type fakeSource struct {
	want    Wanted
	err     error
	asked   []Ref
	settled []Outcome
	newer   bool
}

func (s *fakeSource) Wanted(_ context.Context, r Ref) (Wanted, error) {
	s.asked = append(s.asked, r)
	return s.want, s.err
}

func (s *fakeSource) Settle(_ context.Context, r Ref, o Outcome) (bool, error) {
	s.asked = append(s.asked, r)
	s.settled = append(s.settled, o)
	return s.newer, nil
}

func fields() map[string]any {
	return map[string]any{
		"title": "Song", "artist": "Alice", "audioUrl": "https://plyr.example/audio/x",
		"fileType": "mp3", "duration": 200, "createdAt": "2026-11-25T10:00:00.000Z",
	}
}

func blob() map[string]any {
	return map[string]any{
		"$type": "blob", "mimeType": "audio/mpeg", "size": 1234,
		"ref": map[string]any{"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"},
	}
}

// setOver is a Build that sets plyr's fields over a copy of current, recording current.
func setOver(set map[string]any, seen *[]map[string]any) func(map[string]any) (map[string]any, error) {
	return func(current map[string]any) (map[string]any, error) {
		*seen = append(*seen, current)
		out := maps.Clone(current)
		if out == nil {
			out = map[string]any{}
		}
		maps.Copy(out, set)
		return out, nil
	}
}

func setup(t *testing.T, src *fakeSource) (*Activities, *fakePDS, *httptest.Server) {
	f, srv := newFakePDS(t)
	v, err := lexicons.NewValidator("fm.plyr")
	require.NoError(t, err)
	return &Activities{Sources: map[string]Source{track: src}, PDS: clientAt(srv.URL), Validator: v}, f, srv
}

func TestWriteRecord_New(t *testing.T) {
	var seen []map[string]any
	src := &fakeSource{want: Wanted{Revision: 7, Build: setOver(fields(), &seen)}}
	a, f, _ := setup(t, src)

	w, err := a.WriteRecord(context.Background(), ref)
	require.NoError(t, err)
	require.Equal(t, []map[string]any{nil}, seen, "Build sees no current record")
	require.Len(t, f.puts, 1)
	body := f.puts[0]
	require.Contains(t, body, "swapRecord")
	require.Nil(t, body["swapRecord"], "a new record is put with swapRecord null: only if there is none")
	require.Equal(t, []any{did, track, rkey}, []any{body["repo"], body["collection"], body["rkey"]})
	want := fields()
	want["$type"], want["duration"] = track, float64(200) // as JSON sent it
	require.Equal(t, want, body["record"])
	require.True(t, sameJSON(want, w.Record), "Written carries the record as written: %v", w.Record)
	w.Record = nil
	require.Equal(t, Written{Revision: 7, URI: ref.URI(), CID: f.records[track+"/"+rkey].cid}, w)
	require.True(t, strings.HasPrefix(w.CID, "bafyrei"))
}

func TestWriteRecord_UpdateKeepsFields(t *testing.T) {
	var seen []map[string]any
	src := &fakeSource{want: Wanted{Revision: 8, Build: setOver(map[string]any{"title": "New title"}, &seen)}}
	a, f, _ := setup(t, src)
	old := fields()
	old["$type"], old["audioBlob"] = track, blob()
	oldCID := f.put(old)

	w, err := a.WriteRecord(context.Background(), ref)
	require.NoError(t, err)
	require.Len(t, seen, 1)
	require.True(t, sameJSON(old, seen[0]), "Build gets the record on the PDS: %v", seen[0])
	require.Len(t, f.puts, 1)
	require.Equal(t, oldCID, f.puts[0]["swapRecord"])
	rec := f.puts[0]["record"].(map[string]any)
	require.Equal(t, "New title", rec["title"])
	require.Equal(t, "Alice", rec["artist"])
	require.True(t, sameJSON(blob(), rec["audioBlob"].(map[string]any)), "audioBlob carried over: %v", rec["audioBlob"])
	require.NotEqual(t, oldCID, w.CID)
	require.True(t, sameJSON(rec, w.Record))
	w.Record = nil
	require.Equal(t, Written{Revision: 8, URI: ref.URI(), CID: f.records[track+"/"+rkey].cid}, w)
}

func TestWriteRecord_Unchanged(t *testing.T) {
	a, f, _ := setup(t, &fakeSource{want: Wanted{Revision: 9, Build: func(map[string]any) (map[string]any, error) {
		r := fields() // ints here, float64s in what the PDS returned
		r["audioBlob"] = blob()
		return r, nil
	}}})
	old := fields()
	old["$type"], old["audioBlob"] = track, blob()
	cid := f.put(old)

	w, err := a.WriteRecord(context.Background(), ref)
	require.NoError(t, err)
	require.True(t, sameJSON(old, w.Record), "an unchanged record is reported as the PDS has it")
	w.Record = nil
	require.Equal(t, Written{Revision: 9, URI: ref.URI(), CID: cid, Unchanged: true}, w)
	require.Equal(t, []string{get}, f.calls)
}

func TestWriteRecord_Absent(t *testing.T) {
	for name, notFound := range map[string]bool{"deleted": false, "already gone": true} {
		t.Run(name, func(t *testing.T) {
			a, f, _ := setup(t, &fakeSource{want: Wanted{Revision: 3, Absent: true}})
			f.put(fields())
			if notFound {
				f.override[del] = reply{400, `{"error":"RecordNotFound","message":"Could not locate record"}`}
			}
			w, err := a.WriteRecord(context.Background(), ref)
			require.NoError(t, err)
			require.Equal(t, Written{Revision: 3, Absent: true}, w)
			require.Equal(t, []string{del}, f.calls)
			if !notFound {
				require.Equal(t, map[string]any{"repo": did, "collection": track, "rkey": rkey}, f.deletes[0])
				require.Empty(t, f.records)
			}
		})
	}
}

func TestWriteRecord_Untracked(t *testing.T) {
	src := &fakeSource{err: fmt.Errorf("track %s: %w", rkey, ErrNotTracked)}
	a, f, _ := setup(t, src)
	w, err := a.WriteRecord(context.Background(), ref)
	require.NoError(t, err)
	require.Equal(t, Written{Untracked: true}, w)
	require.Equal(t, []Ref{ref}, src.asked)
	require.Empty(t, f.calls)
}

func TestWriteRecord_Invalid(t *testing.T) {
	a, f, _ := setup(t, &fakeSource{want: Wanted{Revision: 1, Build: func(map[string]any) (map[string]any, error) {
		r := fields()
		delete(r, "title")
		return r, nil
	}}})
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a.WriteRecord)
	_, err := env.ExecuteActivity(a.WriteRecord, ref)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, ErrorTypeInvalid, appErr.Type())
	require.True(t, appErr.NonRetryable())
	require.Contains(t, appErr.Error(), ErrInvalidRecord.Error())
	require.Equal(t, FailureRejected, FailureOf(err))
	require.Equal(t, []string{get}, f.calls)
}

func TestWriteRecord_Failures(t *testing.T) {
	require.Equal(t, FailureNetwork, FailureOf(errors.New("a step that timed out")))
	for _, c := range []struct {
		name      string
		prepare   func(a *Activities, f *fakePDS, srv *httptest.Server)
		typ       string
		retryable bool
		failure   Failure
	}{
		{"put 500", canned(put, 500, `{"error":"InternalServerError","message":"boom"}`), "network", true, FailureNetwork},
		{"get 502 no body", canned(get, 502, `<html>bad gateway</html>`), "network", true, FailureNetwork},
		{"put 429", canned(put, 429, `{"error":"RateLimitExceeded","message":"slow down"}`), "network", true, FailureNetwork},
		{"put 400 InvalidSwap", canned(put, 400, `{"error":"InvalidSwap","message":"Record was at bafyreiother"}`), "conflict", true, FailureNetwork},
		{"swap race", func(_ *Activities, f *fakePDS, _ *httptest.Server) {
			f.put(fields())
			f.afterGet = func() { f.records[track+"/"+rkey] = stored{cid: fakeCID("theirs"), value: fields()} }
		}, "conflict", true, FailureNetwork},
		{"put 403 scope", canned(put, 403, `{"error":"ScopeMissingError","message":"Missing required scope \"repo:fm.plyr.track\""}`), "scope", false, FailureScope},
		{"put 401", canned(put, 401, `{"error":"InvalidToken","message":"token revoked"}`), "auth", false, FailureAuth},
		{"get 401", canned(get, 401, `{"error":"AuthMissing"}`), "auth", false, FailureAuth},
		{"put 400 InvalidRecord", canned(put, 400, `{"error":"InvalidRecord","message":"Record/title must not be empty"}`), "rejected", false, FailureRejected},
		{"no access", func(a *Activities, _ *fakePDS, _ *httptest.Server) {
			a.PDS = pdsFunc(func(context.Context, string) (*atclient.APIClient, error) {
				return nil, fmt.Errorf("%w: x", ErrNoAccess)
			})
		}, "auth", false, FailureAuth},
		{"connection refused", func(_ *Activities, _ *fakePDS, srv *httptest.Server) { srv.Close() }, "network", true, FailureNetwork},
	} {
		t.Run(c.name, func(t *testing.T) {
			var seen []map[string]any
			a, f, srv := setup(t, &fakeSource{want: Wanted{Revision: 4, Build: setOver(fields(), &seen)}})
			c.prepare(a, f, srv)
			w, err := a.WriteRecord(context.Background(), ref)
			require.Error(t, err)
			require.Equal(t, Written{}, w)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.Equal(t, c.typ, appErr.Type())
			require.Equal(t, !c.retryable, appErr.NonRetryable())
			require.Equal(t, c.failure, FailureOf(err))
		})
	}
}

func canned(nsid string, status int, body string) func(*Activities, *fakePDS, *httptest.Server) {
	return func(_ *Activities, f *fakePDS, _ *httptest.Server) { f.override[nsid] = reply{status, body} }
}

func TestMarkRecord(t *testing.T) {
	tracks, lists := &fakeSource{newer: true}, &fakeSource{}
	a := &Activities{Sources: map[string]Source{track: tracks, "fm.plyr.list": lists}}
	o := Outcome{Revision: 5, URI: ref.URI(), CID: "bafyreiabc"}

	newer, err := a.MarkRecord(context.Background(), ref, o)
	require.NoError(t, err)
	require.True(t, newer)
	require.Equal(t, []Outcome{o}, tracks.settled)
	require.Equal(t, []Ref{ref}, tracks.asked)
	require.Empty(t, lists.asked)

	failed := Outcome{Failure: FailureScope, Reason: "no scope"}
	list := Ref{DID: did, Collection: "fm.plyr.list", RKey: rkey}
	newer, err = a.MarkRecord(context.Background(), list, failed)
	require.NoError(t, err)
	require.False(t, newer)
	require.Equal(t, []Outcome{failed}, lists.settled)
	require.Equal(t, []Ref{list}, lists.asked)

	_, err = a.MarkRecord(context.Background(), Ref{DID: did, Collection: "fm.plyr.nope", RKey: rkey}, o)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, ErrorTypeInvalid, appErr.Type())
	require.Len(t, tracks.settled, 1)
	require.Len(t, lists.settled, 1)
}

func TestSameJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b map[string]any
		same bool
	}{
		{"int vs float64", map[string]any{"n": 200, "m": map[string]any{"k": int64(3)}}, map[string]any{"n": 200.0, "m": map[string]any{"k": 3.0}}, true},
		{"equal nested", map[string]any{"b": blob()}, map[string]any{"b": blob()}, true},
		{"different nested", map[string]any{"m": map[string]any{"k": "a"}}, map[string]any{"m": map[string]any{"k": "b"}}, false},
		{"extra key", map[string]any{"a": 1}, map[string]any{"a": 1, "b": 2}, false},
		{"different numbers", map[string]any{"n": 200}, map[string]any{"n": 201}, false},
		{"unencodable", map[string]any{"f": func() {}}, map[string]any{"f": func() {}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.same, sameJSON(c.a, c.b))
			require.Equal(t, c.same, sameJSON(c.b, c.a))
		})
	}
}
