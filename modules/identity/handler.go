package identity

import (
	"context"
	"encoding/json"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/devtoken"
	"github.com/plyrfm/plyr/modules/identity/internal/prefs"
)

// handler adapts IdentityService to the module: decode, call, map errors once.
type handler struct{ m *Module }

// fail maps a module error to what the client sees (the service's error interceptor would
// too; mapping here keeps the handler's intent visible).
func (h *handler) fail(ctx context.Context, err error) error {
	return rpc.ConnectError(ctx, h.m.logger, err)
}

func caller(ctx context.Context) *rpc.Caller { return rpc.CallerFrom(ctx) }

func (h *handler) GetMe(ctx context.Context, _ *identityv1.GetMeRequest) (*identityv1.GetMeResponse, error) {
	c := caller(ctx)
	me, err := h.m.sessions.Me(ctx, c.SessionID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	res := &identityv1.GetMeResponse{
		Account: accountProto(me.Account), EnabledFlags: me.Flags, TermsPending: me.Terms.Pending(h.m.termsVersion), Admin: c.Admin,
		TermsVersion: h.m.termsVersion,
	}
	for _, l := range me.Linked {
		res.LinkedAccounts = append(res.LinkedAccounts, &identityv1.LinkedAccount{
			Account: accountProto(l.Account), Current: l.Current, Expired: l.Expired,
		})
	}
	return res, nil
}

func (h *handler) ListPdsOptions(context.Context, *identityv1.ListPdsOptionsRequest) (*identityv1.ListPdsOptionsResponse, error) {
	res := &identityv1.ListPdsOptionsResponse{Enabled: h.m.cfg.AccountCreation}
	if !h.m.cfg.AccountCreation {
		return res, nil
	}
	for _, o := range h.m.cfg.PDSOptions {
		res.Options = append(res.Options, &identityv1.PdsOption{
			Name: o.Name, Url: o.URL, Recommended: o.Recommended, Description: o.Description,
		})
	}
	return res, nil
}

func (h *handler) StartAddAccount(ctx context.Context, req *identityv1.StartAddAccountRequest) (*identityv1.StartAddAccountResponse, error) {
	u, err := h.m.signin.StartAddAccount(ctx, caller(ctx), req.GetIdentifier(), req.GetReturnTo())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.StartAddAccountResponse{AuthUrl: u}, nil
}

func (h *handler) SwitchAccount(ctx context.Context, req *identityv1.SwitchAccountRequest) (*identityv1.SwitchAccountResponse, error) {
	acct, err := h.m.sessions.Switch(ctx, caller(ctx), req.GetDid())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.SwitchAccountResponse{Account: accountProto(acct)}, nil
}

func (h *handler) Logout(ctx context.Context, req *identityv1.LogoutRequest) (*identityv1.LogoutResponse, error) {
	next, err := h.m.sessions.Logout(ctx, caller(ctx), req.GetSwitchTo())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if next == nil {
		setCookieOnCall(ctx, h.m.cookie("", 0))
		return &identityv1.LogoutResponse{}, nil
	}
	return &identityv1.LogoutResponse{Account: accountProto(*next)}, nil
}

func (h *handler) LogoutAll(ctx context.Context, _ *identityv1.LogoutAllRequest) (*identityv1.LogoutAllResponse, error) {
	if err := h.m.sessions.LogoutAll(ctx, caller(ctx)); err != nil {
		return nil, h.fail(ctx, err)
	}
	setCookieOnCall(ctx, h.m.cookie("", 0))
	return &identityv1.LogoutAllResponse{}, nil
}

func (h *handler) AcceptTerms(ctx context.Context, req *identityv1.AcceptTermsRequest) (*identityv1.AcceptTermsResponse, error) {
	if req.Version != h.m.termsVersion {
		// The documents changed since the client showed them: it must show the new ones.
		return nil, h.fail(ctx, ErrTermsChanged)
	}
	at, err := h.m.prefs.AcceptTerms(ctx, caller(ctx).DID, req.Version)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.AcceptTermsResponse{AcceptedAt: timestamppb.New(at)}, nil
}

func (h *handler) GetPreferences(ctx context.Context, _ *identityv1.GetPreferencesRequest) (*identityv1.GetPreferencesResponse, error) {
	p, err := h.m.prefs.Get(ctx, caller(ctx))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.GetPreferencesResponse{Preferences: preferencesProto(p)}, nil
}

func (h *handler) UpdatePreferences(ctx context.Context, req *identityv1.UpdatePreferencesRequest) (*identityv1.UpdatePreferencesResponse, error) {
	u := prefs.PreferencesUpdate{
		AccentColor: req.AccentColor, AutoAdvance: req.AutoAdvance, AllowComments: req.AllowComments,
		EnableTealScrobbling: req.EnableTealScrobbling, ShowSensitiveArtwork: req.ShowSensitiveArtwork,
		ShowLikedOnProfile: req.ShowLikedOnProfile, SupportURL: req.SupportUrl, PDSAudioUploads: req.PdsAudioUploads,
	}
	if req.GetSetHiddenTags() {
		tags := req.GetHiddenTags()
		u.HiddenTags = &tags
	}
	if req.GetUiSettings() != nil {
		u.UISettings = req.GetUiSettings().AsMap()
	}
	p, err := h.m.prefs.Update(ctx, caller(ctx), u)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.UpdatePreferencesResponse{Preferences: preferencesProto(p)}, nil
}

func (h *handler) StartScopeUpgrade(ctx context.Context, req *identityv1.StartScopeUpgradeRequest) (*identityv1.StartScopeUpgradeResponse, error) {
	u, err := h.m.signin.StartScopeUpgrade(ctx, caller(ctx), req.GetIncludeTeal(), req.GetReturnTo())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.StartScopeUpgradeResponse{AuthUrl: u}, nil
}

func (h *handler) StartDeveloperToken(ctx context.Context, req *identityv1.StartDeveloperTokenRequest) (*identityv1.StartDeveloperTokenResponse, error) {
	u, err := h.m.signin.StartDeveloperToken(ctx, caller(ctx), req.GetName(), req.GetTtlDays(), req.GetReturnTo())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.StartDeveloperTokenResponse{AuthUrl: u}, nil
}

func (h *handler) ClaimDeveloperToken(ctx context.Context, req *identityv1.ClaimDeveloperTokenRequest) (*identityv1.ClaimDeveloperTokenResponse, error) {
	token, details, err := h.m.tokens.Claim(ctx, caller(ctx), req.GetCode())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.ClaimDeveloperTokenResponse{Token: token, Details: developerTokenProto(details)}, nil
}

func (h *handler) ListDeveloperTokens(ctx context.Context, _ *identityv1.ListDeveloperTokensRequest) (*identityv1.ListDeveloperTokensResponse, error) {
	tokens, err := h.m.tokens.List(ctx, caller(ctx).DID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	res := &identityv1.ListDeveloperTokensResponse{}
	for _, t := range tokens {
		res.Tokens = append(res.Tokens, developerTokenProto(t))
	}
	return res, nil
}

func (h *handler) RevokeDeveloperToken(ctx context.Context, req *identityv1.RevokeDeveloperTokenRequest) (*identityv1.RevokeDeveloperTokenResponse, error) {
	if err := h.m.tokens.Revoke(ctx, caller(ctx), req.GetPrefix()); err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.RevokeDeveloperTokenResponse{}, nil
}

func (h *handler) SetFeatureFlag(ctx context.Context, req *identityv1.SetFeatureFlagRequest) (*identityv1.SetFeatureFlagResponse, error) {
	flags, err := h.m.prefs.SetFeatureFlag(ctx, req.GetDid(), req.GetFlag(), req.GetEnabled())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	h.m.logger.InfoContext(ctx, "feature flag set", "by", caller(ctx).DID, "did", req.GetDid(), "flag", req.GetFlag(), "enabled", req.GetEnabled())
	return &identityv1.SetFeatureFlagResponse{Flags: flags}, nil
}

func (h *handler) ListFeatureFlags(ctx context.Context, req *identityv1.ListFeatureFlagsRequest) (*identityv1.ListFeatureFlagsResponse, error) {
	flags, err := h.m.prefs.FeatureFlags(ctx, req.GetDid())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &identityv1.ListFeatureFlagsResponse{Flags: flags}, nil
}

func accountProto(a Account) *identityv1.Account {
	return &identityv1.Account{Did: a.DID, Handle: a.Handle, AvatarUrl: a.AvatarURL}
}

func developerTokenProto(t devtoken.DeveloperToken) *identityv1.DeveloperToken {
	out := &identityv1.DeveloperToken{Prefix: t.Prefix, Name: t.Name}
	if !t.CreatedAt.IsZero() {
		out.CreatedAt = timestamppb.New(t.CreatedAt)
	}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(t.ExpiresAt)
	}
	return out
}

func preferencesProto(p prefs.Preferences) *identityv1.Preferences {
	out := &identityv1.Preferences{
		AccentColor: p.AccentColor, AutoAdvance: p.AutoAdvance, AllowComments: p.AllowComments,
		HiddenTags: p.HiddenTags, EnableTealScrobbling: p.EnableTealScrobbling, TealNeedsReauth: p.TealNeedsReauth,
		ShowSensitiveArtwork: p.ShowSensitiveArtwork, ShowLikedOnProfile: p.ShowLikedOnProfile, SupportUrl: p.SupportUrl,
		PdsAudioUploads: p.PdsAudioUploads,
	}
	var settings map[string]any
	if json.Unmarshal(p.UiSettings, &settings) == nil {
		out.UiSettings, _ = structpb.NewStruct(settings)
	}
	if p.TermsAcceptedAt != nil {
		out.TermsAcceptedAt = timestamppb.New(*p.TermsAcceptedAt)
	}
	return out
}
