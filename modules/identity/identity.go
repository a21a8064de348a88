// Package identity is plyr's identity module: ATProto sign-in (OAuth with PAR, PKCE and
// DPoP, through indigo's atproto/auth/oauth), the sessions and developer tokens that
// authenticate requests, several accounts on one browser, account creation on an offered
// PDS, terms, preferences and feature flags.
//
// Its surface for the rest of plyr is this package: New, Mount (IdentityService and the
// sign-in routes), the rpc.Authenticator it implements, Handles for other modules, and
// PDS access for the signed-in caller. Everything else lives in internal/.
//
// # Model
//
//   - An account is an ATProto identity (DID, handle, avatar).
//   - A grant is what an account's PDS gave plyr at one sign-in: access and refresh tokens
//     and the DPoP key they are bound to, sealed at rest (internal/platform/sealed).
//   - A session is a credential: the browser's cookie, or a developer token. It holds one
//     or more accounts, each through its own grant, and acts as one of them (the current
//     account). A developer token holds one account and its own grant; an operator token
//     (plyr admin token) holds one account and no grant.
//
// A session is valid only while its current account's grant is: when the grant lapses
// (see oauthstore.GrantExpiry) or its refresh is refused, the session ends. Tokens are
// refreshed when the access token has expired, one refresh per grant at a time (a striped
// lock table), so concurrent requests never spend the same refresh token twice.
//
// Session tokens are "plyr_" + 256 random bits; only their SHA-256 is stored, with a
// short prefix to tell developer tokens apart.
package identity

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/grants"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
	"github.com/plyrfm/plyr/modules/identity/internal/scope"
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
	// Keys seal OAuth tokens and DPoP keys at rest.
	Keys *sealed.Keyring
	// HTTPClient makes every outbound ATProto request (PDS, authorization servers, PLC,
	// handles). In production it refuses private addresses (internal/platform/atproto).
	HTTPClient *http.Client
	// Directory resolves handles and DIDs.
	Directory atid.Directory
}

// Module is the identity module.
type Module struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	logger  *slog.Logger
	metrics *metrics.Metrics
	cfg     Config
	http    *http.Client
	dir     atid.Directory
	store   *oauthstore.Store
	oauth   *oauth.ClientApp
	public  *url.URL
	secure  bool // cookies are Secure unless plyr is reached over plain loopback HTTP
	admins  map[string]bool
	// refresher refreshes grants, once per grant at a time across processes.
	refresher *grants.Refresher
}

// New builds the module. Without Keys (operator commands) sign-in is off: tokens still
// authenticate, but nothing can sign in.
func New(d Deps) (*Module, error) {
	if d.Keys == nil {
		return &Module{pool: d.DB, q: db.New(d.DB), logger: d.Logger, metrics: d.Metrics, cfg: d.Config,
			admins: adminSet(d.Config.AdminDIDs)}, nil
	}
	public, err := url.Parse(strings.TrimRight(d.Config.PublicURL, "/"))
	if err != nil || (public.Scheme != "http" && public.Scheme != "https") || public.Host == "" {
		return nil, fmt.Errorf("identity: public URL %q must be http(s)://host[:port]", d.Config.PublicURL)
	}
	loopback := public.Scheme == "http" && isLoopbackHost(public.Hostname())
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

	// The client registers the widest scope it may ask for; each sign-in asks for less.
	scopes := scope.Requested(d.Config.Namespace, true)
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

	return &Module{
		pool: d.DB, q: q, logger: d.Logger, metrics: d.Metrics, cfg: d.Config,
		http: d.HTTPClient, dir: d.Directory, store: store, oauth: app, public: public,
		secure: public.Scheme == "https", admins: adminSet(d.Config.AdminDIDs),
		refresher: grants.New(store, q, d.HTTPClient, &cfg, d.Logger, refreshCounts{d.Metrics}),
	}, nil
}

// refreshCounts counts grant refreshes by outcome in plyr's metrics.
type refreshCounts struct{ m *metrics.Metrics }

func (c refreshCounts) Count(outcome string) { c.m.OAuthRefreshes.WithLabelValues(outcome).Inc() }

func adminSet(dids []string) map[string]bool {
	admins := make(map[string]bool, len(dids))
	for _, did := range dids {
		admins[did] = true
	}
	return admins
}

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
	mux.HandleFunc("GET /auth/start", m.signInOn(m.handleStart))
	mux.HandleFunc("POST /auth/start", m.signInOn(m.handleStart))
	mux.HandleFunc("GET /auth/callback", m.signInOn(m.handleCallback))
	mux.HandleFunc("GET /oauth-client-metadata.json", m.signInOn(m.handleClientMetadata))
	mux.HandleFunc("GET /.well-known/jwks.json", m.signInOn(m.handleJWKS))
}

// ErrSignInOff marks a plyr built without sign-in (no keyring to seal sessions).
var ErrSignInOff = rpc.NewError(connect.CodeUnavailable, "sign-in is not configured on this server")

// signInOn refuses OAuth routes when sign-in is off.
func (m *Module) signInOn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if m.oauth == nil {
			m.writeError(r.Context(), w, ErrSignInOff)
			return
		}
		h(w, r)
	}
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
