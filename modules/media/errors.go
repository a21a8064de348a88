package media

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/files"
	"github.com/plyrfm/plyr/modules/media/internal/uploads"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError); whatever wraps them stays in the logs. POST /upload answers some of
// them with a more precise HTTP status than their code's (see writeUploadError). They are
// the features' own, re-exported.
var (
	// ErrInvalidUpload marks an upload refused for its form; cases say what to fix.
	ErrInvalidUpload = uploads.ErrInvalidUpload
	// ErrUploadTooLarge marks a body over the size limit: 413.
	ErrUploadTooLarge = uploads.ErrUploadTooLarge
	// ErrUploadTooSlow marks a body cut off for pausing or trickling: 408.
	ErrUploadTooSlow = uploads.ErrUploadTooSlow
	// ErrTooManyUploads marks an account already streaming as many uploads as it may: 429.
	ErrTooManyUploads = uploads.ErrTooManyUploads
	// ErrUploadsBusy marks a server whose upload slots stayed full: 503.
	ErrUploadsBusy = uploads.ErrUploadsBusy
	// ErrNotAccepted marks an upload that could not be recorded or started: 503.
	ErrNotAccepted = uploads.ErrNotAccepted
	// ErrUploadNotFound marks an upload that does not exist or is not the caller's.
	ErrUploadNotFound = uploads.ErrUploadNotFound
	// ErrFileNotFound is what clients see for any file id plyr does not serve.
	ErrFileNotFound = files.ErrFileNotFound
	// ErrInvalidUploadID marks a WatchUpload request whose upload_id is not an id.
	ErrInvalidUploadID = rpc.NewError(connect.CodeInvalidArgument, "upload_id is not an upload id")
	// ErrTooManyWatchers marks one WatchUpload stream too many for one upload.
	ErrTooManyWatchers = rpc.NewError(connect.CodeResourceExhausted, "this upload is already watched from too many places; close one")
	// ErrRestarting ends WatchUpload streams when the server shuts down; clients reconnect.
	ErrRestarting = rpc.NewError(connect.CodeUnavailable, "the server is restarting; watch the upload again")
)
