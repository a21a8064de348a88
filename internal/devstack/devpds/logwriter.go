package devpds

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// LogTo returns a writer for Options.Log that turns the reference PDS's output into log
// records: its JSON (pino) lines keep their level and message, the rest is logged at info.
//
// The OAuth DPoP nonce handshake is normal: every new DPoP key's first request is refused
// with use_dpop_nonce and sent again with the nonce. The PDS logs each refusal as an error
// with its stack trace; LogTo notes the first one at debug, without the stack, and drops
// the rest.
func LogTo(logger *slog.Logger) io.Writer { return &logWriter{logger: logger} }

type logWriter struct {
	logger    *slog.Logger
	nonceOnce sync.Once
}

// pinoLine is the part of a pino log line that is kept.
type pinoLine struct {
	Level int    `json:"level"`
	Msg   string `json:"msg"`
	Err   *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"err"`
}

func (w *logWriter) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			w.line(line)
		}
	}
	return len(p), nil
}

func (w *logWriter) line(line string) {
	var rec pinoLine
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &rec) != nil || rec.Level == 0 {
		if isNonceHandshake(line) {
			w.noteNonce()
			return
		}
		w.logger.Info(line)
		return
	}
	attrs := []any{}
	if rec.Err != nil {
		if isNonceHandshake(rec.Err.Type + " " + rec.Err.Message + " " + rec.Msg) {
			w.noteNonce()
			return
		}
		attrs = append(attrs, "error", strings.TrimSpace(rec.Err.Type+": "+rec.Err.Message))
	}
	w.logger.Log(nil, pinoLevel(rec.Level), rec.Msg, attrs...) //nolint:staticcheck // no request context here
}

func (w *logWriter) noteNonce() {
	w.nonceOnce.Do(func() {
		w.logger.Debug("the PDS asked for a DPoP nonce (the normal OAuth handshake; not logged again)")
	})
}

// isNonceHandshake reports whether text is the PDS refusing a request for want of a DPoP
// nonce.
func isNonceHandshake(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "use_dpop_nonce") || strings.Contains(t, "usedpopnonce") || strings.Contains(t, "dpop nonce")
}

// pinoLevel maps pino's numeric levels (10 trace … 60 fatal) to slog's.
func pinoLevel(level int) slog.Level {
	switch {
	case level >= 50:
		return slog.LevelError
	case level >= 40:
		return slog.LevelWarn
	case level >= 30:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}
