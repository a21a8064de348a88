package devtoken

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
)

func TestCheckRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tokName string
		days    int32
		want    time.Duration
		wantErr bool
	}{
		{"default life", "cli", 0, 90 * 24 * time.Hour, false},
		{"a year", "cli", 365, 365 * 24 * time.Hour, false},
		{"too long", "cli", 366, 0, true},
		{"negative", "cli", -1, 0, true},
		{"long name", string(make([]byte, 65)), 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckRequest(tt.tokName, tt.days)
			if tt.wantErr {
				require.ErrorIs(t, err, ierr.InvalidInput)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
