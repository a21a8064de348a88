// Package signin is the identity module's ATProto sign-in (OAuth with PAR, PKCE and DPoP,
// through indigo's atproto/auth/oauth): it finds an account's authorization server,
// pushes the authorization request, and when the browser comes back completes the token
// exchange, records the account's verified handle and does what the sign-in was for
// (a flow): start a browser session, add an account to one, re-authorise with other
// scopes, or make a developer token.
//
// A sign-in belongs to the browser that started it: flows started at /auth/start carry a
// sign-in cookie, flows started by a signed-in browser name its session; a callback that
// arrives anywhere else is refused before anything is spent (login CSRF otherwise).
package signin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/devtoken"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/oauthstore"
	"github.com/plyrfm/plyr/modules/identity/internal/par"
	"github.com/plyrfm/plyr/modules/identity/internal/scope"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// What happens when a sign-in comes back.
const (
	FlowLogin          = "login"
	FlowSignup         = "signup"
	FlowAddAccount     = "add_account"
	FlowDeveloperToken = "developer_token"
	FlowScopeUpgrade   = "scope_upgrade"
)

// Config is what sign-in is allowed to do.
type Config struct {
	// Namespace is the NSID prefix of plyr's records and permission set (fm.plyr).
	Namespace string
	// TealNamespace is the teal.fm namespace a scrobbling account is asked to grant.
	TealNamespace string
	// AccountCreation enables creating accounts on Offered.
	AccountCreation bool
	// Offered are the URLs of the PDSes offered for new accounts; no other is accepted.
	Offered []string
	// AllowLoopbackPDS accepts authorization servers at http://localhost (development).
	AllowLoopbackPDS bool
	// Secure is set when plyr is served over https: cookies are Secure and __Host-.
	Secure bool
}

// Sessions is what a completed sign-in does to sessions (session.Store).
type Sessions interface {
	Authenticate(ctx context.Context, token string) (rpc.Caller, error)
	NewBrowser(ctx context.Context, did, grantID string) (session.Token, error)
	Link(ctx context.Context, sessionID uuid.UUID, did, grantID string) error
	Linked(ctx context.Context, sessionID uuid.UUID, current string) ([]session.LinkedAccount, error)
	End(ctx context.Context, sessionID uuid.UUID, why string)
	DropGrant(ctx context.Context, grantID string)
}

// Minter makes the developer token a sign-in was for (devtoken.Tokens).
type Minter interface {
	Mint(ctx context.Context, browserSession uuid.UUID, did, grantID, name string, ttl time.Duration) (string, error)
}

// Service starts and completes sign-ins.
type Service struct {
	cfg      Config
	q        *db.Queries
	store    *oauthstore.Store
	app      *oauth.ClientApp
	http     *http.Client
	dir      atid.Directory
	logger   *slog.Logger
	sessions Sessions
	tokens   Minter
}

// Deps are what a Service needs.
type Deps struct {
	Config Config
	Q      *db.Queries
	// Store keeps sign-ins in progress and the grants they make; App is indigo's client
	// over it.
	Store *oauthstore.Store
	App   *oauth.ClientApp
	// HTTPClient makes every outbound request; Directory resolves handles and DIDs.
	HTTPClient *http.Client
	Directory  atid.Directory
	Logger     *slog.Logger
	Sessions   Sessions
	Tokens     Minter
}

// New returns a Service.
func New(d Deps) *Service {
	return &Service{
		cfg: d.Config, q: d.Q, store: d.Store, app: d.App, http: d.HTTPClient, dir: d.Directory,
		logger: d.Logger, sessions: d.Sessions, tokens: d.Tokens,
	}
}

// tealScope is the teal namespace a sign-in asks for: none unless the account scrobbles.
func (s *Service) tealScope(teal bool) string {
	if !teal {
		return ""
	}
	if s.cfg.TealNamespace == "" {
		return scope.DefaultTealNamespaces[0]
	}
	return s.cfg.TealNamespace
}

// request describes a sign-in to start.
type request struct {
	// identifier is the handle or DID signing in; empty for sign-up.
	identifier string
	// pds is where to create an account (sign-up only).
	pds    string
	prompt string
	teal   bool
	flow   oauthstore.Flow
}

