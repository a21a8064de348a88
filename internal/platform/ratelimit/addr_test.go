package ratelimit

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientAddrs_Key(t *testing.T) {
	proxies := ClientAddrs{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
	}}
	tests := []struct {
		name   string
		addrs  ClientAddrs
		remote string
		xff    []string
		want   string
	}{
		{"no proxies: the peer", ClientAddrs{}, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"no proxies: the header is ignored", ClientAddrs{}, "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer: the header is ignored", proxies, "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer: the address it saw", proxies, "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-written hops to the left are not believed", proxies, "10.1.2.3:80", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped from the right", proxies, "10.1.2.3:80", []string{"198.51.100.1, 10.9.9.9", "10.8.8.8"}, "198.51.100.1"},
		{"garbage stops at the last trusted hop", proxies, "10.1.2.3:80", []string{"198.51.100.1, not-an-ip"}, "10.1.2.3"},
		{"trusted peer without the header", proxies, "10.1.2.3:80", nil, "10.1.2.3"},
		{"IPv6 is keyed by its /64", ClientAddrs{}, "[2001:db8:1:2:aaaa::1]:443", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6 is IPv4", ClientAddrs{}, "[::ffff:203.0.113.7]:443", nil, "203.0.113.7"},
		{"IPv6 behind a trusted proxy", proxies, "[fd00::1]:443", []string{"2001:db8:1:2::99"}, "2001:db8:1:2::/64"},
		{"another header", ClientAddrs{TrustedProxies: proxies.TrustedProxies, Header: "CF-Connecting-IP"}, "10.1.2.3:80", nil, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.xff {
				h.Add("X-Forwarded-For", v)
			}
			require.Equal(t, tt.want, tt.addrs.Key(tt.remote, h))
		})
	}
	t.Run("a named header is read", func(t *testing.T) {
		addrs := ClientAddrs{TrustedProxies: proxies.TrustedProxies, Header: "CF-Connecting-IP"}
		h := http.Header{"Cf-Connecting-Ip": {"198.51.100.4"}, "X-Forwarded-For": {"1.1.1.1"}}
		require.Equal(t, "198.51.100.4", addrs.Key("10.1.2.3:80", h))
	})
}
