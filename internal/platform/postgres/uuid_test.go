package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/postgres"
)

// The ids plyr's queries pass and scan are google/uuid values, in every shape sqlc gives
// them: single, nullable (a pointer), in an array, next to a text parameter.
func TestConnect_UUIDsRoundTrip(t *testing.T) {
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, testenv.NewDatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	a, b := uuid.Must(uuid.NewV7()), uuid.New()

	var one uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::uuid", a).Scan(&one))
	require.Equal(t, a, one)

	var missing *uuid.UUID = &a
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::uuid", (*uuid.UUID)(nil)).Scan(&missing))
	require.Nil(t, missing, "a NULL id scans into a nil pointer")
	var present *uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::uuid", &b).Scan(&present))
	require.Equal(t, b, *present)

	var null uuid.NullUUID
	require.NoError(t, pool.QueryRow(ctx, "SELECT NULL::uuid").Scan(&null))
	require.False(t, null.Valid)

	var many []uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::uuid[] || $2::uuid", []uuid.UUID{a, b}, a).Scan(&many))
	require.Equal(t, []uuid.UUID{a, b, a}, many)

	// An id passed where the query wants text still goes as its text form.
	var text string
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::text", a).Scan(&text))
	require.Equal(t, a.String(), text)

	// A value read without a destination type is a uuid.UUID, not pgx's own type.
	var anything any
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::uuid", a).Scan(&anything))
	require.Equal(t, a, anything)
}

// BenchmarkUUIDs: a listing's round trip of ids, 500 passed as an array and 500 rows of
// them scanned back, on a pool from Connect next to a pgx pool left to its defaults (the
// ids then go through driver.Valuer and sql.Scanner as strings).
func BenchmarkUUIDs(b *testing.B) {
	ctx := context.Background()
	url := testenv.NewDatabaseURL(b)
	registered, err := postgres.Connect(ctx, url)
	require.NoError(b, err)
	b.Cleanup(registered.Close)
	defaults, err := pgxpool.New(ctx, url)
	require.NoError(b, err)
	b.Cleanup(defaults.Close)

	ids := make([]uuid.UUID, 500)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	for _, bench := range []struct {
		name string
		pool *pgxpool.Pool
	}{{"pgx-defaults", defaults}, {"connect", registered}} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := bench.pool.Query(ctx, "SELECT id, id FROM unnest($1::uuid[]) AS id", ids)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					var id uuid.UUID
					var maybe *uuid.UUID
					if err := rows.Scan(&id, &maybe); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := rows.Err(); err != nil || n != len(ids) {
					b.Fatalf("%d rows: %v", n, err)
				}
			}
		})
	}
}
