package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"connectrpc.com/connect"
)

// Error is an error a client may see: a Connect code and a message written for the
// caller. Modules declare their sentinel errors with NewError and return them, or a case
// of one made with Withf, wrapped in whatever context they like:
//
//	var ErrNotFound = rpc.NewError(connect.CodeNotFound, "not found")
//	return fmt.Errorf("load track %s: %w", id, ErrNotFound)
//	return ErrInvalidInput.Withf("title must be at most %d characters", maxTitle)
//
// ConnectError turns any error into what the client sees. Only the message of the
// outermost Error in the chain reaches the client; everything wrapped around or under it
// (SQL, network, file paths) is logged with the request id, never sent. An error with no
// Error in its chain is plyr's own failure: it becomes internal with a generic message.
//
// This is the one error mapping of plyr; every module's handlers and plain HTTP routes go
// through it (the Connect interceptor in HandlerOptions catches any handler that forgets).
type Error struct {
	code connect.Code
	msg  string
	// kind is the sentinel this error is a case of (nil for a sentinel itself), so that
	// errors.Is(ErrInvalidInput.Withf(…), ErrInvalidInput) holds.
	kind *Error
}

// NewError returns a sentinel error with a Connect code and a message for the client.
func NewError(code connect.Code, msg string) *Error { return &Error{code: code, msg: msg} }

// Error returns the client's message.
func (e *Error) Error() string { return e.msg }

// Code returns the Connect code the client sees.
func (e *Error) Code() connect.Code { return e.code }

// Is reports whether target is e or the sentinel e is a case of.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (t == e || (e.kind != nil && t == e.kind))
}

// Withf returns a case of e (errors.Is matches e) with a more specific message for the
// client. Its arguments reach the client: pass only what the client sent or may know.
func (e *Error) Withf(format string, args ...any) *Error {
	kind := e
	if e.kind != nil {
		kind = e.kind
	}
	return &Error{code: e.code, msg: fmt.Sprintf(format, args...), kind: kind}
}

// Errors every module may return.
var (
	// ErrCanceled is what a client sees when it went away (or its deadline passed) first.
	ErrCanceled = NewError(connect.CodeCanceled, "the request was canceled")
	// ErrDeadline is what a client sees when the request's deadline passed.
	ErrDeadline = NewError(connect.CodeDeadlineExceeded, "the request took too long")
)

// internalMessage is all a client learns of a failure of plyr's own.
const internalMessage = "internal error"

// ConnectError maps err to the error a client sees (see Error) and logs what the client
// does not see. A *connect.Error made on purpose passes through unchanged.
func ConnectError(ctx context.Context, logger *slog.Logger, err error) *connect.Error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	var safe *Error
	switch {
	case errors.As(err, &safe):
	case errors.Is(err, context.Canceled):
		safe = ErrCanceled
	case errors.Is(err, context.DeadlineExceeded):
		safe = ErrDeadline
	default:
		logger.ErrorContext(ctx, "internal error", "error", err.Error())
		return connect.NewError(connect.CodeInternal, errors.New(internalMessage))
	}
	if err != error(safe) {
		// The chain holds more than the client sees: keep it for operators. A failure
		// to reach another service is worth a warning; a refused request is routine.
		level := slog.LevelDebug
		if safe.code == connect.CodeUnavailable || safe.code == connect.CodeInternal {
			level = slog.LevelWarn
		}
		logger.Log(ctx, level, "request failed", "code", safe.code.String(), "error", err.Error())
	}
	return connect.NewError(safe.code, errors.New(safe.msg))
}

// WriteHTTPError answers a plain HTTP request with err mapped as ConnectError maps it.
func WriteHTTPError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	WriteError(w, ConnectError(r.Context(), logger, err))
}

// NewErrorInterceptor maps every error a handler returns through ConnectError, so that no
// handler can send internal text to a client by forgetting to map it.
func NewErrorInterceptor(logger *slog.Logger) connect.Interceptor {
	return &errorInterceptor{logger: logger}
}

type errorInterceptor struct{ logger *slog.Logger }

func (e *errorInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if err != nil {
			return nil, ConnectError(ctx, e.logger, err)
		}
		return res, nil
	}
}

func (e *errorInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (e *errorInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := next(ctx, conn); err != nil {
			return ConnectError(ctx, e.logger, err)
		}
		return nil
	}
}

// IsNotFound reports whether err is (or wraps) an Error with code NotFound.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.code == connect.CodeNotFound
}
