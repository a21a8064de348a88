// Package catalog holds the workflow steps that change catalog rows: a track appears as
// processing, becomes ready, or is removed when its upload is abandoned; an artist is
// synced after a sign-in. Every step is a short database write (and a workflow start) and
// runs on TaskQueue.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// TaskQueue is where the catalog steps run.
const TaskQueue = taskqueue.Main

// Activity names, as registered and as the workflows schedule them.
const (
	CreateDraftTrackName = "CreateDraftTrack"
	PublishTrackName     = "PublishTrack"
	DeleteDraftTrackName = "DeleteDraftTrack"
	SyncArtistName       = "SyncArtist"
	TrackGateName        = "TrackGate"
	PDSTrackName         = "PDSTrack"
	SetTrackPDSName      = "SetTrackPDS"
	AwaitTrackRecordName = "AwaitTrackRecord"
	SetTakenDownName     = "SetTrackTakenDown"
)

// Tracks is what the catalog module offers these activities.
type Tracks interface {
	// CreateDraftTrack records a processing track; again for the same id changes nothing.
	CreateDraftTrack(ctx context.Context, trackID uuid.UUID, artistDID, title string, createdAt time.Time) error
	// PublishTrack makes a track ready with its audio (and lossless original, and
	// waveform), and starts the write of its record.
	PublishTrack(ctx context.Context, p Publication) error
	// DeleteDraftTrack removes a track that never became ready; a missing one is fine.
	DeleteDraftTrack(ctx context.Context, trackID uuid.UUID) error
	// SyncArtist makes sure an account's artist exists and starts the write of its
	// profile record.
	SyncArtist(ctx context.Context, did string) error
	// TrackGate says whether a track is for supporters only, and which files are its
	// audio; found is false for a track that is gone.
	TrackGate(ctx context.Context, trackID uuid.UUID) (gated bool, files []uuid.UUID, found bool, err error)
	// PDSTrack reads a track for a copy of its audio to its PDS: Skip says why not.
	PDSTrack(ctx context.Context, trackID uuid.UUID) (PDSTrack, error)
	// SetTrackPDS records how a copy to the PDS went; it returns the revision of the
	// track's record that names the blob (0 when the record does not change).
	SetTrackPDS(ctx context.Context, trackID uuid.UUID, p PDSAudio) (int64, error)
	// SetTrackTakenDown hides a track from everyone but its artist, or shows it again, and
	// returns its audio files; found is false for a track that is gone.
	SetTrackTakenDown(ctx context.Context, trackID uuid.UUID, down bool) (files []uuid.UUID, found bool, err error)
	// RecordWritten reports whether the track's record is written at revision or later,
	// or why it failed.
	RecordWritten(ctx context.Context, trackID uuid.UUID, revision int64) (done bool, failure string, err error)
}

// PDSTrack is a track as a copy of its audio to its PDS needs it.
type PDSTrack struct {
	// Skip says why the track is not to be copied ("" when it is).
	Skip      string `json:",omitempty"`
	FileID    uuid.UUID
	ArtistDID string
}

// Activities are the catalog steps, bound to the catalog module.
type Activities struct {
	Tracks Tracks
}

// Register adds the steps to the worker of TaskQueue; workers maps a task queue to its
// worker.
func (a *Activities) Register(workers map[string]worker.ActivityRegistry) {
	w, ok := workers[TaskQueue]
	if !ok {
		panic(fmt.Sprintf("catalog activities: no worker for task queue %q", TaskQueue))
	}
	w.RegisterActivityWithOptions(a.CreateDraftTrack, activity.RegisterOptions{Name: CreateDraftTrackName})
	w.RegisterActivityWithOptions(a.PublishTrack, activity.RegisterOptions{Name: PublishTrackName})
	w.RegisterActivityWithOptions(a.DeleteDraftTrack, activity.RegisterOptions{Name: DeleteDraftTrackName})
	w.RegisterActivityWithOptions(a.SyncArtist, activity.RegisterOptions{Name: SyncArtistName})
	w.RegisterActivityWithOptions(a.TrackGate, activity.RegisterOptions{Name: TrackGateName})
	w.RegisterActivityWithOptions(a.PDSTrack, activity.RegisterOptions{Name: PDSTrackName})
	w.RegisterActivityWithOptions(a.SetTrackPDS, activity.RegisterOptions{Name: SetTrackPDSName})
	w.RegisterActivityWithOptions(a.AwaitTrackRecord, activity.RegisterOptions{Name: AwaitTrackRecordName})
	w.RegisterActivityWithOptions(a.SetTrackTakenDown, activity.RegisterOptions{Name: SetTakenDownName})
}

// DraftTrack is the input of CreateDraftTrack.
type DraftTrack struct {
	TrackID   uuid.UUID
	ArtistDID string
	Title     string
	CreatedAt time.Time
}

