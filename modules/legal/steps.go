package legal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	legalact "github.com/plyrfm/plyr/activities/legal"
	"github.com/plyrfm/plyr/internal/platform/audd"
	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/dmca"
	"github.com/plyrfm/plyr/modules/legal/internal/history"
	"github.com/plyrfm/plyr/modules/legal/internal/notices"
	"github.com/plyrfm/plyr/modules/legal/internal/scans"
	"github.com/plyrfm/plyr/modules/legal/internal/takedowns"
)

// The methods in this file are the legal activities' (activities/legal.Legal).

// ScanTrack scans a public track's audio with the recogniser and stores the scan.
func (m *Module) ScanTrack(ctx context.Context, trackID uuid.UUID) (legalact.Scan, error) {
	if m.scanner == nil {
		return legalact.Scan{Off: true}, nil
	}
	t, found, err := m.catalog.Track(ctx, trackID)
	switch {
	case err != nil:
		return legalact.Scan{}, err
	case !found:
		return legalact.Scan{Skipped: "the track is gone"}, nil
	case !t.Public || t.FileID == nil:
		return legalact.Scan{Skipped: "the track is not public"}, nil
	}
	url, err := m.media.AudioURL(ctx, *t.FileID, m.cfg.ScanURLTTL)
	if err != nil {
		return legalact.Scan{}, fmt.Errorf("a URL for the recogniser: %w", err)
	}
	scanCtx, cancel := context.WithTimeout(ctx, m.cfg.ScanTimeout)
	defer cancel()
	res, err := m.scanner.Scan(scanCtx, url)
	if err != nil {
		if audd.Retryable(err) && ctx.Err() == nil {
			return legalact.Scan{}, fmt.Errorf("scan: %w", err)
		}
		return legalact.Scan{}, &legalact.Failure{Type: "scan_refused", Err: fmt.Errorf("scan: %w", err)}
	}
	v := audd.Dominant(res.Matches, m.cfg.ThresholdPct)
	matches := make([]scans.Match, 0, len(res.Matches))
	for _, mt := range res.Matches {
		matches = append(matches, scans.Match{
			Artist: mt.Artist, Title: mt.Title, Album: mt.Album, ISRC: mt.ISRC, OffsetMs: mt.OffsetMs, SongLink: mt.SongLink,
		})
	}
	row, err := m.scans.Record(ctx, scans.Scan{
		TrackID: trackID, ArtistDID: t.ArtistDID, Matches: matches,
		Verdict: scans.Verdict{Flagged: v.Flagged, Artist: v.Artist, Title: v.Title, Count: v.Count, Pct: v.Pct, Threshold: m.cfg.ThresholdPct},
	})
	if err != nil {
		return legalact.Scan{}, err
	}
	return legalact.Scan{Flagged: openFlag(row)}, nil
}

func openFlag(row db.Scan) bool { return row.Status == scans.StatusFlagged && row.Resolution == nil }

// RecordScanFailure stores a scan that could not be made.
func (m *Module) RecordScanFailure(ctx context.Context, trackID uuid.UUID, reason string) error {
	t, _, err := m.catalog.Track(ctx, trackID)
	if err != nil {
		return err
	}
	_, err = m.scans.RecordFailure(ctx, trackID, t.ArtistDID, m.cfg.ThresholdPct, notices.Clip(reason, 500))
	return err
}

// Keys of the DMs about a flag.
func copyrightKey(trackID uuid.UUID, who string) string {
	return "copyright/" + trackID.String() + "/" + who
}

// CopyrightNotices records the DMs about the track's open flag: the artist's, then the
// admin's.
func (m *Module) CopyrightNotices(ctx context.Context, trackID uuid.UUID) ([]string, error) {
	row, err := m.scans.Get(ctx, trackID)
	if err != nil {
		return nil, err
	}
	if !openFlag(row) {
		return nil, nil
	}
	t, _, err := m.catalog.Track(ctx, trackID)
	if err != nil {
		return nil, err
	}
	if t.Title == "" {
		t.Title = "your track"
	}
	var keys []string
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		artist := notices.Notice{
			Key: copyrightKey(trackID, "artist"), RecipientDID: row.ArtistDid, Kind: notices.CopyrightArtist,
			Text: m.copyrightArtistText(t, row),
		}
		if err := notices.Create(ctx, q, artist); err != nil {
			return err
		}
		keys = append(keys, artist.Key)
		if m.cfg.AdminDID == "" {
			return nil
		}
		admin := notices.Notice{
			Key: copyrightKey(trackID, "admin"), RecipientDID: m.cfg.AdminDID, Kind: notices.CopyrightAdmin,
			Text: m.copyrightAdminText(t, row),
		}
		if err := notices.Create(ctx, q, admin); err != nil {
			return err
		}
		keys = append(keys, admin.Key)
		return nil
	})
	return keys, err
}

