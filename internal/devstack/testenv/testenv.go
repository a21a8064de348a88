// Package testenv gives tests the real services plyr runs on: a PostgreSQL server (each test
// gets its own database, cloned from a migrated template) and an S3 server (versitygw; each
// test gets its own bucket). The testtemporal subpackage adds an embedded Temporal server;
// it is separate because linking Temporal is heavy and most tests do not need it.
//
// One PostgreSQL and one S3 server serve a whole `make test` run: testrun starts them and
// passes their addresses in PLYR_TEST_* variables. A test binary run on its own (go test
// ./modules/catalog) starts its own, on free ports, and stops them when it exits. Nothing
// needs the network beyond loopback.
//
// Packages that use it call Main from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/devstack/pgcluster"
	"github.com/plyrfm/plyr/internal/devstack/s3dev"
	"github.com/plyrfm/plyr/internal/platform/postgres"
	"github.com/plyrfm/plyr/internal/platform/storage"
)

// Variables through which testrun shares its services with every test binary.
const (
	EnvDatabaseURL  = "PLYR_TEST_DATABASE_URL" // admin URL of a PostgreSQL server (any database)
	EnvS3Endpoint   = "PLYR_TEST_S3_ENDPOINT"
	EnvS3AccessKey  = "PLYR_TEST_S3_ACCESS_KEY_ID"
	EnvS3SecretKey  = "PLYR_TEST_S3_SECRET_ACCESS_KEY"
	workDirPrefix   = "plyr-testenv-"
	shutdownTimeout = 10 * time.Second
)

var (
	mu      sync.Mutex
	atExit  []func()
	workDir string
)

// Main runs the package's tests, then stops whatever this process started.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops what this process started, newest first.
func Shutdown() {
	mu.Lock()
	fns := atExit
	atExit = nil
	mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// AtExit registers f to run at Shutdown.
func AtExit(f func()) {
	mu.Lock()
	defer mu.Unlock()
	atExit = append(atExit, f)
}

// WorkDir is this process's scratch directory for the services it starts. Its name
// carries the process id, so a later run can clean up after one that crashed.
func WorkDir() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if workDir != "" {
		return workDir, nil
	}
	reapAbandoned()
	dir, err := os.MkdirTemp("", workDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", err
	}
	// Traversable, so a PostgreSQL running as another user (root's case) reaches its dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	workDir = dir
	atExit = append(atExit, func() { _ = os.RemoveAll(dir) })
	return dir, nil
}

// reapAbandoned stops the PostgreSQL servers of test processes that died without cleaning
// up, and removes their directories.
func reapAbandoned() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), workDirPrefix+"*"))
	for _, dir := range dirs {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), workDirPrefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || processAlive(pid) {
			continue
		}
		if pgDir := filepath.Join(dir, "pg"); fileExists(filepath.Join(pgDir, "postmaster.pid")) {
			_ = pgcluster.Kill(pgDir)
		}
		_ = os.RemoveAll(dir)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// randomName returns prefix followed by 12 random hex digits.
func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// --- PostgreSQL -------------------------------------------------------------------------

var pg struct {
	once     sync.Once
	err      error
	admin    *pgxpool.Pool // connected to the server's maintenance database
	adminURL string
	template string // migrated database each test database is cloned from
	cloneMu  sync.Mutex
}

// StartPostgres starts a throwaway PostgreSQL cluster in dir and returns its admin URL.
// testrun and this package both use it.
func StartPostgres(ctx context.Context, dir string) (*pgcluster.Cluster, error) {
	return pgcluster.Start(ctx, pgcluster.Options{
		Dir: filepath.Join(dir, "pg"), Database: "plyr_test", Throwaway: true,
	})
}

func setupPostgres() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg.adminURL = os.Getenv(EnvDatabaseURL)
	if pg.adminURL == "" {
		dir, err := WorkDir()
		if err != nil {
			return err
		}
		cluster, err := StartPostgres(ctx, dir)
		if err != nil {
			return fmt.Errorf("start test postgres: %w", err)
		}
		AtExit(func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			_ = cluster.Stop(ctx)
		})
		pg.adminURL = cluster.URL("")
	}
	admin, err := postgres.Connect(ctx, pg.adminURL)
	if err != nil {
		return err
	}
	pg.admin = admin
	AtExit(admin.Close)

	// One migrated template per process; test databases are copies of it.
	pg.template = randomName("plyr_tpl_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{pg.template}.Sanitize()); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	AtExit(func() { dropDatabase(pg.template) })
	tpl, err := postgres.Connect(ctx, databaseURL(pg.adminURL, pg.template))
	if err != nil {
		return err
	}
	defer tpl.Close()
	if _, err := postgres.Migrate(ctx, tpl); err != nil {
		return fmt.Errorf("migrate template database: %w", err)
	}
	return nil
}

