package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	comatproto "github.com/bluesky-social/indigo/api/atproto"
	chatapi "github.com/bluesky-social/indigo/api/chat"
	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"

	"github.com/plyrfm/plyr/internal/platform/atproto"
)

// DefaultServiceDID is Bluesky's chat service.
const DefaultServiceDID = "did:web:api.bsky.chat"

// DefaultTimeout bounds a Send when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// serviceID is the chat service's entry in its DID document.
const serviceID = "bsky_chat"

// How far back Send looks for an earlier attempt: at most dedupePages pages of
// dedupePageSize messages (getMessages allows 100 a page).
const (
	dedupePageSize = 100
	dedupePages    = 5
)

// Config configures a Sender.
type Config struct {
	// Directory resolves the platform account's handle or DID to its PDS. Required.
	Directory identity.Directory
	// HTTPClient carries every request. Production passes an SSRF-safe client with capped
	// responses (atproto.NewClient); nil means atproto.NewClient().
	HTTPClient *http.Client
	// Identifier is the platform account's handle or DID.
	Identifier string
	// Password is an app password of the platform account, allowed to reach direct
	// messages. It is sent to the PDS only, and never appears in errors.
	Password string
	// ServiceDID is the chat service the PDS proxies to (DefaultServiceDID when empty);
	// the proxy header is ServiceDID+"#bsky_chat".
	ServiceDID string
	// Timeout bounds one Send, with all of its calls (DefaultTimeout when zero).
	Timeout time.Duration
}

// Sender sends direct messages from the platform account. It is safe for concurrent use.
type Sender struct {
	cfg Config

	// session is a one-slot semaphore guarding api; a channel rather than a mutex so that
	// a caller waiting for someone else's login still gives up when its context ends.
	session chan struct{}
	api     *atclient.APIClient // logged in and proxying to the chat service; nil before the first login
}

// Sent identifies a message Send delivered, or found delivered by an earlier attempt.
type Sent struct {
	ConvoID   string
	MessageID string
	// Deduped is true when the message was not sent again because an earlier attempt had
	// delivered it.
	Deduped bool
}

// New returns a Sender for c. It does not contact anything: the first Send logs in.
func New(c Config) *Sender {
	if c.ServiceDID == "" {
		c.ServiceDID = DefaultServiceDID
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = atproto.NewClient()
	}
	return &Sender{cfg: c, session: make(chan struct{}, 1)}
}

