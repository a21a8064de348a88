package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParse_Defaults(t *testing.T) {
	c, err := Parse(env(nil))
	require.NoError(t, err)
	require.Equal(t, ".data", c.DataDir)
	require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	require.Equal(t, "127.0.0.1:8233", c.TemporalUIAddr)
	require.Equal(t, int64(1536)<<20, c.Media.MaxUploadBytes)
	require.Equal(t, "plyr", c.S3.Bucket)
	require.Equal(t, 15*time.Minute, c.Media.AudioURLTTL)
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"bad number", map[string]string{"PLYR_MAX_UPLOAD_MB": "lots"}, "PLYR_MAX_UPLOAD_MB"},
		{"bad duration", map[string]string{"PLYR_AUDIO_URL_TTL": "soon"}, "PLYR_AUDIO_URL_TTL"},
		{"zero cap", map[string]string{"PLYR_MAX_UPLOAD_MB": "0"}, "must be positive"},
		{"s3 without keys", map[string]string{"S3_ENDPOINT": "http://s3"}, "S3_ACCESS_KEY_ID"},
		{"ttl beyond presign limit", map[string]string{"PLYR_AUDIO_URL_TTL": "200h"}, "168h"},
		{"rate without a period", map[string]string{"PLYR_RATE_WRITE_ADDR": "10"}, "PLYR_RATE_WRITE_ADDR"},
		{"rate with a bad period", map[string]string{"PLYR_RATE_UPLOAD_ACCOUNT": "10/often"}, "PLYR_RATE_UPLOAD_ACCOUNT"},
		{"bad trusted proxy", map[string]string{"PLYR_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, "PLYR_TRUSTED_PROXIES"},
		{"no uploads per account", map[string]string{"PLYR_MAX_UPLOADS_PER_ACCOUNT": "-1"}, "PLYR_MAX_UPLOADS_PER_ACCOUNT"},
		{"negative minimum upload rate", map[string]string{"PLYR_UPLOAD_MIN_KIBPS": "-1"}, "PLYR_UPLOAD_MIN_KIBPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(env(tt.env))
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestParse_RateLimits(t *testing.T) {
	c, err := Parse(env(nil))
	require.NoError(t, err)
	require.Equal(t, Rate{Events: 10, Per: time.Minute}, c.RateLimits.SignInPerAddr)
	require.Equal(t, Rate{Events: 60, Per: time.Hour}, c.RateLimits.UploadPerAccount)
	require.Equal(t, Rate{Events: 300, Per: time.Minute}, c.RateLimits.WritePerAddr)
	require.Empty(t, c.RateLimits.TrustedProxies, "no proxy is trusted unless configured")
	require.Equal(t, "X-Forwarded-For", c.RateLimits.ClientIPHeader)
	require.Equal(t, 2, c.Media.MaxUploadsPerAccount)
	require.Equal(t, 30*time.Second, c.Media.UploadIdleTimeout)
	require.Equal(t, 16, c.Media.UploadMinKiBps)

	c, err = Parse(env(map[string]string{
		"PLYR_RATE_SIGNIN_ADDR":   "0",
		"PLYR_RATE_WRITE_ACCOUNT": "0/1m",
		"PLYR_RATE_UPLOAD_ADDR":   " 5 / 90s ",
		"PLYR_TRUSTED_PROXIES":    "10.0.0.0/8, 192.0.2.7,fd00::1/8",
		"PLYR_CLIENT_IP_HEADER":   "cf-connecting-ip",
	}))
	require.NoError(t, err)
	require.Equal(t, Rate{}, c.RateLimits.SignInPerAddr, "0 disables")
	require.Equal(t, Rate{}, c.RateLimits.WritePerAccount, "0 requests is no limit either")
	require.Equal(t, Rate{Events: 5, Per: 90 * time.Second}, c.RateLimits.UploadPerAddr)
	require.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8"),
	}, c.RateLimits.TrustedProxies)
	require.Equal(t, "Cf-Connecting-Ip", c.RateLimits.ClientIPHeader)
}

func TestVars_ListEveryVariableParsed(t *testing.T) {
	read := map[string]bool{}
	_, _ = Parse(func(k string) string { read[k] = true; return "" })
	listed := map[string]bool{}
	for _, v := range Vars {
		listed[v.Name] = true
	}
	require.Equal(t, read, listed, "config.Vars must document exactly the variables Parse reads")
}

func TestVars_AreDocumentedInTheREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	require.NoError(t, err)
	for _, v := range Vars {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README's configuration table lacks %s", v.Name)
		}
	}
}
