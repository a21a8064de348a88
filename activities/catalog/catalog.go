// Package catalog holds the workflow steps that change catalog rows: a track appears as
// processing, becomes ready, or is removed when its upload is abandoned.
package catalog

import (
	"context"
	"time"
)

// Tracks is what the catalog module offers these activities.
type Tracks interface {
	// CreateDraftTrack records a processing track; again for the same id changes nothing.
	CreateDraftTrack(ctx context.Context, trackID, artistDID, title string, createdAt time.Time) error
	// PublishTrack makes a track ready with its audio file and duration.
	PublishTrack(ctx context.Context, trackID, fileID string, durationMs int32) error
	// DeleteDraftTrack removes a track that never became ready; a missing one is fine.
	DeleteDraftTrack(ctx context.Context, trackID string) error
}

// Activities are the catalog steps, bound to the catalog module.
type Activities struct {
	Tracks Tracks
}

// DraftTrack is the input of CreateDraftTrack.
type DraftTrack struct {
	TrackID   string
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
	TrackID    string
	FileID     string
	DurationMs int32
}

// PublishTrack makes the track ready to play.
func (a *Activities) PublishTrack(ctx context.Context, in Publication) error {
	return a.Tracks.PublishTrack(ctx, in.TrackID, in.FileID, in.DurationMs)
}

// DeleteDraftTrack removes a track whose upload did not complete.
func (a *Activities) DeleteDraftTrack(ctx context.Context, trackID string) error {
	return a.Tracks.DeleteDraftTrack(ctx, trackID)
}
