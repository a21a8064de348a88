package legal

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	legalv1 "github.com/plyrfm/plyr/internal/gen/plyr/legal/v1"
	"github.com/plyrfm/plyr/modules/legal/internal/db"
	"github.com/plyrfm/plyr/modules/legal/internal/dmca"
	"github.com/plyrfm/plyr/modules/legal/internal/lerr"
	"github.com/plyrfm/plyr/modules/legal/internal/scans"
	"github.com/plyrfm/plyr/modules/legal/internal/takedowns"
)

// Enum names: the proto's enum value without its prefix, lower-cased, is the stored name.

func targetName(t legalv1.TargetType) string {
	if t == legalv1.TargetType_TARGET_TYPE_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "TARGET_TYPE_"))
}

func reasonName(r legalv1.ReportReason) string {
	if r == legalv1.ReportReason_REPORT_REASON_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(r.String(), "REPORT_REASON_"))
}

func decisionName(d legalv1.Decision) (string, error) {
	switch d {
	case legalv1.Decision_DECISION_FALSE_POSITIVE:
		return scans.FalsePositive, nil
	case legalv1.Decision_DECISION_TAKE_DOWN:
		return scans.TakeDown, nil
	case legalv1.Decision_DECISION_DISMISS:
		return scans.Dismiss, nil
	}
	return "", lerr.InvalidInput.Withf("decide: a false positive, a takedown or dismissed")
}

func decisionProto(s string) legalv1.Decision {
	return legalv1.Decision(legalv1.Decision_value["DECISION_"+strings.ToUpper(s)])
}

func ts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func resolutionProto(decision, by *string, at *time.Time, note string) *legalv1.Resolution {
	if decision == nil || at == nil {
		return nil
	}
	r := &legalv1.Resolution{Decision: decisionProto(*decision), At: timestamppb.New(*at), Note: note}
	if by != nil {
		r.By = *by
	}
	return r
}

func reportProto(r db.Report, admin bool) *legalv1.Report {
	out := &legalv1.Report{
		Id: r.ID.String(), TargetType: legalv1.TargetType(legalv1.TargetType_value["TARGET_TYPE_"+strings.ToUpper(r.TargetType)]),
		TargetId: r.TargetID, TargetName: r.TargetName, TargetUrl: r.TargetUrl,
		Reason:      legalv1.ReportReason(legalv1.ReportReason_value["REPORT_REASON_"+strings.ToUpper(r.Reason)]),
		Description: r.Description, CreatedAt: timestamppb.New(r.CreatedAt),
		Resolution: resolutionProto(r.Resolution, r.ResolvedBy, r.ResolvedAt, r.ResolutionNote),
	}
	if admin {
		out.ReporterDid = r.ReporterDid
	}
	return out
}

var scanStatuses = map[string]legalv1.ScanStatus{
	scans.StatusClear: legalv1.ScanStatus_SCAN_STATUS_CLEAR, scans.StatusFlagged: legalv1.ScanStatus_SCAN_STATUS_FLAGGED,
	scans.StatusFailed: legalv1.ScanStatus_SCAN_STATUS_FAILED,
}

// flagProto describes a scan with its track (and, when full, its matches).
func (m *Module) flagProto(ctx context.Context, r db.Scan, full bool) (*legalv1.Flag, error) {
	t, _, err := m.catalog.Track(ctx, r.TrackID)
	if err != nil {
		return nil, err
	}
	_, down, err := takedowns.InForce(ctx, m.q, r.TrackID)
	if err != nil {
		return nil, err
	}
	out := &legalv1.Flag{
		TrackId: r.TrackID.String(), TrackTitle: t.Title, ArtistDid: r.ArtistDid, ArtistHandle: t.ArtistHandle,
		Status: scanStatuses[r.Status], MatchCount: r.MatchCount, DominantArtist: r.DominantArtist,
		DominantTitle: r.DominantTitle, DominantCount: r.DominantCount, DominantPct: r.DominantPct,
		ThresholdPct: r.ThresholdPct, Error: r.Error, ScannedAt: timestamppb.New(r.ScannedAt), NotifiedAt: ts(r.NotifiedAt),
		Resolution: resolutionProto(r.Resolution, r.ResolvedBy, r.ResolvedAt, r.ResolutionNote), TakenDown: down,
	}
	if full {
		for _, mt := range scans.Matches(r) {
			out.Matches = append(out.Matches, &legalv1.Match{
				Artist: mt.Artist, Title: mt.Title, Album: mt.Album, Isrc: mt.ISRC, OffsetMs: mt.OffsetMs, SongLink: mt.SongLink,
			})
		}
	}
	return out, nil
}

var noticeStatuses = map[string]legalv1.NoticeStatus{
	"pending": legalv1.NoticeStatus_NOTICE_STATUS_PENDING, "sent": legalv1.NoticeStatus_NOTICE_STATUS_SENT,
	"failed": legalv1.NoticeStatus_NOTICE_STATUS_FAILED, "off": legalv1.NoticeStatus_NOTICE_STATUS_OFF,
}

func noticeProto(n db.Notice) *legalv1.Notice {
	out := &legalv1.Notice{RecipientDid: n.RecipientDid, Kind: n.Kind, Status: noticeStatuses[n.Status], Text: n.Body, SentAt: ts(n.SentAt)}
	if n.Category != nil {
		out.Category = *n.Category
	}
	return out
}

func eventProto(e db.Event) *legalv1.Event {
	return &legalv1.Event{Kind: e.Kind, Actor: e.Actor, Detail: e.Detail, At: timestamppb.New(e.At)}
}

var dmcaStatuses = map[string]legalv1.DmcaStatus{
	dmca.StatusTakenDown: legalv1.DmcaStatus_DMCA_STATUS_TAKEN_DOWN, dmca.StatusCountered: legalv1.DmcaStatus_DMCA_STATUS_COUNTERED,
	dmca.StatusCourtAction: legalv1.DmcaStatus_DMCA_STATUS_COURT_ACTION, dmca.StatusRestored: legalv1.DmcaStatus_DMCA_STATUS_RESTORED,
	dmca.StatusWithdrawn: legalv1.DmcaStatus_DMCA_STATUS_WITHDRAWN,
}

// dmcaProto describes a notice; the complainant's contact is for admins only.
func (m *Module) dmcaProto(ctx context.Context, n db.DmcaNotice, admin bool) *legalv1.DmcaNotice {
	out := &legalv1.DmcaNotice{
		Id: n.ID.String(), TrackId: n.TrackID.String(), ArtistDid: n.ArtistDid, ComplainantName: n.ComplainantName,
		Work: n.Work, Urls: n.Urls, Statement: n.Statement, Status: dmcaStatuses[n.Status],
		ReceivedAt: timestamppb.New(n.ReceivedAt), CounterName: n.CounterName, CounterContact: n.CounterContact,
		CounterStatement: n.CounterStatement, CounteredAt: ts(n.CounteredAt), RestoreDue: ts(n.RestoreDue), ClosedAt: ts(n.ClosedAt),
	}
	if admin {
		out.ComplainantContact = n.ComplainantContact
	}
	if t, found, err := m.catalog.Track(ctx, n.TrackID); err == nil && found {
		out.TrackTitle = t.Title
	}
	return out
}
