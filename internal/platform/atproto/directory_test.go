package atproto

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS is a UDP DNS server on loopback answering from a fixed table. A name missing
// from the table is NXDOMAIN; a known name without records of the asked type is an empty
// answer.
type fakeDNS struct {
	addr    string
	queries atomic.Int32
}

type record struct {
	name string
	typ  dnsmessage.Type
	body dnsmessage.ResourceBody
}

func startDNS(t *testing.T, records []record) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	s := &fakeDNS{addr: pc.LocalAddr().String()}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.queries.Add(1)
			if msg, err := answer(buf[:n], records); err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	return s
}

func answer(query []byte, records []record) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	rcode := dnsmessage.RCodeNameError
	var hits []record
	for _, r := range records {
		if strings.EqualFold(r.name, q.Name.String()) {
			rcode = dnsmessage.RCodeSuccess
			if r.typ == q.Type {
				hits = append(hits, r)
			}
		}
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionAvailable: true, RCode: rcode})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, r := range hits {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		switch body := r.body.(type) {
		case *dnsmessage.NSResource:
			err = b.NSResource(rh, *body)
		case *dnsmessage.AResource:
			err = b.AResource(rh, *body)
		case *dnsmessage.TXTResource:
			err = b.TXTResource(rh, *body)
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// notFoundTransport answers every HTTPS well-known request with 404.
type notFoundTransport struct{}

func (notFoundTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusNotFound, Body: io.NopCloser(strings.NewReader(""))}, nil
}

// TestDirectory_AuthoritativeDNS: a handle whose domain names a nameserver on a private or
// loopback address is refused before any query reaches that address. The second case
// widens the address rule to show the same lookup does reach the nameserver (and resolves)
// when nothing guards it, as indigo's own authoritative lookup does.
func TestDirectory_AuthoritativeDNS(t *testing.T) {
	const handle = "alice.hostile.example.com"
	const did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
	name := func(s string) dnsmessage.Name { return dnsmessage.MustNewName(s) }

	// The nameserver the hostile domain points at: it would answer the TXT query.
	inner := startDNS(t, []record{{name: "_atproto." + handle + ".", typ: dnsmessage.TypeTXT,
		body: &dnsmessage.TXTResource{TXT: []string{"did=" + did}}}})
	_, innerPort, err := net.SplitHostPort(inner.addr)
	require.NoError(t, err)

	// The system resolver: no TXT record, an NS record naming a host at 127.0.0.1.
	system := startDNS(t, []record{
		{name: handle + ".", typ: dnsmessage.TypeNS, body: &dnsmessage.NSResource{NS: name("ns.hostile.example.com.")}},
		{name: "ns.hostile.example.com.", typ: dnsmessage.TypeA, body: &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}},
	})

	tests := []struct {
		name   string
		public func(net.IP) bool
		want   string
	}{
		{name: "production address rule refuses it", public: newDirectory("", http.DefaultClient).public},
		{name: "without the rule the lookup reaches loopback", public: func(net.IP) bool { return true }, want: did},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner.queries.Store(0)
			d := newDirectory("", &http.Client{Transport: notFoundTransport{}})
			d.base.Resolver = net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var dialer net.Dialer
				return dialer.DialContext(ctx, network, system.addr)
			}}
			d.public, d.dnsPort = tt.public, innerPort

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := d.ResolveHandle(ctx, syntax.Handle(handle))
			if tt.want != "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got.String())
				require.NotZero(t, inner.queries.Load())
				return
			}
			require.ErrorIs(t, err, ErrNotPublicAddress)
			require.Zero(t, inner.queries.Load(), "a query reached the loopback nameserver")
		})
	}
}

// TestDirectory_Control: the dialer's last check refuses non-public nameserver addresses.
func TestDirectory_Control(t *testing.T) {
	d := newDirectory("", http.DefaultClient)
	for _, addr := range []string{"127.0.0.1:53", "10.0.0.2:53", "[::1]:53", "169.254.169.254:53"} {
		require.ErrorIs(t, d.control("udp", addr, nil), ErrNotPublicAddress, addr)
	}
	require.NoError(t, d.control("udp", "8.8.8.8:53", nil))
}
