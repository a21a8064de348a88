package chattest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	comatproto "github.com/bluesky-social/indigo/api/atproto"
	chatapi "github.com/bluesky-social/indigo/api/chat"
	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/chattest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const password = "chattest-pass-123"

// fixture is a fake chat service and two accounts on the shared network.
type fixture struct {
	ctx          context.Context
	net          *devpds.Network
	fake         *chattest.Server
	alice, bob   devpds.Account
	aliceSession *atclient.APIClient // alice's password session
	aliceChat    *atclient.APIClient // the same, proxying to the fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	f := &fixture{ctx: ctx, net: net, fake: chattest.New(t, net)}
	f.alice = createAccount(t, ctx, net, "ca")
	f.bob = createAccount(t, ctx, net, "cb")
	f.aliceSession = logIn(t, ctx, net, f.alice)
	f.aliceChat = f.aliceSession.WithService(f.fake.DID + chattest.ServiceID)
	return f
}

func createAccount(t *testing.T, ctx context.Context, net *devpds.Network, prefix string) devpds.Account {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	acct, err := net.CreateAccount(ctx, prefix+hex.EncodeToString(b[:])+".test", password)
	require.NoError(t, err)
	return acct
}

// logIn makes a password session for acct through the network's transport.
func logIn(t *testing.T, ctx context.Context, net *devpds.Network, acct devpds.Account) *atclient.APIClient {
	t.Helper()
	anon := atclient.NewAPIClient(net.PDSURL)
	anon.Client = net.HTTPClient()
	out, err := comatproto.ServerCreateSession(ctx, anon, &comatproto.ServerCreateSession_Input{Identifier: acct.Handle, Password: password})
	require.NoError(t, err)
	c := atclient.ResumePasswordSession(atclient.PasswordSessionData{
		AccessToken: out.AccessJwt, RefreshToken: out.RefreshJwt, AccountDID: syntax.DID(out.Did), Host: net.PDSURL,
	}, nil)
	c.Client = net.HTTPClient()
	return c
}

func requireAPIError(t *testing.T, err error, status int, name, message string) {
	t.Helper()
	apiErr, ok := errors.AsType[*atclient.APIError](err)
	require.True(t, ok, "want an API error, got %v", err)
	require.Equal(t, status, apiErr.StatusCode, err.Error())
	require.Equal(t, name, apiErr.Name, err.Error())
	if message != "" {
		require.Equal(t, message, apiErr.Message)
	}
}

// TestServer_ThroughPDS drives the three methods through the PDS's chat proxy: the PDS
// resolves the fake's DID, signs a service-auth JWT and forwards the call.
func TestServer_ThroughPDS(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx

	got, err := chatapi.ConvoGetConvoForMembers(ctx, f.aliceChat, []string{f.bob.DID})
	require.NoError(t, err)
	convo := got.Convo
	require.NotEmpty(t, convo.Id)
	handles := map[string]string{}
	for _, m := range convo.Members {
		handles[m.Did] = m.Handle
	}
	require.Equal(t, map[string]string{f.alice.DID: f.alice.Handle, f.bob.DID: f.bob.Handle}, handles)
	require.Nil(t, convo.LastMessage)

	again, err := chatapi.ConvoGetConvoForMembers(ctx, f.aliceChat, []string{f.bob.DID, f.alice.DID})
	require.NoError(t, err)
	require.Equal(t, convo.Id, again.Convo.Id, "one convo per member set")

	var sent []*chatapi.ConvoDefs_MessageView
	for _, text := range []string{"one", "two", "three"} {
		msg, err := chatapi.ConvoSendMessage(ctx, f.aliceChat, &chatapi.ConvoSendMessage_Input{
			ConvoId: convo.Id, Message: &chatapi.ConvoDefs_MessageInput{Text: text},
		})
		require.NoError(t, err)
		require.Equal(t, text, msg.Text)
		require.Equal(t, f.alice.DID, msg.Sender.Did)
		_, err = syntax.ParseDatetime(msg.SentAt)
		require.NoError(t, err)
		sent = append(sent, msg)
	}

	stored := f.fake.Messages(f.bob.DID)
	require.Len(t, stored, 3)
	for i, m := range stored {
		require.Equal(t, sent[i].Id, m.ID)
		require.Equal(t, f.alice.DID, m.Sender, "the sender is the DID the PDS signed for")
		require.Equal(t, convo.Id, m.ConvoID)
		require.WithinDuration(t, time.Now(), m.SentAt, time.Minute)
	}
	require.Empty(t, f.fake.Messages(f.alice.DID), "alice received nothing")

	page, err := chatapi.ConvoGetMessages(ctx, f.aliceChat, convo.Id, "", 2)
	require.NoError(t, err)
	require.Len(t, page.Messages, 2)
	require.Equal(t, "three", page.Messages[0].ConvoDefs_MessageView.Text, "newest first")
	require.Equal(t, "two", page.Messages[1].ConvoDefs_MessageView.Text)
	require.NotNil(t, page.Cursor)
	rest, err := chatapi.ConvoGetMessages(ctx, f.aliceChat, convo.Id, *page.Cursor, 2)
	require.NoError(t, err)
	require.Len(t, rest.Messages, 1)
	require.Equal(t, "one", rest.Messages[0].ConvoDefs_MessageView.Text)
	require.Nil(t, rest.Cursor)

	withLast, err := chatapi.ConvoGetConvoForMembers(ctx, f.aliceChat, []string{f.bob.DID})
	require.NoError(t, err)
	require.Equal(t, "three", withLast.Convo.LastMessage.ConvoDefs_MessageView.Text)

	// bob sees the same convo; a third account cannot read it.
	bobChat := logIn(t, ctx, f.net, f.bob).WithService(f.fake.DID + chattest.ServiceID)
	bobs, err := chatapi.ConvoGetConvoForMembers(ctx, bobChat, []string{f.alice.DID})
	require.NoError(t, err)
	require.Equal(t, convo.Id, bobs.Convo.Id)
	carol := createAccount(t, ctx, f.net, "cc")
	carolChat := logIn(t, ctx, f.net, carol).WithService(f.fake.DID + chattest.ServiceID)
	_, err = chatapi.ConvoGetMessages(ctx, carolChat, convo.Id, "", 0)
	requireAPIError(t, err, http.StatusBadRequest, "InvalidConvo", "Convo not found")
}

