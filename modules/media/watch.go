package media

import (
	"context"
	"errors"

	catalogact "github.com/plyrfm/plyr/activities/catalog"

	mediaact "github.com/plyrfm/plyr/activities/media"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/uploads"
	"github.com/plyrfm/plyr/modules/media/internal/watch"
	"github.com/plyrfm/plyr/workflows/upload"
)

// handler adapts the MediaService to the module: WatchUpload reads the upload through
// internal/uploads and follows its workflow through the shared looks of internal/watch.
// Errors are returned as they are: the service's error interceptor maps them
// (rpc.ConnectError) and logs what clients must not see.
type handler struct{ m *Module }

// WatchUpload streams an upload's state until it ends. The streams of one upload share one
// look at the workflow per tick (internal/watch), and a message goes out only when
// something changed.
func (h *handler) WatchUpload(ctx context.Context, req *mediav1.WatchUploadRequest, stream *connect.ServerStream[mediav1.WatchUploadResponse]) error {
	id, err := uuid.Parse(req.GetUploadId())
	if err != nil {
		return ErrInvalidUploadID
	}
	owner := rpc.CallerFrom(ctx).DID
	row, err := h.m.uploads.Get(ctx, id, owner)
	if err != nil {
		return err
	}

	var last *mediav1.WatchUploadResponse
	send := func(msg *mediav1.WatchUploadResponse) error {
		if proto.Equal(msg, last) {
			return nil
		}
		last = msg
		return stream.Send(msg)
	}
	// An upload that already ended is answered from its row.
	if row.Status != uploads.Processing {
		return send(h.endedFromRow(ctx, row))
	}

	watcher, err := h.m.watches.Subscribe(row.TrackID)
	if errors.Is(err, watch.ErrTooManyWatchers) {
		return ErrTooManyWatchers
	}
	if err != nil {
		return err
	}
	defer watcher.Close()
	phase := upload.PhaseQueued
	var shown int32 // progress never goes backwards, even when a look is less informed
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.m.draining:
			return ErrRestarting
		case <-watcher.Updated():
		}
		state, err := watcher.Latest()
		switch {
		case errors.Is(err, ErrWorkflowNotFound):
			// Gone from Temporal: the row holds the ending, if it was recorded.
			latest, err := h.m.uploads.Get(ctx, id, owner)
			if err != nil {
				return err
			}
			return send(h.endedFromRow(ctx, latest))
		case err != nil:
			// Temporal did not answer this time; the next look may. Keep the stream.
			h.m.logger.DebugContext(ctx, "observe upload", "upload_id", id.String(), "error", err.Error())
			continue
		}
		if state.Phase != "" {
			phase = state.Phase
		}
		msg := stateMessage(row, phase, state)
		msg.ProgressPercent = max(msg.ProgressPercent, shown)
		shown = msg.ProgressPercent
		if err := send(msg); err != nil {
			return err
		}
		if msg.Status != mediav1.UploadStatus_UPLOAD_STATUS_PROCESSING {
			return nil
		}
	}
}

// stateMessage describes a look at the workflow.
func stateMessage(row uploads.Upload, phase upload.Phase, s UploadState) *mediav1.WatchUploadResponse {
	msg := &mediav1.WatchUploadResponse{UploadId: row.ID.String(), TrackId: row.TrackID.String()}
	switch {
	case s.Running:
		msg.Status = mediav1.UploadStatus_UPLOAD_STATUS_PROCESSING
		msg.Phase = phaseToProto(phase)
		msg.ProgressPercent = percent(phase, s.Step, s.Fraction)
	case s.Failed:
		msg.Status, msg.Phase, msg.Error = mediav1.UploadStatus_UPLOAD_STATUS_FAILED, mediav1.UploadPhase_UPLOAD_PHASE_DONE, upload.FailedMessage
	default:
		fillEnding(msg, string(s.Output.Status), s.Output.Reason)
		msg.FileId = fileIDIfReady(s.Output.Status, s.Output.FileID)
		msg.OriginalFileId = fileIDIfReady(s.Output.Status, s.Output.OriginalFileID)
		msg.PdsBlob = s.Output.PDSBlob
		if s.Output.PDSBlob == catalogact.PDSFailed {
			msg.Error = "the track is ready, but copying it to your PDS failed: " + s.Output.PDSReason
		}
		msg.DurationMs = s.Output.DurationMs
	}
	return msg
}

