package oauthstore

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGrantExpiry(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name               string
		confidential       bool
		created, refreshed time.Time
		want               time.Time
	}{
		{"public, never refreshed", false, t0, t0, t0.Add(14 * day)},
		{"public, refreshing does not extend it", false, t0, t0.Add(10 * day), t0.Add(14 * day)},
		{"confidential, never refreshed: 3 months", true, t0, t0, t0.Add(confidentialRefreshLifetime)},
		{"confidential, refreshed: 3 months from then", true, t0, t0.Add(100 * day), t0.Add(100*day + confidentialRefreshLifetime)},
		{"confidential, capped at 2 years", true, t0, t0.Add(700 * day), t0.Add(confidentialSessionLifetime)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, GrantExpiry(tt.confidential, tt.created, tt.refreshed))
		})
	}
	require.Equal(t, 14*day, MaxGrantLifetime(false).Round(time.Second))
}

func jwt(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(payload)) + ".sig"
}

func TestAccessExpiry(t *testing.T) {
	at, ok := AccessExpiry(jwt(`{"sub":"did:plc:a","exp":1800000000}`))
	require.True(t, ok)
	require.Equal(t, time.Unix(1800000000, 0), at)
	for _, opaque := range []string{"", "tok-abc", jwt(`{"sub":"x"}`), "a.!!!.c", jwt(`not json`)} {
		_, ok := AccessExpiry(opaque)
		require.False(t, ok, opaque)
	}
}
