// Package rpctest helps module tests stand up a module's routes the way the app does,
// with callers known by token.
package rpctest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// Tokens is an rpc.Authenticator that knows a fixed set of tokens.
type Tokens map[string]rpc.Caller

// Authenticate implements rpc.Authenticator.
func (t Tokens) Authenticate(_ context.Context, token string) (rpc.Caller, error) {
	if c, ok := t[token]; ok {
		return c, nil
	}
	return rpc.Caller{}, rpc.ErrInvalidCredentials
}

// Mounter is a module: something that registers routes on a mux.
type Mounter interface{ Mount(*http.ServeMux) }

// NewServer serves the modules' routes behind the same authentication middleware as the
// app, closed when the test ends.
func NewServer(t testing.TB, auth rpc.Authenticator, modules ...Mounter) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, m := range modules {
		m.Mount(mux)
	}
	srv := httptest.NewServer(rpc.Authenticate(auth)(mux))
	t.Cleanup(srv.Close)
	return srv
}

// RequirePolicyCovers fails the test unless policy gives a level to every procedure of svc.
func RequirePolicyCovers(t testing.TB, policy rpc.Policy, svc protoreflect.ServiceDescriptor) {
	t.Helper()
	for i := range svc.Methods().Len() {
		procedure := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(i).Name())
		if _, ok := policy[procedure]; !ok {
			t.Errorf("%s has no access level in the policy", procedure)
		}
	}
}

// WithToken returns a context whose Connect calls carry token as a bearer credential; an
// empty token leaves the call anonymous.
func WithToken(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	ctx, info := connect.NewClientContext(ctx)
	info.RequestHeader().Set("Authorization", "Bearer "+token)
	return ctx
}
