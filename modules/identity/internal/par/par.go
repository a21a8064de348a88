// Package par sends OAuth pushed authorization requests (RFC 9126) with PKCE and DPoP, as
// indigo's ClientApp.SendAuthRequest does, plus the prompt parameter it lacks: the
// reference authorization server reads prompt only from the PAR body, and plyr needs
// prompt=create (sign up) and prompt=login (add another account).
package par

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
	"github.com/google/go-querystring/query"
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
	form := []byte(vals.Encode())

	key, err := atcrypto.GeneratePrivateKeyP256()
	if err != nil {
		return nil, err
	}
	// The first request learns the server's DPoP nonce (400 use_dpop_nonce); the second
	// uses it.
	nonce := ""
	for attempt := 0; ; attempt++ {
		proof, err := oauth.NewAuthDPoP(http.MethodPost, meta.PushedAuthorizationRequestEndpoint, nonce, key)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, meta.PushedAuthorizationRequestEndpoint, bytes.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("pushed authorization request: %w", err)
		}
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if n := res.Header.Get("DPoP-Nonce"); n != "" {
			nonce = n
		}
		var answer struct {
			RequestURI string `json:"request_uri"`
			Error      string `json:"error"`
			Desc       string `json:"error_description"`
		}
		_ = json.Unmarshal(raw, &answer)
		if res.StatusCode == http.StatusBadRequest && answer.Error == "use_dpop_nonce" && attempt == 0 {
			continue
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
			return nil, &Error{Status: res.StatusCode, Code: answer.Error, Description: answer.Desc}
		}
		if answer.RequestURI == "" {
			return nil, fmt.Errorf("pushed authorization request: no request_uri in the answer")
		}
		return &oauth.AuthRequestData{
			State:                        state,
			AuthServerURL:                meta.Issuer,
			Scopes:                       r.Scopes,
			PKCEVerifier:                 verifier,
			RequestURI:                   answer.RequestURI,
			AuthServerTokenEndpoint:      meta.TokenEndpoint,
			AuthServerRevocationEndpoint: meta.RevocationEndpoint,
			DPoPAuthServerNonce:          nonce,
			DPoPPrivateKeyMultibase:      key.Multibase(),
		}, nil
	}
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