// Started is a sign-in begun at /auth/start: where to send the browser, and the state to
// keep in the browser's sign-in cookie.
type Started struct {
	AuthURL string
	State   string
}

// BeginLogin begins signing identifier (a handle or DID) in, to land at returnTo.
func (s *Service) BeginLogin(ctx context.Context, identifier, returnTo string) (Started, error) {
	authURL, state, err := s.begin(ctx, request{identifier: identifier, flow: oauthstore.Flow{Kind: FlowLogin, ReturnTo: ReturnPath(returnTo)}})
	return Started{AuthURL: authURL, State: state}, err
}

// BeginSignUp begins creating an account on pds, which must be offered.
func (s *Service) BeginSignUp(ctx context.Context, pds, returnTo string) (Started, error) {
	offered, err := s.signUpURL(pds)
	if err != nil {
		return Started{}, err
	}
	authURL, state, err := s.begin(ctx, request{pds: offered, prompt: "create", flow: oauthstore.Flow{Kind: FlowSignup, ReturnTo: ReturnPath(returnTo)}})
	return Started{AuthURL: authURL, State: state}, err
}

// errAlreadyLinked refuses adding an account the browser already holds.
var errAlreadyLinked = ierr.InvalidInput.Withf("that account is already signed in on this browser; switch to it")

// StartAddAccount begins signing another account in on the caller's browser. It returns
// the URL to send the browser to.
func (s *Service) StartAddAccount(ctx context.Context, caller *rpc.Caller, identifier, returnTo string) (string, error) {
	linked, err := s.sessions.Linked(ctx, caller.SessionID, caller.DID)
	if err != nil {
		return "", err
	}
	for _, l := range linked {
		if !l.Expired && (l.DID == identifier || l.Handle == identifier) {
			return "", errAlreadyLinked
		}
	}
	return s.beginForSession(ctx, caller, request{identifier: identifier, prompt: "login",
		flow: oauthstore.Flow{Kind: FlowAddAccount, ReturnTo: ReturnPath(returnTo)}})
}

// StartScopeUpgrade re-authorises the current account with or without the teal scopes.
func (s *Service) StartScopeUpgrade(ctx context.Context, caller *rpc.Caller, teal bool, returnTo string) (string, error) {
	return s.beginForSession(ctx, caller, request{identifier: caller.DID, teal: teal, flow: oauthstore.Flow{
		Kind: FlowScopeUpgrade, ExpectedDID: caller.DID, ReturnTo: ReturnPath(returnTo),
	}})
}

// StartDeveloperToken begins a sign-in whose grant will back a new developer token.
func (s *Service) StartDeveloperToken(ctx context.Context, caller *rpc.Caller, name string, ttlDays int32, returnTo string) (string, error) {
	if !caller.Browser() {
		return "", ierr.BrowserOnly
	}
	ttl, err := devtoken.CheckRequest(name, ttlDays)
	if err != nil {
		return "", err
	}
	return s.beginForSession(ctx, caller, request{identifier: caller.DID, flow: oauthstore.Flow{
		Kind: FlowDeveloperToken, ExpectedDID: caller.DID, TokenName: name, TokenTTL: ttl, ReturnTo: ReturnPath(returnTo),
	}})
}

