package media

import (
	"context"
	"io"

	"github.com/google/uuid"
)

// Playback is a file the caller may hear and where to fetch it: for modules that serve
// audio over another protocol (Subsonic), with the same checks as GET /audio.
type Playback struct {
	FileID      uuid.UUID
	ContentType string
	SizeBytes   int64
	DurationMs  int32
	// URL serves the bytes (ranges included) for a while; Private says it was handed to
	// this caller alone (a gated or taken-down file's), so nothing may cache it.
	URL     string
	Private bool
}

// Playback checks that the caller in ctx may hear the file, as GET /audio does, and
// returns where its bytes are. Errors: ErrFileNotFound, ErrTakenDown, ErrSignInToHear,
// ErrSupportersOnly.
func (m *Module) Playback(ctx context.Context, fileID uuid.UUID) (Playback, error) {
	file, err := m.files.Get(ctx, fileID)
	if err != nil {
		return Playback{}, err
	}
	if err := m.mayHear(ctx, file); err != nil {
		return Playback{}, err
	}
	url, err := m.files.URL(ctx, file)
	if err != nil {
		return Playback{}, err
	}
	return Playback{
		FileID: file.ID, ContentType: file.ContentType, SizeBytes: file.SizeBytes, DurationMs: file.DurationMs,
		URL: url, Private: file.Gated || file.TakenDown,
	}, nil
}

// DownloadURL checks as Playback does and returns a URL that serves the file as an
// attachment named filename.
func (m *Module) DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (string, error) {
	file, err := m.files.Get(ctx, fileID)
	if err != nil {
		return "", err
	}
	if err := m.mayHear(ctx, file); err != nil {
		return "", err
	}
	return m.files.DownloadURL(ctx, file, filename)
}

// OpenPlayback checks as Playback does and opens the file's bytes from offset on (to
// start a stream part-way); the Playback's SizeBytes is then how many bytes the reader
// holds. The caller closes the reader.
func (m *Module) OpenPlayback(ctx context.Context, fileID uuid.UUID, offset int64) (io.ReadCloser, Playback, error) {
	file, err := m.files.Get(ctx, fileID)
	if err != nil {
		return nil, Playback{}, err
	}
	if err := m.mayHear(ctx, file); err != nil {
		return nil, Playback{}, err
	}
	body, n, err := m.files.OpenFrom(ctx, file, offset)
	if err != nil {
		return nil, Playback{}, err
	}
	return body, Playback{
		FileID: file.ID, ContentType: file.ContentType, SizeBytes: n, DurationMs: file.DurationMs,
		Private: file.Gated || file.TakenDown,
	}, nil
}
