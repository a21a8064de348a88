package identity

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the module, each with the Connect code connectError gives it. Wrapped errors
// keep the code of the sentinel they wrap; their message is written for the caller.
var (
	// ErrInvalidInput marks a request the module refuses for what it says.
	ErrInvalidInput = errors.New("invalid input")
	// ErrNotFound marks something that does not exist, or is not the caller's to see.
	ErrNotFound = errors.New("not found")
	// ErrNotLinked marks an account not signed in on this browser.
	ErrNotLinked = errors.New("that account is not signed in on this browser")
	// ErrAccountExpired marks a linked account whose sign-in has lapsed.
	ErrAccountExpired = errors.New("that account's sign-in has expired: sign in to it again")
	// ErrBrowserOnly marks a procedure that needs the browser's session, not a token.
	ErrBrowserOnly = errors.New("this needs a browser session, not a token")
	// ErrNotOffered marks a PDS not offered for new accounts.
	ErrNotOffered = errors.New("that PDS is not offered for new accounts")
	// ErrAccountCreationOff marks account creation turned off.
	ErrAccountCreationOff = errors.New("account creation is turned off")
	// ErrWrongAccount marks a sign-in that came back as another account than the one asked.
	ErrWrongAccount = errors.New("signed in as another account than the one this was for")
	// ErrNoPDSAccess marks a credential without a PDS grant (an operator token).
	ErrNoPDSAccess = errors.New("this credential has no access to the account's PDS; sign in instead")
	// ErrScopeMissing marks a PDS refusing a write the grant does not cover.
	ErrScopeMissing = errors.New("plyr's access to your PDS does not cover this; re-authorise plyr")
	// ErrSignInRefused marks an authorization server refusing to start a sign-in.
	ErrSignInRefused = errors.New("the PDS refused to start signing in")
	// ErrPDSUnreachable marks a PDS or authorization server that could not be reached or
	// resolved.
	ErrPDSUnreachable = errors.New("could not reach the account's PDS")
)

// connectError maps the module's errors to Connect codes; anything unknown is logged and
// becomes a generic internal error.
func (m *Module) connectError(ctx context.Context, err error) error {
	codes := []struct {
		target error
		code   connect.Code
	}{
		{ErrInvalidInput, connect.CodeInvalidArgument},
		{ErrNotFound, connect.CodeNotFound},
		{ErrNotLinked, connect.CodePermissionDenied},
		{ErrAccountExpired, connect.CodeFailedPrecondition},
		{ErrBrowserOnly, connect.CodeFailedPrecondition},
		{ErrNotOffered, connect.CodeInvalidArgument},
		{ErrAccountCreationOff, connect.CodeFailedPrecondition},
		{ErrWrongAccount, connect.CodePermissionDenied},
		{ErrNoPDSAccess, connect.CodeFailedPrecondition},
		{ErrScopeMissing, connect.CodePermissionDenied},
		{ErrSignInRefused, connect.CodeFailedPrecondition},
		{ErrPDSUnreachable, connect.CodeUnavailable},
		{ErrSignInOff, connect.CodeUnavailable},
		{ErrOtherBrowser, connect.CodePermissionDenied},
	}
	for _, c := range codes {
		if errors.Is(err, c.target) {
			return connect.NewError(c.code, err)
		}
	}
	return rpc.Internal(ctx, m.logger, err)
}