// CreateDraftTrack makes the track visible to its artist as processing.
func (a *Activities) CreateDraftTrack(ctx context.Context, in DraftTrack) error {
	return a.Tracks.CreateDraftTrack(ctx, in.TrackID, in.ArtistDID, in.Title, in.CreatedAt)
}

// Publication is the input of PublishTrack.
type Publication struct {
	TrackID uuid.UUID
	// FileID and FileType are the playable audio (an MP3).
	FileID   uuid.UUID
	FileType string
	// DurationMs is the decoded length of the audio.
	DurationMs int32
	// Original is the lossless original the MP3 was made from; nil for an MP3 upload.
	Original *Original `json:",omitempty"`
	// Waveform is the audio's peaks (0–255).
	Waveform []byte `json:",omitempty"`
	// PDS is how the copy of the audio to the artist's PDS went, when one was made.
	PDS *PDSAudio `json:",omitempty"`
}

// PDSAudio is how a copy of a track's audio to its artist's PDS went.
type PDSAudio struct {
	// State is on_pds (Blob set), too_large or failed (Reason says how).
	State  string
	Blob   map[string]any `json:",omitempty"`
	Reason string         `json:",omitempty"`
}

// The states of PDSAudio.
const (
	PDSOnPDS    = "on_pds"
	PDSTooLarge = "too_large"
	PDSFailed   = "failed"
)

// Original is a track's lossless original, as uploaded.
type Original struct {
	FileID uuid.UUID
	// FileType is its extension as uploaded (flac, wav, aif, aiff, m4a); ContentType its
	// media type with its codec where browsers need it.
	FileType    string
	ContentType string
	SizeBytes   int64
}

// PublishTrack makes the track ready to play and starts the write of its record.
func (a *Activities) PublishTrack(ctx context.Context, in Publication) error {
	return a.Tracks.PublishTrack(ctx, in)
}

// DeleteDraftTrack removes a track whose upload did not complete.
func (a *Activities) DeleteDraftTrack(ctx context.Context, trackID uuid.UUID) error {
	return a.Tracks.DeleteDraftTrack(ctx, trackID)
}

// SyncArtist is the sign-in sync's step for the artist.
func (a *Activities) SyncArtist(ctx context.Context, did string) error {
	return a.Tracks.SyncArtist(ctx, did)
}

// Gate is a track's supporter gate and the files it covers.
type Gate struct {
	Found   bool
	Gated   bool
	FileIDs []uuid.UUID
}

// TrackGate reads a track's gate for the gate workflow.
func (a *Activities) TrackGate(ctx context.Context, trackID uuid.UUID) (Gate, error) {
	gated, files, found, err := a.Tracks.TrackGate(ctx, trackID)
	return Gate{Found: found, Gated: gated, FileIDs: files}, err
}

// TakenDown is the input of SetTrackTakenDown.
type TakenDown struct {
	TrackID uuid.UUID
	Down    bool
}

// SetTrackTakenDown hides a track from everyone but its artist (a takedown), or shows it
// again, and returns its audio files (Found false for a track that is gone).
func (a *Activities) SetTrackTakenDown(ctx context.Context, in TakenDown) (Gate, error) {
	files, found, err := a.Tracks.SetTrackTakenDown(ctx, in.TrackID, in.Down)
	return Gate{Found: found, FileIDs: files}, err
}

// PDSTrack reads a track for a migration's step.
func (a *Activities) PDSTrack(ctx context.Context, trackID uuid.UUID) (PDSTrack, error) {
	return a.Tracks.PDSTrack(ctx, trackID)
}

// TrackPDS is the input of SetTrackPDS.
type TrackPDS struct {
	TrackID uuid.UUID
	PDS     PDSAudio
}

// SetTrackPDS records how a copy of a track's audio to its PDS went, and starts the write
// of its record when the record now names a blob. It returns the record's revision to
// wait for (0: nothing to wait for).
func (a *Activities) SetTrackPDS(ctx context.Context, in TrackPDS) (int64, error) {
	return a.Tracks.SetTrackPDS(ctx, in.TrackID, in.PDS)
}

// RecordAwait is the input of AwaitTrackRecord.
type RecordAwait struct {
	TrackID  uuid.UUID
	Revision int64
}

// ErrorTypeRecordFailed is the ApplicationError type of a record that could not be
// written: waiting longer cannot help.
const ErrorTypeRecordFailed = "record_failed"

// errRecordPending is returned while the record is being written; the step's retry
// policy asks again.
var errRecordPending = errors.New("the track's record is being written")

// AwaitTrackRecord returns once the track's record is written at the revision or later;
// an error while it is being written (retried by the step's policy), and a non-retryable
// one when it failed.
func (a *Activities) AwaitTrackRecord(ctx context.Context, in RecordAwait) error {
	done, failure, err := a.Tracks.RecordWritten(ctx, in.TrackID, in.Revision)
	switch {
	case err != nil:
		return err
	case failure != "":
		return temporal.NewNonRetryableApplicationError(failure, ErrorTypeRecordFailed, nil)
	case !done:
		return errRecordPending
	}
	return nil
}
