package chattest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth"
	"github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
)

// The service entry the fake registers in its DID document, as api.bsky.chat's has.
const (
	ServiceID   = "#bsky_chat"
	ServiceType = "BskyChatService"
)

// The methods the fake answers.
const (
	MethodGetConvoForMembers = "chat.bsky.convo.getConvoForMembers"
	MethodSendMessage        = "chat.bsky.convo.sendMessage"
	MethodGetMessages        = "chat.bsky.convo.getMessages"
)

// The messages the chat service refuses a DM with (see the package documentation).
const (
	MessageBlocked          = "block between recipient and sender"
	MessageMessagesDisabled = "recipient has disabled incoming messages"
)

// AnyRecipient, given to SetFault, scripts a fault for every request.
const AnyRecipient = "*"

// Fault is a failure SetFault scripts.
type Fault int

const (
	// NoFault answers normally.
	NoFault Fault = iota
	// Down drops the connection without an answer.
	Down
	// Blocked refuses because of a block between the recipient and the sender.
	Blocked
	// MessagesDisabled refuses because the recipient disabled incoming messages.
	MessagesDisabled
	// AcceptThenHang stores a sent message and then never answers sendMessage.
	AcceptThenHang
)

// Network is what the fake needs of the test network; *devpds.Network has it. (An
// interface rather than an import: only tests may import the development stack, and this
// package is not a test.)
type Network interface {
	// RegisterService makes did resolve, for the PDS, to a DID document with one service.
	RegisterService(did, serviceID, serviceType, endpoint string) error
	// Directory resolves the network's accounts, to check the keys that signed a request.
	Directory() identity.Directory
}

// Message is a message the fake accepted.
type Message struct {
	ID      string
	ConvoID string
	Sender  string // the DID that signed the request's service-auth JWT
	Text    string
	SentAt  time.Time
}

// Server is a fake chat service registered on a devpds network.
type Server struct {
	// DID is the service's DID: clients proxy to it with "Atproto-Proxy: <DID>#bsky_chat".
	DID string
	// URL is where the service listens (the PDS reaches it there; tests rarely need it).
	URL string

	srv       *httptest.Server
	validator *auth.ServiceAuthValidator
	dir       identity.Directory
	tids      *syntax.TIDClock
	closing   chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	faults  map[string]Fault
	convos  map[string]*convo // by ID
	byKey   map[string]string // sorted member DIDs, joined with spaces -> convo ID
	handles map[string]string // DID -> handle, as the directory told
}

type convo struct {
	id       string
	rev      string
	members  []string // sorted
	messages []*message
}

type message struct {
	id, rev, sender, text string
	sentAt                time.Time
	facets                json.RawMessage
}

// New starts a fake chat service with a fresh DID and registers it on net, so that the PDS
// proxies #bsky_chat calls for that DID here. The test's end stops the server and removes
// the registration.
func New(t testing.TB, net Network) *Server {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	dir := net.Directory()
	s := &Server{
		DID:     "did:web:chat-" + hex.EncodeToString(b[:]) + ".test",
		dir:     dir,
		tids:    syntax.NewTIDClock(0),
		closing: make(chan struct{}),
		faults:  map[string]Fault{},
		convos:  map[string]*convo{},
		byKey:   map[string]string{},
		handles: map[string]string{},
	}
	s.validator = &auth.ServiceAuthValidator{Audience: s.DID, Dir: dir}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.Close()
		if err := net.RegisterService(s.DID, ServiceID, ServiceType, ""); err != nil {
			t.Logf("chattest: unregister %s: %v", s.DID, err)
		}
	})
	if err := net.RegisterService(s.DID, ServiceID, ServiceType, s.URL); err != nil {
		t.Fatalf("chattest: %v", err)
	}
	return s
}

// Close stops the server: from then on connections to it are refused. Requests left
// hanging by AcceptThenHang are released (without an answer).
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// SetFault scripts f for every request concerning recipientDID (a member of the convo other
// than the caller), or for every request at all when recipientDID is AnyRecipient. NoFault
// clears it.
func (s *Server) SetFault(recipientDID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == NoFault {
		delete(s.faults, recipientDID)
		return
	}
	s.faults[recipientDID] = f
}

