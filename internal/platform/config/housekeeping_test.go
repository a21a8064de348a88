package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse_Housekeeping(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	c, err := Parse(env(nil))
	require.NoError(t, err)
	require.Equal(t, Housekeeping{Interval: 15 * time.Minute, StartupGrace: time.Hour}, c.Housekeeping)

	c, err = Parse(env(map[string]string{"PLYR_HOUSEKEEPING_INTERVAL": "5m", "PLYR_HOUSEKEEPING_STARTUP_GRACE": "0"}))
	require.NoError(t, err)
	require.Equal(t, Housekeeping{Interval: 5 * time.Minute}, c.Housekeeping)

	for _, bad := range []map[string]string{
		{"PLYR_HOUSEKEEPING_INTERVAL": "10s"},
		{"PLYR_HOUSEKEEPING_STARTUP_GRACE": "-1m"},
	} {
		_, err := Parse(env(bad))
		require.ErrorContains(t, err, "PLYR_HOUSEKEEPING", "%v", bad)
	}
}
