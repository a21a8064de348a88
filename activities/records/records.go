// Package records holds the workflow steps that put plyr's records on users' PDSes:
// WriteRecord makes one record on its PDS what plyr wants it to be (written, updated or
// deleted), and MarkRecord tells the module that owns the record how that went. Both run
// on TaskQueue; the recordsync workflow (workflows/recordsync) drives them.
//
// What a record should be comes from its Source, the module that owns it, at the moment
// of writing, never from the workflow's input: a record changed three times while its PDS
// was down is written once, as it is now. A Source's Wanted carries a revision, and
// MarkRecord reports whether a newer one arrived while the write was under way.
//
// # Idempotence
//
// A record's key is fixed by its entity (a TID of the entity's creation time), so a write
// is a putRecord on that key: repeating it after a crash, a retry or a duplicate start
// leaves the same single record. An update reads the record first and writes with
// swapRecord, so nothing another writer put there in between is overwritten unseen, and
// the Source builds the new record over the current one: fields plyr does not manage
// (an audioBlob, another app's additions) are carried over, never dropped.
//
// # Failures
//
// An error names its category (Failure) as its ApplicationError type. Network trouble
// (unreachable, 5xx, 429, timeouts) is retried by the workflow's policy; auth (no live
// grant for the account), scope (the grant does not cover the collection) and rejected
// (the PDS refused the record) are not, since repeating cannot help. A record that fails
// its lexicon is a bug in plyr: ErrInvalidRecord, never sent.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// TaskQueue is where the record steps run.
const TaskQueue = taskqueue.Main

// Activity names, as registered and as the workflow schedules them.
const (
	WriteRecordName = "WriteRecord"
	MarkRecordName  = "MarkRecord"
)

// Ref names one record: at://DID/Collection/RKey.
type Ref struct {
	DID        string
	Collection string
	RKey       string
}

// URI is the record's at:// URI.
func (r Ref) URI() string { return "at://" + r.DID + "/" + r.Collection + "/" + r.RKey }

// Failure is why a record could not be written; it is the ApplicationError type of the
// steps' errors and what the owner sees next to the record.
type Failure string

// The failure categories.
const (
	// FailureNetwork: the PDS could not be reached or answered with a server error.
	FailureNetwork Failure = "network"
	// FailureAuth: plyr holds no live grant for the account (an operator token's account,
	// a sign-in that lapsed or was revoked); the owner has to sign in again.
	FailureAuth Failure = "auth"
	// FailureScope: the account's grant does not cover the record's collection.
	FailureScope Failure = "scope"
	// FailureRejected: the PDS refused the record, or plyr built one its lexicon refuses.
	FailureRejected Failure = "rejected"
)

// ErrorTypeInvalid is the ApplicationError type of a record plyr built that its lexicon
// refuses: a bug, recorded as FailureRejected and failing the workflow loudly.
const ErrorTypeInvalid = "invalid_record"

// errorTypeConflict is the ApplicationError type of a write that lost a swap race: retried,
// it reads the record again.
const errorTypeConflict = "conflict"

// ErrNoAccess is what a PDS returns (wrapped) when plyr holds no live grant for the
// account: an account signed in only with an operator token, or whose sign-in lapsed.
var ErrNoAccess = errors.New("plyr holds no live sign-in for this account")

// ErrNotTracked is what a Source returns (wrapped) for a record it does not know: the
// entity is gone, and there is nothing to write.
var ErrNotTracked = errors.New("record not tracked")

// ErrInvalidRecord marks a record that fails its lexicon.
var ErrInvalidRecord = errors.New("record fails its lexicon")

// Wanted is what a record should be now.
type Wanted struct {
	// Revision identifies this state of the record; MarkRecord reports it.
	Revision int64
	// Absent means the record should not exist: it is deleted.
	Absent bool
	// Build returns the record to write given the record on the PDS now (nil if there is
	// none): plyr's fields set over current, every other field of current kept as it is.
	// It must not do I/O.
	Build func(current map[string]any) (map[string]any, error)
}

// Outcome is what WriteRecord did, as MarkRecord reports it to the Source.
type Outcome struct {
	// Revision is the revision written; 0 on a failure, which is the record's state as
	// it is now (a change made since has signalled the workflow, which writes again).
	Revision int64
	// Absent: the record is deleted (or was never there).
	Absent bool
	URI    string
	CID    string
	// Failure and Reason say why the record could not be written (failure outcomes only).
	Failure Failure
	Reason  string
	// Record is the record as it now is on the PDS (written, or found already right); nil
	// when absent or failed. A Source may index what it needs of it (a list's order).
	Record map[string]any `json:",omitempty"`
}