// Messages returns the messages sent to recipientDID (by the other members of its convos),
// oldest first.
func (s *Server) Messages(recipientDID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, c := range s.convos {
		if !slices.Contains(c.members, recipientDID) {
			continue
		}
		for _, m := range c.messages {
			if m.sender != recipientDID {
				out = append(out, Message{ID: m.id, ConvoID: c.id, Sender: m.sender, Text: m.text, SentAt: m.sentAt})
			}
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// xrpcError is an XRPC error answer.
type xrpcError struct {
	status  int
	name    string
	message string
}

func invalidRequest(message string) *xrpcError {
	return &xrpcError{http.StatusBadRequest, "InvalidRequest", message}
}

func authRequired(name, message string) *xrpcError {
	return &xrpcError{http.StatusUnauthorized, name, message}
}

func (e *xrpcError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": e.name, "message": e.message})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/xrpc/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.fault(AnyRecipient) == Down {
		drop(w)
		return
	}
	want := map[string]string{
		MethodGetConvoForMembers: http.MethodGet,
		MethodSendMessage:        http.MethodPost,
		MethodGetMessages:        http.MethodGet,
	}[method]
	if want == "" {
		(&xrpcError{http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented"}).write(w)
		return
	}
	if r.Method != want {
		invalidRequest("Incorrect HTTP method (" + r.Method + ") expected " + want).write(w)
		return
	}
	caller, xerr := s.authenticate(r.Context(), r.Header.Get("Authorization"), method)
	if xerr != nil {
		xerr.write(w)
		return
	}
	switch method {
	case MethodGetConvoForMembers:
		s.getConvoForMembers(w, r, caller)
	case MethodSendMessage:
		s.sendMessage(w, r, caller)
	case MethodGetMessages:
		s.getMessages(w, r, caller)
	}
}

// authenticate checks the request's service-auth JWT and returns the DID it was issued by.
// The claims are first looked at unverified, only to answer with the error a TypeScript
// service would give; ServiceAuthValidator then decides.
func (s *Server) authenticate(ctx context.Context, header, method string) (string, *xrpcError) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return "", authRequired("AuthMissing", "Authentication Required")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", authRequired("BadJwt", "poorly formatted jwt")
	}
	var head struct {
		Typ string `json:"typ"`
	}
	var claims struct {
		Iss string  `json:"iss"`
		Aud any     `json:"aud"`
		Exp float64 `json:"exp"`
		Lxm *string `json:"lxm"`
	}
	if decodeSegment(parts[0], &head) != nil || decodeSegment(parts[1], &claims) != nil {
		return "", authRequired("BadJwt", "poorly formatted jwt")
	}
	switch {
	case head.Typ == "at+jwt" || head.Typ == "refresh+jwt" || head.Typ == "dpop+jwt":
		return "", authRequired("BadJwtType", `Invalid jwt type "`+head.Typ+`"`)
	case float64(time.Now().Unix()) > claims.Exp:
		return "", authRequired("JwtExpired", "jwt expired")
	case claims.Aud != s.DID:
		return "", authRequired("BadJwtAudience", "jwt audience does not match service did")
	case claims.Lxm == nil:
		return "", authRequired("BadJwtLexiconMethod", `missing jwt lexicon method ("lxm"). must match: `+method)
	case *claims.Lxm != method:
		return "", authRequired("BadJwtLexiconMethod", `bad jwt lexicon method ("lxm"). must match: `+method)
	}
	if _, err := syntax.ParseDID(claims.Iss); err != nil {
		return "", authRequired("BadJwtIss", "jwt iss is not a valid did")
	}
	lxm := syntax.NSID(method)
	did, err := s.validator.Validate(ctx, token, &lxm)
	if err != nil {
		return "", authRequired("BadJwtSignature", "jwt signature does not match jwt issuer")
	}
	return did.String(), nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// fault returns the fault scripted for did, or for everything.
func (s *Server) fault(did string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.faults[AnyRecipient]; ok {
		return f
	}
	return s.faults[did]
}

// faultFor returns the fault scripted for everything, or else the first one scripted for a
// member of members other than caller.
func (s *Server) faultFor(members []string, caller string) Fault {
	for _, m := range members {
		if m == caller {
			continue
		}
		if f := s.fault(m); f != NoFault {
			return f
		}
	}
	return s.fault(AnyRecipient)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) getConvoForMembers(w http.ResponseWriter, r *http.Request, caller string) {
	members := r.URL.Query()["members"]
	if len(members) == 0 {
		invalidRequest(`Error: Params must have the property "members"`).write(w)
		return
	}
	if len(members) > 10 {
		invalidRequest("Error: members must not have more than 10 elements").write(w)
		return
	}
	for i, m := range members {
		if _, err := syntax.ParseDID(m); err != nil {
			invalidRequest("Error: members/" + strconv.Itoa(i) + " must be a valid did").write(w)
			return
		}
	}
	set := append([]string{caller}, members...)
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) != 2 {
		invalidRequest("getConvoForMembers returns direct conversations: name exactly one other member").write(w)
		return
	}
	key := strings.Join(set, " ")

	s.mu.Lock()
	id, exists := s.byKey[key]
	s.mu.Unlock()
	switch s.faultFor(set, caller) {
	case Down:
		drop(w)
		return
	case Blocked:
		if !exists {
			(&xrpcError{http.StatusBadRequest, "BlockedActor", MessageBlocked}).write(w)
			return
		}
	case MessagesDisabled:
		if !exists {
			(&xrpcError{http.StatusBadRequest, "MessagesDisabled", MessageMessagesDisabled}).write(w)
			return
		}
	}
	handles := s.lookupHandles(r.Context(), set)

	s.mu.Lock()
	defer s.mu.Unlock()
	if id, exists = s.byKey[key]; !exists {
		id = s.tids.Next().String()
		s.byKey[key] = id
		s.convos[id] = &convo{id: id, rev: s.tids.Next().String(), members: set}
	}
	writeJSON(w, map[string]any{"convo": s.convos[id].view(handles)})
}

// lookupHandles resolves the handles of dids the fake does not know yet.
func (s *Server) lookupHandles(ctx context.Context, dids []string) map[string]string {
	out := map[string]string{}
	for _, did := range dids {
		s.mu.Lock()
		h, ok := s.handles[did]
		s.mu.Unlock()
		if !ok {
			h = syntax.HandleInvalid.String()
			if ident, err := s.dir.LookupDID(ctx, syntax.DID(did)); err == nil {
				h = ident.Handle.String()
			}
			s.mu.Lock()
			s.handles[did] = h
			s.mu.Unlock()
		}
		out[did] = h
	}
	return out
}

// view is the convo as chat.bsky.convo.defs#convoView, for a viewer who accepted it.
func (c *convo) view(handles map[string]string) map[string]any {
	members := make([]map[string]any, 0, len(c.members))
	for _, m := range c.members {
		members = append(members, map[string]any{"did": m, "handle": handles[m]})
	}
	v := map[string]any{
		"id":          c.id,
		"rev":         c.rev,
		"members":     members,
		"muted":       false,
		"unreadCount": 0,
		"status":      "accepted",
		"kind":        map[string]any{"$type": "chat.bsky.convo.defs#directConvo"},
	}
	if n := len(c.messages); n > 0 {
		v["lastMessage"] = c.messages[n-1].view(true)
	}
	return v
}

// view is the message as chat.bsky.convo.defs#messageView, with its $type when it is a
// union member.
func (m *message) view(typed bool) map[string]any {
	v := map[string]any{
		"id":     m.id,
		"rev":    m.rev,
		"text":   m.text,
		"sender": map[string]string{"did": m.sender},
		"sentAt": m.sentAt.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	if len(m.facets) > 0 {
		v["facets"] = m.facets
	}
	if typed {
		v["$type"] = "chat.bsky.convo.defs#messageView"
	}
	return v
}

// member returns convo id when caller is one of its members.
func (s *Server) member(id, caller string) (*convo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convos[id]
	if !ok || !slices.Contains(c.members, caller) {
		return nil, false
	}
	return c, true
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, caller string) {
	var in struct {
		ConvoID *string `json:"convoId"`
		Message *struct {
			Text   *string         `json:"text"`
			Facets json.RawMessage `json:"facets"`
		} `json:"message"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		invalidRequest("Error: unable to parse request body").write(w)
		return
	}
	switch {
	case in.ConvoID == nil:
		invalidRequest(`Input must have the property "convoId"`).write(w)
		return
	case in.Message == nil:
		invalidRequest(`Input must have the property "message"`).write(w)
		return
	case in.Message.Text == nil:
		invalidRequest(`Input/message must have the property "text"`).write(w)
		return
	case len(*in.Message.Text) > 10000:
		invalidRequest("Input/message/text must not be longer than 10000 characters").write(w)
		return
	}
	c, ok := s.member(*in.ConvoID, caller)
	if !ok {
		(&xrpcError{http.StatusBadRequest, "InvalidConvo", "Convo not found"}).write(w)
		return
	}
	fault := s.faultFor(c.members, caller)
	switch fault {
	case Down:
		drop(w)
		return
	case Blocked:
		invalidRequest(MessageBlocked).write(w)
		return
	case MessagesDisabled:
		invalidRequest(MessageMessagesDisabled).write(w)
		return
	}

	s.mu.Lock()
	m := &message{
		id: s.tids.Next().String(), sender: caller, text: *in.Message.Text,
		sentAt: time.Now().UTC().Truncate(time.Millisecond), facets: in.Message.Facets,
	}
	m.rev = m.id
	c.messages = append(c.messages, m)
	c.rev = m.rev
	view := m.view(false)
	s.mu.Unlock()

	if fault == AcceptThenHang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	writeJSON(w, view)
}

func (s *Server) getMessages(w http.ResponseWriter, r *http.Request, caller string) {
	q := r.URL.Query()
	if q.Get("convoId") == "" {
		invalidRequest(`Error: Params must have the property "convoId"`).write(w)
		return
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			invalidRequest("Error: limit must be an integer from 1 to 100").write(w)
			return
		}
		limit = n
	}
	c, ok := s.member(q.Get("convoId"), caller)
	if !ok {
		(&xrpcError{http.StatusBadRequest, "InvalidConvo", "Convo not found"}).write(w)
		return
	}
	if s.faultFor(c.members, caller) == Down {
		drop(w)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cursor := q.Get("cursor")
	out := map[string]any{}
	messages := []map[string]any{}
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if cursor != "" && m.id >= cursor {
			continue
		}
		if len(messages) == limit {
			out["cursor"] = messages[limit-1]["id"]
			break
		}
		messages = append(messages, m.view(true))
	}
	out["messages"] = messages
	writeJSON(w, out)
}
