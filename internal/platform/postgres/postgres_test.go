package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/postgres"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestMigrate_IsIdempotentAndReportsStatus(t *testing.T) {
	ctx := context.Background()
	// The test database is a copy of a template that is already migrated.
	pool := testenv.NewDatabase(t)
	applied, err := postgres.Migrate(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, applied, "a migrated database has nothing left to apply")

	status, err := postgres.Status(ctx, pool)
	require.NoError(t, err)
	require.NotEmpty(t, status)
	for i, s := range status {
		require.True(t, s.Applied, s.Source)
		require.Equal(t, int64(i+1), s.Version, "versions are consecutive")
	}

	// Each module's schema exists, and only through its own migration.
	var schemas []string
	rows, err := pool.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname IN ('identity','catalog','media') ORDER BY 1")
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		schemas = append(schemas, s)
	}
	require.Equal(t, []string{"catalog", "identity", "media"}, schemas)
}

func TestConnect_FailsClearlyForAnUnreachableDatabase(t *testing.T) {
	_, err := postgres.Connect(context.Background(), "postgres://nobody:x@127.0.0.1:1/nothing?connect_timeout=2")
	require.ErrorContains(t, err, "reach database nothing@127.0.0.1")
}

func TestConnect_SizesThePool(t *testing.T) {
	url := testenv.NewDatabase(t).Config().ConnString()
	tests := []struct {
		name string
		opts []postgres.Option
		want int32
	}{
		{"default", nil, postgres.DefaultMaxConns},
		{"configured", []postgres.Option{postgres.MaxConns(3)}, 3},
		{"zero keeps the default", []postgres.Option{postgres.MaxConns(0)}, postgres.DefaultMaxConns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := postgres.Connect(context.Background(), url, tt.opts...)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			require.Equal(t, tt.want, pool.Config().MaxConns)
		})
	}
}
