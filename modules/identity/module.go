package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/atclient"
	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity/internal/account"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/devtoken"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
	"github.com/plyrfm/plyr/modules/identity/internal/pds"
	"github.com/plyrfm/plyr/modules/identity/internal/prefs"
	"github.com/plyrfm/plyr/modules/identity/internal/scope"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
	"github.com/plyrfm/plyr/modules/identity/internal/signin"
)

// Config is the module's configuration.
type Config struct {
	// PublicURL is where browsers reach plyr (scheme, host, port; no path). OAuth redirects
	// come back to PublicURL/auth/callback. A loopback http URL makes plyr a development
	// (loopback) OAuth client.
	PublicURL string
	// Namespace is the NSID prefix of plyr's records and permission set (fm.plyr).
	Namespace string
	// AppName is the client name the PDS shows when asking for consent.
	AppName string
	// ClientKey, when set, makes plyr a confidential client (private_key_jwt, ES256) with
	// longer-lived grants; PublicURL must then be https.
	ClientKey   atcrypto.PrivateKey
	ClientKeyID string
	// SessionTTL bounds a browser session (a grant may end it sooner).
	SessionTTL time.Duration
	// AdminDIDs may call the administrators' procedures.
	AdminDIDs []string
	// AccountCreation enables creating accounts on PDSOptions.
	AccountCreation bool
	// PDSOptions are the PDS hosts offered for new accounts; no other is accepted.
	PDSOptions []PDSOption
	// AllowLoopbackPDS accepts authorization servers at http://localhost (the reference PDS
	// of `plyr dev`). Never in production.
	AllowLoopbackPDS bool
	// TermsVersion is the version of the terms of service and privacy policy in force
	// (legal's documents): an account that accepted another one is asked again.
	TermsVersion string
	// TealNamespaces are the teal.fm namespaces plyr scrobbles to (default fm.teal, then
	// fm.teal.alpha): a scope upgrade asks for the first; a grant of any of them scrobbles.
	TealNamespaces []string
}

// PDSOption is a PDS offered for new accounts.
type PDSOption struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Recommended bool   `json:"recommended"`
	Description string `json:"description"`
}

// Deps are what the module needs.
type Deps struct {
	DB      *pgxpool.Pool
	Logger  *slog.Logger
	Metrics *metrics.Metrics
	Config  Config
	// Keys seal OAuth tokens and DPoP keys at rest; required. Operator commands that have
	// none use NewOperator instead.
	Keys *sealed.Keyring
	// HTTPClient makes every outbound ATProto request (PDS, authorization servers, PLC,
	// handles). In production it refuses private addresses (internal/platform/atproto).
	HTTPClient *http.Client
	// Directory resolves handles and DIDs.
	Directory atid.Directory
	// SignedIn, when set, is told of every completed sign-in (login, sign-up, an added
	// account, a scope upgrade), after the account's profile was recorded: the
	// composition root starts the sign-in sync there. It must return quickly and not fail
	// the sign-in; errors are its to log.
	SignedIn func(ctx context.Context, did string)
}

// Account is an identity known to plyr.
type Account = account.Account

// Profile is what others see of an account: handle, Bluesky display name, avatar.
type Profile = account.Profile

// Token is a newly issued credential. Value is shown once and never stored.
type Token = session.Token

// SweepCounts is what one SweepExpired removed.
type SweepCounts = session.SweepCounts

// MaxDeveloperTokenTTL bounds a developer token's life.
const MaxDeveloperTokenTTL = devtoken.MaxTTL

// Module is the identity module.
type Module struct {
	cfg     Config
	logger  *slog.Logger
	metrics *metrics.Metrics
	public  *url.URL
	secure  bool // cookies are Secure unless plyr is reached over plain loopback HTTP
	// app is indigo's OAuth client: its metadata and keys are served at fixed routes.
	app *oauth.ClientApp
	// pool and store are what the test helpers (export_test.go) reach past the features
	// with; the features hold their own.
	pool  *pgxpool.Pool
	store *oauthstore.Store

	operator *Operator
	accounts *account.Accounts
	sessions *session.Store
	signin   *signin.Service
	tokens   *devtoken.Tokens
	prefs    *prefs.Service
	pds      *pds.Access

	signedIn func(ctx context.Context, did string)
	// termsVersion is Config.TermsVersion: the terms to accept.
	termsVersion string
}

