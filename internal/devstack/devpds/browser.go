package devpds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
)

// Browser drives the PDS's OAuth pages the way its web UI does, over plain HTTP: it opens
// the authorization page, signs in (or signs up), consents, and follows the redirect back
// to the client. It stops at the client: Authorize returns the callback URL for the caller
// to deliver to plyr.
type Browser struct {
	client *http.Client
}

// NewBrowser returns a browser whose requests go through transport (Transport for
// hostname mode). It keeps cookies; Go's jar sends Secure cookies to localhost too.
func NewBrowser(transport http.RoundTripper) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{client: &http.Client{
		Transport: transport,
		Jar:       jar,
		// Redirects are the driver's to follow: the last one leaves the PDS.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Credentials sign an existing account in, or (with Email set) create one.
type Credentials struct {
	Handle   string
	Password string
	// Email, when set, signs up a new account (prompt=create flows) instead of signing in.
	Email string
}

// Authorize runs an authorization request to its end and returns where the PDS sends the
// browser back to: the client's redirect URI with code, state and iss (or an error).
func (b *Browser) Authorize(ctx context.Context, authURL string, creds Credentials) (*url.URL, error) {
	page, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open authorization page: %w", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authorization page: HTTP %d: %.300s", res.StatusCode, body)
	}

	var account struct {
		Account struct {
			DID string `json:"did"`
		} `json:"account"`
		EphemeralToken string `json:"ephemeralToken"`
	}
	if creds.Email != "" {
		err = b.api(ctx, page, "/sign-up", "", map[string]any{
			"locale": "en", "handle": creds.Handle, "email": creds.Email, "password": creds.Password,
		}, &account)
	} else {
		err = b.api(ctx, page, "/sign-in", "", map[string]any{
			"locale": "en", "username": creds.Handle, "password": creds.Password, "remember": false,
		}, &account)
	}
	if err != nil {
		return nil, err
	}

	var consent struct {
		URL string `json:"url"`
	}
	if err := b.api(ctx, page, "/consent", account.EphemeralToken, map[string]any{"did": account.Account.DID}, &consent); err != nil {
		return nil, err
	}

	// The consent answer points at the PDS's redirect endpoint, which answers with the
	// client's redirect URI.
	next, err := page.Parse(consent.URL)
	if err != nil {
		return nil, err
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", page.Scheme+"://"+page.Host)
	req.Header.Set("Referer", page.String())
	res, err = b.client.Do(req)
	if err != nil {
		return nil, err
	}
	redirectBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 3 {
		return nil, fmt.Errorf("authorization redirect %s: HTTP %d: %.300s", next, res.StatusCode, redirectBody)
	}
	return next.Parse(res.Header.Get("Location"))
}

// api calls the oauth-provider's JSON API as its own pages do.
func (b *Browser) api(ctx context.Context, page *url.URL, endpoint, bearer string, in, out any) error {
	origin := page.Scheme + "://" + page.Host
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, origin+"/@atproto/oauth-provider/~api"+endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	req.Header.Set("Referer", page.String())
	req.Header.Set("Sec-Fetch-Mode", "same-origin")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range b.client.Jar.Cookies(page) {
		if c.Name == "csrf-token" {
			req.Header.Set("X-Csrf-Token", c.Value)
		}
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.300s", endpoint, res.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}
