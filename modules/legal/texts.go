package legal

import (
	"fmt"
	"strings"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/notices"
)

// The texts of plyr's DMs. They say what happened and what the recipient can do, and
// never claim a confidence the recogniser does not give (plyr.fm's said "0% confidence").

func (m *Module) trackURL(t Track) string { return m.cfg.PublicURL + "/track/" + t.ID.String() }

func who(t Track) string {
	if t.ArtistHandle != "" {
		return "@" + t.ArtistHandle
	}
	return t.ArtistDID
}

func match(row db.Scan) string {
	return fmt.Sprintf("“%s” by %s", row.DominantTitle, row.DominantArtist)
}

func (m *Module) copyrightArtistText(t Track, row db.Scan) string {
	return fmt.Sprintf("Hi from plyr. Our copyright check found a possible match for your track “%s”: "+
		"parts of it sound like %s (%d of %d matched segments). Nothing has been removed: a person will look at it. "+
		"If this is your own work or you have the rights to it, reply to this message and tell us. %s",
		t.Title, match(row), row.DominantCount, row.MatchCount, m.trackURL(t))
}

func (m *Module) copyrightAdminText(t Track, row db.Scan) string {
	return fmt.Sprintf("Copyright flag: “%s” by %s. %d matched segments; the dominant match is %s with %d%% "+
		"(threshold %d%%). Review: %s/admin/flags/%s",
		t.Title, who(t), row.MatchCount, match(row), row.DominantPct, row.ThresholdPct, m.cfg.PublicURL, t.ID)
}

func (m *Module) reportAdminText(r db.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "New report (%s) of a %s: ", r.Reason, r.TargetType)
	if r.TargetName != "" {
		fmt.Fprintf(&b, "“%s” ", notices.Clip(r.TargetName, 100))
	}
	fmt.Fprintf(&b, "[%s]", notices.Clip(r.TargetID, 100))
	if r.TargetUrl != "" {
		fmt.Fprintf(&b, " %s", r.TargetUrl)
	}
	if r.Description != "" {
		fmt.Fprintf(&b, " — “%s”", notices.Clip(r.Description, 200))
	}
	fmt.Fprintf(&b, ". Review: %s/admin/reports", m.cfg.PublicURL)
	return b.String()
}

func (m *Module) takedownArtistText(t Track, why string) string {
	return fmt.Sprintf("Your track “%s” was taken down from plyr: %s. It is hidden on plyr; your records on your PDS "+
		"are untouched. If you think this is a mistake, reply to this message.", t.Title, why)
}

func (m *Module) dmcaArtistText(t Track, n db.DmcaNotice) string {
	return fmt.Sprintf("Your track “%s” was taken down from plyr after a DMCA notice from %s about “%s”. "+
		"If you believe it was removed by mistake, you can file a counter-notice: %s/dmca/%s . If you do, the track "+
		"comes back after %d business days unless the complainant tells us they went to court.",
		t.Title, notices.Clip(n.ComplainantName, 100), notices.Clip(n.Work, 200), m.cfg.PublicURL, n.ID, restoreDays)
}

func (m *Module) restoreArtistText(t Track) string {
	return fmt.Sprintf("Your track “%s” is back on plyr. %s", t.Title, m.trackURL(t))
}

func (m *Module) repeatAdminText(t Track, count int) string {
	return fmt.Sprintf("Repeat infringer: %s now has %d copyright takedowns (the threshold is %d). Latest: “%s” %s",
		who(t), count, m.cfg.RepeatInfringerThreshold, t.Title, m.trackURL(t))
}
