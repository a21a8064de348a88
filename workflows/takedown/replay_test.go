package takedown

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplay replays histories recorded from real runs (workflows/testdata, written by
// `make histories`) against today's code: a change that would break running workflows
// fails here. Record new ones when a change is deliberate and put behind GetVersion.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "takedown_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded takedown histories in workflows/testdata")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Workflow, RegisterOptions())
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
