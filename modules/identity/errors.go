package identity

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError). A case made with Withf says more; whatever else wraps them stays in
// the logs.
var (
	// ErrInvalidInput marks a request the module refuses for what it says.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// ErrNotFound marks something that does not exist, or is not the caller's to see.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "not found")
	// ErrNotLinked marks an account not signed in on this browser.
	ErrNotLinked = rpc.NewError(connect.CodePermissionDenied, "that account is not signed in on this browser")
	// ErrAccountExpired marks a linked account whose sign-in has lapsed.
	ErrAccountExpired = rpc.NewError(connect.CodeFailedPrecondition, "that account's sign-in has expired: sign in to it again")
	// ErrBrowserOnly marks a procedure that needs the browser's session, not a token.
	ErrBrowserOnly = rpc.NewError(connect.CodeFailedPrecondition, "this needs a browser session, not a token")
	// ErrNotOffered marks a PDS not offered for new accounts.
	ErrNotOffered = rpc.NewError(connect.CodeInvalidArgument, "that PDS is not offered for new accounts")
	// ErrAccountCreationOff marks account creation turned off.
	ErrAccountCreationOff = rpc.NewError(connect.CodeFailedPrecondition, "account creation is turned off")
	// ErrWrongAccount marks a sign-in that came back as another account than the one asked.
	ErrWrongAccount = rpc.NewError(connect.CodePermissionDenied, "signed in as another account than the one this was for")
	// ErrNoPDSAccess marks a credential without a PDS grant (an operator token).
	ErrNoPDSAccess = rpc.NewError(connect.CodeFailedPrecondition, "this credential has no access to the account's PDS; sign in instead")
	// ErrScopeMissing marks a PDS refusing a write the grant does not cover.
	ErrScopeMissing = rpc.NewError(connect.CodePermissionDenied, "plyr's access to your PDS does not cover this; re-authorise plyr")
	// ErrSignInRefused marks an authorization server refusing to start a sign-in.
	ErrSignInRefused = rpc.NewError(connect.CodeFailedPrecondition, "the PDS refused to start signing in")
	// ErrPDSUnreachable marks a PDS or authorization server that could not be reached or
	// resolved.
	ErrPDSUnreachable = rpc.NewError(connect.CodeUnavailable, "could not reach the account's PDS")
)