// New builds the module.
func New(d Deps) (*Module, error) {
	if d.Keys == nil {
		return nil, errors.New("identity: a keyring to seal grants is required (operator commands use NewOperator)")
	}
	public, err := url.Parse(strings.TrimRight(d.Config.PublicURL, "/"))
	if err != nil || (public.Scheme != "http" && public.Scheme != "https") || public.Host == "" {
		return nil, fmt.Errorf("identity: public URL %q must be http(s)://host[:port]", d.Config.PublicURL)
	}
	loopback := public.Scheme == "http" && signin.IsLoopbackHost(public.Hostname())
	if public.Scheme == "http" && !loopback {
		return nil, fmt.Errorf("identity: public URL %q must be https unless it is loopback", d.Config.PublicURL)
	}
	if d.Config.ClientKey != nil && public.Scheme != "https" {
		return nil, errors.New("identity: a confidential OAuth client (PLYR_OAUTH_CLIENT_KEY) needs an https public URL")
	}
	if d.Config.Namespace == "" {
		d.Config.Namespace = "fm.plyr"
	}
	if d.Config.AppName == "" {
		d.Config.AppName = "plyr"
	}
	if d.Config.SessionTTL <= 0 {
		d.Config.SessionTTL = 14 * 24 * time.Hour
	}

	if len(d.Config.TealNamespaces) == 0 {
		d.Config.TealNamespaces = scope.DefaultTealNamespaces
	}

	// The client registers the widest scope it may ask for; each sign-in asks for less.
	scopes := scope.Requested(d.Config.Namespace, d.Config.TealNamespaces[0])
	callback := public.String() + "/auth/callback"
	var cfg oauth.ClientConfig
	if loopback {
		cfg = oauth.NewLocalhostConfig(callback, scopes)
	} else {
		cfg = oauth.NewPublicConfig(public.String()+"/oauth-client-metadata.json", callback, scopes)
	}
	cfg.UserAgent = "plyr"
	if d.Config.ClientKey != nil {
		if err := cfg.SetClientSecret(d.Config.ClientKey, d.Config.ClientKeyID); err != nil {
			return nil, fmt.Errorf("identity: client key: %w", err)
		}
	}

	q := db.New(d.DB)
	store := oauthstore.New(d.DB, d.Keys, cfg.IsConfidential())
	app := oauth.NewClientApp(&cfg, store)
	app.Client = d.HTTPClient
	app.Resolver.Client = d.HTTPClient
	app.Dir = d.Directory
	refresher := grants.New(store, q, d.HTTPClient, &cfg, d.Logger, refreshCounts{d.Metrics})

	m := &Module{
		cfg: d.Config, pool: d.DB, logger: d.Logger, metrics: d.Metrics, public: public, secure: public.Scheme == "https",
		app: app, store: store, operator: NewOperator(d.DB, d.Logger), signedIn: d.SignedIn, termsVersion: d.Config.TermsVersion,
	}
	m.accounts = m.operator.accounts
	m.prefs = m.operator.prefs
	m.prefs.SetTealNamespaces(d.Config.TealNamespaces)
	m.sessions = session.New(session.Deps{
		Pool: d.DB, Logger: d.Logger, TTL: d.Config.SessionTTL, Admins: d.Config.AdminDIDs,
		Refresher: refresher, Grants: app, Accounts: m.accounts,
	})
	m.tokens = devtoken.New(d.DB, d.Logger, m.sessions)
	offered := make([]string, 0, len(d.Config.PDSOptions))
	for _, o := range d.Config.PDSOptions {
		offered = append(offered, o.URL)
	}
	m.signin = signin.New(signin.Deps{
		Config: signin.Config{
			Namespace: d.Config.Namespace, TealNamespace: d.Config.TealNamespaces[0],
			AccountCreation: d.Config.AccountCreation, Offered: offered,
			AllowLoopbackPDS: d.Config.AllowLoopbackPDS, Secure: m.secure,
		},
		Q: q, Store: store, App: app, HTTPClient: d.HTTPClient, Directory: d.Directory, Logger: d.Logger,
		Sessions: m.sessions, Tokens: m.tokens,
	})
	m.pds = pds.New(q, app, store, refresher, d.Logger)
	return m, nil
}

// refreshCounts counts grant refreshes by outcome in plyr's metrics.
type refreshCounts struct{ m *metrics.Metrics }

func (c refreshCounts) Count(outcome string) { c.m.OAuthRefreshes.WithLabelValues(outcome).Inc() }