// SendNotice sends the DM recorded under key, once.
func (m *Module) SendNotice(ctx context.Context, key string) error {
	out, err := m.notices.Send(ctx, key)
	var se *notices.SendError
	if errors.As(err, &se) {
		m.logger.WarnContext(ctx, "send DM", "key", key, "category", se.Category, "error", err.Error())
		return &legalact.Failure{Type: se.Category, Retryable: se.Retryable(), Err: err}
	}
	if errors.Is(err, notices.ErrUnknownNotice) {
		return &legalact.Failure{Type: notices.Unknown, Err: err}
	}
	if err != nil {
		return err
	}
	if out.Sent && out.Notice.Kind == notices.CopyrightArtist {
		// The artist knows about the flag: the scan says when.
		id, perr := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(key, "copyright/"), "/artist"))
		if perr == nil {
			return m.scans.MarkNotified(ctx, id)
		}
	}
	return nil
}

// FailNotice records a DM given up on.
func (m *Module) FailNotice(ctx context.Context, key, category, reason string) error {
	return m.notices.Fail(ctx, key, category, reason)
}

// TakedownsInForce returns the tracks with a takedown in force, at most limit, oldest
// first (for housekeeping to check each is applied).
func (m *Module) TakedownsInForce(ctx context.Context, limit int) ([]uuid.UUID, error) {
	ids, err := m.q.TracksInForce(ctx, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("takedowns in force: %w", err)
	}
	return ids, nil
}

// StalledNotices returns the keys of DMs still pending that were recorded before before
// (longer ago than any DM's retries last): their workflows' starts were lost.
func (m *Module) StalledNotices(ctx context.Context, before time.Time, limit int) ([]string, error) {
	keys, err := m.q.StalledNotices(ctx, db.StalledNoticesParams{Before: before, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("stalled notices: %w", err)
	}
	return keys, nil
}

// TakedownState says whether the track has a takedown in force.
func (m *Module) TakedownState(ctx context.Context, trackID uuid.UUID) (legalact.Takedown, error) {
	_, down, err := takedowns.InForce(ctx, m.q, trackID)
	return legalact.Takedown{Down: down}, err
}

// CloseDMCA closes a countered notice whose wait is over (status restored): the takedown
// is lifted, the artist told, and the record says so. When another step closed the
// notice first (court action, withdrawal), nothing changes and closed is false; an
// earlier attempt of this step that closed it counts as closed.
func (m *Module) CloseDMCA(ctx context.Context, noticeID uuid.UUID, status string) (bool, error) {
	if status != dmca.StatusRestored {
		return false, &legalact.Failure{Type: "bad_input", Err: fmt.Errorf("a workflow closes notices as restored only, not %q", status)}
	}
	closed := false
	var notice db.DmcaNotice
	err := pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		row, ok, err := dmca.Close(ctx, q, noticeID, dmca.StatusRestored, dmca.StatusCountered)
		if err != nil || !ok {
			return err
		}
		closed, notice = true, row
		err = history.Log(ctx, q, history.Event{
			SubjectType: history.DMCA, SubjectID: noticeID.String(), Kind: dmca.StatusRestored, Actor: history.System,
			Detail: fmt.Sprintf("%d business days after the counter-notice, no court action reported", dmca.RestoreAfter),
		})
		if err != nil {
			return err
		}
		return m.restoreInTx(ctx, q, row.TrackID, history.System,
			fmt.Sprintf("DMCA notice %s: %d business days passed after the counter-notice with no court action reported", noticeID, dmca.RestoreAfter),
			true, dmcaKey(noticeID, "restored"))
	})
	if err != nil {
		return false, err
	}
	if !closed {
		if notice, err = dmca.Get(ctx, m.q, noticeID); err != nil {
			return false, err
		}
		if notice.Status != dmca.StatusRestored {
			return false, nil
		}
	}
	// Closed now or by an earlier attempt of this step: make sure what follows happens.
	if err := m.workflows.ApplyTakedown(ctx, notice.TrackID); err != nil {
		return false, err
	}
	return true, m.workflows.SendNotice(ctx, dmcaKey(noticeID, "restored"))
}

func dmcaKey(noticeID uuid.UUID, step string) string {
	return "dmca/" + noticeID.String() + "/" + step
}
