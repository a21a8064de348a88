// Package migrations is the media module's PDS migrations feature: the batches of tracks
// whose audio an artist asked to copy to their PDS, what became of each track, and the
// listings and retries operators use. It owns the SQL on media.pds_migrations and
// media.pds_migration_items; the workflow (workflows/pdsmigration) does the copying and
// settles each track here.
package migrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/db"
)

// Errors of the feature, with the Connect code and message a client sees.
var (
	ErrNotFound      = rpc.NewError(connect.CodeNotFound, "migration not found")
	ErrNothingToDo   = rpc.NewError(connect.CodeFailedPrecondition, "none of these tracks can be copied to your PDS (already there, for supporters only, or not yours)")
	ErrRunning       = rpc.NewError(connect.CodeFailedPrecondition, "a migration of yours is running; wait for it to end")
	ErrNothingFailed = rpc.NewError(connect.CodeFailedPrecondition, "this migration is running, or none of its tracks failed")
	ErrInvalidInput  = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
)

// Statuses of a migration and of its items.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"

	ItemPending  = "pending"
	ItemMigrated = "migrated"
	ItemSkipped  = "skipped"
	ItemFailed   = "failed"
)

// Item is a track of a migration and what became of it.
type Item struct {
	TrackID uuid.UUID
	Status  string
	Reason  string
}

// Migration is a migration at one moment.
type Migration struct {
	ID                               uuid.UUID
	DID                              string
	Status                           string
	Total, Migrated, Skipped, Failed int
	CreatedAt                        time.Time
	FinishedAt                       *time.Time
	// Last is the track settled last (zero before any).
	Last Item
	// Items are the tracks, in order (Get only).
	Items []Item
}

// Processed is how many tracks have been settled.
func (m Migration) Processed() int { return m.Migrated + m.Skipped + m.Failed }

// Store is the feature.
type Store struct {
	pool *pgxpool.Pool
	q    *db.Queries
}

// New returns the feature over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: db.New(pool)} }

// Create records a migration of did's tracks, all pending. An account runs one migration
// at a time: ErrRunning while another runs.
func (s *Store) Create(ctx context.Context, did string, tracks []uuid.UUID) (uuid.UUID, error) {
	if len(tracks) == 0 {
		return uuid.Nil, ErrNothingToDo
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("new id: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		// One at a time per account: the advisory lock orders concurrent starts.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('pds-migration:' || $1))", did); err != nil {
			return err
		}
		if _, err := q.RunningMigration(ctx, did); err == nil {
			return ErrRunning
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := q.CreateMigration(ctx, db.CreateMigrationParams{ID: id, Did: did}); err != nil {
			return err
		}
		return q.AddMigrationItems(ctx, db.AddMigrationItemsParams{MigrationID: id, TrackIds: tracks})
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("record migration: %w", err)
	}
	return id, nil
}

// Get returns a migration with its items and last settled track.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Migration, error) {
	row, err := s.q.GetMigration(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Migration{}, ErrNotFound
	}
	if err != nil {
		return Migration{}, fmt.Errorf("get migration %s: %w", id, err)
	}
	m := Migration{
		ID: row.ID, DID: row.Did, Status: row.Status, CreatedAt: row.CreatedAt, FinishedAt: row.FinishedAt,
		Total: int(row.Total), Migrated: int(row.Migrated), Skipped: int(row.Skipped), Failed: int(row.Failed),
	}
	last, err := s.q.LastMigrationItem(ctx, id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Migration{}, fmt.Errorf("last item of %s: %w", id, err)
	}
	m.Last = Item{TrackID: last.TrackID, Status: last.Status, Reason: last.Reason}
	items, err := s.q.ListMigrationItems(ctx, id)
	if err != nil {
		return Migration{}, fmt.Errorf("items of %s: %w", id, err)
	}
	for _, it := range items {
		m.Items = append(m.Items, Item{TrackID: it.TrackID, Status: it.Status, Reason: it.Reason})
	}
	return m, nil
}

// Pending are the tracks of a migration still to copy, in order.
func (s *Store) Pending(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	ids, err := s.q.PendingMigrationItems(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("pending items of %s: %w", id, err)
	}
	return ids, nil
}

// Settle records what became of a track of a migration.
func (s *Store) Settle(ctx context.Context, id, track uuid.UUID, status, reason string) error {
	_, err := s.q.SettleMigrationItem(ctx, db.SettleMigrationItemParams{MigrationID: id, TrackID: track, Status: status, Reason: reason})
	if err != nil {
		return fmt.Errorf("settle %s of %s: %w", track, id, err)
	}
	return nil
}

// Finish ends a migration: failed when a track failed, done otherwise. It returns the
// status.
func (s *Store) Finish(ctx context.Context, id uuid.UUID) (string, error) {
	status, err := s.q.FinishMigration(ctx, id)
	if err != nil {
		return "", fmt.Errorf("finish migration %s: %w", id, err)
	}
	return status, nil
}

// Retry makes a finished migration's failed tracks pending again and the migration
// running; it returns how many. ErrNothingFailed when it runs or none failed.
func (s *Store) Retry(ctx context.Context, id uuid.UUID) (int, error) {
	n, err := s.q.RetryMigration(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("retry migration %s: %w", id, err)
	}
	if n == 0 {
		return 0, ErrNothingFailed
	}
	return int(n), nil
}

// Query filters List.
type Query struct {
	// DID narrows the listing to one account ("" for all).
	DID        string
	FailedOnly bool
	PageSize   int
	PageToken  string
}

// Page is a page of migrations, newest first.
type Page struct {
	Migrations []Migration
	Next       string
}

// List pages through migrations, newest first, without their items.
func (s *Store) List(ctx context.Context, in Query) (Page, error) {
	size := in.PageSize
	switch {
	case size == 0:
		size = 20
	case size < 0 || size > 100:
		return Page{}, ErrInvalidInput.Withf("page_size must be between 1 and 100")
	}
	after, err := cursor.Decode(in.PageToken)
	if err != nil {
		return Page{}, ErrInvalidInput.Withf("page_token is not one this service issued")
	}
	params := db.ListMigrationsParams{
		FailedOnly: in.FailedOnly, BeforeCreatedAt: after.CreatedAt, BeforeID: after.ID, PageLimit: int32(size + 1),
	}
	if in.DID != "" {
		params.Did = &in.DID
	}
	rows, err := s.q.ListMigrations(ctx, params)
	if err != nil {
		return Page{}, fmt.Errorf("list migrations: %w", err)
	}
	var page Page
	for i, r := range rows {
		if i == size {
			last := page.Migrations[size-1]
			page.Next = cursor.Encode(cursor.Position{CreatedAt: last.CreatedAt, ID: last.ID})
			break
		}
		page.Migrations = append(page.Migrations, Migration{
			ID: r.ID, DID: r.Did, Status: r.Status, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
			Total: int(r.Total), Migrated: int(r.Migrated), Skipped: int(r.Skipped), Failed: int(r.Failed),
		})
	}
	return page, nil
}
