// Package testtemporal gives tests a real Temporal server, embedded in the test process and
// started on first use (about a second), with its state in a temporary SQLite file. It
// links the whole Temporal server, so only the packages that need workflows to actually run
// import it; workflow logic alone is tested with the SDK's testsuite.
package testtemporal

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/internal/devstack/devserver"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/temporal"
)

var server struct {
	once sync.Once
	err  error
	addr string
}

// Address starts the process's server if needed and returns its frontend address.
func Address(t testing.TB) string {
	t.Helper()
	server.once.Do(func() {
		dir, err := testenv.WorkDir()
		if err != nil {
			server.err = err
			return
		}
		srv, err := devserver.Start(context.Background(), devserver.Options{
			Addr: "127.0.0.1:0", DBFile: filepath.Join(dir, "temporal.db"),
		})
		if err != nil {
			server.err = err
			return
		}
		testenv.AtExit(func() { _ = srv.Stop(10 * time.Second) })
		server.addr = srv.Addr()
	})
	if server.err != nil {
		t.Fatalf("test temporal: %v", server.err)
	}
	return server.addr
}

// NewClient returns a client of the process's server in the default namespace, closed
// when the test ends.
func NewClient(t testing.TB, logger *slog.Logger) client.Client {
	t.Helper()
	c, err := temporal.Dial(context.Background(), Address(t), "default", logger)
	if err != nil {
		t.Fatalf("dial test temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}
