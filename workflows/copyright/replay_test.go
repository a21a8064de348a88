package copyright

import (
	"path/filepath"
	"testing"

	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplay replays histories recorded from real runs (workflows/testdata, written by
// `make histories`) against today's code: a change that would break running workflows
// fails here. Record new ones when a change is deliberate and put behind GetVersion.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "copyright_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded copyright histories in workflows/testdata")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Workflow{ScanRetry: DefaultScanRetry, Notices: notice.Sending{Retry: notice.DefaultRetry}}.Run, RegisterOptions())
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
