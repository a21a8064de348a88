// Package records is the catalog's side of the records it keeps on artists' PDSes: for
// each record (a track's now; lists and profiles later) what it should be (its revision,
// or absent) and what is known to be there (URI, CID, state, failure). The feature that
// owns an entity changes its record in the same transaction as the entity (Add, Revise),
// then calls Start once committed; the recordsync workflow comes back through Settle.
//
// The record itself, the fields written, is the owning feature's to build; this package
// only keeps the bookkeeping, so every kind of record moves through the same states.
package records

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	recordsact "github.com/plyrfm/plyr/activities/records"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Kind is a record's collection without the namespace.
type Kind string

// The kinds of record the catalog writes.
const (
	KindTrack   Kind = "track"
	KindProfile Kind = "actor.profile"
	KindList    Kind = "list"
)

// State is where a record is.
type State string

// The states of a record.
const (
	StatePending State = "pending"
	StateSynced  State = "synced"
	StateFailed  State = "failed"
)

// Key names a record in the catalog: its repository, kind and rkey.
type Key struct {
	DID  string
	Kind Kind
	RKey string
}

// Status is what the catalog knows of a record.
type Status struct {
	State   State
	Failure recordsact.Failure
	// Reason says, for its owner, why the record failed.
	Reason   string
	URI, CID string
}

// StatusOf reads a record's status from the columns a track view joins in; a record not
// tracked at all shows as pending (a track still processing has none yet).
func StatusOf(state, failure, reason, uri, cid *string) Status {
	s := Status{State: StatePending}
	if state != nil {
		s.State = State(*state)
	}
	if failure != nil {
		s.Failure = recordsact.Failure(*failure)
	}
	if reason != nil {
		s.Reason = *reason
	}
	if uri != nil {
		s.URI = *uri
	}
	if cid != nil {
		s.CID = *cid
	}
	return s
}

// Starter starts (or signals) the workflow that writes a record.
type Starter interface {
	Start(ctx context.Context, ref recordsact.Ref) error
}

// Store keeps the records' bookkeeping.
type Store struct {
	namespace string
	starter   Starter
}

// New returns a Store writing collections under namespace (fm.plyr), whose workflows
// starter starts.
func New(namespace string, starter Starter) *Store {
	return &Store{namespace: namespace, starter: starter}
}

// Collection is the NSID of kind's records.
func (s *Store) Collection(k Kind) string { return s.namespace + "." + string(k) }

// Kind is the kind of a collection's records, if it is one of the catalog's.
func (s *Store) Kind(collection string) (Kind, bool) {
	prefix := s.namespace + "."
	if len(collection) <= len(prefix) || collection[:len(prefix)] != prefix {
		return "", false
	}
	return Kind(collection[len(prefix):]), true
}

// Ref is the record's reference for the workflow.
func (s *Store) Ref(k Key) recordsact.Ref {
	return recordsact.Ref{DID: k.DID, Collection: s.Collection(k.Kind), RKey: k.RKey}
}

// Add starts tracking a record to write (pending), within the caller's transaction q.
// Adding it again changes nothing.
func (s *Store) Add(ctx context.Context, q *db.Queries, k Key) error {
	if err := q.AddRecord(ctx, db.AddRecordParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey}); err != nil {
		return fmt.Errorf("track record %s: %w", s.Ref(k).URI(), err)
	}
	return nil
}

// Revise says the record should change (or, with absent, be deleted), within the caller's
// transaction q; a record not tracked yet is added.
func (s *Store) Revise(ctx context.Context, q *db.Queries, k Key, absent bool) error {
	_, err := q.ReviseRecord(ctx, db.ReviseRecordParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey, Absent: absent})
	if errors.Is(err, pgx.ErrNoRows) {
		if err := s.Add(ctx, q, k); err != nil {
			return err
		}
		_, err = q.ReviseRecord(ctx, db.ReviseRecordParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey, Absent: absent})
	}
	if err != nil {
		return fmt.Errorf("revise record %s: %w", s.Ref(k).URI(), err)
	}
	return nil
}

// Start has the record's workflow write it. Call it after the change is committed.
func (s *Store) Start(ctx context.Context, k Key) error {
	return s.starter.Start(ctx, s.Ref(k))
}

// Get returns the record's bookkeeping row; recordsact.ErrNotTracked if there is none.
func (s *Store) Get(ctx context.Context, q *db.Queries, k Key) (db.CatalogRecord, error) {
	row, err := q.GetRecord(ctx, db.GetRecordParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.CatalogRecord{}, fmt.Errorf("%s: %w", s.Ref(k).URI(), recordsact.ErrNotTracked)
	}
	if err != nil {
		return db.CatalogRecord{}, fmt.Errorf("load record %s: %w", s.Ref(k).URI(), err)
	}
	return row, nil
}

// Settle records a write's outcome and reports whether a newer revision waits. A record
// deleted from its PDS as asked is forgotten.
func (s *Store) Settle(ctx context.Context, q *db.Queries, k Key, o recordsact.Outcome) (newer bool, err error) {
	if o.Failure != "" {
		_, err := q.SettleRecordFailed(ctx, db.SettleRecordFailedParams{
			Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey, Failure: ptr(string(o.Failure)), FailureReason: ptr(o.Reason),
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil // gone, or synced by a later run: nothing failed that matters
		}
		if err != nil {
			return false, fmt.Errorf("settle record %s: %w", s.Ref(k).URI(), err)
		}
		return false, nil
	}
	p := db.SettleRecordSyncedParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey, Revision: o.Revision}
	if !o.Absent {
		p.Uri, p.Cid = ptr(o.URI), ptr(o.CID)
	}
	row, err := q.SettleRecordSynced(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("settle record %s: %w", s.Ref(k).URI(), err)
	}
	if row.Revision > row.SyncedRevision {
		return true, nil
	}
	if row.Absent {
		if _, err := q.ForgetRecord(ctx, db.ForgetRecordParams{Did: k.DID, Kind: string(k.Kind), Rkey: k.RKey}); err != nil {
			return false, fmt.Errorf("forget record %s: %w", s.Ref(k).URI(), err)
		}
	}
	return false, nil
}

// ResumeStalled starts the workflows of at most limit records pending since before
// stalledSince (a start that was lost, or rows a migration added) and returns how many it
// started. It claims them first, so sweeps running at once start each record once.
func (s *Store) ResumeStalled(ctx context.Context, q *db.Queries, stalledSince time.Time, limit int) (int, error) {
	rows, err := q.ClaimStalledRecords(ctx, db.ClaimStalledRecordsParams{StalledSince: stalledSince, MaxRows: int32(limit)})
	if err != nil {
		return 0, fmt.Errorf("claim stalled records: %w", err)
	}
	started := 0
	var errs []error
	for _, r := range rows {
		if err := s.Start(ctx, Key{DID: r.Did, Kind: Kind(r.Kind), RKey: r.Rkey}); err != nil {
			errs = append(errs, err) // the next sweep tries again
			continue
		}
		started++
	}
	return started, errors.Join(errs...)
}

func ptr[T any](v T) *T { return &v }
