package chat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/chattest"
	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/chat"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const password = "platform-pass-123"

// fixture is a platform account, a fake chat service and a transport that watches (and can
// spoil) what the Sender sends to the PDS.
type fixture struct {
	ctx      context.Context
	net      *devpds.Network
	fake     *chattest.Server
	platform devpds.Account
	wire     *wire
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	net, err := devpds.Shared(testenv.AtExit)
	require.NoError(t, err)
	return &fixture{
		ctx: ctx, net: net, fake: chattest.New(t, net),
		platform: createAccount(t, ctx, net, "pf"),
		wire:     &wire{base: net.Transport(nil), calls: map[string]int{}},
	}
}

func createAccount(t *testing.T, ctx context.Context, net *devpds.Network, prefix string) devpds.Account {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	acct, err := net.CreateAccount(ctx, prefix+hex.EncodeToString(b[:])+".test", password)
	require.NoError(t, err)
	return acct
}

// config is the production configuration pointed at the test network and the fake.
func (f *fixture) config() chat.Config {
	return chat.Config{
		Directory: f.net.Directory(),
		HTTPClient: &http.Client{
			Transport: atproto.LimitResponses(f.wire, atproto.DefaultMaxResponseBytes),
			Timeout:   30 * time.Second,
		},
		Identifier: f.platform.Handle,
		Password:   password,
		ServiceDID: f.fake.DID,
		Timeout:    20 * time.Second,
	}
}

// wire counts the XRPC calls it carries, by method, and can spoil the session token of
// proxied chat calls, as a revoked session would be refused.
type wire struct {
	base      http.RoundTripper
	spoilChat atomic.Int32 // chat calls left to spoil; negative: all
	mu        sync.Mutex
	calls     map[string]int
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	method := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	w.mu.Lock()
	w.calls[method]++
	w.mu.Unlock()
	if strings.HasPrefix(method, "chat.bsky.") {
		if n := w.spoilChat.Load(); n != 0 {
			w.spoilChat.Add(-1)
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer spoiled")
		}
	}
	return w.base.RoundTrip(r)
}

func (w *wire) count(method string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[method]
}

func TestSender_Send(t *testing.T) {
	f := newFixture(t)
	artist := createAccount(t, f.ctx, f.net, "ar")

	tests := []struct {
		name       string
		identifier string
	}{
		{"by handle", f.platform.Handle},
		{"by DID", f.platform.DID},
	}
	var convoID string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.config()
			cfg.Identifier = tt.identifier
			text := fmt.Sprintf("Your track was reported (%d).", i)
			sent, err := chat.New(cfg).Send(f.ctx, artist.DID, text, time.Time{})
			require.NoError(t, err)
			require.False(t, sent.Deduped)
			require.NotEmpty(t, sent.MessageID)
			if convoID == "" {
				convoID = sent.ConvoID
			}
			require.Equal(t, convoID, sent.ConvoID, "one convo per recipient")

			got := f.fake.Messages(artist.DID)
			require.Len(t, got, i+1)
			last := got[i]
			require.Equal(t, sent.MessageID, last.ID)
			require.Equal(t, text, last.Text)
			require.Equal(t, f.platform.DID, last.Sender, "the fake verified the PDS's service-auth JWT for the platform account")
		})
	}
}

func TestSender_Send_Refused(t *testing.T) {
	f := newFixture(t)
	sender := chat.New(f.config())

	t.Run("blocked before any convo", func(t *testing.T) {
		artist := createAccount(t, f.ctx, f.net, "bl")
		f.fake.SetFault(artist.DID, chattest.Blocked)
		_, err := sender.Send(f.ctx, artist.DID, "hello", time.Time{})
		require.Error(t, err)
		require.Equal(t, chat.CategoryBlocked, chat.CategoryOf(err), err.Error())
	})
	t.Run("messages disabled", func(t *testing.T) {
		artist := createAccount(t, f.ctx, f.net, "md")
		f.fake.SetFault(artist.DID, chattest.MessagesDisabled)
		_, err := sender.Send(f.ctx, artist.DID, "hello", time.Time{})
		require.Equal(t, chat.CategoryBlocked, chat.CategoryOf(err), err.Error())
	})
	t.Run("blocked in an existing convo", func(t *testing.T) {
		artist := createAccount(t, f.ctx, f.net, "be")
		_, err := sender.Send(f.ctx, artist.DID, "first", time.Time{})
		require.NoError(t, err)
		f.fake.SetFault(artist.DID, chattest.Blocked)
		_, err = sender.Send(f.ctx, artist.DID, "second", time.Time{})
		require.Equal(t, chat.CategoryBlocked, chat.CategoryOf(err), err.Error())
		require.Len(t, f.fake.Messages(artist.DID), 1)
	})
	t.Run("chat service down", func(t *testing.T) {
		artist := createAccount(t, f.ctx, f.net, "dn")
		f.fake.SetFault(artist.DID, chattest.Down)
		_, err := sender.Send(f.ctx, artist.DID, "hello", time.Time{})
		require.Equal(t, chat.CategoryNetwork, chat.CategoryOf(err), err.Error())
		require.Contains(t, err.Error(), "UpstreamFailure")
	})
	t.Run("chat service stopped", func(t *testing.T) {
		stopped := chattest.New(t, f.net)
		stopped.Close()
		cfg := f.config()
		cfg.ServiceDID = stopped.DID
		artist := createAccount(t, f.ctx, f.net, "st")
		_, err := chat.New(cfg).Send(f.ctx, artist.DID, "hello", time.Time{})
		require.Equal(t, chat.CategoryNetwork, chat.CategoryOf(err), err.Error())
	})
	t.Run("wrong password", func(t *testing.T) {
		cfg := f.config()
		cfg.Password = "not-the-password"
		_, err := chat.New(cfg).Send(f.ctx, f.platform.DID, "hello", time.Time{})
		require.Equal(t, chat.CategoryAuth, chat.CategoryOf(err), err.Error())
		require.NotContains(t, err.Error(), "not-the-password")
	})
	t.Run("unknown account", func(t *testing.T) {
		cfg := f.config()
		cfg.Identifier = "nobody-here.test"
		_, err := chat.New(cfg).Send(f.ctx, f.platform.DID, "hello", time.Time{})
		require.Equal(t, chat.CategoryAuth, chat.CategoryOf(err), err.Error())
	})
	t.Run("invalid recipient", func(t *testing.T) {
		_, err := sender.Send(f.ctx, "not-a-did", "hello", time.Time{})
		require.Equal(t, chat.CategoryUnknown, chat.CategoryOf(err), err.Error())
	})
}

