package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"roster"
)

// Policy is what endpoint URLs may point at. The zero Policy is the safe
// one: https only, and only addresses on the public internet.
type Policy struct {
	AllowHTTP    bool // http:// URLs too (serve's --webhook-allow-http)
	AllowPrivate bool // loopback, private, link-local and metadata addresses too (--webhook-allow-private)
	// Resolve looks a host name up; default net.DefaultResolver's.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// metadata are cloud providers' instance metadata services, which hand out
// credentials to whoever asks from inside.
var metadata = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

// cgnat is carrier-grade NAT's shared space (RFC 6598), private in all
// but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// thisNetwork is 0.0.0.0/8, which Linux connects to as the local host.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// IPv6 addresses that reach an IPv4 address written inside them, which is
// checked instead: NAT64's well-known prefix (RFC 6052), in its last 32
// bits, and 6to4 (RFC 3056), in the 32 bits after 2002::/16.
var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToV4 = netip.MustParsePrefix("2002::/16")
)

// inside are further ranges that are not the public internet: local-use
// NAT64 (RFC 8215), IPv6 site-local (deprecated, still routed by some),
// the IETF's protocol assignments and benchmarking networks.
var inside = []netip.Prefix{netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("198.18.0.0/15")}

// refused says why a receiver at a is refused, or "" when it is not.
func (p Policy) refused(a netip.Addr) string {
	if p.AllowPrivate {
		return ""
	}
	a = a.Unmap()
	switch b := a.As16(); {
	case nat64.Contains(a):
		a = netip.AddrFrom4([4]byte(b[12:]))
	case sixToV4.Contains(a):
		a = netip.AddrFrom4([4]byte(b[2:6]))
	}
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsUnspecified() || thisNetwork.Contains(a):
		return "an unspecified address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast():
		return "a multicast address"
	case a == metadata[0] || a == metadata[1]:
		return "a cloud metadata address"
	case a.IsLinkLocalUnicast():
		return "a link-local address"
	case a.IsPrivate() || cgnat.Contains(a):
		return "a private address"
	}
	for _, p := range inside {
		if p.Contains(a) {
			return "a private address"
		}
	}
	return ""
}

// CheckURL refuses an endpoint URL the policy does not allow, with a
// message for the Owner that says why. A host name is looked up: one
// that resolves to a refused address is refused; one that does not
// resolve now is let through, and checked again at every delivery.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	bad := func(format string, args ...any) error {
		return roster.FieldErrorf("url", format, args...)
	}
	if len(raw) > roster.MaxWebhookURL {
		return bad("must be at most %d bytes", roster.MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return bad("must be an absolute URL, such as https://example.com/hooks/roster")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	case u.Scheme == "http":
		return bad("must start with https:// (this server does not send webhooks over plain http)")
	default:
		return bad("scheme %q: must be https", u.Scheme)
	}
	if u.User != nil {
		return bad("must not carry a user name or password")
	}
	if u.Fragment != "" {
		return bad("must not have a #fragment")
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		if why := p.refused(a); why != "" {
			return bad("%s is %s, which webhooks may not be sent to", host, why)
		}
		return nil
	}
	if p.AllowPrivate {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := p.resolve(ctx, host)
	if err != nil {
		return nil // checked again at each delivery
	}
	for _, a := range addrs {
		if why := p.refused(a); why != "" {
			// The address itself is not told: it would map the server's own network.
			return bad("%s resolves to %s, which webhooks may not be sent to", host, why)
		}
	}
	return nil
}

// lookupTimeout bounds CheckURL's look-up of a host name.
const lookupTimeout = 5 * time.Second

func (p Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if p.Resolve != nil {
		return p.Resolve(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// errRefused is a delivery refused because of where it would connect to.
var errRefused = errors.New("refused")

// control is the dialer's check of the address it is about to connect to,
// after any DNS look-up: a name that resolved to a public address when the
// endpoint was made and to a private one now (DNS rebinding) is refused
// here.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: %w: unexpected address %q", errRefused, address)
	}
	if why := p.refused(ap.Addr()); why != "" {
		return fmt.Errorf("webhook: %w: the receiver's address is %s", errRefused, why)
	}
	return nil
}
