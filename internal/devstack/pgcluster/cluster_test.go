package pgcluster

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindBinDir(t *testing.T) {
	dir, err := FindBinDir("")
	require.NoError(t, err)
	require.FileExists(t, dir+"/initdb")
	_, err = FindBinDir(t.TempDir())
	require.ErrorContains(t, err, "has no initdb and pg_ctl")
}
