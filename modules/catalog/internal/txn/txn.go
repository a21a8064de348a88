// Package txn runs a feature's change in one transaction over the catalog's queries.
package txn

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// Beginner starts transactions (a pool, or a transaction for a savepoint in tests).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Run calls fn with q bound to a new transaction, and commits when fn returns nil (rolls
// back otherwise).
func Run(ctx context.Context, conn Beginner, q *db.Queries, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(q.WithTx(tx)) })
}
