// Package pgcluster runs a private PostgreSQL cluster from the machine's server binaries
// (initdb, pg_ctl) for `plyr dev` and the tests: created on first use under a data
// directory, started on a free loopback port, stopped by its process. It is part of the
// development stack: the production build (-tags nodevstack) does not link it.
package pgcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/ports"
)

// Options configure a private PostgreSQL cluster.
type Options struct {
	// Dir is the data directory (PGDATA). initdb runs when it holds no cluster yet; a
	// second start reuses it.
	Dir string
	// Port is the TCP port on 127.0.0.1. 0 picks a free one.
	Port int
	// BinDir holds initdb and pg_ctl. Empty searches /usr/lib/postgresql/*/bin, then PATH.
	BinDir string
	// Database is created when missing; empty means "plyr".
	Database string
	// Throwaway turns off fsync and friends: much faster, and a crash may lose the data,
	// which is what a test cluster wants.
	Throwaway bool
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running private PostgreSQL server owned by this process.
type Cluster struct {
	dir      string
	bin      string
	port     int
	password string
	database string
	runAs    *syscall.Credential
	logger   *slog.Logger
}

// superuser is the cluster's bootstrap role.
const superuser = "plyr"

// passwordFile sits in the data directory, which only the server's user can read.
const passwordFile = "plyr-password"

// Start initialises the cluster if needed, starts it and creates the database.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Database == "" {
		o.Database = "plyr"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("postgres data dir: %w", err)
	}
	bin, err := FindBinDir(o.BinDir)
	if err != nil {
		return nil, err
	}
	runAs, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if err := reachable(dir, runAs); err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, database: o.Database, runAs: runAs, logger: o.Logger}

	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	pw, err := os.ReadFile(filepath.Join(dir, passwordFile))
	if err != nil {
		return nil, fmt.Errorf("read cluster password (remove %s to start afresh): %w", dir, err)
	}
	c.password = strings.TrimSpace(string(pw))

	// A server left running by a process that died would hold the directory: stop it.
	if c.running(ctx) {
		c.logger.Warn("stopping a postgres left running by an earlier process", "dir", dir)
		if err := c.stop(ctx, "fast"); err != nil {
			return nil, err
		}
	}

	c.port = o.Port
	if c.port == 0 {
		if c.port, err = ports.Free("127.0.0.1"); err != nil {
			return nil, err
		}
	}
	if err := c.start(ctx, o.Throwaway); err != nil {
		return nil, err
	}
	if err := c.createDatabase(ctx); err != nil {
		_ = c.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return c, nil
}