// TestServer_Faults checks what a client of the PDS sees for each scripted fault.
func TestServer_Faults(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	send := func(convoID, text string) error {
		_, err := chatapi.ConvoSendMessage(ctx, f.aliceChat, &chatapi.ConvoSendMessage_Input{
			ConvoId: convoID, Message: &chatapi.ConvoDefs_MessageInput{Text: text},
		})
		return err
	}
	getConvo := func(member string) (string, error) {
		out, err := chatapi.ConvoGetConvoForMembers(ctx, f.aliceChat, []string{member})
		if err != nil {
			return "", err
		}
		return out.Convo.Id, nil
	}

	t.Run("blocked before the convo exists", func(t *testing.T) {
		dave := createAccount(t, ctx, f.net, "cd")
		f.fake.SetFault(dave.DID, chattest.Blocked)
		_, err := getConvo(dave.DID)
		requireAPIError(t, err, http.StatusBadRequest, "BlockedActor", chattest.MessageBlocked)
	})
	t.Run("messages disabled before the convo exists", func(t *testing.T) {
		erin := createAccount(t, ctx, f.net, "ce")
		f.fake.SetFault(erin.DID, chattest.MessagesDisabled)
		_, err := getConvo(erin.DID)
		requireAPIError(t, err, http.StatusBadRequest, "MessagesDisabled", chattest.MessageMessagesDisabled)
	})
	t.Run("blocked in an existing convo", func(t *testing.T) {
		id, err := getConvo(f.bob.DID)
		require.NoError(t, err)
		f.fake.SetFault(f.bob.DID, chattest.Blocked)
		t.Cleanup(func() { f.fake.SetFault(f.bob.DID, chattest.NoFault) })
		again, err := getConvo(f.bob.DID)
		require.NoError(t, err, "an existing convo is still returned")
		require.Equal(t, id, again)
		requireAPIError(t, send(id, "hello"), http.StatusBadRequest, "InvalidRequest", chattest.MessageBlocked)
		require.Empty(t, f.fake.Messages(f.bob.DID))
	})
	t.Run("down for one recipient", func(t *testing.T) {
		id, err := getConvo(f.bob.DID)
		require.NoError(t, err)
		f.fake.SetFault(f.bob.DID, chattest.Down)
		t.Cleanup(func() { f.fake.SetFault(f.bob.DID, chattest.NoFault) })
		requireAPIError(t, send(id, "hello"), http.StatusBadGateway, "UpstreamFailure", "Upstream service unreachable")
		_, err = getConvo(f.bob.DID)
		requireAPIError(t, err, http.StatusBadGateway, "UpstreamFailure", "Upstream service unreachable")
		require.Empty(t, f.fake.Messages(f.bob.DID))
	})
	t.Run("down for everyone", func(t *testing.T) {
		f.fake.SetFault(chattest.AnyRecipient, chattest.Down)
		t.Cleanup(func() { f.fake.SetFault(chattest.AnyRecipient, chattest.NoFault) })
		_, err := getConvo(f.bob.DID)
		requireAPIError(t, err, http.StatusBadGateway, "UpstreamFailure", "Upstream service unreachable")
	})
	t.Run("accept then hang", func(t *testing.T) {
		id, err := getConvo(f.bob.DID)
		require.NoError(t, err)
		f.fake.SetFault(f.bob.DID, chattest.AcceptThenHang)
		t.Cleanup(func() { f.fake.SetFault(f.bob.DID, chattest.NoFault) })
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err = chatapi.ConvoSendMessage(short, f.aliceChat, &chatapi.ConvoSendMessage_Input{
			ConvoId: id, Message: &chatapi.ConvoDefs_MessageInput{Text: "accepted"},
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		stored := f.fake.Messages(f.bob.DID)
		require.Len(t, stored, 1)
		require.Equal(t, "accepted", stored[0].Text)
	})
	t.Run("stopped", func(t *testing.T) {
		// Last: the server does not come back.
		f.fake.Close()
		_, err := getConvo(f.bob.DID)
		requireAPIError(t, err, http.StatusBadGateway, "UpstreamFailure", "Upstream service unreachable")
	})
}

// TestServer_RejectsBadTokens calls the fake directly, as only the PDS should.
func TestServer_RejectsBadTokens(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	serviceAuth := func(aud, lxm string) string {
		t.Helper()
		out, err := comatproto.ServerGetServiceAuth(ctx, f.aliceSession, aud, 0, lxm)
		require.NoError(t, err)
		return out.Token
	}
	forgery := func() string {
		t.Helper()
		key, err := atcrypto.GeneratePrivateKeyK256()
		require.NoError(t, err)
		lxm := syntax.NSID(chattest.MethodGetConvoForMembers)
		tok, err := auth.SignServiceAuth(syntax.DID(f.alice.DID), f.fake.DID, time.Minute, &lxm, key)
		require.NoError(t, err)
		return tok
	}

	tests := []struct {
		name          string
		authorization string
		wantStatus    int
		wantError     string
	}{
		{"valid", "Bearer " + serviceAuth(f.fake.DID, chattest.MethodGetConvoForMembers), http.StatusOK, ""},
		{"absent", "", http.StatusUnauthorized, "AuthMissing"},
		{"not bearer", "Basic YWRtaW46YWRtaW4tcGFzcw==", http.StatusUnauthorized, "AuthMissing"},
		{"garbage", "Bearer not-a-jwt", http.StatusUnauthorized, "BadJwt"},
		{"forged signature", "Bearer " + forgery(), http.StatusUnauthorized, "BadJwtSignature"},
		{"other audience", "Bearer " + serviceAuth("did:web:api.bsky.chat", chattest.MethodGetConvoForMembers), http.StatusUnauthorized, "BadJwtAudience"},
		{"other method", "Bearer " + serviceAuth(f.fake.DID, chattest.MethodSendMessage), http.StatusUnauthorized, "BadJwtLexiconMethod"},
		{"access token", "Bearer " + f.aliceSession.Auth.(*atclient.PasswordAuth).Session.AccessToken, http.StatusUnauthorized, "BadJwtType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet,
				f.fake.URL+"/xrpc/"+chattest.MethodGetConvoForMembers+"?members="+f.bob.DID, nil)
			require.NoError(t, err)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			var body struct {
				Error   string `json:"error"`
				Message string `json:"message"`
			}
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
			require.Equal(t, tt.wantStatus, res.StatusCode, body.Message)
			require.Equal(t, tt.wantError, body.Error, body.Message)
			if tt.wantStatus == http.StatusOK {
				require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"))
			}
		})
	}
	require.Empty(t, f.fake.Messages(f.bob.DID))
}

// TestServer_Unregistered checks that the registration the fake makes is what routes the
// PDS to it: once removed (and dropped from the PDS's DID cache), the PDS resolves the
// did:web for real, cannot reach a .test host, and fails.
func TestServer_Unregistered(t *testing.T) {
	f := newFixture(t)
	_, err := chatapi.ConvoGetConvoForMembers(f.ctx, f.aliceChat, []string{f.bob.DID})
	require.NoError(t, err)

	require.NoError(t, f.net.RegisterService(f.fake.DID, chattest.ServiceID, chattest.ServiceType, ""))
	_, err = chatapi.ConvoGetConvoForMembers(f.ctx, f.aliceChat, []string{f.bob.DID})
	requireAPIError(t, err, http.StatusInternalServerError, "InternalServerError", "")
}
