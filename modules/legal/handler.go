package legal

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	legalv1 "github.com/plyrfm/plyr/internal/gen/plyr/legal/v1"
	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/dmca"
	"github.com/plyrfm/plyr/modules/legal/internal/history"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
	"github.com/plyrfm/plyr/modules/legal/internal/notices"
	"github.com/plyrfm/plyr/modules/legal/internal/reports"
	"github.com/plyrfm/plyr/modules/legal/internal/scans"
	"github.com/plyrfm/plyr/modules/legal/internal/takedowns"
	"github.com/plyrfm/plyr/modules/legal/internal/terms"
)

// handler implements the LegalService: decode, call a feature, encode.
type handler struct {
	m *Module
}

func caller(ctx context.Context) *rpc.Caller { return rpc.CallerFrom(ctx) }

// maxNote bounds an admin's note on a decision.
const maxNote = 1000

func (h *handler) GetTerms(context.Context, *legalv1.GetTermsRequest) (*legalv1.GetTermsResponse, error) {
	d := terms.Current()
	return &legalv1.GetTermsResponse{
		Version: d.Version, TermsMarkdown: d.Terms, PrivacyMarkdown: d.Privacy, EffectiveAt: timestamppb.New(d.EffectiveAt),
	}, nil
}

// CreateReport files a report and sends the admin a DM about it.
func (h *handler) CreateReport(ctx context.Context, req *legalv1.CreateReportRequest) (*legalv1.CreateReportResponse, error) {
	m := h.m
	r := reports.Report{
		ReporterDID: caller(ctx).DID, TargetType: targetName(req.TargetType), TargetID: req.TargetId,
		TargetName: req.TargetName, TargetURL: req.TargetUrl, Reason: reasonName(req.Reason), Description: req.Description,
	}
	var row db.Report
	var keys []string
	err := pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		var err error
		if row, err = reports.Create(ctx, q, r, m.cfg.ReportsPerHour, m.now()); err != nil {
			return err
		}
		if m.cfg.AdminDID == "" {
			return nil
		}
		n := notices.Notice{
			Key: "report/" + row.ID.String() + "/admin", RecipientDID: m.cfg.AdminDID, Kind: notices.ReportAdmin,
			Text: m.reportAdminText(row),
		}
		keys = append(keys, n.Key)
		return notices.Create(ctx, q, n)
	})
	if err != nil {
		return nil, err
	}
	if err := m.carryOut(ctx, nil, keys); err != nil {
		// The report is filed; its DM is the admin's convenience, not the reporter's
		// problem: log it rather than fail a report that was made.
		m.logger.ErrorContext(ctx, "start the report's DM", "report", row.ID, "error", err.Error())
	}
	return &legalv1.CreateReportResponse{ReportId: row.ID.String()}, nil
}

func (h *handler) ListMyReports(ctx context.Context, req *legalv1.ListMyReportsRequest) (*legalv1.ListMyReportsResponse, error) {
	pos, size, err := page(req.Cursor, req.PageSize)
	if err != nil {
		return nil, err
	}
	rows, err := reports.ByReporter(ctx, h.m.q, caller(ctx).DID, pos.CreatedAt, pos.ID, size+1)
	if err != nil {
		return nil, err
	}
	rows, next := more(rows, size, func(r db.Report) cursor.Position { return cursor.Position{CreatedAt: r.CreatedAt, ID: r.ID} })
	out := &legalv1.ListMyReportsResponse{NextCursor: next}
	for _, r := range rows {
		out.Reports = append(out.Reports, reportProto(r, false))
	}
	return out, nil
}

func (h *handler) ListReports(ctx context.Context, req *legalv1.ListReportsRequest) (*legalv1.ListReportsResponse, error) {
	pos, size, err := page(req.Cursor, req.PageSize)
	if err != nil {
		return nil, err
	}
	rows, err := reports.List(ctx, h.m.q, !req.All, pos.CreatedAt, pos.ID, size+1)
	if err != nil {
		return nil, err
	}
	rows, next := more(rows, size, func(r db.Report) cursor.Position { return cursor.Position{CreatedAt: r.CreatedAt, ID: r.ID} })
	out := &legalv1.ListReportsResponse{NextCursor: next}
	for _, r := range rows {
		out.Reports = append(out.Reports, reportProto(r, true))
	}
	return out, nil
}

