package rpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// Observe returns middleware that gives each request an id (kept from the client when it
// is sane), logs one line per request, observes its latency by route pattern, and turns a
// panic into a 500 instead of a dropped connection. mux is consulted only for the route
// pattern, so the metric's label set stays bounded whatever paths clients send.
func Observe(logger *slog.Logger, m *metrics.Metrics, mux *http.ServeMux) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := requestID(r.Header.Get(RequestIDHeader))
			w.Header().Set(RequestIDHeader, id)
			ctx := logging.With(r.Context(), slog.String("request_id", id))
			r = r.WithContext(ctx)

			_, route := mux.Handler(r)
			if route == "" {
				route = "unmatched"
			}
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler { // the server's own signal to abort a response: let it through
						panic(p)
					}
					logger.ErrorContext(ctx, "panic in handler", "panic", p, "route", route)
					if rec.status == 0 {
						WriteError(rec, connect.NewError(connect.CodeInternal, errors.New("internal error")))
					}
				}
				status := rec.status
				if status == 0 {
					status = http.StatusOK
				}
				elapsed := time.Since(start)
				m.HTTPDuration.WithLabelValues(route, r.Method, strconv.Itoa(status)).Observe(elapsed.Seconds())
				logger.LogAttrs(ctx, slog.LevelInfo, "http request",
					slog.String("method", r.Method), slog.String("route", route),
					slog.String("path", r.URL.Path), slog.Int("status", status),
					slog.Int64("bytes", rec.bytes), slog.Duration("duration", elapsed))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// requestID keeps a client's id when it is short and plain, and makes one otherwise.
func requestID(fromClient string) string {
	if n := len(fromClient); n > 0 && n <= 64 {
		ok := true
		for _, c := range fromClient {
			if !(c == '-' || c == '_' || c == '.' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
				ok = false
				break
			}
		}
		if ok {
			return fromClient
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status and size of a response. It passes Flush through
// (Connect's server streams need it) and unwraps for http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// NewObserveInterceptor observes each Connect call's latency and code by procedure; the
// HTTP middleware already logs the request, so this adds the procedure-level view.
func NewObserveInterceptor(m *metrics.Metrics) connect.Interceptor {
	return &observeInterceptor{m: m}
}

type observeInterceptor struct{ m *metrics.Metrics }

func (o *observeInterceptor) observe(procedure string, start time.Time, err error) {
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
	}
	o.m.RPCDuration.WithLabelValues(procedure, code).Observe(time.Since(start).Seconds())
}

func (o *observeInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		res, err := next(ctx, req)
		o.observe(req.Spec().Procedure, start, err)
		return res, err
	}
}

func (o *observeInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (o *observeInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		o.observe(conn.Spec().Procedure, start, err)
		return err
	}
}

// HandlerOptions are the Connect handler options every module's service uses: observation
// first, then the service's access policy, then the one error mapping (ConnectError).
func HandlerOptions(logger *slog.Logger, m *metrics.Metrics, policy Policy) []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithInterceptors(NewObserveInterceptor(m), NewAuthInterceptor(policy), NewErrorInterceptor(logger)),
		connect.WithReadMaxBytes(1 << 20),
		// Compressing a small answer costs more CPU (a gzip writer reset per response)
		// than the bytes it saves; only answers of 1 KiB and more are compressed.
		connect.WithCompressMinBytes(1 << 10),
	}
}
