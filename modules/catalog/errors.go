package catalog

import (
	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError). Whatever wraps them stays in the logs.
var (
	// ErrNotFound marks a track that does not exist or is not the caller's to see.
	ErrNotFound = rpc.NewError(connect.CodeNotFound, "track not found")
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
)
