// Package legal holds the workflow steps of moderation: a track's copyright scan, the DMs
// that tell an artist or the admin about a flag, a report or a takedown, the state of a
// track's takedown, and the closing of a DMCA notice. Every step is a short call (the
// scan waits on the recogniser) on TaskQueue, and idempotent: a scan is stored per track,
// a DM is sent once per key (see Legal.SendNotice), a notice moves only from the states
// that allow it.
package legal

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/workflows/taskqueue"
)

// TaskQueue is where the legal steps run.
const TaskQueue = taskqueue.Main

// Activity names, as registered and as the workflows schedule them.
const (
	ScanTrackName         = "ScanTrack"
	RecordScanFailureName = "RecordScanFailure"
	CopyrightNoticesName  = "CopyrightNotices"
	SendNoticeName        = "SendNotice"
	FailNoticeName        = "FailNotice"
	TakedownStateName     = "TakedownState"
	CloseDMCAName         = "CloseDMCA"
)

// Failure is an error a step returns with a type the workflow records when it gives up
// (a DM's category: dm_blocked, network, auth, unknown); Retryable false stops the retries
// at once (a recipient who blocked the platform account will not unblock it for a retry).
type Failure struct {
	Type      string
	Retryable bool
	Err       error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Scan is the outcome of a scan.
type Scan struct {
	// Off says scans are not configured: nothing was scanned or stored.
	Off bool
	// Skipped says why the track was not scanned (gone, not public, no audio yet).
	Skipped string
	// Flagged says the track's scan is an open flag (now, or from before).
	Flagged bool
}

// Takedown is what the workflow takedown/<track-id> applies.
type Takedown struct {
	// Down says a takedown is in force: the track and its files are closed.
	Down bool
}

// Legal is what the legal module offers these activities.
type Legal interface {
	// ScanTrack scans the track's audio for copyrighted music and stores the scan with
	// the dominant-match verdict. Errors the recogniser may get over are retryable; a
	// *Failure with Retryable false is not.
	ScanTrack(ctx context.Context, trackID uuid.UUID) (Scan, error)
	// RecordScanFailure stores the track's scan as failed, with why.
	RecordScanFailure(ctx context.Context, trackID uuid.UUID, reason string) error
	// CopyrightNotices records the DMs of the track's open flag (the artist's, then the
	// admin's) and returns their keys in the order to send them; none for a scan that is
	// not an open flag.
	CopyrightNotices(ctx context.Context, trackID uuid.UUID) ([]string, error)
	// SendNotice sends the DM recorded under key, once: a DM sent (or given up on, or with
	// DMs off) before is not sent again. Failures are *Failure with the DM's category.
	SendNotice(ctx context.Context, key string) error
	// FailNotice records that the DM under key was given up on.
	FailNotice(ctx context.Context, key, category, reason string) error
	// TakedownState says whether the track has a takedown in force.
	TakedownState(ctx context.Context, trackID uuid.UUID) (Takedown, error)
	// CloseDMCA moves the notice to status (restored, after the counter-notice's wait)
	// unless another step closed it first, and lifts its takedown with it; closed says
	// whether this call did it.
	CloseDMCA(ctx context.Context, noticeID uuid.UUID, status string) (closed bool, err error)
}

// Activities are the steps; Legal is the legal module.
type Activities struct {
	Legal Legal
}

// Register adds the steps to the worker of TaskQueue.
func (a *Activities) Register(workers map[string]worker.ActivityRegistry) {
	w := workers[TaskQueue]
	w.RegisterActivityWithOptions(a.ScanTrack, activity.RegisterOptions{Name: ScanTrackName})
	w.RegisterActivityWithOptions(a.RecordScanFailure, activity.RegisterOptions{Name: RecordScanFailureName})
	w.RegisterActivityWithOptions(a.CopyrightNotices, activity.RegisterOptions{Name: CopyrightNoticesName})
	w.RegisterActivityWithOptions(a.SendNotice, activity.RegisterOptions{Name: SendNoticeName})
	w.RegisterActivityWithOptions(a.FailNotice, activity.RegisterOptions{Name: FailNoticeName})
	w.RegisterActivityWithOptions(a.TakedownState, activity.RegisterOptions{Name: TakedownStateName})
	w.RegisterActivityWithOptions(a.CloseDMCA, activity.RegisterOptions{Name: CloseDMCAName})
}

// ScanTrack is the step of Legal.ScanTrack.
func (a *Activities) ScanTrack(ctx context.Context, trackID uuid.UUID) (Scan, error) {
	s, err := a.Legal.ScanTrack(ctx, trackID)
	return s, typed(err)
}

// RecordScanFailure is the step of Legal.RecordScanFailure.
func (a *Activities) RecordScanFailure(ctx context.Context, trackID uuid.UUID, reason string) error {
	return typed(a.Legal.RecordScanFailure(ctx, trackID, reason))
}

// CopyrightNotices is the step of Legal.CopyrightNotices.
func (a *Activities) CopyrightNotices(ctx context.Context, trackID uuid.UUID) ([]string, error) {
	keys, err := a.Legal.CopyrightNotices(ctx, trackID)
	return keys, typed(err)
}

// SendNotice is the step of Legal.SendNotice.
func (a *Activities) SendNotice(ctx context.Context, key string) error {
	return typed(a.Legal.SendNotice(ctx, key))
}

// FailNotice is the step of Legal.FailNotice.
func (a *Activities) FailNotice(ctx context.Context, key, category, reason string) error {
	return typed(a.Legal.FailNotice(ctx, key, category, reason))
}

// TakedownState is the step of Legal.TakedownState.
func (a *Activities) TakedownState(ctx context.Context, trackID uuid.UUID) (Takedown, error) {
	t, err := a.Legal.TakedownState(ctx, trackID)
	return t, typed(err)
}

// CloseDMCA is the step of Legal.CloseDMCA.
func (a *Activities) CloseDMCA(ctx context.Context, noticeID uuid.UUID, status string) (bool, error) {
	closed, err := a.Legal.CloseDMCA(ctx, noticeID, status)
	return closed, typed(err)
}

// typed turns a *Failure into an application error of its type, so the workflow can read
// the type (a DM's category) when it gives up, and Retryable false ends the retries.
func typed(err error) error {
	var f *Failure
	if !errors.As(err, &f) {
		return err
	}
	msg := fmt.Sprintf("%s: %v", f.Type, f.Err)
	if f.Retryable {
		return temporal.NewApplicationErrorWithCause(msg, f.Type, f.Err)
	}
	return temporal.NewNonRetryableApplicationError(msg, f.Type, f.Err)
}
