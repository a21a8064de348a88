package oauthstore

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Grant lifetimes of the ATProto authorization servers (the reference implementation,
// @atproto/oauth-provider 0.22: oauth-constants.ts and client/client.ts). A refresh token
// lapses if the grant is not refreshed within the refresh lifetime, and the grant ends
// outright at the session lifetime.
const (
	publicRefreshLifetime       = 14 * 24 * time.Hour             // REFRESH_LIFETIME
	publicSessionLifetime       = 14 * 24 * time.Hour             // SESSION_LIFETIME
	confidentialRefreshLifetime = 2191*time.Hour + 30*time.Minute // REFRESH_LIFETIME_EXTENDED: 3 months (365.25/4 days)
	confidentialSessionLifetime = 17532 * time.Hour               // SESSION_LIFETIME_EXTENDED: 2 years (730.5 days)
)

// GrantExpiry is when a grant created at created and last refreshed at refreshed lapses:
// the earlier of its session lifetime and its refresh lifetime.
func GrantExpiry(confidential bool, created, refreshed time.Time) time.Time {
	session, refresh := publicSessionLifetime, publicRefreshLifetime
	if confidential {
		session, refresh = confidentialSessionLifetime, confidentialRefreshLifetime
	}
	end := created.Add(session)
	if r := refreshed.Add(refresh); r.Before(end) {
		end = r
	}
	return end
}

// MaxGrantLifetime is the longest a new grant can last, which bounds a developer token.
func MaxGrantLifetime(confidential bool) time.Duration {
	now := time.Now()
	return GrantExpiry(confidential, now, now).Sub(now)
}

// AccessExpiry reads the exp claim of a JWT access token without verifying it (only the
// authorization server and the PDS need to trust it; plyr only wants to know when to
// refresh). Opaque tokens return false: they are refreshed when the PDS refuses them.
func AccessExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}
