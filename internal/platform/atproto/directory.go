package atproto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/bluesky-social/indigo/util/ssrf"
)

// ErrNotPublicAddress is returned (wrapped) when a lookup would have reached a private,
// loopback or otherwise non-public address.
var ErrNotPublicAddress = errors.New("not a public address")

// NewDirectory resolves handles and DIDs through plcURL (https://plc.directory) and client,
// with a cache. Handles resolve by DNS TXT record through the system resolver, then through
// the domain's own nameservers (dialled only at public addresses), then over HTTPS.
func NewDirectory(plcURL string, client *http.Client) identity.Directory {
	return identity.NewCacheDirectory(newDirectory(plcURL, client), 100_000, 24*time.Hour, 5*time.Minute, 5*time.Minute)
}

// directory is indigo's BaseDirectory with the authoritative-DNS step replaced.
//
// Design note: BaseDirectory's own authoritative lookup (TryAuthoritativeDNS) dials
// whatever address the domain's NS record names, with a plain dialer, so a hostile domain
// could point plyr's DNS queries at 127.0.0.1 or a private network. BaseDirectory offers no
// hook for that dialer, and its Lookup methods call its own ResolveHandle, so this type
// keeps BaseDirectory for DID documents and the DNS and HTTPS steps, and repeats its
// short Lookup logic around a guarded ResolveHandle.
type directory struct {
	base *identity.BaseDirectory
	// public decides which nameserver addresses may be dialled (tests widen it).
	public func(net.IP) bool
	// dnsPort is where nameservers listen ("53"; tests use a free port).
	dnsPort string
}

var _ identity.Directory = (*directory)(nil)

func newDirectory(plcURL string, client *http.Client) *directory {
	return &directory{
		base: &identity.BaseDirectory{
			PLCURL:     plcURL,
			HTTPClient: *client,
			UserAgent:  UserAgent,
			// TryAuthoritativeDNS and FallbackDNSServers stay off: both dial unguarded.
		},
		public:  ssrf.IsPublicIPAddress,
		dnsPort: "53",
	}
}

// ResolveHandle resolves a handle to a DID the way BaseDirectory.ResolveHandle does with
// TryAuthoritativeDNS, but reaching the domain's nameservers only at public addresses.
func (d *directory) ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	h = h.Normalize()
	if h.IsInvalidHandle() {
		return "", fmt.Errorf("can not resolve handle: %w", identity.ErrInvalidHandle)
	}
	if !h.AllowedTLD() {
		return "", identity.ErrHandleReservedTLD
	}
	did, dnsErr := d.base.ResolveHandleDNS(ctx, h)
	if errors.Is(dnsErr, identity.ErrHandleNotFound) {
		did, dnsErr = d.resolveHandleAuthoritative(ctx, h)
	}
	if dnsErr == nil {
		return did, nil
	}
	did, httpErr := d.base.ResolveHandleWellKnown(ctx, h)
	if httpErr == nil {
		return did, nil
	}
	// The most specific error, as BaseDirectory reports it.
	if !errors.Is(dnsErr, identity.ErrHandleNotFound) {
		return "", dnsErr
	}
	if !errors.Is(httpErr, identity.ErrHandleNotFound) {
		return "", httpErr
	}
	return "", dnsErr
}

// resolveHandleAuthoritative asks the handle's own nameserver for its _atproto TXT record,
// after checking that the nameserver's address is public.
func (d *directory) resolveHandleAuthoritative(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	nss, err := d.base.Resolver.LookupNS(ctx, h.String())
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return "", identity.ErrHandleNotFound
	}
	if err != nil {
		return "", fmt.Errorf("%w: nameserver lookup: %w", identity.ErrHandleResolutionFailed, err)
	}
	if len(nss) == 0 {
		return "", identity.ErrHandleNotFound
	}
	addr, err := d.nameserverAddr(ctx, nss[0].Host)
	if err != nil {
		return "", fmt.Errorf("%w: %w", identity.ErrHandleResolutionFailed, err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: d.control}
	resolver := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}
	txt, err := resolver.LookupTXT(ctx, "_atproto."+h.String())
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return "", identity.ErrHandleNotFound
	}
	if err != nil {
		return "", fmt.Errorf("%w: authoritative DNS: %w", identity.ErrHandleResolutionFailed, err)
	}
	for _, s := range txt {
		if v, ok := strings.CutPrefix(s, "did="); ok {
			did, err := syntax.ParseDID(v)
			if err != nil {
				return "", fmt.Errorf("%w: invalid DID in handle DNS record: %w", identity.ErrHandleResolutionFailed, err)
			}
			return did, nil
		}
	}
	return "", identity.ErrHandleNotFound
}

