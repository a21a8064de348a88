package atproto

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"
)

// endless answers every request with a body that never ends, until the client hangs up.
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := []byte(strings.Repeat("{\"x\":1}", 1024))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func TestLimitResponses(t *testing.T) {
	const max = 64 << 10
	tests := []struct {
		name    string
		handler http.HandlerFunc
		tooBig  bool
	}{
		{name: "endless chunked body", handler: endless, tooBig: true},
		{name: "announced length over the cap", tooBig: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(max+1))
			_, _ = w.Write(make([]byte, max+1))
		}},
		{name: "unannounced body one byte over", tooBig: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length: the cap must count
			_, _ = w.Write(make([]byte, max+1))
		}},
		{name: "body exactly at the cap", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush()
			_, _ = w.Write(make([]byte, max))
		}},
		{name: "small document", handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"issuer":"https://pds.example"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			client := &http.Client{Transport: LimitResponses(http.DefaultTransport, max)}

			resp, err := client.Get(srv.URL + "/.well-known/oauth-authorization-server")
			if err == nil {
				var body []byte
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					require.LessOrEqual(t, len(body), max)
				}
			}
			if !tt.tooBig {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrResponseTooLarge)
			require.Contains(t, err.Error(), "/.well-known/oauth-authorization-server")
		})
	}
}

// TestNewDirectory_CapsDIDDocuments: a PLC directory (or did:web host) that streams an
// endless DID document is cut off at the client's cap instead of being read whole.
func TestNewDirectory_CapsDIDDocuments(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(endless))
	defer srv.Close()
	client := &http.Client{Transport: LimitResponses(http.DefaultTransport, 4096)}
	dir := NewDirectory(srv.URL, client)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := dir.LookupDID(ctx, syntax.DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz"))
	require.ErrorIs(t, err, ErrResponseTooLarge)
}

// TestNewClient_RefusesLoopback: the production client never connects to a loopback
// address, whatever URL it is handed.
func TestNewClient_RefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	for _, u := range []string{srv.URL, "http://localhost:" + port + "/xrpc/com.atproto.server.describeServer"} {
		_, err := NewClient().Get(u)
		require.Error(t, err, u)
		require.Contains(t, err.Error(), "not a public IP address", u)
	}
	require.Zero(t, hits.Load())
}
