package ratelimit

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddrs tells which address a request comes from. Without trusted proxies it is the
// connection's peer. When the peer is a trusted proxy, Header (X-Forwarded-For by default)
// is read from the right, skipping trusted proxies: the first address that is not one is
// the client. Only the hops we trust append to that header honestly; anything to their
// left was written by the client and is never believed.
type ClientAddrs struct {
	// TrustedProxies are the networks of the proxies in front of plyr (load balancer, CDN).
	TrustedProxies []netip.Prefix
	// Header carries the client's address through those proxies; empty means
	// X-Forwarded-For. Single-address headers such as CF-Connecting-IP work too.
	Header string
}

// Key returns the rate-limit key of a request from remoteAddr ("host:port", as
// http.Request.RemoteAddr and connect.Peer.Addr give it) with headers h: the client's IP,
// or its /64 for IPv6.
func (c ClientAddrs) Key(remoteAddr string, h http.Header) string {
	addr, ok := parseAddr(remoteAddr)
	if !ok {
		return remoteAddr
	}
	if c.trusted(addr) {
		addr = c.forwarded(addr, h)
	}
	return key(addr)
}

// forwarded walks the forwarding header from the right, starting at the trusted peer.
func (c ClientAddrs) forwarded(peer netip.Addr, h http.Header) netip.Addr {
	name := c.Header
	if name == "" {
		name = "X-Forwarded-For"
	}
	var hops []string
	for _, line := range h.Values(name) {
		hops = append(hops, strings.Split(line, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			// Garbage in the chain: the last address we could trust is the best we have.
			return client
		}
		client = addr
		if !c.trusted(addr) {
			return client
		}
	}
	return client
}

func (c ClientAddrs) trusted(addr netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port".
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// key is an IPv4 address itself and an IPv6 address's /64.
func key(addr netip.Addr) string {
	if addr.Is4() {
		return addr.String()
	}
	p, _ := addr.Prefix(64)
	return p.String()
}
