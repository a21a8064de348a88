// Package chattest is a fake Bluesky chat service (chat.bsky.convo.*) for tests that send
// direct messages through the reference PDS's chat proxy.
//
// There is no open chat server: api.bsky.chat is closed source. The fake gets a DID of its
// own (did:web:chat-<random>.test) and registers it on the shared devpds network
// (devpds.Network.RegisterService) with a #bsky_chat service pointing at itself. A client then sends
// "Atproto-Proxy: <DID>#bsky_chat" to its PDS, as it would send
// "did:web:api.bsky.chat#bsky_chat" in production, and the PDS forwards the call here with a
// service-auth JWT (iss = the account, aud = the fake's DID, lxm = the method) signed with the
// account's repository key. Every request is checked with indigo's auth.ServiceAuthValidator
// against the network's PLC directory; the account the JWT names is the caller.
//
// # Wire format, and where it comes from
//
//   - Lexicons chat.bsky.convo.{getConvoForMembers,sendMessage,getMessages,defs} (as vendored
//     by indigo, api/chat and lexicons/chat/bsky/convo): getConvoForMembers is a GET with
//     members repeated (1 to 10 DIDs) answering {convo: convoView}; sendMessage is a POST of
//     {convoId, message: {text, facets?, embed?}} answering a messageView {id, rev, text,
//     sender: {did}, sentAt, facets?}; getMessages is a GET of convoId, limit (1 to 100,
//     default 50) and cursor answering {cursor?, messages: [...]}, newest first, each element
//     a union member carrying its $type.
//   - Refusals. getConvoForMembers declares the errors BlockedActor, BlockedSubject,
//     MessagesDisabled, NotFollowedBySender, AccountSuspended and RecipientNotFound (the
//     lexicon; bluesky-social/social-app src/components/dms/dialogs/ShareViaChatDialog.tsx
//     switches on them). The messages are the service's long-standing ones, which clients
//     match on as InvalidRequest errors from sendMessage
//     (social-app src/state/messages/convo/agent.ts, handleSendMessageFailure:
//     "block between recipient and sender", "recipient has disabled incoming messages",
//     "recipient requires incoming messages to come from someone they follow";
//     snarfed/bridgy-fed atproto.py matches 400 InvalidRequest "recipient has disabled
//     incoming messages" from getConvoForMembers). So the fake answers a new convo with 400 {"error":"BlockedActor"
//     or "MessagesDisabled", "message": <that text>} and a message to an existing convo with
//     400 {"error":"InvalidRequest", "message": <that text>}.
//   - Authentication failures answer 401 with the names and messages of @atproto/xrpc-server's
//     verifyJwt (AuthMissing "Authentication Required", BadJwt, BadJwtType, JwtExpired,
//     BadJwtAudience, BadJwtLexiconMethod, BadJwtIss, BadJwtSignature), which TypeScript
//     services such as the chat service use.
//
// Chosen here, not documented anywhere found: convo and message IDs and revs are TIDs; the
// getMessages cursor is the ID of the last message returned; members' handles come from the
// directory (handle.invalid when it cannot tell); text is limited to 10000 bytes (graphemes
// are not counted).
//
// # Faults, and what the PDS makes of them
//
// SetFault scripts a fault for one recipient or for every request (AnyRecipient):
//   - Down drops the connection without answering, as a crashed service or a dead load
//     balancer does; Close stops the server, so connections are refused. Either way the
//     client never reaches the fake: the PDS answers it itself, 502
//     {"error":"UpstreamFailure","message":"Upstream service unreachable"}
//     (@atproto/pds pipethrough.js, handleUpstreamRequestError; measured in this package's
//     tests).
//   - Blocked and MessagesDisabled refuse as described above; the PDS passes the status and
//     the error body through.
//   - AcceptThenHang stores the message sendMessage carries and then does not answer until
//     the request is cancelled (the PDS gives up after its proxy headers timeout, 10 s), so a
//     client times out after its message was accepted.
package chattest
