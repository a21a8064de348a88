package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/chat"
)

func TestCategoryOf(t *testing.T) {
	api := func(status int, name, message string) error {
		return fmt.Errorf("send DM to did:plc:x: %w", &atclient.APIError{StatusCode: status, Name: name, Message: message})
	}
	tests := []struct {
		name string
		err  error
		want chat.Category
	}{
		{"nil", nil, ""},
		{"blocked actor", api(400, "BlockedActor", "block between recipient and sender"), chat.CategoryBlocked},
		{"blocked subject", api(400, "BlockedSubject", ""), chat.CategoryBlocked},
		{"messages disabled", api(400, "MessagesDisabled", "recipient has disabled incoming messages"), chat.CategoryBlocked},
		{"not followed", api(400, "NotFollowedBySender", ""), chat.CategoryBlocked},
		{"legacy block", api(400, "InvalidRequest", "block between recipient and sender"), chat.CategoryBlocked},
		{"legacy disabled", api(400, "InvalidRequest", "recipient has disabled incoming messages"), chat.CategoryBlocked},
		{"legacy following only", api(400, "InvalidRequest", "recipient requires incoming messages to come from someone they follow"), chat.CategoryBlocked},
		{"upstream unreachable", api(502, "UpstreamFailure", "Upstream service unreachable"), chat.CategoryNetwork},
		{"unavailable", api(503, "", ""), chat.CategoryNetwork},
		{"rate limited", api(429, "RateLimitExceeded", ""), chat.CategoryNetwork},
		{"timeout", fmt.Errorf("send: %w", context.DeadlineExceeded), chat.CategoryNetwork},
		{"refused", &url.Error{Op: "Post", URL: "https://pds.example", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, chat.CategoryNetwork},
		{"wrong password", api(401, "AuthenticationRequired", "Invalid identifier or password"), chat.CategoryAuth},
		{"bad token method", api(400, "InvalidToken", "Bad token method"), chat.CategoryAuth},
		{"expired", api(400, "ExpiredToken", "Token has expired"), chat.CategoryAuth},
		{"other invalid request", api(400, "InvalidRequest", "Convo not found"), chat.CategoryUnknown},
		{"recipient suspended", api(400, "AccountSuspended", ""), chat.CategoryUnknown},
		{"too large", &url.Error{Op: "Get", URL: "https://pds.example", Err: fmt.Errorf("%w: too much", atproto.ErrResponseTooLarge)}, chat.CategoryUnknown},
		{"other", errors.New("something else"), chat.CategoryUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, chat.CategoryOf(tt.err))
		})
	}
}
