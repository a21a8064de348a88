package legal

import "github.com/plyrfm/plyr/modules/legal/internal/lerr"

// The module's errors (internal/lerr's), for callers and tests to compare against.
var (
	// ErrInvalidInput marks a request that cannot be acted on as sent.
	ErrInvalidInput = lerr.InvalidInput
	// ErrNotFound marks what does not exist or is not the caller's to see.
	ErrNotFound = lerr.NotFound
	// ErrAlreadyResolved marks a decision on a flag or report already decided.
	ErrAlreadyResolved = lerr.AlreadyResolved
	// ErrTooManyReports marks a reporter over the hourly limit.
	ErrTooManyReports = lerr.TooManyReports
	// ErrNotInForce marks a step a notice's or takedown's state does not allow.
	ErrNotInForce = lerr.NotInForce
	// ErrHeldByNotice marks a takedown only its DMCA notice may lift.
	ErrHeldByNotice = lerr.HeldByNotice
)
