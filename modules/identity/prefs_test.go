package identity_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

const adminDID = "did:plc:admin"

// localFixture is the module without a PDS: sessions are made directly, and the RPCs that
// need no PDS are called through the Connect client.
type localFixture struct {
	m      *identity.Module
	client identityv1connect.IdentityServiceClient
}

func newLocalFixture(t testing.TB) localFixture {
	t.Helper()
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(t, err)
	m, err := identity.New(identity.Deps{
		DB: testenv.NewDatabase(t), Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys,
		HTTPClient: http.DefaultClient,
		Config: identity.Config{
			PublicURL: "http://127.0.0.1:9", SessionTTL: time.Hour, AdminDIDs: []string{adminDID},
			AccountCreation: true,
			PDSOptions:      []identity.PDSOption{{Name: "Example", URL: "https://pds.example.com", Recommended: true}},
		},
	})
	require.NoError(t, err)
	server := rpctest.NewServer(t, m, m)
	return localFixture{m: m, client: identityv1connect.NewIdentityServiceClient(server.Client(), server.URL)}
}

// browser returns a context carrying a browser session for dids (the first current).
func (f localFixture) browser(t testing.TB, dids ...string) context.Context {
	t.Helper()
	for i, did := range dids {
		_, err := f.m.EnsureAccount(context.Background(), did, "user"+string(rune('a'+i))+".test")
		require.NoError(t, err)
	}
	token, err := f.m.NewBrowserSessionForTest(context.Background(), dids...)
	require.NoError(t, err)
	return rpctest.WithToken(context.Background(), token.Value)
}

func TestTerms(t *testing.T) {
	f := newLocalFixture(t)
	ctx := f.browser(t, "did:plc:alice")
	me, err := f.client.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.True(t, me.TermsPending)

	accepted, err := f.client.AcceptTerms(ctx, &identityv1.AcceptTermsRequest{})
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), accepted.AcceptedAt.AsTime(), time.Minute)
	me, err = f.client.GetMe(ctx, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.False(t, me.TermsPending)
	prefs, err := f.client.GetPreferences(ctx, &identityv1.GetPreferencesRequest{})
	require.NoError(t, err)
	require.Equal(t, accepted.AcceptedAt.AsTime(), prefs.Preferences.TermsAcceptedAt.AsTime())
}

func TestPreferences_DefaultsAndPartialUpdates(t *testing.T) {
	f := newLocalFixture(t)
	ctx := f.browser(t, "did:plc:alice")

	got, err := f.client.GetPreferences(ctx, &identityv1.GetPreferencesRequest{})
	require.NoError(t, err)
	p := got.Preferences
	require.Equal(t, "#6a9fff", p.AccentColor)
	require.True(t, p.AutoAdvance)
	require.Equal(t, []string{"ai"}, p.HiddenTags)
	require.Empty(t, p.UiSettings.AsMap())

	color, support := "#FF0088", "https://ko-fi.com/alice"
	first, _ := structpb.NewStruct(map[string]any{"theme": "dark", "background_tile": true})
	updated, err := f.client.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{
		AccentColor: &color, SupportUrl: &support, UiSettings: first,
		SetHiddenTags: true, HiddenTags: []string{" AI ", "Noise", "noise", ""},
	})
	require.NoError(t, err)
	require.Equal(t, "#ff0088", updated.Preferences.AccentColor)
	require.Equal(t, []string{"ai", "noise"}, updated.Preferences.HiddenTags)
	require.True(t, updated.Preferences.AutoAdvance, "fields not sent stay as they were")

	// ui_settings merge key by key.
	second, _ := structpb.NewStruct(map[string]any{"theme": "light", "pds_audio_uploads_enabled": true})
	off := false
	updated, err = f.client.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{UiSettings: second, AutoAdvance: &off})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"theme": "light", "background_tile": true, "pds_audio_uploads_enabled": true},
		updated.Preferences.UiSettings.AsMap())
	require.False(t, updated.Preferences.AutoAdvance)
	require.Equal(t, "#ff0088", updated.Preferences.AccentColor)
	require.Equal(t, []string{"ai", "noise"}, updated.Preferences.HiddenTags)

	// Clearing the hidden tags takes set_hidden_tags.
	updated, err = f.client.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{SetHiddenTags: true})
	require.NoError(t, err)
	require.Empty(t, updated.Preferences.HiddenTags)
}

