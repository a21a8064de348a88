// Package dpop sends form posts to an OAuth authorization server with a DPoP proof (RFC
// 9449), learning the server's nonce on the way: the first request of a fresh key is
// refused with use_dpop_nonce and the nonce to use, and is sent again once with it.
package dpop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/auth/oauth"
)

// maxAnswer caps what is read of an authorization server's answer: token and PAR
// answers are a few hundred bytes.
const maxAnswer = 64 << 10

// Answer is an authorization server's answer to a post.
type Answer struct {
	Status int
	// Body is the answer's body, at most 64 KiB of it.
	Body []byte
	// Nonce is the DPoP nonce to use next (the server's newest, or the one sent).
	Nonce string
	// Error and Description are the OAuth error of a refusal (RFC 6749 §5.2), if any.
	Error       string
	Description string
}

// OK reports whether the server accepted the request.
func (a Answer) OK() bool { return a.Status == http.StatusOK || a.Status == http.StatusCreated }

// Post sends form to url with a DPoP proof made with key, and once more with the
// server's new nonce if it asks for one. An error means no answer was had (network,
// context); a refusal is an Answer that is not OK.
func Post(ctx context.Context, client *http.Client, url string, form []byte, key atcrypto.PrivateKey, nonce string) (Answer, error) {
	for attempt := 0; ; attempt++ {
		proof, err := oauth.NewAuthDPoP(http.MethodPost, url, nonce, key)
		if err != nil {
			return Answer{}, fmt.Errorf("dpop proof: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(form))
		if err != nil {
			return Answer{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		res, err := client.Do(req)
		if err != nil {
			return Answer{}, err
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
		res.Body.Close()
		if err != nil {
			return Answer{}, fmt.Errorf("read answer: %w", err)
		}
		if n := res.Header.Get("DPoP-Nonce"); n != "" {
			nonce = n
		}
		a := Answer{Status: res.StatusCode, Body: body, Nonce: nonce}
		if !a.OK() {
			var refusal struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal(body, &refusal)
			a.Error, a.Description = refusal.Error, refusal.Description
		}
		if a.Status == http.StatusBadRequest && a.Error == "use_dpop_nonce" && attempt == 0 {
			continue
		}
		return a, nil
	}
}