// nameserverAddr resolves a nameserver's name and returns its first public address with
// the DNS port, or an error wrapping ErrNotPublicAddress when it has none.
func (d *directory) nameserverAddr(ctx context.Context, host string) (string, error) {
	ips, err := d.base.Resolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", fmt.Errorf("resolve nameserver %s: %w", host, err)
	}
	for _, ip := range ips {
		if d.public(ip) {
			return net.JoinHostPort(ip.String(), d.dnsPort), nil
		}
	}
	return "", fmt.Errorf("nameserver %s is at %v: %w", host, ips, ErrNotPublicAddress)
}

// control refuses, at connect time, any nameserver address that is not public: the last
// word even if nameserverAddr were bypassed.
func (d *directory) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !d.public(ip) {
		return fmt.Errorf("dial %s: %w", address, ErrNotPublicAddress)
	}
	return nil
}

// LookupHandle resolves a handle and checks that the DID document claims it back.
func (d *directory) LookupHandle(ctx context.Context, h syntax.Handle) (*identity.Identity, error) {
	h = h.Normalize()
	did, err := d.ResolveHandle(ctx, h)
	if err != nil {
		return nil, err
	}
	doc, err := d.base.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	ident := identity.ParseIdentity(doc)
	declared, err := ident.DeclaredHandle()
	if err != nil {
		return nil, fmt.Errorf("could not verify handle/DID match: %w", err)
	}
	if declared != h {
		return nil, fmt.Errorf("%w: %s != %s", identity.ErrHandleMismatch, declared, h)
	}
	ident.Handle = declared
	return &ident, nil
}

// LookupDID resolves a DID document; its handle is kept only when it resolves back to the
// DID, and is handle.invalid otherwise.
func (d *directory) LookupDID(ctx context.Context, did syntax.DID) (*identity.Identity, error) {
	doc, err := d.base.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	ident := identity.ParseIdentity(doc)
	declared, err := ident.DeclaredHandle()
	switch {
	case errors.Is(err, identity.ErrHandleNotDeclared):
		ident.Handle = syntax.HandleInvalid
	case err != nil:
		return nil, fmt.Errorf("could not parse handle from DID document: %w", err)
	default:
		resolved, err := d.ResolveHandle(ctx, declared)
		switch {
		case errors.Is(err, identity.ErrHandleNotFound), errors.Is(err, identity.ErrHandleResolutionFailed):
			ident.Handle = syntax.HandleInvalid
		case err != nil:
			return nil, err
		case resolved != did:
			ident.Handle = syntax.HandleInvalid
		default:
			ident.Handle = declared
		}
	}
	return &ident, nil
}

// Lookup looks up a handle or a DID.
func (d *directory) Lookup(ctx context.Context, a syntax.AtIdentifier) (*identity.Identity, error) {
	if h, err := a.AsHandle(); err == nil {
		return d.LookupHandle(ctx, h)
	}
	if did, err := a.AsDID(); err == nil {
		return d.LookupDID(ctx, did)
	}
	return nil, errors.New("at-identifier neither a handle nor a DID")
}

// Purge does nothing: the cache around this directory holds the state.
func (d *directory) Purge(context.Context, syntax.AtIdentifier) error { return nil }

// ResolveDID resolves a DID to its document (no handle verification).
func (d *directory) ResolveDID(ctx context.Context, did syntax.DID) (*identity.DIDDocument, error) {
	return d.base.ResolveDID(ctx, did)
}

// ResolveDIDRaw resolves a DID to its raw JSON document.
func (d *directory) ResolveDIDRaw(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	return d.base.ResolveDIDRaw(ctx, did)
}
