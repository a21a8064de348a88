// Package lerr holds the legal module's errors, shared by its features and re-exported by
// the module's door (errors.go).
package lerr

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

var (
	// InvalidInput marks a request that cannot be acted on as sent.
	InvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// NotFound marks what does not exist or is not the caller's to see.
	NotFound = rpc.NewError(connect.CodeNotFound, "not found")
	// AlreadyResolved marks a decision on a flag or report that was already decided.
	AlreadyResolved = rpc.NewError(connect.CodeFailedPrecondition, "this was already resolved")
	// TooManyReports marks a reporter over the hourly limit.
	TooManyReports = rpc.NewError(connect.CodeResourceExhausted, "too many reports; try again later")
	// NotInForce marks a step on a DMCA notice or takedown that its state does not allow.
	NotInForce = rpc.NewError(connect.CodeFailedPrecondition, "that is not possible in this notice's state")
	// HeldByNotice marks a takedown only its DMCA notice may lift.
	HeldByNotice = rpc.NewError(connect.CodeFailedPrecondition, "a DMCA notice holds this takedown; act on the notice")
)
