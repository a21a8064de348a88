package recordsync

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplay replays histories recorded from real runs (workflows/testdata, written by
// `make histories`) against today's code: a change that would break running workflows
// fails here.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "recordsync_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded recordsync histories in workflows/testdata")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Workflow{WriteRetry: DefaultWriteRetry, WriteTimeout: DefaultWriteTimeout}.Run, RegisterOptions())
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
