// Package chat sends Bluesky direct messages from plyr's platform account: copyright
// notices to artists, alerts to the admin.
//
// A Sender logs in to the platform account's PDS with an app password and asks the PDS to
// proxy chat.bsky.convo calls to the chat service (header "Atproto-Proxy:
// did:web:api.bsky.chat#bsky_chat"); the PDS signs each forwarded call with a service-auth
// JWT. A message takes chat.bsky.convo.getConvoForMembers (the 1:1 convo with the
// recipient, created on first use) and chat.bsky.convo.sendMessage; a retry that may repeat
// an earlier attempt reads chat.bsky.convo.getMessages first.
//
// The app password must be allowed to reach direct messages (a "privileged" app password):
// the PDS refuses chat calls from other app passwords with 400 InvalidToken "Bad token
// method", which Send reports as CategoryAuth.
//
// # Design notes
//
// Session. The Sender logs in on its first Send and keeps the session. indigo's
// atclient.PasswordAuth refreshes an expired access token by itself; when a call still
// fails for want of a valid session (the refresh token expired or was revoked, the password
// changed), Send logs in again and repeats that call, at most once per Send. Login is not
// done with atclient.LoginWithPassword, because that sends createSession through
// http.DefaultClient; every request here goes through Config.HTTPClient.
//
// Duplicates. sendMessage has no idempotency key, and a call that times out may have been
// delivered. A caller that retries passes dedupeAfter (when its first attempt began); Send
// then reads the convo's newest messages first and returns the platform account's message
// with exactly this text, sent at or after dedupeAfter, instead of sending it again. The
// chat service's clock stamps sentAt, so callers should allow for skew by passing a time
// a little before the first attempt.
//
// Errors. CategoryOf sorts Send's errors into what a caller does about them: dm_blocked
// (the recipient cannot be messaged: give up, tell someone), network (transient: retry),
// auth (the platform account's credentials: fix the configuration) and unknown.
package chat