// Source is the module that owns a collection's records.
type Source interface {
	// Wanted returns what the record should be now; ErrNotTracked for a record it does
	// not know.
	Wanted(ctx context.Context, ref Ref) (Wanted, error)
	// Settle records an outcome of revision o.Revision: synced (written or deleted) when
	// o.Failure is empty, failed otherwise. It reports whether a newer revision waits to
	// be written. A Source must ignore an outcome older than what it already knows.
	Settle(ctx context.Context, ref Ref, o Outcome) (newer bool, err error)
}

// PDS hands out API clients acting on an account's repository.
type PDS interface {
	// ForDID returns a client for did's PDS; an error wrapping ErrNoAccess when plyr
	// holds no live grant for the account.
	ForDID(ctx context.Context, did string) (*atclient.APIClient, error)
}

// Validator checks a record against its collection's lexicon.
type Validator interface {
	Validate(collection string, record map[string]any) error
}

// Activities are the record steps.
type Activities struct {
	// Sources owns each collection plyr writes, by NSID.
	Sources   map[string]Source
	PDS       PDS
	Validator Validator
}

// Register adds the steps to the worker of TaskQueue; workers maps a task queue to its
// worker.
func (a *Activities) Register(workers map[string]worker.ActivityRegistry) {
	w, ok := workers[TaskQueue]
	if !ok {
		panic(fmt.Sprintf("records activities: no worker for task queue %q", TaskQueue))
	}
	w.RegisterActivityWithOptions(a.WriteRecord, activity.RegisterOptions{Name: WriteRecordName})
	w.RegisterActivityWithOptions(a.MarkRecord, activity.RegisterOptions{Name: MarkRecordName})
}

// Written is what WriteRecord did.
type Written struct {
	Revision int64
	// Untracked: the Source no longer knows the record; nothing was done.
	Untracked bool
	Absent    bool
	URI       string
	CID       string
	// Unchanged: the record on the PDS already was what plyr wants; nothing was sent.
	Unchanged bool
	// Record is the record as it now is on the PDS.
	Record map[string]any `json:",omitempty"`
}

// WriteRecord makes the record on its PDS what its Source wants now. No database
// connection is held while it talks to the PDS: the Source answers first, then the PDS.
func (a *Activities) WriteRecord(ctx context.Context, ref Ref) (Written, error) {
	src, ok := a.Sources[ref.Collection]
	if !ok {
		return Written{}, temporal.NewNonRetryableApplicationError("no source for collection "+ref.Collection, ErrorTypeInvalid, nil)
	}
	want, err := src.Wanted(ctx, ref)
	if errors.Is(err, ErrNotTracked) {
		return Written{Untracked: true}, nil
	}
	if err != nil {
		return Written{}, fmt.Errorf("what %s should be: %w", ref.URI(), err)
	}
	client, err := a.PDS.ForDID(ctx, ref.DID)
	if err != nil {
		return Written{}, classify("reach the PDS", err)
	}
	if want.Absent {
		return a.delete(ctx, client, ref, want.Revision)
	}

	current, currentCID, err := getRecord(ctx, client, ref)
	if err != nil {
		return Written{}, classify("read the record", err)
	}
	record, err := want.Build(maps.Clone(current)) // a Build that edits its argument must not fool the comparison below
	if err != nil {
		return Written{}, temporal.NewNonRetryableApplicationError("build "+ref.URI()+": "+err.Error(), ErrorTypeInvalid, err)
	}
	record["$type"] = ref.Collection
	if err := a.Validator.Validate(ref.Collection, record); err != nil {
		err = fmt.Errorf("%w: %w", ErrInvalidRecord, err)
		activity.GetLogger(ctx).Error("plyr built a record its lexicon refuses; not sent", "uri", ref.URI(), "error", err)
		return Written{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeInvalid, err)
	}
	if current != nil && sameJSON(current, record) {
		return Written{Revision: want.Revision, URI: ref.URI(), CID: currentCID, Unchanged: true, Record: current}, nil
	}

	// swapRecord is the CID read, or null for "no record yet": someone else's write in
	// between fails the put, which is retried and reads again.
	body := map[string]any{"repo": ref.DID, "collection": ref.Collection, "rkey": ref.RKey, "record": record, "swapRecord": nil}
	if current != nil {
		body["swapRecord"] = currentCID
	}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	if err := client.Post(ctx, "com.atproto.repo.putRecord", body, &out); err != nil {
		return Written{}, classify("write the record", err)
	}
	return Written{Revision: want.Revision, URI: out.URI, CID: out.CID, Record: record}, nil
}

