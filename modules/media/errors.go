package media

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError); whatever wraps them stays in the logs. POST /upload answers some of
// them with a more precise HTTP status than their code's (see writeUploadError).
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
	// ErrFileNotFound is what clients see for any file id plyr does not serve.
	ErrFileNotFound = rpc.NewError(connect.CodeNotFound, "no audio with this id")
)