// ResolveReport records an admin's decision on a report; a takedown applies to a track.
func (h *handler) ResolveReport(ctx context.Context, req *legalv1.ResolveReportRequest) (*legalv1.ResolveReportResponse, error) {
	m := h.m
	id, err := parseID(req.ReportId, "report")
	if err != nil {
		return nil, err
	}
	decision, err := decisionName(req.Decision)
	if err != nil {
		return nil, err
	}
	if err := checkNote(req.Note); err != nil {
		return nil, err
	}
	admin := caller(ctx).DID
	current, err := reports.Get(ctx, m.q, id)
	if err != nil {
		return nil, err
	}
	var track *Track
	if decision == scans.TakeDown {
		if current.TargetType != "track" {
			return nil, lerr.InvalidInput.Withf("only a report about a track can take something down; act on the %s yourself and dismiss the report", current.TargetType)
		}
		trackID, err := parseID(current.TargetID, "track")
		if err != nil {
			return nil, err
		}
		t, err := m.trackFor(ctx, trackID)
		if err != nil {
			return nil, err
		}
		track = &t
	}
	var row db.Report
	var keys []string
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		var err error
		if row, err = reports.Resolve(ctx, q, id, decision, admin, strings.TrimSpace(req.Note)); err != nil {
			return err
		}
		err = history.Log(ctx, q, history.Event{SubjectType: history.Report, SubjectID: id.String(), Kind: decision, Actor: admin, Detail: req.Note})
		if err != nil || track == nil {
			return err
		}
		keys, err = m.takeDownInTx(ctx, q, takedown{
			track: *track, cause: takedowns.CauseReport, causeID: id.String(), copyright: row.Reason == "copyright", by: admin,
			why: fmt.Sprintf("it was reported (%s) and an administrator agreed", row.Reason),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	var trackID *uuid.UUID
	if track != nil {
		trackID = &track.ID
	}
	if err := m.carryOut(ctx, trackID, keys); err != nil {
		return nil, err
	}
	return &legalv1.ResolveReportResponse{Report: reportProto(row, true)}, nil
}

func (h *handler) GetModerationStatus(ctx context.Context, _ *legalv1.GetModerationStatusRequest) (*legalv1.GetModerationStatusResponse, error) {
	m := h.m
	open, failed, err := m.scans.Counts(ctx)
	if err != nil {
		return nil, err
	}
	reportsOpen, err := m.q.CountOpenReports(ctx)
	if err != nil {
		return nil, fmt.Errorf("count reports: %w", err)
	}
	return &legalv1.GetModerationStatusResponse{
		ScansEnabled: m.scanner != nil, DmsEnabled: m.notices.Enabled(), ThresholdPct: int32(m.cfg.ThresholdPct),
		OpenFlags: int32(open), FailedScans: int32(failed), OpenReports: reportsOpen,
		RepeatInfringerThreshold: int32(m.cfg.RepeatInfringerThreshold),
	}, nil
}

func (h *handler) ListFlags(ctx context.Context, req *legalv1.ListFlagsRequest) (*legalv1.ListFlagsResponse, error) {
	m := h.m
	pos, size, err := page(req.Cursor, req.PageSize)
	if err != nil {
		return nil, err
	}
	filter := map[legalv1.FlagFilter]string{
		legalv1.FlagFilter_FLAG_FILTER_UNSPECIFIED: scans.FilterOpen, legalv1.FlagFilter_FLAG_FILTER_OPEN: scans.FilterOpen,
		legalv1.FlagFilter_FLAG_FILTER_FLAGGED: scans.FilterFlagged, legalv1.FlagFilter_FLAG_FILTER_FAILED: scans.FilterFailed,
		legalv1.FlagFilter_FLAG_FILTER_ALL: scans.FilterAll,
	}[req.Filter]
	if filter == "" {
		return nil, lerr.InvalidInput.Withf("unknown filter")
	}
	rows, err := m.scans.List(ctx, filter, pos.CreatedAt, pos.ID, size+1)
	if err != nil {
		return nil, err
	}
	rows, next := more(rows, size, func(r db.Scan) cursor.Position { return cursor.Position{CreatedAt: r.ScannedAt, ID: r.TrackID} })
	out := &legalv1.ListFlagsResponse{NextCursor: next}
	for _, r := range rows {
		f, err := m.flagProto(ctx, r, false)
		if err != nil {
			return nil, err
		}
		out.Flags = append(out.Flags, f)
	}
	return out, nil
}

func (h *handler) GetFlag(ctx context.Context, req *legalv1.GetFlagRequest) (*legalv1.GetFlagResponse, error) {
	m := h.m
	id, err := parseID(req.TrackId, "track")
	if err != nil {
		return nil, err
	}
	row, err := m.scans.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	flag, err := m.flagProto(ctx, row, true)
	if err != nil {
		return nil, err
	}
	out := &legalv1.GetFlagResponse{Flag: flag}
	ns, err := m.notices.About(ctx, "copyright/"+id.String()+"/")
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		out.Notices = append(out.Notices, noticeProto(n))
	}
	for _, subject := range []string{history.Flag, history.Takedown} {
		events, err := history.Of(ctx, m.q, subject, id.String())
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			out.Events = append(out.Events, eventProto(e))
		}
	}
	return out, nil
}