// policy is the access level of every IdentityService procedure.
var policy = rpc.Policy{
	identityv1connect.IdentityServiceGetMeProcedure:                rpc.Session,
	identityv1connect.IdentityServiceListPdsOptionsProcedure:       rpc.Public,
	identityv1connect.IdentityServiceStartAddAccountProcedure:      rpc.Session,
	identityv1connect.IdentityServiceSwitchAccountProcedure:        rpc.Session,
	identityv1connect.IdentityServiceLogoutProcedure:               rpc.Session,
	identityv1connect.IdentityServiceLogoutAllProcedure:            rpc.Session,
	identityv1connect.IdentityServiceAcceptTermsProcedure:          rpc.Session,
	identityv1connect.IdentityServiceGetPreferencesProcedure:       rpc.Session,
	identityv1connect.IdentityServiceUpdatePreferencesProcedure:    rpc.Session,
	identityv1connect.IdentityServiceStartScopeUpgradeProcedure:    rpc.Session,
	identityv1connect.IdentityServiceStartDeveloperTokenProcedure:  rpc.Session,
	identityv1connect.IdentityServiceClaimDeveloperTokenProcedure:  rpc.Session,
	identityv1connect.IdentityServiceListDeveloperTokensProcedure:  rpc.Session,
	identityv1connect.IdentityServiceRevokeDeveloperTokenProcedure: rpc.Session,
	identityv1connect.IdentityServiceSetFeatureFlagProcedure:       rpc.Admin,
	identityv1connect.IdentityServiceListFeatureFlagsProcedure:     rpc.Admin,
}

// Mount registers IdentityService and the routes OAuth needs: sign-in start and callback,
// the client metadata and its public keys.
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle(identityv1connect.NewIdentityServiceHandler(&handler{m: m}, rpc.HandlerOptions(m.logger, m.metrics, policy)...))
	mux.HandleFunc("GET /auth/start", m.handleStart)
	mux.HandleFunc("POST /auth/start", m.handleStart)
	mux.HandleFunc("GET /auth/callback", m.handleCallback)
	mux.HandleFunc("GET /oauth-client-metadata.json", m.handleClientMetadata)
	mux.HandleFunc("GET /.well-known/jwks.json", m.handleJWKS)
}

// Authenticate resolves a token to its caller; it implements rpc.Authenticator. A session
// whose current grant has lapsed or been revoked ends here.
func (m *Module) Authenticate(ctx context.Context, token string) (rpc.Caller, error) {
	return m.sessions.Authenticate(ctx, token)
}

// Handles returns the handle of each known DID among dids; unknown ones are absent.
func (m *Module) Handles(ctx context.Context, dids []string) (map[string]string, error) {
	return m.accounts.Handles(ctx, dids)
}

// Profiles returns the profile of each known DID among dids; unknown ones are absent.
func (m *Module) Profiles(ctx context.Context, dids []string) (map[string]Profile, error) {
	return m.accounts.Profiles(ctx, dids)
}

// AccountMatch is an account found by SearchAccounts.
type AccountMatch = account.Match

// SearchAccounts finds up to limit accounts plyr knows whose handle or display name is
// like q, best match first; it asks nothing outside plyr.
func (m *Module) SearchAccounts(ctx context.Context, q string, limit int) ([]AccountMatch, error) {
	return m.accounts.Search(ctx, q, limit)
}

// DIDByHandle returns the DID of the account that shows handle (verified both ways);
// ErrNotFound if none does.
func (m *Module) DIDByHandle(ctx context.Context, handle string) (string, error) {
	return m.accounts.DIDByHandle(ctx, handle)
}

// ResolveHandle returns the DID that handle stands for, verified both ways (the handle
// resolves to the DID, and the DID document claims the handle back), through plyr's
// directory: in production its client refuses private addresses, so a handle whose
// well-known endpoint points inside plyr's network does not resolve. ok is false when the
// handle does not resolve, for whatever reason; the reason is logged.
func (m *Module) ResolveHandle(ctx context.Context, handle string) (did string, ok bool) {
	h, err := syntax.ParseHandle(handle)
	if err != nil || h.IsInvalidHandle() {
		return "", false
	}
	if did, err := m.accounts.DIDByHandle(ctx, h.Normalize().String()); err == nil {
		return did, true // already verified both ways when stored
	}
	ident, err := m.app.Dir.LookupHandle(ctx, h.Normalize())
	if err != nil {
		m.logger.InfoContext(ctx, "handle does not resolve", "handle", h.String(), "error", err.Error())
		return "", false
	}
	return ident.DID.String(), true
}

// DefaultHiddenTags are the tags hidden from the discovery feed of anyone who has not
// chosen (anonymous visitors too): the preferences' default.
var DefaultHiddenTags = []string{"ai"}

