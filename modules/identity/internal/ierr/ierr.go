// Package ierr holds the identity module's sentinel errors, each with the Connect code and
// the message a client sees (rpc.ConnectError). The feature packages return them; the
// module's root package re-exports each one under its public name (ErrNotFound =
// ierr.NotFound), so callers outside the module compare against the same values.
//
// A case made with Withf says more and still matches its sentinel with errors.Is; whatever
// else wraps them stays in the logs.
package ierr

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

var (
	// InvalidInput marks a request the module refuses for what it says.
	InvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	// NotFound marks something that does not exist, or is not the caller's to see.
	NotFound = rpc.NewError(connect.CodeNotFound, "not found")
	// NotLinked marks an account not signed in on this browser.
	NotLinked = rpc.NewError(connect.CodePermissionDenied, "that account is not signed in on this browser")
	// AccountExpired marks a linked account whose sign-in has lapsed.
	AccountExpired = rpc.NewError(connect.CodeFailedPrecondition, "that account's sign-in has expired: sign in to it again")
	// BrowserOnly marks a procedure that needs the browser's session, not a token.
	BrowserOnly = rpc.NewError(connect.CodeFailedPrecondition, "this needs a browser session, not a token")
	// NotOffered marks a PDS not offered for new accounts.
	NotOffered = rpc.NewError(connect.CodeInvalidArgument, "that PDS is not offered for new accounts")
	// AccountCreationOff marks account creation turned off.
	AccountCreationOff = rpc.NewError(connect.CodeFailedPrecondition, "account creation is turned off")
	// WrongAccount marks a sign-in that came back as another account than the one asked.
	WrongAccount = rpc.NewError(connect.CodePermissionDenied, "signed in as another account than the one this was for")
	// NoPDSAccess marks a credential without a PDS grant (an operator token).
	NoPDSAccess = rpc.NewError(connect.CodeFailedPrecondition, "this credential has no access to the account's PDS; sign in instead")
	// ScopeMissing marks a PDS refusing a write the grant does not cover.
	ScopeMissing = rpc.NewError(connect.CodePermissionDenied, "plyr's access to your PDS does not cover this; re-authorise plyr")
	// SignInRefused marks an authorization server refusing to start a sign-in.
	SignInRefused = rpc.NewError(connect.CodeFailedPrecondition, "the PDS refused to start signing in")
	// PDSUnreachable marks a PDS or authorization server that could not be reached or
	// resolved.
	PDSUnreachable = rpc.NewError(connect.CodeUnavailable, "could not reach the account's PDS")
	// PDSRefused marks a PDS refusing a request for what it says.
	PDSRefused = rpc.NewError(connect.CodeFailedPrecondition, "the PDS refused the request")
	// OtherBrowser marks a sign-in callback arriving in another browser than the one that
	// started it.
	OtherBrowser = rpc.NewError(connect.CodePermissionDenied, "this sign-in was started in another browser; start again here")
	// CrossSiteSignIn refuses a sign-in another site tried to start.
	CrossSiteSignIn = rpc.NewError(connect.CodePermissionDenied, "another site tried to start a sign-in here; start it on plyr")
	// TermsChanged marks an acceptance of terms that are no longer the ones in force.
	TermsChanged = rpc.NewError(connect.CodeFailedPrecondition, "the terms changed since they were shown; read the new ones")
)
