// Package upload is the workflow that turns an accepted upload into a playable track:
//
//	create the draft track → inspect the audio (plyr-media queue) → store it under its
//	permanent key → [a lossless original: make its MP3, child workflow transcode] →
//	[copy the playable audio to the artist's PDS] → publish the track (which starts its
//	record's write, recordsync) → record the ending
//
// The copy to the PDS (for artists who asked for it) is made before the track is
// published, so that the record's first write carries its audioBlob. Its failure does not
// fail the upload: a PDS that refuses the size (413) leaves the audio on plyr's storage, a
// recorded outcome; any other error is retried, then recorded on the track as failed (the
// track plays from plyr's storage, and a migration can copy it later).
//
// A lossless original (FLAC, WAV, AIFF, ALAC) is kept as uploaded and the track plays its
// MP3, made by the child workflow transcode/<file-id>/mp3 on the media queue; the track is
// published, and playable, as soon as the MP3 exists.
//
// An upload refused for its content (InspectUpload's verdict) ends the workflow normally
// with status rejected and a reason for the uploader; a failure of plyr's own (retries
// exhausted) fails the workflow. Either way nothing is left behind: each step that makes
// something registers, before it runs, the compensation that removes it, and on any
// ending but ready the compensations run in reverse order on a context of their own.
//
// # Recovery
//
// A step's attempt on a worker that died is given up, and retried on a live worker, when
// its heartbeat (heavy steps) or its whole run time (light steps) times out. Both are kept
// to seconds (see the options below), so after a crash or kill -9 an upload resumes
// within about 15 s of a worker being back, not after a minute.
//
// # Progress contract
//
// WatchUpload (modules/media) follows the workflow without knowing its activities: the
// phase comes from QueryProgress (Progress), the progress within validation from the
// heartbeat details (StepProgress) of the pending ProgressActivity.
package upload

import (
	"cmp"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/google/uuid"

	catalogact "github.com/plyrfm/plyr/activities/catalog"
	mediaact "github.com/plyrfm/plyr/activities/media"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/workflows/copyright"
	"github.com/plyrfm/plyr/workflows/taskqueue"
	"github.com/plyrfm/plyr/workflows/transcode"
)

// Name is the workflow's registered type name.
const Name = "upload"

// TaskQueue is where the workflow runs.
const TaskQueue = taskqueue.Main

// QueryProgress is the query that returns the workflow's Progress.
const QueryProgress = "progress"

// RegisterOptions are the options the workflow is registered with: its stable Name.
func RegisterOptions() workflow.RegisterOptions { return workflow.RegisterOptions{Name: Name} }

// WorkflowID is the workflow's id for a track: one upload workflow per track.
func WorkflowID(trackID uuid.UUID) string { return "upload/" + trackID.String() }

// Input is everything the workflow needs, fixed when the upload is accepted.
type Input struct {
	UploadID   uuid.UUID
	TrackID    uuid.UUID
	FileID     uuid.UUID
	ArtistDID  string
	Title      string
	StagingKey string
	AcceptedAt time.Time
	// Filename is the name the file was uploaded with.
	Filename string `json:",omitempty"`
	// AllowLossless: the uploader may upload lossless files (the lossless-uploads flag).
	AllowLossless bool `json:",omitempty"`
	// PDSAudio: the uploader has their audio copied to their PDS (the pds-audio-uploads
	// flag and their preference).
	PDSAudio bool `json:",omitempty"`
	// LosslessFormat is the format of a lossless file as its first bytes sniffed when the
	// upload was accepted (and the uploader may upload one): its MP3 is made while it is
	// inspected.
	LosslessFormat string `json:",omitempty"`
}

// Status is how an upload ended.
type Status string

const (
	// StatusReady means the track is published and playable.
	StatusReady Status = "ready"
	// StatusRejected means the file was refused for its content; Output.Reason says why.
	StatusRejected Status = "rejected"
	// StatusFailed means plyr could not finish; the workflow itself fails.
	StatusFailed Status = "failed"
)

// FailedMessage is what the uploader is told when plyr could not finish an upload.
const FailedMessage = "plyr could not process this upload; nothing was kept, please try again"

