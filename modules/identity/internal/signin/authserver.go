package signin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bluesky-social/indigo/atproto/auth/oauth"

	"github.com/plyrfm/plyr/modules/identity/internal/ierr"
)

// authServer finds the authorization server of a PDS. In production that is indigo's
// resolver: https only, through the SSRF-safe client. The development PDS lives at
// http://localhost, which only a development configuration accepts.
func (s *Service) authServer(ctx context.Context, pdsURL string) (*oauth.AuthServerMetadata, error) {
	u, err := url.Parse(pdsURL)
	if err != nil {
		return nil, ierr.InvalidInput.Withf("%q is not a URL", pdsURL)
	}
	if s.cfg.AllowLoopbackPDS && u.Scheme == "http" && IsLoopbackHost(u.Hostname()) {
		return s.loopbackAuthServer(ctx, u)
	}
	asURL, err := s.app.Resolver.ResolveAuthServerURL(ctx, pdsURL)
	if err != nil {
		s.logger.InfoContext(ctx, "resolve authorization server", "pds", pdsURL, "error", err.Error())
		return nil, ierr.PDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", u.Host)
	}
	meta, err := s.app.Resolver.ResolveAuthServerMetadata(ctx, asURL)
	if err != nil {
		s.logger.InfoContext(ctx, "authorization server metadata", "issuer", asURL, "error", err.Error())
		return nil, ierr.PDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", u.Host)
	}
	return meta, nil
}

// loopbackAuthServer resolves a development PDS's authorization server over plain HTTP,
// with the same checks indigo makes except the scheme.
func (s *Service) loopbackAuthServer(ctx context.Context, pds *url.URL) (*oauth.AuthServerMetadata, error) {
	var resource struct {
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := s.getJSON(ctx, pds.Scheme+"://"+pds.Host+"/.well-known/oauth-protected-resource", &resource); err != nil || len(resource.AuthorizationServers) == 0 {
		return nil, ierr.PDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", pds.Host)
	}
	issuer := strings.TrimRight(resource.AuthorizationServers[0], "/")
	as, err := url.Parse(issuer)
	if err != nil || as.Scheme != "http" || !IsLoopbackHost(as.Hostname()) {
		return nil, ierr.PDSUnreachable.Withf("could not reach the account's PDS: a loopback PDS must use a loopback authorization server")
	}
	var meta oauth.AuthServerMetadata
	if err := s.getJSON(ctx, issuer+"/.well-known/oauth-authorization-server", &meta); err != nil || strings.TrimRight(meta.Issuer, "/") != issuer {
		return nil, ierr.PDSUnreachable.Withf("could not reach the account's PDS: %s has no usable authorization server", pds.Host)
	}
	return &meta, nil
}

// getJSON fetches a small JSON document through the outbound client.
func (s *Service) getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, res.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
}
