// Package s3dev runs a real S3 server (versitygw, posix backend) as a child process, for
// `plyr dev` and the tests.
//
// Design note: versitygw can be embedded as a library (embedgw), but its posix backend
// changes the process's working directory to its root and then resolves buckets relative
// to it. In-process, that would silently break every relative path of the host program
// (and of tests reading testdata/). A child process keeps it contained, allows more than
// one per machine, and keeps a development-only S3 server out of the production binary.
// The versitygw binary is pinned in tools/go.mod and built by `make tools` into bin/.
package s3dev

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/plyrfm/plyr/internal/platform/ports"
)

// Options configure the server.
type Options struct {
	// Binary is the versitygw executable; empty means Find("").
	Binary string
	// Dir holds the buckets (one directory each) and their objects (plain files).
	Dir string
	// Addr is the listen address; port 0 picks a free one.
	Addr string
	// AccessKeyID and SecretAccessKey are the root credentials; when either is empty a
	// fresh pair is generated (read it back with Credentials).
	AccessKeyID, SecretAccessKey string
	// Log receives the server's own output; nil discards it.
	Log io.Writer
}

// Server is a running versitygw child process.
type Server struct {
	cmd      *exec.Cmd
	exited   chan struct{}
	endpoint string
	access   string
	secret   string
}

// healthPath is the unauthenticated readiness path the server is started with.
const healthPath = "/_plyr_health"

// Start launches the server and waits until it answers.
func Start(ctx context.Context, o Options) (*Server, error) {
	bin, err := Find(o.Binary)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create s3 dir: %w", err)
	}
	addr, err := ports.Resolve(o.Addr)
	if err != nil {
		return nil, err
	}
	if !ports.Available(addr) {
		return nil, fmt.Errorf("s3 address %s is in use (set PLYR_DEV_S3_ADDR)", addr)
	}
	access, secret := o.AccessKeyID, o.SecretAccessKey
	if access == "" || secret == "" {
		access, secret = "plyr-dev", randomHex(20)
	}

	cmd := exec.Command(bin, "--port", addr, "--region", "auto", "--quiet", "--health", healthPath, "posix", dir)
	// Credentials travel in the environment, not in argv where ps would show them.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Dir = dir
	if o.Log != nil {
		cmd.Stdout, cmd.Stderr = o.Log, o.Log
	}
	// Own process group, so Ctrl-C reaches plyr (which stops us in order) and not the
	// server directly; and SIGTERM if plyr dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	s := &Server{cmd: cmd, exited: make(chan struct{}), endpoint: "http://" + addr, access: access, secret: secret}
	go func() { _ = cmd.Wait(); close(s.exited) }()

	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.Stop(5 * time.Second)
		return nil, err
	}
	return s, nil
}

// Endpoint is the server's URL.
func (s *Server) Endpoint() string { return s.endpoint }

// Credentials are the root access key and secret.
func (s *Server) Credentials() (accessKeyID, secretAccessKey string) { return s.access, s.secret }

// Stop ends the server: SIGTERM, then SIGKILL if it is still there after timeout.
func (s *Server) Stop(timeout time.Duration) {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+healthPath, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("versitygw exited during start: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("versitygw at %s not ready: %w", s.endpoint, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Find locates the versitygw binary: path when given, else $PLYR_VERSITYGW, else bin/versitygw
// in this directory or any parent (the repository's), else next to the running executable,
// else PATH.
func Find(path string) (string, error) {
	if path == "" {
		path = os.Getenv("PLYR_VERSITYGW")
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("versitygw binary: %w", err)
		}
		return path, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidate := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(candidate); err == nil {
				return candidate, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		candidate := filepath.Join(filepath.Dir(exe), "versitygw")
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("versitygw binary not found: run `make tools` (builds bin/versitygw) or set PLYR_VERSITYGW")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