// URL is the connection URL for database db (empty: the cluster's database).
func (c *Cluster) URL(db string) string {
	if db == "" {
		db = c.database
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// Dir is the data directory.
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down: fast (sessions are cut, no data lost), or immediate if that
// has not finished when ctx ends.
func (c *Cluster) Stop(ctx context.Context) error {
	err := c.stop(ctx, "fast")
	if err != nil {
		c.logger.Warn("postgres fast stop failed; stopping immediately", "error", err.Error())
		return c.stop(context.WithoutCancel(ctx), "immediate")
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	c.logger.Info("creating postgres cluster", "dir", c.dir)
	if err := os.MkdirAll(filepath.Dir(c.dir), 0o755); err != nil {
		return fmt.Errorf("create postgres parent dir: %w", err)
	}
	// initdb works in a sibling directory that is renamed into place, so an interrupted
	// initdb never leaves a half-made cluster at dir.
	work, err := os.MkdirTemp(filepath.Dir(c.dir), filepath.Base(c.dir)+".init-")
	if err != nil {
		return fmt.Errorf("create postgres work dir: %w", err)
	}
	defer os.RemoveAll(work)
	password := randomHex(24)
	pwfile := filepath.Join(work, "pwfile")
	data := filepath.Join(work, "data")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	if err := c.chown(work, pwfile); err != nil {
		return err
	}
	if _, err := c.run(ctx, "initdb", "-D", data, "-U", superuser, "--pwfile", pwfile,
		"--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-instructions"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(data, passwordFile), []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write cluster password: %w", err)
	}
	if err := c.chown(filepath.Join(data, passwordFile)); err != nil {
		return err
	}
	if err := os.Rename(data, c.dir); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context, throwaway bool) error {
	opts := []string{
		"-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1",
		// TCP only: a Unix socket path inside a deep project directory can pass the
		// 107-byte limit, and nothing here needs one.
		"-c", "unix_socket_directories=''",
		"-c", "max_connections=200",
	}
	if throwaway {
		opts = append(opts, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.logger.Info("starting postgres", "dir", c.dir, "port", c.port)
	_, err := c.run(ctx, "pg_ctl", "start", "-D", c.dir, "-w", "-t", "60",
		"-l", filepath.Join(c.dir, "postmaster.log"), "-o", strings.Join(opts, " "))
	if err != nil {
		return fmt.Errorf("%w (see %s)", err, filepath.Join(c.dir, "postmaster.log"))
	}
	return nil
}

func (c *Cluster) running(ctx context.Context) bool {
	_, err := c.run(ctx, "pg_ctl", "status", "-D", c.dir)
	return err == nil
}

func (c *Cluster) stop(ctx context.Context, mode string) error {
	timeout := 30
	if d, ok := ctx.Deadline(); ok {
		timeout = max(1, int(time.Until(d).Seconds()))
	}
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.dir, "-m", mode, "-w", "-t", strconv.Itoa(timeout))
	if err != nil && strings.Contains(out, "Is server running?") {
		return nil // already stopped
	}
	return err
}

func (c *Cluster) createDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to new cluster: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", c.database).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", c.database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.database}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", c.database, err)
	}
	return nil
}

// run executes a server binary as the server's user and returns its combined output.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	// Its own process group: Ctrl-C in the terminal reaches plyr, which stops the server
	// in order, instead of reaching the postmaster directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.runAs}
	cmd.Dir = os.TempDir()
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, args[0], err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

func (c *Cluster) chown(paths ...string) error {
	if c.runAs == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(c.runAs.Uid), int(c.runAs.Gid)); err != nil {
			return fmt.Errorf("hand %s to the postgres user: %w", p, err)
		}
	}
	return nil
}

// serverCredential is the user the server runs as. PostgreSQL refuses to run as root, so
// root hands it to the "postgres" account the Debian package creates; anyone else runs it
// as themselves.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, and PostgreSQL refuses root: create a 'postgres' user (apt-get install postgresql does) or run plyr as another user")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// reachable checks that the server's user can enter every directory above dir; otherwise
// initdb fails later with a bare "permission denied".
func reachable(dir string, runAs *syscall.Credential) error {
	if runAs == nil {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if info, err := os.Stat(d); err == nil {
			st, _ := info.Sys().(*syscall.Stat_t)
			ownedByServer := st != nil && st.Uid == runAs.Uid
			if info.Mode().Perm()&0o001 == 0 && !ownedByServer {
				return fmt.Errorf("PostgreSQL runs as the postgres user, which cannot enter %s (mode %v): "+
					"put the data dir where other users can enter, or run plyr as a user other than root", d, info.Mode().Perm())
			}
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// FindBinDir locates initdb and pg_ctl: dir when given, else the newest
// /usr/lib/postgresql/<version>/bin, else PATH.
func FindBinDir(dir string) (string, error) {
	has := func(d string) bool {
		for _, name := range []string{"initdb", "pg_ctl"} {
			if _, err := os.Stat(filepath.Join(d, name)); err != nil {
				return false
			}
		}
		return true
	}
	if dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("PLYR_PG_BIN=%s has no initdb and pg_ctl", dir)
		}
		return dir, nil
	}
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(candidates, func(a, b string) int {
		return versionOf(b) - versionOf(a)
	})
	for _, d := range candidates {
		if has(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them (apt-get install postgresql) or set PLYR_PG_BIN")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Kill stops whatever server runs in dir, immediately. It is for cleaning up after
// a process that died without stopping its cluster.
func Kill(dir string) error {
	bin, err := FindBinDir("")
	if err != nil {
		return err
	}
	runAs, err := serverCredential()
	if err != nil {
		return err
	}
	c := &Cluster{dir: dir, bin: bin, runAs: runAs, logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.stop(ctx, "immediate")
}