// FlagEnabled reports whether the feature flag is turned on for the account did.
func (m *Module) FlagEnabled(ctx context.Context, did, flag string) (bool, error) {
	flags, err := m.prefs.FeatureFlags(ctx, did)
	return slices.Contains(flags, flag), err
}

// PDSAudioUploads says whether the account copies its new tracks' audio to its PDS: its
// preference and the pds-audio-uploads feature flag both.
func (m *Module) PDSAudioUploads(ctx context.Context, did string) (bool, error) {
	on, err := db.New(m.pool).PDSAudioUploads(ctx, did)
	if err != nil {
		return false, fmt.Errorf("pds audio uploads of %s: %w", did, err)
	}
	return on.Valid && on.Bool, nil
}

// TealNamespaces are the teal.fm namespaces scrobbles may be written in, the preferred
// first.
func (m *Module) TealNamespaces() []string { return m.cfg.TealNamespaces }

// TealTarget says whether did turned scrobbling on, and the teal.fm namespace plyr may
// write its scrobbles in: the first configured one its grant allows, "" when none does.
func (m *Module) TealTarget(ctx context.Context, did string) (enabled bool, namespace string, err error) {
	return m.prefs.TealTarget(ctx, did)
}

// HiddenTags returns the tags the account hides from its discovery feed.
func (m *Module) HiddenTags(ctx context.Context, did string) ([]string, error) {
	tags, err := db.New(m.pool).GetHiddenTags(ctx, did)
	if errors.Is(err, pgx.ErrNoRows) {
		return slices.Clone(DefaultHiddenTags), nil
	}
	if err != nil {
		return nil, fmt.Errorf("hidden tags of %s: %w", did, err)
	}
	return tags, nil
}

// EnsureAccount creates the account, or refreshes its handle (operators and tests;
// sign-in records accounts itself).
func (m *Module) EnsureAccount(ctx context.Context, did, handle string) (Account, error) {
	return m.operator.EnsureAccount(ctx, did, handle)
}

// IssueDeveloperToken creates an operator token for an existing account: a bearer token
// with no PDS grant, for scripts and tests. ttl is clamped to MaxDeveloperTokenTTL.
func (m *Module) IssueDeveloperToken(ctx context.Context, did, name string, ttl time.Duration) (Token, error) {
	return m.operator.IssueDeveloperToken(ctx, did, name, ttl)
}

// PDS returns an API client acting on the caller's PDS with the grant the caller's
// session holds for them, refreshed first when its access token has expired.
// ErrNoPDSAccess means the credential holds no grant (an operator token).
func (m *Module) PDS(ctx context.Context, caller *rpc.Caller) (*atclient.APIClient, error) {
	return m.pds.ForCaller(ctx, caller)
}

// PDSForDID returns an API client acting on an account's PDS for work that no browser
// session is part of (workflows): it uses the account's most recently refreshed grant
// that has not lapsed, under the same per-grant refresh lease as PDS. ErrNoPDSAccess means plyr
// holds no live grant for the account (it has to sign in again).
func (m *Module) PDSForDID(ctx context.Context, did string) (*atclient.APIClient, error) {
	return m.pds.ForDID(ctx, did)
}

// PutRecord writes a record to the caller's repository. A write the grant does not cover
// returns an error wrapping ErrScopeMissing that names the missing scope.
func (m *Module) PutRecord(ctx context.Context, caller *rpc.Caller, collection, rkey string, record map[string]any) (uri, cid string, err error) {
	return m.pds.PutRecord(ctx, caller, collection, rkey, record)
}

// SweepExpired removes what has outlived its use, at most limit rows of each kind:
// expired sessions, developer tokens never claimed, expired claim codes and stale sign-in
// requests; the grants they held, and grants no session holds, are deleted and revoked
// at their authorization servers. now is the sweep's time (the housekeeping workflow's
// clock). It is safe to run concurrently and again after a failure (session.Store's
// SweepExpired says how).
func (m *Module) SweepExpired(ctx context.Context, now time.Time, limit int) (SweepCounts, error) {
	return m.sessions.SweepExpired(ctx, now, limit, devtoken.ClaimTTL)
}

// HandleRecheck is how long an account showing handle.invalid waits between checks.
const HandleRecheck = time.Hour

// ReverifyHandles checks again at most limit accounts that show handle.invalid (not
// checked within HandleRecheck of now) and stores the handles now verified both ways; it
// returns how many were.
func (m *Module) ReverifyHandles(ctx context.Context, now time.Time, limit int) (int, error) {
	return m.signin.ReverifyHandles(ctx, now, HandleRecheck, limit)
}