func TestPreferences_Validation(t *testing.T) {
	f := newLocalFixture(t)
	ctx := f.browser(t, "did:plc:alice")
	str := func(s string) *string { return &s }
	tags := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + i))
		}
		return out
	}
	big, _ := structpb.NewStruct(map[string]any{"blob": string(make([]byte, 20<<10))})
	tests := []struct {
		name string
		req  *identityv1.UpdatePreferencesRequest
		want string
	}{
		{"colour name", &identityv1.UpdatePreferencesRequest{AccentColor: str("blue")}, "accent_color"},
		{"short colour", &identityv1.UpdatePreferencesRequest{AccentColor: str("#fff")}, "accent_color"},
		{"http support url", &identityv1.UpdatePreferencesRequest{SupportUrl: str("http://ko-fi.com/a")}, "support_url"},
		{"javascript support url", &identityv1.UpdatePreferencesRequest{SupportUrl: str("javascript:alert(1)")}, "support_url"},
		{"too many tags", &identityv1.UpdatePreferencesRequest{SetHiddenTags: true, HiddenTags: tags(21)}, "at most 20"},
		{"long tag", &identityv1.UpdatePreferencesRequest{SetHiddenTags: true, HiddenTags: []string{string(make([]rune, 51))}}, "longer than 50"},
		{"huge ui settings", &identityv1.UpdatePreferencesRequest{UiSettings: big}, "ui_settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.UpdatePreferences(ctx, tt.req)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
			require.Contains(t, err.Error(), tt.want)
		})
	}
	// "atprotofans" and "" are accepted.
	for _, ok := range []string{"atprotofans", ""} {
		_, err := f.client.UpdatePreferences(ctx, &identityv1.UpdatePreferencesRequest{SupportUrl: str(ok)})
		require.NoError(t, err)
	}
}

func TestFeatureFlags(t *testing.T) {
	f := newLocalFixture(t)
	admin := f.browser(t, adminDID)
	alice := f.browser(t, "did:plc:alice")

	set, err := f.client.SetFeatureFlag(admin, &identityv1.SetFeatureFlagRequest{Did: "did:plc:alice", Flag: "lossless-uploads", Enabled: true})
	require.NoError(t, err)
	require.Equal(t, []string{"lossless-uploads"}, set.Flags)
	_, err = f.client.SetFeatureFlag(admin, &identityv1.SetFeatureFlagRequest{Did: "did:plc:alice", Flag: "pds-audio-uploads", Enabled: true})
	require.NoError(t, err)

	me, err := f.client.GetMe(alice, &identityv1.GetMeRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{"lossless-uploads", "pds-audio-uploads"}, me.EnabledFlags)
	require.False(t, me.Admin)

	set, err = f.client.SetFeatureFlag(admin, &identityv1.SetFeatureFlagRequest{Did: "did:plc:alice", Flag: "lossless-uploads"})
	require.NoError(t, err)
	require.Equal(t, []string{"pds-audio-uploads"}, set.Flags)
	list, err := f.client.ListFeatureFlags(admin, &identityv1.ListFeatureFlagsRequest{Did: "did:plc:alice"})
	require.NoError(t, err)
	require.Equal(t, []string{"pds-audio-uploads"}, list.Flags)

	// Only admins.
	_, err = f.client.SetFeatureFlag(alice, &identityv1.SetFeatureFlagRequest{Did: "did:plc:alice", Flag: "x", Enabled: true})
	require.Equal(t, connect.CodePermissionDenied, connect.CodeOf(err))
	_, err = f.client.ListFeatureFlags(context.Background(), &identityv1.ListFeatureFlagsRequest{Did: "did:plc:alice"})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
	// Names and accounts are checked.
	_, err = f.client.SetFeatureFlag(admin, &identityv1.SetFeatureFlagRequest{Did: "did:plc:alice", Flag: "Bad Name", Enabled: true})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	_, err = f.client.SetFeatureFlag(admin, &identityv1.SetFeatureFlagRequest{Did: "did:plc:nobody", Flag: "x", Enabled: true})
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))
}

func TestBrowserOnlyProcedures_RefuseTokens(t *testing.T) {
	f := newLocalFixture(t)
	_, err := f.m.EnsureAccount(context.Background(), "did:plc:alice", "alice.test")
	require.NoError(t, err)
	token, err := f.m.IssueDeveloperToken(context.Background(), "did:plc:alice", "script", time.Hour)
	require.NoError(t, err)
	ctx := rpctest.WithToken(context.Background(), token.Value)

	_, err = f.client.SwitchAccount(ctx, &identityv1.SwitchAccountRequest{Did: "did:plc:alice"})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
	_, err = f.client.StartDeveloperToken(ctx, &identityv1.StartDeveloperTokenRequest{})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
	_, err = f.client.LogoutAll(ctx, &identityv1.LogoutAllRequest{})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
	// An operator token reaches no PDS.
	caller, err := f.m.Authenticate(context.Background(), token.Value)
	require.NoError(t, err)
	_, _, err = f.m.PutRecord(context.Background(), &caller, "fm.plyr.actor.profile", "self", map[string]any{})
	require.ErrorIs(t, err, identity.ErrNoPDSAccess)
}

func TestListPdsOptions_IsPublic(t *testing.T) {
	f := newLocalFixture(t)
	res, err := f.client.ListPdsOptions(context.Background(), &identityv1.ListPdsOptionsRequest{})
	require.NoError(t, err)
	require.True(t, res.Enabled)
	require.Equal(t, "https://pds.example.com", res.Options[0].Url)
}