// Send sends text to recipientDID in its 1:1 convo with the platform account. When
// dedupeAfter is not zero the message may have been sent before by an attempt that never
// heard back: Send first reads the convo's recent messages and, when the platform account
// sent exactly this text at or after dedupeAfter (to the millisecond, the chat service's
// precision), returns that message (Sent.Deduped = true) instead of sending again. Only the
// newest 500 messages of the convo are looked at.
//
// Errors can be sorted with CategoryOf.
func (s *Sender) Send(ctx context.Context, recipientDID, text string, dedupeAfter time.Time) (Sent, error) {
	if _, err := syntax.ParseDID(recipientDID); err != nil {
		return Sent{}, fmt.Errorf("send DM: recipient: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c := &call{s: s}

	var convo *chatapi.ConvoGetConvoForMembers_Output
	err := c.do(ctx, func(api *atclient.APIClient) (err error) {
		convo, err = chatapi.ConvoGetConvoForMembers(ctx, api, []string{recipientDID})
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("send DM to %s: get convo: %w", recipientDID, err)
	}
	if convo.Convo == nil || convo.Convo.Id == "" {
		return Sent{}, fmt.Errorf("send DM to %s: get convo: the chat service answered no convo", recipientDID)
	}
	convoID := convo.Convo.Id

	if !dedupeAfter.IsZero() {
		earlier, err := c.findSent(ctx, convoID, text, dedupeAfter.Truncate(time.Millisecond))
		if err != nil {
			return Sent{}, fmt.Errorf("send DM to %s: look for an earlier attempt in convo %s: %w", recipientDID, convoID, err)
		}
		if earlier != "" {
			return Sent{ConvoID: convoID, MessageID: earlier, Deduped: true}, nil
		}
	}

	var msg *chatapi.ConvoDefs_MessageView
	err = c.do(ctx, func(api *atclient.APIClient) (err error) {
		msg, err = chatapi.ConvoSendMessage(ctx, api, &chatapi.ConvoSendMessage_Input{
			ConvoId: convoID,
			Message: &chatapi.ConvoDefs_MessageInput{Text: text},
		})
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("send DM to %s: send message in convo %s: %w", recipientDID, convoID, err)
	}
	return Sent{ConvoID: convoID, MessageID: msg.Id}, nil
}

// call is one Send: it logs in again at most once.
type call struct {
	s        *Sender
	relogged bool
}

// do runs fn with the session, logging in first if there is none. When fn fails for want
// of a valid session and this call has not logged in again yet, it logs in again and runs
// fn once more.
func (c *call) do(ctx context.Context, fn func(*atclient.APIClient) error) error {
	api, err := c.s.client(ctx, nil)
	if err != nil {
		return err
	}
	err = fn(api)
	if err == nil || c.relogged || !invalidSession(err) {
		return err
	}
	c.relogged = true
	if api, err = c.s.client(ctx, api); err != nil {
		return err
	}
	return fn(api)
}

// findSent returns the ID of the newest message the platform account sent in convoID with
// exactly text at or after after, or "" when there is none among the newest messages.
func (c *call) findSent(ctx context.Context, convoID, text string, after time.Time) (string, error) {
	cursor := ""
	for range dedupePages {
		var page *chatapi.ConvoGetMessages_Output
		var self string
		err := c.do(ctx, func(api *atclient.APIClient) (err error) {
			self = api.AccountDID.String()
			page, err = chatapi.ConvoGetMessages(ctx, api, convoID, cursor, dedupePageSize)
			return err
		})
		if err != nil {
			return "", err
		}
		for _, item := range page.Messages { // newest first
			m := item.ConvoDefs_MessageView
			if m == nil {
				continue // deleted and system messages
			}
			sentAt, err := syntax.ParseDatetimeLenient(m.SentAt)
			if err != nil {
				continue
			}
			if sentAt.Time().Before(after) {
				return "", nil
			}
			if m.Sender != nil && m.Sender.Did == self && m.Text == text {
				return m.Id, nil
			}
		}
		if page.Cursor == nil || *page.Cursor == "" {
			return "", nil
		}
		cursor = *page.Cursor
	}
	return "", nil
}

// client returns the session, logging in when there is none or when it is stale (the
// session a call found invalid; a session another call has replaced it with is kept).
func (s *Sender) client(ctx context.Context, stale *atclient.APIClient) (*atclient.APIClient, error) {
	select {
	case s.session <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.session }()
	if s.api != nil && s.api != stale {
		return s.api, nil
	}
	api, err := s.logIn(ctx)
	if err != nil {
		return nil, err
	}
	s.api = api
	return api, nil
}

// logIn creates a password session on the platform account's PDS and returns a client
// that proxies to the chat service.
func (s *Sender) logIn(ctx context.Context) (*atclient.APIClient, error) {
	if s.cfg.Directory == nil {
		return nil, &loginError{errors.New("no directory configured")}
	}
	id, err := syntax.ParseAtIdentifier(s.cfg.Identifier)
	if err != nil {
		return nil, &loginError{fmt.Errorf("platform account identifier: %w", err)}
	}
	ident, err := s.cfg.Directory.Lookup(ctx, id)
	if err != nil {
		return nil, &loginError{fmt.Errorf("resolve %s: %w", id, err)}
	}
	host := ident.PDSEndpoint()
	if host == "" {
		return nil, &loginError{fmt.Errorf("%s has no PDS", ident.DID)}
	}

	anon := atclient.NewAPIClient(host)
	anon.Client = s.cfg.HTTPClient
	anon.Headers.Set("User-Agent", atproto.UserAgent)
	out, err := comatproto.ServerCreateSession(ctx, anon, &comatproto.ServerCreateSession_Input{
		Identifier: ident.DID.String(),
		Password:   s.cfg.Password,
	})
	if err != nil {
		return nil, &loginError{fmt.Errorf("create session for %s on %s: %w", ident.DID, host, err)}
	}
	if out.Did != ident.DID.String() {
		return nil, &loginError{fmt.Errorf("create session for %s on %s: the PDS answered for %s", ident.DID, host, out.Did)}
	}

	api := atclient.ResumePasswordSession(atclient.PasswordSessionData{
		AccessToken:  out.AccessJwt,
		RefreshToken: out.RefreshJwt,
		AccountDID:   ident.DID,
		Host:         host,
	}, nil)
	api.Client = s.cfg.HTTPClient
	api.Headers.Set("User-Agent", atproto.UserAgent)
	return api.WithService(s.cfg.ServiceDID + "#" + serviceID), nil
}
