package media

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/exports"
	"github.com/plyrfm/plyr/modules/media/internal/files"
	"github.com/plyrfm/plyr/modules/media/internal/images"
	"github.com/plyrfm/plyr/modules/media/internal/migrations"
	"github.com/plyrfm/plyr/modules/media/internal/uploads"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError); whatever wraps them stays in the logs. POST /upload answers some of
// them with a more precise HTTP status than their code's (see writeUploadError), as POST
// /images does (writeImageError). They are
// the features' own, re-exported.
var (
	// ErrInvalidUpload marks an upload refused for its form; cases say what to fix.
	ErrInvalidUpload = uploads.ErrInvalidUpload
	// ErrLosslessNotAllowed marks a lossless file from an account without the
	// lossless-uploads flag: 400, answered as soon as the file's first bytes tell.
	ErrLosslessNotAllowed = uploads.ErrLosslessNotAllowed
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
	// ErrInvalidImage marks an image refused for its form or content (its dimensions, a
	// damaged file); cases say what to fix.
	ErrInvalidImage = images.ErrInvalidImage
	// ErrUnsupportedImage marks a file whose content is not a JPEG, PNG, WebP or GIF image,
	// whatever its name: 415 from POST /images.
	ErrUnsupportedImage = images.ErrUnsupportedImage
	// ErrImageTooLarge marks an image over the size limit: 413.
	ErrImageTooLarge = images.ErrImageTooLarge
	// ErrTooManyImages marks an account already sending as many images as it may: 429.
	ErrTooManyImages = images.ErrTooManyImages
	// ErrImagesBusy marks a server whose image slots stayed full: 503.
	ErrImagesBusy = images.ErrImagesBusy
	// ErrImageNotFound is what clients see for any image id or variant plyr does not serve,
	// and what Image returns for an unknown id.
	ErrImageNotFound = images.ErrImageNotFound
	// ErrSignInToHear marks a gated file asked for without a session: 401.
	ErrSignInToHear = rpc.NewError(connect.CodeUnauthenticated, "this track is for the artist's supporters: sign in to hear it")
	// ErrSupportersOnly marks a gated file asked for by someone who does not support its
	// artist: 402 with X-Support-Required.
	ErrSupportersOnly = rpc.NewError(connect.CodePermissionDenied, "this track is for the artist's supporters only")
	// ErrTakenDown marks the audio of a track a moderation decision took down, asked for by
	// anyone but its artist: 451.
	ErrTakenDown = rpc.NewError(connect.CodePermissionDenied, "this track was taken down and is not available")
	// ErrPDSAudioOff marks a migration asked for by an account without the
	// pds-audio-uploads flag.
	ErrPDSAudioOff = rpc.NewError(connect.CodePermissionDenied, "copying audio to your PDS is not turned on for your account")
	// ErrExportNotFound marks an export that does not exist or is not the caller's.
	ErrExportNotFound = exports.ErrNotFound
	// ErrMigrationNotFound marks a migration that does not exist or is not the caller's.
	ErrMigrationNotFound = migrations.ErrNotFound
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// ErrInvalidUploadID marks a WatchUpload request whose upload_id is not an id.
	ErrInvalidUploadID = rpc.NewError(connect.CodeInvalidArgument, "upload_id is not an upload id")
	// ErrTooManyWatchers marks one WatchUpload stream too many for one upload.
	ErrTooManyWatchers = rpc.NewError(connect.CodeResourceExhausted, "this upload is already watched from too many places; close one")
	// ErrRestarting ends WatchUpload streams when the server shuts down; clients reconnect.
	ErrRestarting = rpc.NewError(connect.CodeUnavailable, "the server is restarting; watch the upload again")
)
