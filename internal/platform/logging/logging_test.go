package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNew_AddsContextAttrsAndRedactsSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelInfo)

	ctx := With(context.Background(), slog.String("request_id", "r1"))
	ctx = With(ctx, slog.String("track_id", "t1"))
	logger.InfoContext(ctx, "hello", "access_token", "s3cr3t", "Authorization", "Bearer x", "did", "did:plc:a")

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "r1", line["request_id"])
	require.Equal(t, "t1", line["track_id"])
	require.Equal(t, "did:plc:a", line["did"])
	require.Equal(t, "[redacted]", line["access_token"])
	require.Equal(t, "[redacted]", line["Authorization"])
	require.NotContains(t, buf.String(), "s3cr3t")
}

func TestWith_DoesNotAliasParent(t *testing.T) {
	parent := With(context.Background(), slog.String("a", "1"))
	left := With(parent, slog.String("b", "2"))
	right := With(parent, slog.String("c", "3"))
	require.Len(t, Attrs(parent), 1)
	require.Equal(t, "b", Attrs(left)[1].Key)
	require.Equal(t, "c", Attrs(right)[1].Key)
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"WARN", slog.LevelWarn},
		{"error", slog.LevelError},
		{"", slog.LevelInfo},
		{"loud", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, ParseLevel(tt.in))
		})
	}
}
