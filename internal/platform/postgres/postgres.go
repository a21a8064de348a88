// Package postgres connects plyr to PostgreSQL (pgx) and applies the embedded migrations
// (goose). The private cluster `plyr dev` and the tests run is internal/devstack/pgcluster.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// DefaultMaxConns is the pool size when none is configured. pgx's own default (the larger
// of 4 and the number of CPUs) is four on a small machine: too few for a server whose
// requests each need one briefly. plyr never holds a connection across network I/O, so
// a connection is busy only while a query runs.
const DefaultMaxConns = 16

// Option changes how Connect opens its pool.
type Option func(*pgxpool.Config)

// MaxConns sizes the pool (n <= 0 keeps the default).
func MaxConns(n int) Option {
	return func(c *pgxpool.Config) {
		if n > 0 {
			c.MaxConns = int32(n)
		}
	}
}

// Connect opens a pool to url and checks that the database answers.
func Connect(ctx context.Context, url string, opts ...Option) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.MaxConns = DefaultMaxConns
	for _, o := range opts {
		o(cfg)
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	// A runaway query must not hold a connection forever; requests have their own deadlines.
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "30000"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "plyr"
	cfg.MaxConnIdleTime = 5 * time.Minute
	afterConnect := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		// Every id is a google/uuid.UUID. Left to itself pgx sends one through its
		// driver.Valuer (a string, parsed again) and scans one through sql.Scanner: a
		// third of the server's CPU in a 500-track listing. Registered, they go as 16 bytes.
		pgxuuid.Register(conn.TypeMap())
		if afterConnect != nil {
			return afterConnect(ctx, conn)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach database %s@%s: %w", cfg.ConnConfig.Database, cfg.ConnConfig.Host, err)
	}
	return pool, nil
}
