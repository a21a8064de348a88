package dmca

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBusinessDaysAfter(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct{ name, from, want string }{
		// Tuesday 2 March 2027: two plain weeks.
		{"two working weeks", "2027-03-02T15:04:05Z", "2027-03-16T15:04:05Z"},
		// Presidents' Day (Monday 15 February 2027) is skipped: one more day.
		{"over Presidents' Day", "2027-02-02T15:04:05Z", "2027-02-17T15:04:05Z"},
		// Friday: the weekend is skipped, ten weekdays later is a Friday.
		{"from a Friday", "2027-03-05T09:00:00Z", "2027-03-19T09:00:00Z"},
		// Saturday: the count starts on Monday.
		{"from a Saturday", "2027-03-06T09:00:00Z", "2027-03-19T09:00:00Z"},
		// Thanksgiving (Thu 26 Nov 2026) is skipped: one more day.
		{"over Thanksgiving", "2026-11-20T12:00:00Z", "2026-12-07T12:00:00Z"},
		// Christmas 2026 is a Friday, New Year's Day 2027 a Friday: two more days.
		{"over Christmas and New Year", "2026-12-21T12:00:00Z", "2027-01-06T12:00:00Z"},
		// Independence Day 2026 is a Saturday, observed Friday 3 July.
		{"observed the Friday before", "2026-06-29T12:00:00Z", "2026-07-14T12:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, at(tc.want), BusinessDaysAfter(at(tc.from), RestoreAfter))
		})
	}
	// New Year's Day 2028 is a Saturday: observed on Friday 31 December 2027.
	require.False(t, businessDay(at("2027-12-31T12:00:00Z")))
	require.True(t, businessDay(at("2027-12-30T12:00:00Z")))
}
