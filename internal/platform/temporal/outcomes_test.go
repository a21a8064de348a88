package temporal

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	sdktemporal "go.temporal.io/sdk/temporal"
)

func TestOutcome(t *testing.T) {
	require.Equal(t, "completed", Outcome(nil))
	require.Equal(t, "failed", Outcome(errors.New("boom")))
	require.Equal(t, "canceled", Outcome(sdktemporal.NewCanceledError()))
}
