package media

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	mediaact "github.com/plyrfm/plyr/activities/media"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/exports"
	"github.com/plyrfm/plyr/modules/media/internal/files"
)

// exportURLTTL is how long the storage URL an export's download redirects to stays valid:
// long enough to start the download, too short to pass around.
const exportURLTTL = 5 * time.Minute

// maxExportBytes bounds an export's zip (R2 and S3 take objects of up to 5 TB in parts).
const maxExportBytes = 1 << 40

// StartExport records an export of all the caller's tracks and starts its workflow; an
// export being built is returned rather than a second started.
func (h *handler) StartExport(ctx context.Context, _ *mediav1.StartExportRequest) (*mediav1.StartExportResponse, error) {
	did := rpc.CallerFrom(ctx).DID
	items, err := h.m.pdsTracks.ExportTracks(ctx, did)
	if err != nil {
		return nil, err
	}
	e, created, err := h.m.exports.Create(ctx, did, len(items))
	if err != nil {
		return nil, err
	}
	if created {
		if err := h.m.exportFlows.StartExport(ctx, did, mediaact.ExportInput{ExportID: e.ID, Items: items}); err != nil {
			_ = h.m.exports.Finish(context.WithoutCancel(ctx), e.ID, 0, "the export could not start; try again")
			return nil, err
		}
	}
	return &mediav1.StartExportResponse{ExportId: e.ID.String(), TrackCount: int32(e.Total)}, nil
}

// ListExports lists the caller's exports that still mean something, newest first, so a
// client that reloaded can follow one being built or offer one ready.
func (h *handler) ListExports(ctx context.Context, _ *mediav1.ListExportsRequest) (*mediav1.ListExportsResponse, error) {
	list, err := h.m.exports.List(ctx, rpc.CallerFrom(ctx).DID)
	if err != nil {
		return nil, err
	}
	out := &mediav1.ListExportsResponse{}
	for _, e := range list {
		out.Exports = append(out.Exports, h.m.exportProto(e))
	}
	return out, nil
}

// WatchExport streams an export's progress until it ends; the last message of a ready
// export carries its download URL.
func (h *handler) WatchExport(ctx context.Context, req *mediav1.WatchExportRequest, stream *connect.ServerStream[mediav1.Export]) error {
	id, err := uuid.Parse(req.GetExportId())
	if err != nil {
		return ErrExportNotFound
	}
	owner := rpc.CallerFrom(ctx).DID
	return followRows(ctx, h.m, stream.Send, func() (*mediav1.Export, bool, error) {
		e, err := h.m.exports.Get(ctx, id)
		if err == nil && e.DID != owner {
			err = ErrExportNotFound
		}
		if err != nil {
			return nil, false, err
		}
		return h.m.exportProto(e), e.Status != exports.StatusRunning, nil
	})
}

// followRows streams what look reads from the database (an export's, a migration's
// progress) until it says the work ended: a message whenever it changed, a look every
// watch interval. Streams end with ErrRestarting when the server shuts down.
func followRows[M proto.Message](ctx context.Context, m *Module, send func(M) error, look func() (msg M, ended bool, err error)) error {
	var last M
	sent := false
	tick := time.NewTicker(m.watchInterval)
	defer tick.Stop()
	for {
		msg, ended, err := look()
		if err != nil {
			return err
		}
		if !sent || !proto.Equal(msg, last) {
			if err := send(msg); err != nil {
				return err
			}
			last, sent = msg, true
		}
		if ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.draining:
			return ErrRestarting
		case <-tick.C:
		}
	}
}

func (m *Module) exportProto(e exports.Export) *mediav1.Export {
	out := &mediav1.Export{
		ExportId: e.ID.String(), Processed: int32(e.Processed), Total: int32(e.Total), SizeBytes: e.SizeBytes, Error: e.Error,
	}
	switch e.Status {
	case exports.StatusRunning:
		out.Status = mediav1.ExportStatus_EXPORT_STATUS_RUNNING
	case exports.StatusReady:
		out.Status = mediav1.ExportStatus_EXPORT_STATUS_READY
		out.DownloadUrl = m.publicURL + "/exports/" + e.ID.String() + "/download"
	case exports.StatusFailed:
		out.Status = mediav1.ExportStatus_EXPORT_STATUS_FAILED
	}
	if e.ExpiresAt != nil {
		out.ExpiresAt = timestamppb.New(*e.ExpiresAt)
	}
	return out
}

// handleExportDownload serves GET /exports/{exportId}/download to the export's owner: a
// redirect to the zip in the private bucket, valid for exportURLTTL and never cached. Any
// other caller, and an unknown export, get 404 alike.
func (m *Module) handleExportDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "private, no-store")
	id, err := uuid.Parse(r.PathValue("exportId"))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, ErrExportNotFound)
		return
	}
	e, err := m.exports.Get(ctx, id)
	if err == nil && e.DID != rpc.CallerFrom(ctx).DID {
		err = ErrExportNotFound
	}
	switch {
	case err != nil:
	case e.Status != exports.StatusReady:
		err = exports.ErrNotReady
	case e.ExpiresAt == nil || time.Now().After(*e.ExpiresAt):
		err = exports.ErrExpired
	}
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	name := "plyr-tracks-" + e.CreatedAt.UTC().Format("2006-01-02") + ".zip"
	url, err := m.private.PresignDownload(ctx, exports.Key(id), exportURLTTL, "application/zip", name)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	http.Redirect(w, r, url, http.StatusFound)
}

// BuildExport writes an export's zip into the private bucket (the workflow's step).
func (m *Module) BuildExport(ctx context.Context, id uuid.UUID, items []mediaact.ExportItem) (int64, error) {
	list := make([]exports.Item, 0, len(items))
	for _, it := range items {
		list = append(list, exports.Item{FileID: it.FileID, Title: it.Title})
	}
	open := func(ctx context.Context, fileID uuid.UUID) (io.ReadCloser, string, time.Time, error) {
		body, file, err := m.files.Open(ctx, fileID)
		if errors.Is(err, files.ErrFileNotFound) {
			return nil, "", time.Time{}, exports.ErrFileGone
		}
		ext := file.StorageKey[strings.LastIndexByte(file.StorageKey, '.')+1:]
		return body, ext, time.Now(), err
	}
	upload := func(ctx context.Context, key string, r io.Reader) (int64, error) {
		return m.private.Upload(ctx, key, r, maxExportBytes)
	}
	return m.exports.Build(ctx, id, list, open, upload, nil)
}

// FinishExport records how an export ended (the workflow's step).
func (m *Module) FinishExport(ctx context.Context, id uuid.UUID, size int64, failure string) error {
	return m.exports.Finish(ctx, id, size, failure)
}

// ForgetExpiredExports deletes at most limit exports whose time is up: their zips, then
// their rows (housekeeping). It returns how many went.
func (m *Module) ForgetExpiredExports(ctx context.Context, now time.Time, limit int) (int, error) {
	ids, err := m.exports.Expired(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := m.private.Delete(ctx, exports.Key(id)); err != nil {
			return i, err
		}
		if err := m.exports.Delete(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
