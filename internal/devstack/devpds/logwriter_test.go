package devpds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogTo_NonceHandshakeIsOneDebugLine(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := LogTo(logger)

	nonce := `{"level":50,"time":1,"pid":7,"name":"oauth-provider","err":{"type":"UseDpopNonceError","message":"DPoP nonce mismatch","stack":"UseDpopNonceError: DPoP nonce mismatch\n    at DpopManager.checkProof (/x/dpop-manager.js:80:19)\n    at async OAuthProvider.pushedAuthorizationRequest (/x/oauth-provider.js:500:9)"},"msg":"error while handling request"}`
	for range 3 {
		_, err := fmt.Fprintln(w, nonce)
		require.NoError(t, err)
	}
	_, _ = fmt.Fprintln(w, `{"level":30,"time":2,"msg":"request completed"}`)
	_, _ = fmt.Fprintln(w, `{"level":50,"time":3,"err":{"type":"Error","message":"disk full","stack":"Error: disk full\n    at x"},"msg":"blob upload failed"}`)
	_, _ = fmt.Fprintln(w, "plain text from node")

	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		records = append(records, rec)
	}
	require.Len(t, records, 4, out.String())
	require.Equal(t, "DEBUG", records[0]["level"], "the handshake once, at debug")
	require.NotContains(t, out.String(), "checkProof", "no stack trace")
	require.Equal(t, "INFO", records[1]["level"])
	require.Equal(t, "request completed", records[1]["msg"])
	require.Equal(t, "ERROR", records[2]["level"], "a real error keeps its level")
	require.Equal(t, "Error: disk full", records[2]["error"])
	require.Equal(t, "plain text from node", records[3]["msg"])
}