// ResolveFlag records an admin's decision on an open flag.
func (h *handler) ResolveFlag(ctx context.Context, req *legalv1.ResolveFlagRequest) (*legalv1.ResolveFlagResponse, error) {
	m := h.m
	id, err := parseID(req.TrackId, "track")
	if err != nil {
		return nil, err
	}
	decision, err := decisionName(req.Decision)
	if err != nil {
		return nil, err
	}
	if err := checkNote(req.Note); err != nil {
		return nil, err
	}
	admin := caller(ctx).DID
	var track Track
	if decision == scans.TakeDown {
		if track, err = m.trackFor(ctx, id); err != nil {
			return nil, err
		}
	}
	var row db.Scan
	var keys []string
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		var err error
		if row, err = scans.Resolve(ctx, q, id, decision, admin, strings.TrimSpace(req.Note)); err != nil {
			return err
		}
		err = history.Log(ctx, q, history.Event{SubjectType: history.Flag, SubjectID: id.String(), Kind: decision, Actor: admin, Detail: req.Note})
		if err != nil || decision != scans.TakeDown {
			return err
		}
		keys, err = m.takeDownInTx(ctx, q, takedown{
			track: track, cause: takedowns.CauseFlag, causeID: id.String(), copyright: true, by: admin,
			why: fmt.Sprintf("an administrator found that it uses %s without permission", match(row)),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if decision == scans.TakeDown {
		if err := m.carryOut(ctx, &id, keys); err != nil {
			return nil, err
		}
	}
	flag, err := m.flagProto(ctx, row, true)
	if err != nil {
		return nil, err
	}
	return &legalv1.ResolveFlagResponse{Flag: flag}, nil
}

// RestoreTrack lifts a takedown no DMCA notice holds.
func (h *handler) RestoreTrack(ctx context.Context, req *legalv1.RestoreTrackRequest) (*legalv1.RestoreTrackResponse, error) {
	m := h.m
	id, err := parseID(req.TrackId, "track")
	if err != nil {
		return nil, err
	}
	if err := checkNote(req.Note); err != nil {
		return nil, err
	}
	admin := caller(ctx).DID
	key := ""
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		row, found, err := takedowns.InForce(ctx, q, id)
		if err != nil {
			return err
		}
		if !found {
			return lerr.NotInForce.Withf("this track is not taken down")
		}
		if row.Cause == takedowns.CauseDMCA {
			return lerr.HeldByNotice
		}
		key = "takedown/" + id.String() + "/" + row.ID.String() + "/restored"
		return m.restoreInTx(ctx, q, id, admin, "an administrator restored it: "+strings.TrimSpace(req.Note), false, key)
	})
	if err != nil {
		return nil, err
	}
	if err := m.carryOut(ctx, &id, []string{key}); err != nil {
		return nil, err
	}
	return &legalv1.RestoreTrackResponse{}, nil
}