// TestSender_Send_Dedupe: a send that timed out after the chat service accepted it is not
// repeated by a retry that passes dedupeAfter.
func TestSender_Send_Dedupe(t *testing.T) {
	f := newFixture(t)
	artist := createAccount(t, f.ctx, f.net, "dd")
	cfg := f.config()
	cfg.Timeout = 2 * time.Second
	sender := chat.New(cfg)
	// Log in and create the convo first, so that the short timeout only meets the hang.
	_, err := sender.Send(f.ctx, artist.DID, "Welcome.", time.Time{})
	require.NoError(t, err)

	firstAttempt := time.Now()
	f.fake.SetFault(artist.DID, chattest.AcceptThenHang)
	_, err = sender.Send(f.ctx, artist.DID, "Copyright notice #1", time.Time{})
	require.Error(t, err)
	require.Equal(t, chat.CategoryNetwork, chat.CategoryOf(err), err.Error())
	f.fake.SetFault(artist.DID, chattest.NoFault)

	retry, err := sender.Send(f.ctx, artist.DID, "Copyright notice #1", firstAttempt.Add(-time.Second))
	require.NoError(t, err)
	require.True(t, retry.Deduped)

	got := f.fake.Messages(artist.DID)
	require.Len(t, got, 2, "the welcome and one notice")
	require.Equal(t, "Copyright notice #1", got[1].Text)
	require.Equal(t, got[1].ID, retry.MessageID)

	// Other text, or the same text sent before dedupeAfter, is sent.
	other, err := sender.Send(f.ctx, artist.DID, "Copyright notice #2", firstAttempt.Add(-time.Second))
	require.NoError(t, err)
	require.False(t, other.Deduped)
	again, err := sender.Send(f.ctx, artist.DID, "Welcome.", time.Now()) // seconds after the welcome
	require.NoError(t, err)
	require.False(t, again.Deduped)
	require.Len(t, f.fake.Messages(artist.DID), 4)
}

// TestSender_Session: the Sender logs in once, shares the session between concurrent
// sends, logs in again when the session is refused, and only once per Send.
func TestSender_Session(t *testing.T) {
	f := newFixture(t)
	artist := createAccount(t, f.ctx, f.net, "ss")
	sender := chat.New(f.config())

	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { _, errs[i] = sender.Send(f.ctx, artist.DID, fmt.Sprintf("concurrent %d", i), time.Time{}) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, f.fake.Messages(artist.DID), 5)
	require.Equal(t, 1, f.wire.count("com.atproto.server.createSession"))

	// A refused session (here: a spoiled token on one chat call) is replaced.
	f.wire.spoilChat.Store(1)
	_, err := sender.Send(f.ctx, artist.DID, "after a refused session", time.Time{})
	require.NoError(t, err)
	require.Equal(t, 2, f.wire.count("com.atproto.server.createSession"))

	// A session refused again after logging in again fails the Send.
	f.wire.spoilChat.Store(-1)
	_, err = sender.Send(f.ctx, artist.DID, "never delivered", time.Time{})
	require.Equal(t, chat.CategoryAuth, chat.CategoryOf(err), err.Error())
	require.Equal(t, 3, f.wire.count("com.atproto.server.createSession"), "one more login, not a loop")
	require.NotContains(t, err.Error(), "eyJ", "no token in the error")
	require.NotContains(t, err.Error(), password)
	require.Len(t, f.fake.Messages(artist.DID), 6)
}
