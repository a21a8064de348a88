package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
)

func TestConnectError(t *testing.T) {
	errGone := NewError(connect.CodeNotFound, "not found")
	errBad := NewError(connect.CodeInvalidArgument, "invalid input")
	errDown := NewError(connect.CodeUnavailable, "could not reach the account's PDS")
	tests := []struct {
		name    string
		err     error
		code    connect.Code
		message string
		logged  string // a substring the log must hold ("" for none)
	}{
		{"sentinel", errGone, connect.CodeNotFound, "not found", ""},
		{"a case of a sentinel", errBad.Withf("title must be at most %d characters", 256), connect.CodeInvalidArgument, "title must be at most 256 characters", ""},
		{"a sentinel wrapping a network error", fmt.Errorf("%w: %w", errDown, errors.New("dial tcp 10.0.0.7:443: connection refused")),
			connect.CodeUnavailable, "could not reach the account's PDS", "10.0.0.7"},
		{"a sentinel under context", fmt.Errorf("load track 42 from table catalog.tracks: %w", errGone), connect.CodeNotFound, "not found", ""},
		{"anything else", errors.New(`pq: relation "identity.sessions" does not exist`), connect.CodeInternal, "internal error", "identity.sessions"},
		{"a connect error made on purpose", connect.NewError(connect.CodeAborted, errors.New("try again")), connect.CodeAborted, "try again", ""},
		{"a client that went away", fmt.Errorf("query: %w", context.Canceled), connect.CodeCanceled, "the request was canceled", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			got := ConnectError(context.Background(), logger, tt.err)
			require.Equal(t, tt.code, got.Code())
			require.Equal(t, tt.message, got.Message())
			if tt.logged != "" {
				require.Contains(t, logs.String(), tt.logged, "what the client does not see is logged")
			}
		})
	}
}

func TestError_IsItsSentinel(t *testing.T) {
	errBad := NewError(connect.CodeInvalidArgument, "invalid input")
	errOther := NewError(connect.CodeInvalidArgument, "invalid input")
	detailed := errBad.Withf("x").Withf("y")
	require.ErrorIs(t, detailed, errBad)
	require.ErrorIs(t, fmt.Errorf("wrapped: %w", detailed), errBad)
	require.NotErrorIs(t, detailed, errOther, "two sentinels with the same text are different errors")
	require.Equal(t, "y", detailed.Error())
}

func TestConnectError_NilIsNil(t *testing.T) {
	require.Nil(t, ConnectError(context.Background(), slog.New(slog.DiscardHandler), nil))
}
