// Package logging builds plyr's one structured logger (log/slog, JSON) and carries
// request-scoped attributes (request_id, track_id, workflow_id, …) in the context, so that
// every log line written with a context names what it was about.
//
// Secrets never reach the output: attributes whose key names a credential are replaced
// by "[redacted]" whatever their value, as a safety net behind the rule of not logging them.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// New returns a JSON logger writing to w at the given level. The logger adds the attributes
// stored in a record's context with With.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redact})
	return slog.New(contextHandler{h})
}

// Discard returns a logger that writes nothing, for tests that do not look at logs.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// ParseLevel reads a level name (debug, info, warn, error); anything else is info.
func ParseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

type ctxKey struct{}

// With returns a context whose log records carry attrs in addition to those already there.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	merged := make([]slog.Attr, 0, len(prev)+len(attrs))
	merged = append(append(merged, prev...), attrs...)
	return context.WithValue(ctx, ctxKey{}, merged)
}

// Attrs returns the attributes With stored in ctx.
func Attrs(ctx context.Context) []slog.Attr {
	attrs, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	return attrs
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// secretKeyParts are the substrings of an attribute key that mark its value as a secret.
var secretKeyParts = []string{"token", "authorization", "password", "secret", "cookie", "credential"}

func redact(_ []string, a slog.Attr) slog.Attr {
	key := strings.ToLower(a.Key)
	for _, part := range secretKeyParts {
		if strings.Contains(key, part) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}