// Output is how the upload ended.
type Output struct {
	Status Status
	Reason string
	// FileID is the playable file of a ready upload (zero otherwise).
	FileID     uuid.UUID `json:",omitzero"`
	DurationMs int32
	// OriginalFileID is the lossless original of a ready upload that kept one.
	OriginalFileID uuid.UUID `json:",omitzero"`
	// PDSBlob is how the copy to the PDS went (catalogact.PDSOnPDS, PDSTooLarge,
	// PDSFailed), when one was asked for; PDSReason says why a copy failed.
	PDSBlob   string `json:",omitempty"`
	PDSReason string `json:",omitempty"`
}

// Phase is the step the workflow is in.
type Phase string

// The phases, in order.
const (
	PhaseQueued     Phase = "queued"
	PhaseValidating Phase = "validating"
	PhaseStoring    Phase = "storing"
	PhasePublishing Phase = "publishing"
	PhaseDone       Phase = "done"
	// PhaseTranscoding comes after storing, for a lossless original only.
	PhaseTranscoding Phase = "transcoding"
	// PhasePDSUpload comes before publishing, for artists who copy their audio to their PDS.
	PhasePDSUpload Phase = "pds_upload"
)

// Progress is the answer to QueryProgress.
type Progress struct {
	Phase Phase
	// Child is the running child workflow whose step's heartbeats carry the progress
	// (the transcode's, while PhaseTranscoding), or empty.
	Child string `json:",omitempty"`
}

// StepProgress is the heartbeat detail of ProgressActivity while the workflow validates:
// which part of validation runs (StepDownload, then StepDecode) and how far it is.
type StepProgress = mediaact.InspectProgress

// The parts of validation (and of transcoding) StepProgress names.
const (
	StepDownload  = mediaact.StepDownload
	StepDecode    = mediaact.StepDecode
	StepTranscode = mediaact.StepTranscode
)

// ProgressActivity is the activity type whose heartbeats carry StepProgress while the
// workflow validates. While it transcodes, the heartbeats are those of the child
// TranscodeWorkflowID(FileID) runs: its transcode.ProgressActivity's.
const ProgressActivity = mediaact.InspectUploadName

// TranscodeWorkflowID is the id of the child that makes the MP3 of an upload's lossless
// original (fileID is the upload's, which the original keeps).
func TranscodeWorkflowID(fileID uuid.UUID) string {
	return transcode.WorkflowID(fileID, transcode.TargetMP3)
}

// Activity options. Light steps are single database writes or storage calls: a short
// run time bounds how long a dead worker holds them. StoreFile copies a file that may be
// gigabytes, so it heartbeats instead, as InspectUpload does (every 2 s; the SDK sends
// them on at most every 80% of the timeout). There is no schedule-to-start timeout: a step
// waiting for a worker to come back should wait, not fail the upload.
var (
	lightOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 10,
		},
	}
	storeOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy:         lightOptions.RetryPolicy,
	}
	// A blob upload streams a file of up to hundreds of MB to a PDS: it heartbeats. A PDS
	// that fails is tried for about three minutes.
	blobOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 6,
		},
	}
	inspectOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5,
		},
	}
)

// on returns ctx with options o for an activity that runs on queue (each activity package
// names its own).
func on(ctx workflow.Context, o workflow.ActivityOptions, queue string) workflow.Context {
	o.TaskQueue = queue
	return workflow.WithActivityOptions(ctx, o)
}

// Activity references: only their method names are used, to schedule them.
var (
	catalog *catalogact.Activities
	media   *mediaact.Activities
)

// Workflow runs one upload to its end.
func Workflow(ctx workflow.Context, in Input) (Output, error) {
	u := &uploadRun{
		in:       in,
		logger:   log.With(workflow.GetLogger(ctx), "track_id", in.TrackID.String(), "upload_id", in.UploadID.String()),
		progress: Progress{Phase: PhaseQueued},
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return u.progress, nil }); err != nil {
		return Output{}, err
	}

	out, err := u.run(ctx)
	if err == nil && out.Status == StatusReady {
		u.finish(ctx, StatusReady, "")
		u.startCopyrightScan(ctx)
		u.logger.Info("upload ready", "file_id", in.FileID.String(), "duration_ms", out.DurationMs)
		return out, nil
	}

	// Whatever went wrong, leave nothing behind. The compensations and the ending run on a
	// context of their own so that they still run if the workflow is being cancelled.
	cleanup, _ := workflow.NewDisconnectedContext(ctx)
	u.compensate(cleanup)
	if err == nil {
		u.finish(cleanup, StatusRejected, out.Reason)
		u.logger.Info("upload rejected", "reason", out.Reason)
		return out, nil
	}
	u.finish(cleanup, StatusFailed, FailedMessage)
	u.logger.Error("upload failed", "error", err)
	return Output{}, err
}