// endedFromRow describes an ended upload from its row (and its file's, once ready).
func (h *handler) endedFromRow(ctx context.Context, row uploads.Upload) *mediav1.WatchUploadResponse {
	msg := &mediav1.WatchUploadResponse{UploadId: row.ID.String(), TrackId: row.TrackID.String()}
	status := row.Status
	if status == uploads.Processing {
		// The workflow is gone but never recorded an ending: it was terminated or lost.
		status = string(upload.StatusFailed)
	}
	fillEnding(msg, status, row.Error)
	if upload.Status(status) == upload.StatusReady {
		msg.FileId = row.FileID.String()
		if file, err := h.m.files.Get(ctx, row.FileID); err == nil {
			msg.DurationMs = file.DurationMs
		}
		// A lossless upload's file is its original; the track plays the MP3 made of it.
		if mp3 := mediaact.TranscodedFileID(row.FileID); h.m.files.Exists(ctx, mp3) {
			msg.OriginalFileId, msg.FileId = row.FileID.String(), mp3.String()
		}
	}
	return msg
}

func fillEnding(msg *mediav1.WatchUploadResponse, status, reason string) {
	msg.Phase = mediav1.UploadPhase_UPLOAD_PHASE_DONE
	switch upload.Status(status) {
	case upload.StatusReady:
		msg.Status, msg.ProgressPercent = mediav1.UploadStatus_UPLOAD_STATUS_READY, 100
	case upload.StatusRejected:
		msg.Status, msg.Error = mediav1.UploadStatus_UPLOAD_STATUS_REJECTED, reason
	default:
		msg.Status, msg.Error = mediav1.UploadStatus_UPLOAD_STATUS_FAILED, upload.FailedMessage
	}
}

func fileIDIfReady(status upload.Status, fileID uuid.UUID) string {
	if status == upload.StatusReady && fileID != uuid.Nil {
		return fileID.String()
	}
	return ""
}

func phaseToProto(p upload.Phase) mediav1.UploadPhase {
	switch p {
	case upload.PhaseQueued:
		return mediav1.UploadPhase_UPLOAD_PHASE_QUEUED
	case upload.PhaseValidating:
		return mediav1.UploadPhase_UPLOAD_PHASE_VALIDATING
	case upload.PhaseStoring:
		return mediav1.UploadPhase_UPLOAD_PHASE_STORING
	case upload.PhaseTranscoding:
		return mediav1.UploadPhase_UPLOAD_PHASE_TRANSCODING
	case upload.PhasePDSUpload:
		return mediav1.UploadPhase_UPLOAD_PHASE_PDS_UPLOAD
	case upload.PhasePublishing:
		return mediav1.UploadPhase_UPLOAD_PHASE_PUBLISHING
	case upload.PhaseDone:
		return mediav1.UploadPhase_UPLOAD_PHASE_DONE
	default:
		return mediav1.UploadPhase_UPLOAD_PHASE_UNSPECIFIED
	}
}

// percent estimates overall progress. For an MP3 validation is most of the work:
// downloading the staged file is its first quarter, the full decode the rest. For a
// lossless original validation is the download and a probe, and the transcode (its own
// download, then the encode) is most of the work.
func percent(phase upload.Phase, step string, fraction float64) int32 {
	fraction = min(max(fraction, 0), 1)
	switch phase {
	case upload.PhaseValidating:
		if step == upload.StepDecode {
			return 30 + int32(50*fraction)
		}
		return 5 + int32(25*fraction)
	case upload.PhaseStoring:
		return 85
	case upload.PhaseTranscoding:
		if step == upload.StepTranscode {
			return 45 + int32(45*fraction)
		}
		return 40 + int32(5*fraction)
	case upload.PhasePDSUpload:
		return 92
	case upload.PhasePublishing:
		return 95
	case upload.PhaseDone:
		return 100
	default:
		return 0
	}
}
