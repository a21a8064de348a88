// Package par sends OAuth pushed authorization requests (RFC 9126) with PKCE and DPoP, as
// indigo's ClientApp.SendAuthRequest does, plus the prompt parameter it lacks: the
// reference authorization server reads prompt only from the PAR body, and plyr needs
// prompt=create (sign up) and prompt=login (add another account).
package par

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/google/go-querystring/query"

	"github.com/plyrfm/plyr/modules/identity/internal/dpop"
)

// Request is what to ask for.
type Request struct {
	Scopes []string
	// LoginHint is the handle or DID the user started with; empty for sign-up.
	LoginHint string
	// Prompt is "", "login", "create" or "consent".
	Prompt string
}

// Push sends the request to meta's PAR endpoint and returns the data the callback needs.
// The client's DPoP key for the future grant is made here.
func Push(ctx context.Context, client *http.Client, cfg *oauth.ClientConfig, meta *oauth.AuthServerMetadata, r Request) (*oauth.AuthRequestData, error) {
	state, verifier := random(16), random(48)
	body := oauth.PushedAuthRequest{
		ClientID:            cfg.ClientID,
		State:               state,
		RedirectURI:         cfg.CallbackURL,
		Scope:               strings.Join(r.Scopes, " "),
		ResponseType:        "code",
		CodeChallenge:       oauth.S256CodeChallenge(verifier),
		CodeChallengeMethod: "S256",
	}
	if r.LoginHint != "" {
		body.LoginHint = &r.LoginHint
	}
	if r.Prompt != "" {
		body.Prompt = &r.Prompt
	}
	if cfg.IsConfidential() {
		assertion, err := cfg.NewClientAssertion(meta.Issuer)
		if err != nil {
			return nil, fmt.Errorf("client assertion: %w", err)
		}
		body.ClientAssertionType, body.ClientAssertion = oauth.ClientAssertionJWTBearer, assertion
	}
	vals, err := query.Values(body)
	if err != nil {
		return nil, err
	}
	if !cfg.IsConfidential() {
		vals.Del("client_assertion_type")
		vals.Del("client_assertion")
	}
	key, err := atcrypto.GeneratePrivateKeyP256()
	if err != nil {
		return nil, err
	}
	answer, err := dpop.Post(ctx, client, meta.PushedAuthorizationRequestEndpoint, []byte(vals.Encode()), key, "")
	if err != nil {
		return nil, fmt.Errorf("pushed authorization request: %w", err)
	}
	if !answer.OK() {
		return nil, &Error{Status: answer.Status, Code: answer.Error, Description: answer.Description}
	}
	var created struct {
		RequestURI string `json:"request_uri"`
	}
	if err := json.Unmarshal(answer.Body, &created); err != nil || created.RequestURI == "" {
		return nil, fmt.Errorf("pushed authorization request: no request_uri in the answer")
	}
	return &oauth.AuthRequestData{
		State:                        state,
		AuthServerURL:                meta.Issuer,
		Scopes:                       r.Scopes,
		PKCEVerifier:                 verifier,
		RequestURI:                   created.RequestURI,
		AuthServerTokenEndpoint:      meta.TokenEndpoint,
		AuthServerRevocationEndpoint: meta.RevocationEndpoint,
		DPoPAuthServerNonce:          answer.Nonce,
		DPoPPrivateKeyMultibase:      key.Multibase(),
	}, nil
}

// Error is an authorization server's refusal of a request.
type Error struct {
	Status      int
	Code        string // OAuth error code, e.g. invalid_scope
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pushed authorization request refused (HTTP %d): %s %s", e.Status, e.Code, e.Description)
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
