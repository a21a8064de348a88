package media

import (
	"context"

	"github.com/google/uuid"
)

// Activity names of an export.
const (
	BuildExportName  = "BuildExport"
	FinishExportName = "FinishExport"
)

// ExportItem is a file to put in an export, named after its track.
type ExportItem struct {
	FileID uuid.UUID
	Title  string
}

// Exports is the media module's exports feature, as the export workflow's steps need it.
type Exports interface {
	// BuildExport writes the zip of items to the export's key in the private bucket,
	// recording progress; it returns the zip's size.
	BuildExport(ctx context.Context, id uuid.UUID, items []ExportItem) (int64, error)
	// FinishExport records how the export ended (failure empty: ready).
	FinishExport(ctx context.Context, id uuid.UUID, size int64, failure string) error
}

// ExportInput is an export to build.
type ExportInput struct {
	ExportID uuid.UUID
	Items    []ExportItem
}

// BuildExport builds an export's zip, heartbeating while it streams.
func (a *Activities) BuildExport(ctx context.Context, in ExportInput) (int64, error) {
	defer keepAlive(ctx)()
	return a.Exports.BuildExport(ctx, in.ExportID, in.Items)
}

// ExportEnding is how an export ended.
type ExportEnding struct {
	ExportID  uuid.UUID
	SizeBytes int64
	Failure   string `json:",omitempty"`
}

// FinishExport records how an export ended.
func (a *Activities) FinishExport(ctx context.Context, in ExportEnding) error {
	return a.Exports.FinishExport(ctx, in.ExportID, in.SizeBytes, in.Failure)
}