// NewDatabase returns a pool on a new database holding every migration and no data. It is
// dropped when the test ends.
func NewDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewDatabaseURL(t)
	pool, err := postgres.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewDatabaseURL creates a new migrated database, dropped when the test ends, and returns
// its URL.
func NewDatabaseURL(t testing.TB) string {
	t.Helper()
	pg.once.Do(func() { pg.err = setupPostgres() })
	if pg.err != nil {
		t.Fatalf("test postgres: %v", pg.err)
	}
	name := randomName("plyr_test_")
	if err := cloneTemplate(name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// Registered before the caller's cleanups, so it runs after the pool is closed.
	t.Cleanup(func() { dropDatabase(name) })
	return databaseURL(pg.adminURL, name)
}

// cloneTemplate creates database name as a copy of the migrated template (one clone at a
// time: PostgreSQL refuses to copy a template another clone is reading).
func cloneTemplate(name string) error {
	pg.cloneMu.Lock()
	defer pg.cloneMu.Unlock()
	_, err := pg.admin.Exec(context.Background(), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{pg.template}.Sanitize()))
	return err
}

func dropDatabase(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if _, err := pg.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		log.Printf("testenv: drop database %s: %v", name, err)
	}
}

// databaseURL is raw with its database replaced by name.
func databaseURL(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// --- S3 ----------------------------------------------------------------------------------

var s3 struct {
	once           sync.Once
	err            error
	endpoint       string
	access, secret string
}

// StartS3 starts a versitygw server in dir. testrun and this package both use it.
func StartS3(ctx context.Context, dir string) (*s3dev.Server, error) {
	return s3dev.Start(ctx, s3dev.Options{Dir: filepath.Join(dir, "s3"), Addr: "127.0.0.1:0"})
}

func setupS3() error {
	s3.endpoint = os.Getenv(EnvS3Endpoint)
	s3.access, s3.secret = os.Getenv(EnvS3AccessKey), os.Getenv(EnvS3SecretKey)
	if s3.endpoint != "" {
		return nil
	}
	dir, err := WorkDir()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := StartS3(ctx, dir)
	if err != nil {
		return fmt.Errorf("start test s3: %w", err)
	}
	AtExit(func() { srv.Stop(shutdownTimeout) })
	s3.endpoint = srv.Endpoint()
	s3.access, s3.secret = srv.Credentials()
	return nil
}

// NewBucket creates an empty bucket for the test and returns its configuration.
func NewBucket(t testing.TB) storage.Config {
	t.Helper()
	s3.once.Do(func() { s3.err = setupS3() })
	if s3.err != nil {
		t.Fatalf("test s3: %v", s3.err)
	}
	cfg := storage.Config{
		Endpoint: s3.endpoint, Region: "auto", Bucket: strings.ReplaceAll(randomName("plyr-test-"), "_", "-"),
		AccessKeyID: s3.access, SecretAccessKey: s3.secret,
	}
	if err := storage.New(cfg).EnsureBucket(context.Background()); err != nil {
		t.Fatalf("create test bucket: %v", err)
	}
	return cfg
}

// NewStorage creates an empty bucket for the test and returns a client for it.
func NewStorage(t testing.TB) *storage.Client {
	t.Helper()
	return storage.New(NewBucket(t))
}

// shared is one migrated database per test binary for NewTx.
var shared struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

// NewTx returns a transaction on a migrated database the test binary's store-level tests
// share, rolled back when the test ends. Such tests see only their own writes and leave
// nothing behind, for the price of a BEGIN instead of a new database; they may run in
// parallel (each holds its own connection). Tests that need commits to be visible to
// another connection, or that run workflows, use NewDatabase instead.
func NewTx(t testing.TB) pgx.Tx {
	t.Helper()
	pg.once.Do(func() { pg.err = setupPostgres() })
	if pg.err != nil {
		t.Fatalf("test postgres: %v", pg.err)
	}
	shared.once.Do(func() {
		name := randomName("plyr_shared_")
		if err := cloneTemplate(name); err != nil {
			shared.err = fmt.Errorf("create shared test database: %w", err)
			return
		}
		shared.pool, shared.err = postgres.Connect(context.Background(), databaseURL(pg.adminURL, name))
		AtExit(func() {
			if shared.pool != nil {
				shared.pool.Close()
			}
			dropDatabase(name)
		})
	})
	if shared.err != nil {
		t.Fatalf("shared test database: %v", shared.err)
	}
	tx, err := shared.pool.Begin(context.Background())
	if err != nil {
		t.Fatalf("begin test transaction: %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}
