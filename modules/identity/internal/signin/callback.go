package signin

import (
	"errors"
	"net/http"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/identity/internal/db"
	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
	"github.com/plyrfm/plyr/modules/identity/internal/session"
)

// Outcome is what a returning sign-in came to.
type Outcome struct {
	// Matched reports that the callback belonged to a sign-in started in this browser:
	// its sign-in cookie is spent.
	Matched bool
	// ReturnTo is where to send the browser, with what happened in its query.
	ReturnTo string
	// SignedIn is the account that signed in, when a sign-in completed (login, sign-up,
	// added account, scope upgrade, developer token): its profile was just recorded.
	SignedIn string
	// Session is a new browser session for the browser's cookie (login and sign-up).
	Session *session.Token
}

// Complete completes a returning sign-in and does what it was for. An error is for the
// browser at ReturnTo when the callback Matched, else at "/"; a refusal at the
// authorization server, or a sign-in as another account than the one asked, is not an
// error but a ReturnTo with auth_error=<code>.
func (s *Service) Complete(r *http.Request) (Outcome, error) {
	ctx := r.Context()
	sess, req, err := s.finish(r)
	out := Outcome{Matched: req.State != "", ReturnTo: req.ReturnTo}
	if err != nil {
		if !out.Matched {
			return out, err
		}
		code := "sign_in_failed"
		var denied *oauth.AuthRequestCallbackError
		if errors.As(err, &denied) {
			code = denied.ErrorCode
		} else {
			s.logger.WarnContext(ctx, "sign-in callback", "flow", req.Flow, "error", err.Error())
		}
		out.ReturnTo = WithQuery(req.ReturnTo, "auth_error", code)
		return out, nil
	}
	did, grant := sess.AccountDID.String(), sess.SessionID
	out.SignedIn = did
	switch req.Flow {
	case FlowLogin, FlowSignup:
		token, err := s.sessions.NewBrowser(ctx, did, grant)
		if err != nil {
			return out, err
		}
		// One browser, one session: signing in afresh ends the one the cookie held.
		if old, err := r.Cookie(rpc.SessionCookieName(s.cfg.Secure)); err == nil {
			if caller, err := s.sessions.Authenticate(ctx, old.Value); err == nil && caller.Browser() {
				s.sessions.End(ctx, caller.SessionID, "replaced by a new sign-in")
			}
		}
		out.Session = &token
		// The app says what happened, once: signed_in=1, or signed_up=1 for a new account.
		if req.Flow == FlowSignup {
			out.ReturnTo = WithQuery(out.ReturnTo, "signed_up", "1")
		} else {
			out.ReturnTo = WithQuery(out.ReturnTo, "signed_in", "1")
		}
		s.logger.InfoContext(ctx, "signed in", "did", did, "flow", req.Flow)
	case FlowAddAccount:
		if err := s.sessions.Link(ctx, *req.SessionID, did, grant); err != nil {
			return out, err
		}
		out.ReturnTo = WithQuery(out.ReturnTo, "account_added", "1")
	case FlowScopeUpgrade, FlowDeveloperToken:
		if did != req.ExpectedDid {
			out.SignedIn = ""
			s.sessions.DropGrant(ctx, grant)
			out.ReturnTo = WithQuery(out.ReturnTo, "auth_error", "wrong_account")
			return out, nil
		}
		if req.Flow == FlowScopeUpgrade {
			if err := s.sessions.Link(ctx, *req.SessionID, did, grant); err != nil {
				return out, err
			}
			out.ReturnTo = WithQuery(out.ReturnTo, "scope_upgraded", "1")
			break
		}
		code, err := s.tokens.Mint(ctx, *req.SessionID, did, grant, req.TokenName, time.Duration(req.TokenTtlSeconds)*time.Second)
		if err != nil {
			return out, err
		}
		out.ReturnTo = WithQuery(out.ReturnTo, "developer_token", code)
	}
	return out, nil
}

// CookieName is the cookie that binds a sign-in started at /auth/start to the browser
// that started it; __Host- prefixed over https, like the session cookie.
func (s *Service) CookieName() string {
	if s.cfg.Secure {
		return "__Host-plyr_signin"
	}
	return "plyr_signin"
}

// sameBrowser checks that a callback arrives where its sign-in started: with the sign-in
// cookie for flows started at /auth/start, with the session that asked for flows started
// by a signed-in browser.
func (s *Service) sameBrowser(r *http.Request, req db.AuthRequest) bool {
	switch req.Flow {
	case FlowLogin, FlowSignup:
		c, err := r.Cookie(s.CookieName())
		return err == nil && c.Value == req.State
	default:
		c, err := r.Cookie(rpc.SessionCookieName(s.cfg.Secure))
		if err != nil || req.SessionID == nil {
			return false
		}
		caller, err := s.sessions.Authenticate(r.Context(), c.Value)
		return err == nil && caller.SessionID == *req.SessionID
	}
}

// finish completes the token exchange of a returning sign-in and records the account.
// It returns the grant and the flow the sign-in was for.
// A callback arriving in another browser than the one its sign-in started in is refused
// before anything is spent, with an empty request (so the caller answers with the error
// instead of redirecting to the flow's page).
func (s *Service) finish(r *http.Request) (*oauth.ClientSessionData, db.AuthRequest, error) {
	ctx, params := r.Context(), r.URL.Query()
	// The flow is read first: indigo deletes the request once it has exchanged the code.
	req, err := s.q.GetAuthRequest(ctx, params.Get("state"))
	if err != nil {
		return nil, db.AuthRequest{}, ierr.NotFound.Withf("this sign-in has expired or was already used; start again")
	}
	if !s.sameBrowser(r, req) {
		return nil, db.AuthRequest{}, ierr.OtherBrowser
	}
	sess, err := s.app.ProcessCallback(ctx, params)
	if err != nil {
		return nil, req, err
	}
	s.recordProfile(ctx, sess.AccountDID, sess.HostURL)
	return sess, req, nil
}
