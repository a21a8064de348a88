package images

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the feature, each with the Connect code and the message a client sees
// (rpc.ConnectError). The module re-exports them; its POST /images handler answers some
// with a more precise HTTP status than their code's.
var (
	// ErrInvalidImage marks an image refused for its form or its content; cases say what
	// to fix.
	ErrInvalidImage = rpc.NewError(connect.CodeInvalidArgument, "the image is not valid")
	// ErrUnsupportedImage marks a file whose content is not a JPEG, PNG, WebP or GIF
	// image, whatever its name or declared type: 415.
	ErrUnsupportedImage = rpc.NewError(connect.CodeInvalidArgument,
		"the file is not a JPEG, PNG, WebP or GIF image (its content is checked, not its name)")
	// ErrImageTooLarge marks a body over the size limit: 413.
	ErrImageTooLarge = rpc.NewError(connect.CodeResourceExhausted, "the image is too large")
	// ErrTooManyImages marks an account already sending as many images as it may: 429.
	ErrTooManyImages = rpc.NewError(connect.CodeResourceExhausted, "too many images in progress for this account")
	// ErrImagesBusy marks a server whose image slots stayed full: 503.
	ErrImagesBusy = rpc.NewError(connect.CodeUnavailable, "too many images in progress; try again shortly")
	// ErrImageNotFound is what callers see for any image id or variant plyr does not serve.
	ErrImageNotFound = rpc.NewError(connect.CodeNotFound, "no image with this id")
)

// Bad is a case of ErrInvalidImage. Its arguments reach the client.
func Bad(format string, args ...any) error { return ErrInvalidImage.Withf(format, args...) }