// copyrightScanVersion marks the uploads that start a copyright check when they end ready
// (histories recorded before it do not).
const copyrightScanVersion = "copyright-scan"

// startCopyrightScan starts the published track's copyright check, copyright/<track-id>,
// as a child that outlives the upload (the upload is done; the check is a note for
// later). It waits for the child to start, not to end. A check that cannot start is
// logged, not a failure of the upload.
func (u *uploadRun) startCopyrightScan(ctx workflow.Context) {
	if workflow.GetVersion(ctx, copyrightScanVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: copyright.WorkflowID(u.in.TrackID), TaskQueue: copyright.TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(plyrtemporal.TrackIDKey.ValueSet(u.in.TrackID.String())),
	})
	f := workflow.ExecuteChildWorkflow(child, copyright.Name, copyright.Input{TrackID: u.in.TrackID})
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		u.logger.Warn("start the copyright check", "error", err)
	}
}

// uploadRun is one upload's state while its workflow runs.
type uploadRun struct {
	in       Input
	logger   log.Logger
	progress Progress
	// storedKey is the permanent key, set before StoreFile runs (it is derived from the
	// input and the inspection, not from StoreFile's answer, which may never come).
	storedKey string
	// transcodedID is the MP3 of a lossless original, set before its child starts.
	transcodedID  uuid.UUID
	compensations []compensation
}

// compensation undoes what a step may have made.
type compensation struct {
	name string
	run  func(ctx workflow.Context) error
}

// onFailure registers c to run, in reverse order of registration, if the upload does not
// end ready.
func (u *uploadRun) onFailure(name string, run func(ctx workflow.Context) error) {
	u.compensations = append(u.compensations, compensation{name: name, run: run})
}