func (a *Activities) delete(ctx context.Context, client *atclient.APIClient, ref Ref, revision int64) (Written, error) {
	body := map[string]any{"repo": ref.DID, "collection": ref.Collection, "rkey": ref.RKey}
	if err := client.Post(ctx, "com.atproto.repo.deleteRecord", body, nil); err != nil && !isNotFound(err) {
		return Written{}, classify("delete the record", err)
	}
	return Written{Revision: revision, Absent: true}, nil
}

// MarkRecord hands an outcome to the record's Source and reports whether a newer revision
// waits.
func (a *Activities) MarkRecord(ctx context.Context, ref Ref, o Outcome) (bool, error) {
	src, ok := a.Sources[ref.Collection]
	if !ok {
		return false, temporal.NewNonRetryableApplicationError("no source for collection "+ref.Collection, ErrorTypeInvalid, nil)
	}
	return src.Settle(ctx, ref, o)
}

// getRecord returns the record and its CID, or nil when the PDS has none.
func getRecord(ctx context.Context, client *atclient.APIClient, ref Ref) (map[string]any, string, error) {
	var out struct {
		CID   string         `json:"cid"`
		Value map[string]any `json:"value"`
	}
	params := map[string]any{"repo": ref.DID, "collection": ref.Collection, "rkey": ref.RKey}
	if err := client.Get(ctx, "com.atproto.repo.getRecord", params, &out); err != nil {
		if isNotFound(err) {
			return nil, "", nil
		}
		return nil, "", err
	}
	return out.Value, out.CID, nil
}

func isNotFound(err error) bool {
	var apiErr *atclient.APIError
	return errors.As(err, &apiErr) && apiErr.Name == "RecordNotFound"
}

// classify turns an error on the way to the PDS into an ApplicationError whose type is
// its Failure (or a conflict), retryable only when retrying can help.
func classify(doing string, err error) error {
	msg := doing + ": " + err.Error()
	if errors.Is(err, ErrNoAccess) {
		return temporal.NewNonRetryableApplicationError(msg, string(FailureAuth), err)
	}
	var apiErr *atclient.APIError
	if !errors.As(err, &apiErr) {
		return temporal.NewApplicationErrorWithCause(msg, string(FailureNetwork), err)
	}
	switch {
	case apiErr.Name == "InvalidSwap":
		return temporal.NewApplicationErrorWithCause(msg, errorTypeConflict, err)
	case apiErr.StatusCode == http.StatusForbidden && apiErr.Name == "ScopeMissingError":
		return temporal.NewNonRetryableApplicationError(msg, string(FailureScope), err)
	case apiErr.StatusCode == http.StatusUnauthorized:
		return temporal.NewNonRetryableApplicationError(msg, string(FailureAuth), err)
	case apiErr.StatusCode == http.StatusRequestTimeout, apiErr.StatusCode == http.StatusTooManyRequests,
		apiErr.StatusCode >= 500, apiErr.StatusCode == 0:
		return temporal.NewApplicationErrorWithCause(msg, string(FailureNetwork), err)
	default:
		return temporal.NewNonRetryableApplicationError(msg, string(FailureRejected), err)
	}
}

// FailureOf is the category of a step's error as the workflow sees it: the type of the
// ApplicationError it carries; network for anything else (a timed-out step, a lost worker).
func FailureOf(err error) Failure {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch t := appErr.Type(); t {
		case string(FailureAuth), string(FailureScope), string(FailureRejected), string(FailureNetwork):
			return Failure(t)
		case ErrorTypeInvalid:
			return FailureRejected
		}
	}
	return FailureNetwork
}

// sameJSON reports whether two records are equal as JSON values.
func sameJSON(a, b map[string]any) bool {
	na, errA := normalize(a)
	nb, errB := normalize(b)
	return errA == nil && errB == nil && reflect.DeepEqual(na, nb)
}

func normalize(m map[string]any) (any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