func (h *handler) SetImageSensitive(ctx context.Context, req *legalv1.SetImageSensitiveRequest) (*legalv1.SetImageSensitiveResponse, error) {
	m := h.m
	id, err := parseID(req.ImageId, "image")
	if err != nil {
		return nil, err
	}
	admin := caller(ctx).DID
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		kind := "marked_sensitive"
		if req.Sensitive {
			err = q.MarkImageSensitive(ctx, db.MarkImageSensitiveParams{ImageID: id, MarkedBy: admin})
		} else {
			kind = "unmarked_sensitive"
			_, err = q.UnmarkImageSensitive(ctx, id)
		}
		if err != nil {
			return fmt.Errorf("mark image %s: %w", id, err)
		}
		return history.Log(ctx, q, history.Event{SubjectType: history.Image, SubjectID: id.String(), Kind: kind, Actor: admin})
	})
	if err != nil {
		return nil, err
	}
	return &legalv1.SetImageSensitiveResponse{}, nil
}

// FileDmcaNotice enters a notice: the track goes down at once, its artist is told how to
// counter, and dmca/<notice-id> waits for what comes next.
func (h *handler) FileDmcaNotice(ctx context.Context, req *legalv1.FileDmcaNoticeRequest) (*legalv1.FileDmcaNoticeResponse, error) {
	m := h.m
	trackID, err := parseID(req.TrackId, "track")
	if err != nil {
		return nil, err
	}
	admin := caller(ctx).DID
	track, err := m.trackFor(ctx, trackID)
	if err != nil {
		return nil, err
	}
	in := dmca.Notice{
		TrackID: trackID, ArtistDID: track.ArtistDID, ComplainantName: req.ComplainantName,
		ComplainantContact: req.ComplainantContact, Work: req.Work, URLs: req.Urls, Statement: req.Statement, ReceivedBy: admin,
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var row db.DmcaNotice
	var keys []string
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		if _, held, err := takedowns.InForce(ctx, q, trackID); err != nil || held {
			if err == nil {
				err = lerr.NotInForce.Withf("this track is already taken down; record the notice when it is back")
			}
			return err
		}
		var err error
		if row, err = dmca.Create(ctx, q, in); err != nil {
			return err
		}
		err = history.Log(ctx, q, history.Event{
			SubjectType: history.DMCA, SubjectID: row.ID.String(), Kind: "received", Actor: admin,
			Detail: fmt.Sprintf("from %s about %q", row.ComplainantName, row.Work),
		})
		if err != nil {
			return err
		}
		keys, err = m.takeDownInTx(ctx, q, takedown{
			track: track, cause: takedowns.CauseDMCA, causeID: row.ID.String(), copyright: true, by: admin,
			artistText: m.dmcaArtistText(track, row),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.carryOut(ctx, &trackID, keys); err != nil {
		return nil, err
	}
	if err := m.workflows.StartDMCA(ctx, row.ID, trackID); err != nil {
		return nil, err
	}
	return &legalv1.FileDmcaNoticeResponse{Notice: m.dmcaProto(ctx, row, true)}, nil
}

func (h *handler) ListDmcaNotices(ctx context.Context, req *legalv1.ListDmcaNoticesRequest) (*legalv1.ListDmcaNoticesResponse, error) {
	notices, next, err := h.m.listDmca(ctx, "", req.Cursor, req.PageSize, true)
	if err != nil {
		return nil, err
	}
	return &legalv1.ListDmcaNoticesResponse{Notices: notices, NextCursor: next}, nil
}

func (h *handler) ListMyDmcaNotices(ctx context.Context, req *legalv1.ListMyDmcaNoticesRequest) (*legalv1.ListMyDmcaNoticesResponse, error) {
	notices, next, err := h.m.listDmca(ctx, caller(ctx).DID, req.Cursor, req.PageSize, false)
	if err != nil {
		return nil, err
	}
	return &legalv1.ListMyDmcaNoticesResponse{Notices: notices, NextCursor: next}, nil
}

func (m *Module) listDmca(ctx context.Context, artist, token string, pageSize int32, admin bool) ([]*legalv1.DmcaNotice, string, error) {
	pos, size, err := page(token, pageSize)
	if err != nil {
		return nil, "", err
	}
	rows, err := dmca.List(ctx, m.q, artist, pos.CreatedAt, pos.ID, size+1)
	if err != nil {
		return nil, "", err
	}
	rows, next := more(rows, size, func(r db.DmcaNotice) cursor.Position { return cursor.Position{CreatedAt: r.ReceivedAt, ID: r.ID} })
	out := make([]*legalv1.DmcaNotice, 0, len(rows))
	for _, r := range rows {
		out = append(out, m.dmcaProto(ctx, r, admin))
	}
	return out, next, nil
}

// noticeFor loads a notice the caller may see: an admin any, an artist theirs.
func (h *handler) noticeFor(ctx context.Context, raw string) (db.DmcaNotice, bool, error) {
	id, err := parseID(raw, "notice")
	if err != nil {
		return db.DmcaNotice{}, false, err
	}
	row, err := dmca.Get(ctx, h.m.q, id)
	if err != nil {
		return db.DmcaNotice{}, false, err
	}
	c := caller(ctx)
	if !c.Admin && c.DID != row.ArtistDid {
		return db.DmcaNotice{}, false, lerr.NotFound.Withf("no such notice")
	}
	return row, c.Admin, nil
}

func (h *handler) GetDmcaNotice(ctx context.Context, req *legalv1.GetDmcaNoticeRequest) (*legalv1.GetDmcaNoticeResponse, error) {
	row, admin, err := h.noticeFor(ctx, req.NoticeId)
	if err != nil {
		return nil, err
	}
	events, err := history.Of(ctx, h.m.q, history.DMCA, row.ID.String())
	if err != nil {
		return nil, err
	}
	out := &legalv1.GetDmcaNoticeResponse{Notice: h.m.dmcaProto(ctx, row, admin)}
	for _, e := range events {
		out.Events = append(out.Events, eventProto(e))
	}
	return out, nil
}

// FileCounterNotice records the artist's counter-notice; the track comes back
// dmca.RestoreAfter business days later unless court action is reported.
func (h *handler) FileCounterNotice(ctx context.Context, req *legalv1.FileCounterNoticeRequest) (*legalv1.FileCounterNoticeResponse, error) {
	m := h.m
	current, _, err := h.noticeFor(ctx, req.NoticeId)
	if err != nil {
		return nil, err
	}
	c := caller(ctx)
	if c.DID != current.ArtistDid {
		return nil, lerr.NotFound.Withf("only the track's artist can counter this notice")
	}
	var row db.DmcaNotice
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		var err error
		if row, err = dmca.File(ctx, q, current.ID, dmca.Counter{Name: req.Name, Contact: req.Contact, Statement: req.Statement}); err != nil {
			return err
		}
		return history.Log(ctx, q, history.Event{
			SubjectType: history.DMCA, SubjectID: row.ID.String(), Kind: "countered", Actor: c.DID,
			Detail: "restore due " + row.RestoreDue.UTC().Format("2006-01-02 15:04 MST"),
		})
	})
	if err != nil {
		return nil, err
	}
	if err := m.workflows.SignalDMCA(ctx, row.ID, row.TrackID, dmca.StatusCountered, *row.RestoreDue); err != nil {
		return nil, err
	}
	return &legalv1.FileCounterNoticeResponse{Notice: m.dmcaProto(ctx, row, false)}, nil
}

// ReportCourtAction closes a countered notice: the track stays down.
func (h *handler) ReportCourtAction(ctx context.Context, req *legalv1.ReportCourtActionRequest) (*legalv1.ReportCourtActionResponse, error) {
	row, err := h.m.closeDmca(ctx, req.NoticeId, req.Note, dmca.StatusCourtAction, dmca.StatusCountered)
	if err != nil {
		return nil, err
	}
	return &legalv1.ReportCourtActionResponse{Notice: h.m.dmcaProto(ctx, row, true)}, nil
}

// WithdrawDmcaNotice closes a notice in force: the track comes back.
func (h *handler) WithdrawDmcaNotice(ctx context.Context, req *legalv1.WithdrawDmcaNoticeRequest) (*legalv1.WithdrawDmcaNoticeResponse, error) {
	row, err := h.m.closeDmca(ctx, req.NoticeId, req.Note, dmca.StatusWithdrawn, dmca.StatusTakenDown, dmca.StatusCountered)
	if err != nil {
		return nil, err
	}
	return &legalv1.WithdrawDmcaNoticeResponse{Notice: h.m.dmcaProto(ctx, row, true)}, nil
}

// closeDmca is an admin closing a notice as status from one of from: court action keeps
// the track down, a withdrawal brings it back. The workflow is told after the commit.
func (m *Module) closeDmca(ctx context.Context, rawID, note, status string, from ...string) (db.DmcaNotice, error) {
	id, err := parseID(rawID, "notice")
	if err != nil {
		return db.DmcaNotice{}, err
	}
	if err := checkNote(note); err != nil {
		return db.DmcaNotice{}, err
	}
	admin := rpc.CallerFrom(ctx).DID
	var row db.DmcaNotice
	var keys []string
	err = pgx.BeginFunc(ctx, m.db, func(tx pgx.Tx) error {
		q := m.q.WithTx(tx)
		var closed bool
		var err error
		if row, closed, err = dmca.Close(ctx, q, id, status, from...); err != nil {
			return err
		}
		if !closed {
			if _, err := dmca.Get(ctx, q, id); err != nil {
				return err
			}
			return lerr.NotInForce
		}
		if err := history.Log(ctx, q, history.Event{SubjectType: history.DMCA, SubjectID: id.String(), Kind: status, Actor: admin, Detail: note}); err != nil {
			return err
		}
		if status != dmca.StatusWithdrawn {
			return nil
		}
		key := dmcaKey(id, "restored")
		keys = append(keys, key)
		return m.restoreInTx(ctx, q, row.TrackID, admin, "the complainant withdrew the DMCA notice", true, key)
	})
	if err != nil {
		return db.DmcaNotice{}, err
	}
	if err := m.carryOut(ctx, &row.TrackID, keys); err != nil {
		return db.DmcaNotice{}, err
	}
	return row, m.workflows.SignalDMCA(ctx, id, row.TrackID, status, time.Time{})
}

// page decodes a page request: the position after which it starts, and its size.
func page(token string, size int32) (cursor.Position, int32, error) {
	pos, err := cursor.Decode(token)
	if err != nil {
		return cursor.Position{}, 0, lerr.InvalidInput.Withf("the cursor is not one this server gave")
	}
	switch {
	case size <= 0:
		size = 20
	case size > 100:
		size = 100
	}
	return pos, size, nil
}

// more cuts rows (fetched one past size) to a page and returns the next page's cursor.
func more[T any](rows []T, size int32, at func(T) cursor.Position) ([]T, string) {
	if int32(len(rows)) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, cursor.Encode(at(rows[len(rows)-1]))
}

func parseID(raw, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, lerr.NotFound.Withf("no such %s", what)
	}
	return id, nil
}

func checkNote(note string) error {
	if utf8.RuneCountInString(note) > maxNote {
		return lerr.InvalidInput.Withf("the note is longer than %d characters", maxNote)
	}
	return nil
}
