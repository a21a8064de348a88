package chat

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/bluesky-social/indigo/atproto/atclient"

	"github.com/plyrfm/plyr/internal/platform/atproto"
)

// Category sorts Send's errors by what a caller does about them.
type Category string

const (
	// CategoryBlocked means the chat service refused the message because of the recipient: a
	// block between the two accounts, incoming messages disabled, or accepted only from
	// accounts the recipient follows. Sending again will not help.
	CategoryBlocked Category = "dm_blocked"
	// CategoryNetwork means the PDS or the chat service could not be reached or failed (including
	// the PDS's 502 for an unreachable chat service, 5xx, 429 and timeouts). Worth a retry;
	// the message may have been delivered, so retry with dedupeAfter.
	CategoryNetwork Category = "network"
	// CategoryAuth means the platform account could not log in or its session was refused even
	// after logging in again: wrong identifier or password, an app password without access
	// to direct messages, a taken-down or deactivated account.
	CategoryAuth Category = "auth"
	// CategoryUnknown is everything else.
	CategoryUnknown Category = "unknown"
)

// loginError marks a failure to log in.
type loginError struct{ err error }

func (e *loginError) Error() string { return "log in: " + e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

// The chat service's refusals because of the recipient: the error names
// chat.bsky.convo.getConvoForMembers declares, and the messages the service has long
// answered with as InvalidRequest (bluesky-social/social-app
// src/state/messages/convo/agent.ts matches them on sendMessage failures).
var (
	blockedNames    = []string{"BlockedActor", "BlockedSubject", "MessagesDisabled", "NotFollowedBySender"}
	blockedMessages = []string{
		"block between recipient and sender",
		"recipient has disabled incoming messages",
		"recipient requires incoming messages to come from someone they follow",
	}
)

// Names of the PDS's answers to a session it does not accept (@atproto/pds auth-verifier).
var sessionErrorNames = []string{
	"ExpiredToken", "InvalidToken", "AuthMissing", "AuthFactorTokenRequired",
	"AccountTakedown", "AccountDeactivated", "AccountNotFound",
}

// CategoryOf sorts an error returned by Send; nil has no category ("").
func CategoryOf(err error) Category {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, atproto.ErrResponseTooLarge) || errors.Is(err, atproto.ErrNotPublicAddress):
		return CategoryUnknown
	case isNetwork(err):
		return CategoryNetwork
	case isBlocked(err):
		return CategoryBlocked
	case invalidSession(err):
		return CategoryAuth
	}
	if _, ok := errors.AsType[*loginError](err); ok {
		return CategoryAuth
	}
	return CategoryUnknown
}

func isNetwork(err error) bool {
	if e, ok := errors.AsType[*atclient.APIError](err); ok {
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	_, ok := errors.AsType[net.Error](err)
	return ok
}

func isBlocked(err error) bool {
	e, ok := errors.AsType[*atclient.APIError](err)
	if !ok || e.StatusCode < 400 || e.StatusCode >= 500 {
		return false
	}
	if slices.Contains(blockedNames, e.Name) {
		return true
	}
	return slices.ContainsFunc(blockedMessages, func(m string) bool { return strings.Contains(e.Message, m) })
}

// invalidSession reports whether the PDS refused the session (or the chat service the
// PDS's service-auth token, which the PDS passes through as 401).
func invalidSession(err error) bool {
	e, ok := errors.AsType[*atclient.APIError](err)
	if !ok {
		return false
	}
	return e.StatusCode == http.StatusUnauthorized ||
		(e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusForbidden) && slices.Contains(sessionErrorNames, e.Name)
}
