package rpc

import (
	"encoding/json"
	"net/http"

	"connectrpc.com/connect"
)

// WriteError answers a plain HTTP request with the same JSON body Connect uses for errors,
// {"code": "...", "message": "..."}, so clients parse one error shape everywhere.
func WriteError(w http.ResponseWriter, err *connect.Error) {
	WriteErrorStatus(w, httpStatus(err.Code()), err)
}

// WriteErrorStatus is WriteError with an explicit HTTP status, for statuses that have no
// Connect code of their own (413 Content Too Large).
func WriteErrorStatus(w http.ResponseWriter, status int, err *connect.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{err.Code().String(), err.Message()})
}

// httpStatus is the HTTP status the Connect protocol uses for each code.
func httpStatus(code connect.Code) int {
	switch code {
	case connect.CodeCanceled:
		return 499
	case connect.CodeInvalidArgument, connect.CodeOutOfRange:
		return http.StatusBadRequest
	case connect.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	case connect.CodeNotFound:
		return http.StatusNotFound
	case connect.CodeAlreadyExists, connect.CodeAborted:
		return http.StatusConflict
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case connect.CodeFailedPrecondition:
		return http.StatusPreconditionFailed
	case connect.CodeUnimplemented:
		return http.StatusNotImplemented
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}
