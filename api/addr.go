package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a request came from, which sign-in throttling
// counts attempts against. Behind a load balancer every request comes from
// the balancer, so when the peer is a trusted proxy the address is the
// nearest one in X-Forwarded-For that is not: addresses further left were
// written by the client itself and prove nothing.
func (s *Server) clientAddr(r *http.Request) string {
	host, proxy := s.peer(r)
	if !proxy {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // a malformed hop: trust nothing beyond it
		}
		if !s.trusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientNet is what the mail limits count a client by: its address, or
// for IPv6 the /64 network it is in, since one host may use a whole /64.
func (s *Server) clientNet(r *http.Request) string {
	a, err := netip.ParseAddr(s.clientAddr(r))
	if err != nil || a.Unmap().Is4() {
		return s.clientAddr(r)
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// peer is the address of r's peer, and whether it is a trusted proxy.
func (s *Server) peer(r *http.Request) (host string, proxy bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host, s.trusted(host)
}