// run performs the steps and returns the upload's outcome.
func (u *uploadRun) run(ctx workflow.Context) (Output, error) {
	// The staged object exists from the start; the draft track from the first step.
	u.onFailure("delete draft track", u.deleteDraftTrack)
	u.onFailure("discard upload objects", u.discardObjects)

	if err := u.createDraftTrack(ctx); err != nil {
		return Output{}, err
	}
	u.progress.Phase = PhaseValidating
	// A lossless original's MP3 is made while the upload is inspected: the encode is most
	// of the work and takes one core, the inspection another. A refused upload stops it.
	// Its progress is the upload's from the start.
	var mp3Future workflow.ChildWorkflowFuture
	stopTranscode := func() {}
	if u.in.LosslessFormat != "" {
		childCtx, cancel := workflow.WithCancel(ctx)
		mp3Future, stopTranscode = u.transcode(childCtx, u.in.LosslessFormat), cancel
		u.progress.Phase, u.progress.Child = PhaseTranscoding, TranscodeWorkflowID(u.in.FileID)
	}
	inspection, err := u.inspect(ctx)
	if err == nil && inspection.Rejected == "" && !inspection.Lossless && mp3Future != nil {
		err = temporal.NewNonRetryableApplicationError("the upload's format changed between its sniff and its inspection", "inconsistent", nil)
	}
	if err != nil || inspection.Rejected != "" {
		if mp3Future != nil {
			stopTranscode()
			_ = mp3Future.Get(ctx, nil) // ended, so that what it made is known to discardObjects
		}
		if err != nil {
			return Output{}, err
		}
		return Output{Status: StatusRejected, Reason: inspection.Rejected}, nil
	}
	pub := catalogact.Publication{
		TrackID: u.in.TrackID, FileID: u.in.FileID, FileType: inspection.Extension,
		DurationMs: inspection.DurationMs, Waveform: inspection.Peaks,
	}
	if inspection.Lossless {
		if mp3Future == nil { // accepted before uploads sniffed their format
			mp3Future = u.transcode(ctx, inspection.Format)
		}
		u.progress.Phase, u.progress.Child = PhaseTranscoding, TranscodeWorkflowID(u.in.FileID)
		// The original is copied to its permanent key while the MP3 is made, and the staged
		// copy, which the transcode reads, goes once both are done.
		stored := u.startStore(ctx, inspection, true)
		var mp3 mediaact.Transcoded
		err := mp3Future.Get(ctx, &mp3)
		u.progress.Child = ""
		if err == nil {
			err = stored.Get(ctx, nil)
		}
		if err != nil {
			return Output{}, err
		}
		if mp3.Rejected == "" {
			mp3.Rejected = mediaact.CheckTranscode(inspection.DurationMs, mp3.DurationMs)
		}
		if mp3.Rejected != "" {
			return Output{Status: StatusRejected, Reason: mp3.Rejected}, nil
		}
		pub.FileID, pub.FileType, pub.Waveform = mp3.FileID, "mp3", mp3.Peaks
		pub.Original = &catalogact.Original{
			FileID: u.in.FileID, FileType: inspection.Extension, SizeBytes: inspection.SizeBytes,
			ContentType: cmp.Or(inspection.PlayType, inspection.ContentType),
		}
	} else {
		u.progress.Phase = PhaseStoring
		if err := u.startStore(ctx, inspection, false).Get(ctx, nil); err != nil {
			return Output{}, err
		}
	}
	if u.in.PDSAudio {
		u.progress.Phase = PhasePDSUpload
		pub.PDS = u.copyToPDS(ctx, pub.FileID)
	}
	u.progress.Phase = PhasePublishing
	if err := u.publish(ctx, pub); err != nil {
		return Output{}, err
	}
	if inspection.Lossless {
		// Off the way to playable: a staged copy left by a failure here is swept.
		if err := u.discardStaging(ctx); err != nil {
			u.logger.Warn("delete the staged upload", "error", err)
		}
	}
	out := Output{Status: StatusReady, FileID: pub.FileID, DurationMs: inspection.DurationMs}
	if pub.Original != nil {
		out.OriginalFileID = pub.Original.FileID
	}
	if pub.PDS != nil {
		out.PDSBlob, out.PDSReason = pub.PDS.State, pub.PDS.Reason
	}
	return out, nil
}

// copyToPDS copies the playable file to the artist's PDS; nil when nothing was sent (a
// gated track). A failure, once retried, is an outcome of the track, not of the upload.
func (u *uploadRun) copyToPDS(ctx workflow.Context, fileID uuid.UUID) *catalogact.PDSAudio {
	var blob mediaact.BlobOutcome
	err := workflow.ExecuteActivity(on(ctx, blobOptions, mediaact.TaskQueue), media.UploadBlob,
		mediaact.BlobInput{FileID: fileID, DID: u.in.ArtistDID},
	).Get(ctx, &blob)
	switch {
	case err != nil:
		u.logger.Warn("copy to the PDS failed", "error", err)
		return &catalogact.PDSAudio{State: catalogact.PDSFailed, Reason: failureReason(err)}
	case blob.TooLarge:
		return &catalogact.PDSAudio{State: catalogact.PDSTooLarge, Reason: "the PDS does not take files this large"}
	case blob.Skipped != "":
		return nil
	default:
		return &catalogact.PDSAudio{State: catalogact.PDSOnPDS, Blob: blob.Blob}
	}
}

// failureReason is what an activity's final error says, without Temporal's wrapping.
func failureReason(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

func (u *uploadRun) createDraftTrack(ctx workflow.Context) error {
	return workflow.ExecuteActivity(on(ctx, lightOptions, catalogact.TaskQueue), catalog.CreateDraftTrack,
		catalogact.DraftTrack{TrackID: u.in.TrackID, ArtistDID: u.in.ArtistDID, Title: u.in.Title, CreatedAt: u.in.AcceptedAt},
	).Get(ctx, nil)
}

func (u *uploadRun) inspect(ctx workflow.Context) (mediaact.Inspection, error) {
	var inspection mediaact.Inspection
	err := workflow.ExecuteActivity(on(ctx, inspectOptions, mediaact.InspectTaskQueue), media.InspectUpload,
		mediaact.InspectInput{StagingKey: u.in.StagingKey, Filename: u.in.Filename, AllowLossless: u.in.AllowLossless},
	).Get(ctx, &inspection)
	return inspection, err
}

// transcode starts the child that makes the MP3 of the staged original, which the
// workflow reads until it ends (store comes after). Its progress is the upload's while it
// transcodes (Progress.Child).
func (u *uploadRun) transcode(ctx workflow.Context, format string) workflow.ChildWorkflowFuture {
	// Known before the child starts, so that discardObjects removes the MP3 even if the
	// child made it and then failed, or the upload is abandoned after.
	u.transcodedID = mediaact.TranscodedFileID(u.in.FileID)
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: TranscodeWorkflowID(u.in.FileID),
		TaskQueue:  transcode.TaskQueue,
		// A refused upload stops the transcode and waits for it to end, so that no MP3 is
		// stored after the upload's objects are discarded.
		WaitForCancellation: true,
	})
	return workflow.ExecuteChildWorkflow(child, transcode.Name, transcode.Input{
		SourceFileID: u.in.FileID, SourceKey: u.in.StagingKey, OwnerDID: u.in.ArtistDID, Format: format,
	})
}