// beginForSession begins a sign-in on behalf of the caller's browser session, which alone
// may complete it (see sameBrowser). It returns the URL to send the browser to.
func (s *Service) beginForSession(ctx context.Context, caller *rpc.Caller, r request) (string, error) {
	if !caller.Browser() {
		return "", ierr.BrowserOnly
	}
	sessionID := caller.SessionID
	r.flow.SessionID = &sessionID
	authURL, _, err := s.begin(ctx, r)
	return authURL, err
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithQuery sets key=value in the query of path; a path it cannot parse becomes "/".
func WithQuery(path, key, value string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// begin resolves the account's authorization server, pushes the authorization request
// and remembers what to do on return. It returns the URL to send the browser to and the
// request's state.
func (s *Service) begin(ctx context.Context, r request) (authURL, state string, err error) {
	var meta *oauth.AuthServerMetadata
	var accountDID *syntax.DID
	var hint string
	if r.pds != "" {
		var err error
		if meta, err = s.authServer(ctx, r.pds); err != nil {
			return "", "", err
		}
	} else {
		atIdent, err := syntax.ParseAtIdentifier(r.identifier)
		if err != nil {
			return "", "", ierr.InvalidInput.Withf("%q is neither a handle nor a DID", r.identifier)
		}
		ident, err := s.dir.Lookup(ctx, atIdent)
		if err != nil {
			s.logger.InfoContext(ctx, "resolve account", "identifier", r.identifier, "error", err.Error())
			if noSuchAccount(err) {
				return "", "", ierr.NotFound.Withf("no account %s exists", r.identifier)
			}
			return "", "", ierr.PDSUnreachable.Withf("could not look up %s; try again", r.identifier)
		}
		pds := ident.PDSEndpoint()
		if pds == "" {
			return "", "", ierr.InvalidInput.Withf("%s names no PDS", r.identifier)
		}
		if meta, err = s.authServer(ctx, pds); err != nil {
			return "", "", err
		}
		accountDID, hint = &ident.DID, r.identifier
		if r.flow.Kind == FlowLogin {
			// Someone who scrobbles keeps the teal scopes when signing in again.
			if teal, err := s.q.TealScrobbling(ctx, ident.DID.String()); err == nil && teal {
				r.teal = true
			}
		}
	}

	data, err := par.Push(ctx, s.http, s.app.Config, meta, par.Request{
		Scopes: scope.Requested(s.cfg.Namespace, s.tealScope(r.teal)), LoginHint: hint, Prompt: r.prompt,
	})
	var refused *par.Error
	if errors.As(err, &refused) {
		s.logger.WarnContext(ctx, "authorization request refused", "issuer", meta.Issuer, "error", err.Error())
		return "", "", ierr.SignInRefused.Withf("the PDS refused to start signing in (%s)", refused.Code)
	}
	if err != nil {
		s.logger.WarnContext(ctx, "authorization request", "issuer", meta.Issuer, "error", err.Error())
		return "", "", ierr.PDSUnreachable.Withf("could not reach the account's PDS: its authorization server did not answer")
	}
	data.AccountDID = accountDID
	if _, err := s.q.DeleteExpiredAuthRequests(ctx); err != nil {
		s.logger.WarnContext(ctx, "clean up expired authorization requests", "error", err.Error())
	}
	if err := s.store.Begin(ctx, *data, r.flow); err != nil {
		return "", "", err
	}
	q := url.Values{"client_id": {s.app.Config.ClientID}, "request_uri": {data.RequestURI}}
	return meta.AuthorizationEndpoint + "?" + q.Encode(), data.State, nil
}

// noSuchAccount tells a lookup that found no account (the handle or DID does not exist,
// or the DID document names no handle or another one) from one that could not be made.
func noSuchAccount(err error) bool {
	for _, target := range []error{atid.ErrHandleNotFound, atid.ErrDIDNotFound, atid.ErrHandleMismatch, atid.ErrHandleNotDeclared, atid.ErrHandleReservedTLD, atid.ErrInvalidHandle} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// signUpURL checks a sign-up PDS against the offered ones. Nothing leaves plyr for a PDS
// that is not offered: this is the SSRF gate of account creation.
func (s *Service) signUpURL(raw string) (string, error) {
	if !s.cfg.AccountCreation {
		return "", ierr.AccountCreationOff
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", ierr.NotOffered.Withf("%q is not offered for new accounts", raw)
	}
	for _, o := range s.cfg.Offered {
		offered, err := url.Parse(strings.TrimRight(o, "/"))
		if err == nil && strings.EqualFold(offered.Scheme, u.Scheme) && strings.EqualFold(offered.Host, u.Host) {
			return offered.Scheme + "://" + offered.Host, nil
		}
	}
	return "", ierr.NotOffered.Withf("%q is not offered for new accounts", raw)
}

// ReturnPath keeps a return_to that is a path on plyr, and refuses anything else (an open
// redirect otherwise).
func ReturnPath(raw string) string {
	if raw == "" || len(raw) > 512 || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, "\\") {
		return "/"
	}
	if u, err := url.Parse(raw); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return raw
}
