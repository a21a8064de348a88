package uploads

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the feature, each with the Connect code and the message a client sees
// (rpc.ConnectError). The module re-exports them; its POST /upload handler answers some
// with a more precise HTTP status than their code's.
var (
	// ErrInvalidUpload marks an upload refused for its form; cases say what to fix.
	ErrInvalidUpload = rpc.NewError(connect.CodeInvalidArgument, "the upload form is not valid")
	// ErrUploadTooLarge marks a body over the size limit: 413.
	ErrUploadTooLarge = rpc.NewError(connect.CodeResourceExhausted, "the file is too large")
	// ErrUploadTooSlow marks a body cut off for pausing or trickling: 408.
	ErrUploadTooSlow = rpc.NewError(connect.CodeDeadlineExceeded, "the upload was too slow")
	// ErrTooManyUploads marks an account already streaming as many uploads as it may: 429.
	ErrTooManyUploads = rpc.NewError(connect.CodeResourceExhausted, "too many uploads in progress for this account")
	// ErrUploadsBusy marks a server whose upload slots stayed full: 503.
	ErrUploadsBusy = rpc.NewError(connect.CodeUnavailable, "too many uploads in progress; try again shortly")
	// ErrNotAccepted marks an upload that could not be recorded or started: 503.
	ErrNotAccepted = rpc.NewError(connect.CodeUnavailable, "could not start processing the upload; try again")
	// ErrLosslessNotAllowed marks a lossless file from an account without the
	// lossless-uploads flag: 400.
	ErrLosslessNotAllowed = rpc.NewError(connect.CodeInvalidArgument,
		"lossless uploads (FLAC, WAV, AIFF, ALAC) are not turned on for your account; upload an MP3")
	// ErrUploadNotFound marks an upload that does not exist or is not the caller's.
	ErrUploadNotFound = rpc.NewError(connect.CodeNotFound, "upload not found")
)

// BadForm is a case of ErrInvalidUpload. Its arguments reach the client.
func BadForm(format string, args ...any) error { return ErrInvalidUpload.Withf(format, args...) }
