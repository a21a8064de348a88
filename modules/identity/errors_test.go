package identity_test

import (
	"context"
	"fmt"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity"
)

// The sentinels moved to internal/ierr; the root re-exports them. Each still reaches a
// client with the code and message it had, also when a feature wraps it.
func TestErrors_KeepTheirCodesAndMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code connect.Code
		msg  string
	}{
		{"invalid input", identity.ErrInvalidInput, connect.CodeInvalidArgument, "invalid input"},
		{"not found", identity.ErrNotFound, connect.CodeNotFound, "not found"},
		{"not linked", identity.ErrNotLinked, connect.CodePermissionDenied, "that account is not signed in on this browser"},
		{"account expired", identity.ErrAccountExpired, connect.CodeFailedPrecondition, "that account's sign-in has expired: sign in to it again"},
		{"browser only", identity.ErrBrowserOnly, connect.CodeFailedPrecondition, "this needs a browser session, not a token"},
		{"not offered", identity.ErrNotOffered, connect.CodeInvalidArgument, "that PDS is not offered for new accounts"},
		{"account creation off", identity.ErrAccountCreationOff, connect.CodeFailedPrecondition, "account creation is turned off"},
		{"wrong account", identity.ErrWrongAccount, connect.CodePermissionDenied, "signed in as another account than the one this was for"},
		{"no PDS access", identity.ErrNoPDSAccess, connect.CodeFailedPrecondition, "this credential has no access to the account's PDS; sign in instead"},
		{"scope missing", identity.ErrScopeMissing, connect.CodePermissionDenied, "plyr's access to your PDS does not cover this; re-authorise plyr"},
		{"sign-in refused", identity.ErrSignInRefused, connect.CodeFailedPrecondition, "the PDS refused to start signing in"},
		{"PDS unreachable", identity.ErrPDSUnreachable, connect.CodeUnavailable, "could not reach the account's PDS"},
		{"PDS refused", identity.ErrPDSRefused, connect.CodeFailedPrecondition, "the PDS refused the request"},
		{"other browser", identity.ErrOtherBrowser, connect.CodePermissionDenied, "this sign-in was started in another browser; start again here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{tt.err, fmt.Errorf("a feature's context: %w", tt.err)} {
				ce := rpc.ConnectError(context.Background(), logging.Discard(), err)
				require.Equal(t, tt.code, ce.Code())
				require.Equal(t, tt.msg, ce.Message())
			}
		})
	}
}
