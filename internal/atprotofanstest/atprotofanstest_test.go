package atprotofanstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	fan    = "did:plc:fanfanfanfanfanfanfanfan"
	artist = "did:plc:artistartistartistartist"
)

func TestServer(t *testing.T) {
	s := New(t)
	s.AddSupporter(fan, artist)

	tests := []struct {
		name       string
		method     string
		path       string
		params     url.Values
		wantStatus int
		wantBody   map[string]any
	}{
		{"supporter", http.MethodGet, Method, url.Values{"supporter": {fan}, "subject": {artist}, "signer": {artist}},
			http.StatusOK, map[string]any{"valid": true, "profile": map[string]any{"did": fan, "handle": "handle.invalid", "supporterCount": float64(0)}}},
		{"non-supporter", http.MethodGet, Method, url.Values{"supporter": {artist}, "subject": {fan}, "signer": {fan}},
			http.StatusOK, map[string]any{"valid": false}},
		{"another signer", http.MethodGet, Method, url.Values{"supporter": {fan}, "subject": {artist}, "signer": {fan}},
			http.StatusOK, map[string]any{"valid": false}},
		{"missing signer", http.MethodGet, Method, url.Values{"supporter": {fan}, "subject": {artist}},
			http.StatusBadRequest, map[string]any{"error": "InvalidRequest", "message": "missing required parameter: signer"}},
		{"bad DID", http.MethodGet, Method, url.Values{"supporter": {"alice"}, "subject": {artist}, "signer": {artist}},
			http.StatusBadRequest, map[string]any{"error": "InvalidRequest", "message": "invalid DID format: supporter"}},
		{"POST", http.MethodPost, Method, url.Values{"supporter": {fan}, "subject": {artist}, "signer": {artist}},
			http.StatusMethodNotAllowed, map[string]any{"error": "InvalidRequest", "message": "validateSupporter is a query: use GET"}},
		{"other method", http.MethodGet, "/xrpc/com.atprotofans.getProfile", url.Values{"subject": {artist}},
			http.StatusNotImplemented, map[string]any{"error": "MethodNotImplemented", "message": "method not implemented"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL+tt.path+"?"+tt.params.Encode(), nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.wantStatus, resp.StatusCode)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			require.Equal(t, tt.wantBody, body)
		})
	}
	require.Equal(t, len(tests), s.Calls())
}

func TestServer_FailNext(t *testing.T) {
	s := New(t)
	s.FailNext(2, http.StatusServiceUnavailable)
	target := s.URL + Method + "?" + url.Values{"supporter": {fan}, "subject": {artist}, "signer": {artist}}.Encode()
	for _, want := range []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusOK} {
		resp, err := http.Get(target)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode)
		if want != http.StatusOK {
			require.Equal(t, "ServiceUnavailable", body["error"])
		}
	}
	require.Equal(t, 3, s.Calls())
}
