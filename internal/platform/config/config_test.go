package config

import (
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(env(tt.env))
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
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
