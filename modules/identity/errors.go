package identity

import "github.com/plyrfm/plyr/modules/identity/internal/ierr"

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError). They are defined in internal/ierr, where the feature packages that
// return them can reach them, and re-exported here as the same values: errors.Is against
// these matches what any feature returned. A case made with Withf says more; whatever else
// wraps them stays in the logs.
var (
	// ErrInvalidInput marks a request the module refuses for what it says.
	ErrInvalidInput = ierr.InvalidInput
	// ErrNotFound marks something that does not exist, or is not the caller's to see.
	ErrNotFound = ierr.NotFound
	// ErrNotLinked marks an account not signed in on this browser.
	ErrNotLinked = ierr.NotLinked
	// ErrAccountExpired marks a linked account whose sign-in has lapsed.
	ErrAccountExpired = ierr.AccountExpired
	// ErrBrowserOnly marks a procedure that needs the browser's session, not a token.
	ErrBrowserOnly = ierr.BrowserOnly
	// ErrNotOffered marks a PDS not offered for new accounts.
	ErrNotOffered = ierr.NotOffered
	// ErrAccountCreationOff marks account creation turned off.
	ErrAccountCreationOff = ierr.AccountCreationOff
	// ErrWrongAccount marks a sign-in that came back as another account than the one asked.
	ErrWrongAccount = ierr.WrongAccount
	// ErrNoPDSAccess marks a credential without a PDS grant (an operator token).
	ErrNoPDSAccess = ierr.NoPDSAccess
	// ErrScopeMissing marks a PDS refusing a write the grant does not cover.
	ErrScopeMissing = ierr.ScopeMissing
	// ErrSignInRefused marks an authorization server refusing to start a sign-in.
	ErrSignInRefused = ierr.SignInRefused
	// ErrPDSUnreachable marks a PDS or authorization server that could not be reached or
	// resolved.
	ErrPDSUnreachable = ierr.PDSUnreachable
	// ErrPDSRefused marks a PDS refusing a request for what it says.
	ErrPDSRefused = ierr.PDSRefused
	// ErrOtherBrowser marks a sign-in callback arriving in another browser than the one
	// that started it.
	ErrOtherBrowser = ierr.OtherBrowser
	// ErrTermsChanged marks an acceptance of terms no longer in force.
	ErrTermsChanged = ierr.TermsChanged
)
