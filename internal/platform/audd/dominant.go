package audd

import "strings"

// DefaultThresholdPct is the share of all matches (in percent) the most frequent song
// must reach for a scan to be flagged (MODERATION_COPYRIGHT_SCORE_THRESHOLD, #748).
const DefaultThresholdPct = 30

// Verdict is the outcome of the dominant-match rule.
type Verdict struct {
	// Flagged is true when Total > 0 and Pct reaches the threshold.
	Flagged bool
	// Artist and Title name the dominant song as it was first seen (trimmed); empty when
	// there were no matches.
	Artist string
	Title  string
	// Count is how many matches named the dominant song, Total how many matches there were,
	// and Pct is Count*100/Total (integer division; 0 when Total is 0).
	Count int
	Total int
	Pct   int
}

// Dominant applies the dominant-match rule: matches are counted per song, songs being the
// same when their artist and title agree once trimmed and lowercased; the most frequent
// song dominates (on a tie, the one seen first), and the scan is flagged when its share of
// all matches, in whole percent, is at least thresholdPct. A scattering of one-off matches
// (AudD hearing a different song in every chunk) is noise and stays below the threshold; a
// song heard through most of a track does not.
func Dominant(matches []Match, thresholdPct int) Verdict {
	if len(matches) == 0 {
		return Verdict{}
	}
	type tally struct {
		first int // index of the first match naming the song
		count int
	}
	tallies := map[string]*tally{}
	var order []*tally // songs in the order first seen
	for i, m := range matches {
		key := songKey(m)
		t, ok := tallies[key]
		if !ok {
			t = &tally{first: i}
			tallies[key] = t
			order = append(order, t)
		}
		t.count++
	}
	best := order[0]
	for _, t := range order[1:] {
		if t.count > best.count {
			best = t
		}
	}
	first := matches[best.first]
	pct := best.count * 100 / len(matches)
	return Verdict{
		Flagged: pct >= thresholdPct,
		Artist:  strings.TrimSpace(first.Artist),
		Title:   strings.TrimSpace(first.Title),
		Count:   best.count,
		Total:   len(matches),
		Pct:     pct,
	}
}

// songKey is what makes two matches the same song.
func songKey(m Match) string {
	return strings.ToLower(strings.TrimSpace(m.Artist)) + "\x00" + strings.ToLower(strings.TrimSpace(m.Title))
}
