package legal

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/dmca"
	"github.com/plyrfm/plyr/modules/legal/internal/history"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
	"github.com/plyrfm/plyr/modules/legal/internal/notices"
	"github.com/plyrfm/plyr/modules/legal/internal/takedowns"
)

// restoreDays is the business days a countered notice waits, for the DM texts.
const restoreDays = dmca.RestoreAfter

// causes say what led to a takedown, for the record.
var causes = map[string]string{
	takedowns.CauseFlag: "a copyright flag", takedowns.CauseReport: "a report",
	takedowns.CauseDMCA: "a DMCA notice", takedowns.CauseAdmin: "an administrator's decision",
}

// takedown is a decision to take a track down.
type takedown struct {
	track     Track
	cause     string
	causeID   string
	copyright bool
	by        string
	// why is the reason the artist is told; artistText, when set, is their DM instead.
	why        string
	artistText string
}

// takeDownInTx puts the takedown in force through q (the decision's transaction), records
// it, and records the artist's DM and, when the artist reaches the repeat-infringer
// threshold, the admin's. It returns the keys of the DMs to send once committed; none
// when a takedown was already in force.
func (m *Module) takeDownInTx(ctx context.Context, q *db.Queries, d takedown) ([]string, error) {
	row, created, err := takedowns.Put(ctx, q, takedowns.Takedown{
		TrackID: d.track.ID, ArtistDID: d.track.ArtistDID, Cause: d.cause, CauseID: d.causeID, Copyright: d.copyright, By: d.by,
	})
	if err != nil || !created {
		return nil, err
	}
	detail := "after " + causes[d.cause]
	if d.why != "" {
		detail += ": " + d.why
	}
	err = history.Log(ctx, q, history.Event{
		SubjectType: history.Takedown, SubjectID: d.track.ID.String(), Kind: "taken_down", Actor: d.by, Detail: detail,
	})
	if err != nil {
		return nil, err
	}
	text := d.artistText
	if text == "" {
		text = m.takedownArtistText(d.track, d.why)
	}
	base := "takedown/" + d.track.ID.String() + "/" + row.ID.String()
	artist := notices.Notice{Key: base + "/artist", RecipientDID: d.track.ArtistDID, Kind: notices.TakedownArtist, Text: text}
	if d.cause == takedowns.CauseDMCA {
		artist.Kind = notices.DMCAArtist
	}
	if err := notices.Create(ctx, q, artist); err != nil {
		return nil, err
	}
	keys := []string{artist.Key}
	if !d.copyright || m.cfg.AdminDID == "" {
		return keys, nil
	}
	count, err := takedowns.CopyrightCount(ctx, q, d.track.ArtistDID)
	if err != nil {
		return nil, err
	}
	if count == m.cfg.RepeatInfringerThreshold {
		admin := notices.Notice{
			Key: base + "/repeat-infringer", RecipientDID: m.cfg.AdminDID, Kind: notices.RepeatAdmin,
			Text: m.repeatAdminText(d.track, count),
		}
		if err := notices.Create(ctx, q, admin); err != nil {
			return nil, err
		}
		keys = append(keys, admin.Key)
		err = history.Log(ctx, q, history.Event{
			SubjectType: history.Takedown, SubjectID: d.track.ID.String(), Kind: "repeat_infringer", Actor: history.System,
			Detail: fmt.Sprintf("%s has %d copyright takedowns", d.track.ArtistDID, count),
		})
		if err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// restoreInTx lifts the track's takedown in force through q, records it, and records the
// artist's DM under noticeKey. Nothing happens when no takedown is in force.
func (m *Module) restoreInTx(ctx context.Context, q *db.Queries, trackID uuid.UUID, by, reason string, countered bool, noticeKey string) error {
	row, lifted, err := takedowns.Lift(ctx, q, trackID, by, reason, countered)
	if err != nil || !lifted {
		return err
	}
	err = history.Log(ctx, q, history.Event{
		SubjectType: history.Takedown, SubjectID: trackID.String(), Kind: "restored", Actor: by, Detail: reason,
	})
	if err != nil {
		return err
	}
	t, found, err := m.catalog.Track(ctx, trackID)
	if err != nil || !found {
		return err // a track deleted meanwhile has no one to tell
	}
	return notices.Create(ctx, q, notices.Notice{
		Key: noticeKey, RecipientDID: row.ArtistDid, Kind: notices.RestoreArtist, Text: m.restoreArtistText(t),
	})
}

// carryOut starts what a committed decision needs: the track's takedown state applied
// (when trackID is set) and the DMs sent. Each start is idempotent, so a decision
// retried after a failure here finishes the job.
func (m *Module) carryOut(ctx context.Context, trackID *uuid.UUID, keys []string) error {
	if trackID != nil {
		if err := m.workflows.ApplyTakedown(ctx, *trackID); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := m.workflows.SendNotice(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// trackFor loads a track a decision is about; lerr.NotFound when there is none.
func (m *Module) trackFor(ctx context.Context, id uuid.UUID) (Track, error) {
	t, found, err := m.catalog.Track(ctx, id)
	if err != nil {
		return Track{}, err
	}
	if !found {
		return Track{}, lerr.NotFound.Withf("no such track")
	}
	return t, nil
}