// startStore copies the staged upload to its permanent key (and, unless keepStaging,
// deletes the staged copy).
func (u *uploadRun) startStore(ctx workflow.Context, inspection mediaact.Inspection, keepStaging bool) workflow.Future {
	// Known before the copy, so that discardObjects removes it even if StoreFile fails
	// after copying, or its worker dies after the copy.
	u.storedKey = mediaact.AudioKey(u.in.FileID, inspection.Extension)
	return workflow.ExecuteActivity(on(ctx, storeOptions, mediaact.TaskQueue), media.StoreFile,
		mediaact.StoreInput{StagingKey: u.in.StagingKey, FileID: u.in.FileID, OwnerDID: u.in.ArtistDID,
			Inspection: inspection, KeepStaging: keepStaging},
	)
}

// discardStaging deletes the staged upload.
func (u *uploadRun) discardStaging(ctx workflow.Context) error {
	return workflow.ExecuteActivity(on(ctx, lightOptions, mediaact.TaskQueue), media.DiscardUpload,
		mediaact.DiscardInput{StagingKey: u.in.StagingKey}).Get(ctx, nil)
}

func (u *uploadRun) publish(ctx workflow.Context, pub catalogact.Publication) error {
	return workflow.ExecuteActivity(on(ctx, lightOptions, catalogact.TaskQueue), catalog.PublishTrack, pub).Get(ctx, nil)
}

// discardObjects removes the file rows and every object the upload may have made.
func (u *uploadRun) discardObjects(ctx workflow.Context) error {
	in := mediaact.DiscardInput{StagingKey: u.in.StagingKey, FileID: u.in.FileID, StoredKey: u.storedKey}
	if u.transcodedID != uuid.Nil {
		in.TranscodedFileID, in.TranscodedKey = u.transcodedID, mediaact.AudioKey(u.transcodedID, "mp3")
	}
	return workflow.ExecuteActivity(on(ctx, lightOptions, mediaact.TaskQueue), media.DiscardUpload, in).Get(ctx, nil)
}

func (u *uploadRun) deleteDraftTrack(ctx workflow.Context) error {
	return workflow.ExecuteActivity(on(ctx, lightOptions, catalogact.TaskQueue), catalog.DeleteDraftTrack, u.in.TrackID).
		Get(ctx, nil)
}

// compensate runs the registered compensations, last first. Failures are logged, not
// returned: the workflow's own outcome matters more, and each has already been retried by
// its policy.
func (u *uploadRun) compensate(ctx workflow.Context) {
	for i := len(u.compensations) - 1; i >= 0; i-- {
		c := u.compensations[i]
		if err := c.run(ctx); err != nil {
			u.logger.Error("compensation failed", "compensation", c.name, "error", err)
		}
	}
}

// finish records the upload's ending for WatchUpload.
func (u *uploadRun) finish(ctx workflow.Context, status Status, message string) {
	err := workflow.ExecuteActivity(on(ctx, lightOptions, mediaact.TaskQueue), media.FinishUpload,
		mediaact.FinishInput{UploadID: u.in.UploadID, Status: string(status), Message: message},
	).Get(ctx, nil)
	if err != nil {
		u.logger.Error("record upload ending", "status", string(status), "error", err)
	}
	u.progress.Phase = PhaseDone
}
