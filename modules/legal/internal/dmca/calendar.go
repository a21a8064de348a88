package dmca

import "time"

// RestoreAfter is how many business days after a counter-notice its track comes back,
// unless the complainant reports court action: the DMCA's 10 (17 U.S.C. § 512(g)(2)(C)
// says not less than 10 nor more than 14).
const RestoreAfter = 10

// BusinessDaysAfter returns t moved n business days on, at the same time of day (UTC).
// Business days are Monday to Friday that are not US federal holidays (as observed: one
// on a Saturday is kept the Friday before, one on a Sunday the Monday after), so a
// restoration is never early for a holiday.
func BusinessDaysAfter(t time.Time, n int) time.Time {
	t = t.UTC()
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if businessDay(t) {
			n--
		}
	}
	return t
}

func businessDay(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	for _, h := range federalHolidays(t.Year()) {
		if sameDay(h, t) {
			return false
		}
	}
	// New Year's Day of next year on a Saturday is observed on 31 December.
	if next := observed(time.Date(t.Year()+1, time.January, 1, 0, 0, 0, 0, time.UTC)); sameDay(next, t) {
		return false
	}
	return true
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// federalHolidays are the US federal holidays of year, as observed (5 U.S.C. § 6103).
func federalHolidays(year int) []time.Time {
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	return []time.Time{
		observed(date(time.January, 1)),
		nthWeekday(year, time.January, time.Monday, 3),  // Birthday of Martin Luther King, Jr.
		nthWeekday(year, time.February, time.Monday, 3), // Washington's Birthday
		lastWeekday(year, time.May, time.Monday),        // Memorial Day
		observed(date(time.June, 19)),                   // Juneteenth
		observed(date(time.July, 4)),
		nthWeekday(year, time.September, time.Monday, 1),  // Labor Day
		nthWeekday(year, time.October, time.Monday, 2),    // Columbus Day
		observed(date(time.November, 11)),                 // Veterans Day
		nthWeekday(year, time.November, time.Thursday, 4), // Thanksgiving Day
		observed(date(time.December, 25)),
	}
}

func observed(t time.Time) time.Time {
	switch t.Weekday() {
	case time.Saturday:
		return t.AddDate(0, 0, -1)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

func nthWeekday(year int, m time.Month, wd time.Weekday, n int) time.Time {
	t := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC)
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, 1)
	}
	return t.AddDate(0, 0, 7*(n-1))
}

func lastWeekday(year int, m time.Month, wd time.Weekday) time.Time {
	t := time.Date(year, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, -1)
	}
	return t
}
