package logs

import (
	"fmt"
	"net/netip"
	"strings"
)

// ClientIPSource says where the rendered client address comes from.
type ClientIPSource int

const (
	// ClientPeer is the TCP peer (the default; a load balancer's address
	// when there is one).
	ClientPeer ClientIPSource = iota
	// ClientXForwardedFor walks X-Forwarded-For from the right.
	ClientXForwardedFor
	// ClientForwarded walks the for= parameters of RFC 7239 Forwarded
	// (needs the http_header table).
	ClientForwarded
)

// ParseClientIPSource parses --client-ip: peer, x-forwarded-for or forwarded.
func ParseClientIPSource(s string) (ClientIPSource, error) {
	switch strings.ToLower(s) {
	case "", "peer":
		return ClientPeer, nil
	case "x-forwarded-for", "xff":
		return ClientXForwardedFor, nil
	case "forwarded":
		return ClientForwarded, nil
	}
	return 0, fmt.Errorf("unknown client address source %q (peer, x-forwarded-for, forwarded)", s)
}

// ParsePrefixes parses a list of CIDR prefixes or single addresses
// ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if p, err := netip.ParsePrefix(s); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("cannot parse %q as an address or CIDR prefix", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}

// ClientIP configures the resolution of the client address behind proxies,
// as Apache's mod_remoteip and nginx's real_ip (with real_ip_recursive on)
// do: the header is believed only when the TCP peer is a trusted proxy,
// and its list is walked from the right, skipping trusted proxies; the
// first untrusted address is the client. When every address is trusted the
// leftmost one is the client. An entry that is not an address ("unknown",
// an obfuscated Forwarded node, garbage) stops the walk, and the last
// address accepted so far is the client.
//
// With no TrustedProxies, the peer is trusted and nothing else: the client
// is the rightmost entry, the address the immediate proxy saw.
type ClientIP struct {
	Source         ClientIPSource
	TrustedProxies []netip.Prefix
}

func (c *ClientIP) trusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of r under c.
func (c *ClientIP) Resolve(r *Record) string {
	if c.Source == ClientPeer {
		return r.ClientIP
	}
	peer, err := netip.ParseAddr(r.ClientIP)
	if err != nil {
		return r.ClientIP
	}
	peer = peer.Unmap()
	if len(c.TrustedProxies) > 0 && !c.trusted(peer) {
		return r.ClientIP
	}
	var hops []string
	switch c.Source {
	case ClientXForwardedFor:
		v, ok := r.RequestHeader("X-Forwarded-For", ",")
		if !ok {
			return r.ClientIP
		}
		hops = strings.Split(v, ",")
	case ClientForwarded:
		v, ok := r.RequestHeader("Forwarded", ",")
		if !ok {
			return r.ClientIP
		}
		hops = forwardedFor(v)
	}
	client := r.ClientIP
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a.String()
		if len(c.TrustedProxies) == 0 || !c.trusted(a) {
			break
		}
	}
	return client
}

// parseHop parses one X-Forwarded-For or Forwarded for= entry: an address,
// optionally with a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// forwardedFor returns the for= value of each element of an RFC 7239
// Forwarded header, in order; an element without for= yields "" (which
// stops the walk).
func forwardedFor(v string) []string {
	var out []string
	for _, elem := range splitQuoted(v, ',') {
		val := ""
		for _, pair := range splitQuoted(elem, ';') {
			k, pv, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
				pv = strings.TrimSpace(pv)
				if len(pv) >= 2 && pv[0] == '"' && pv[len(pv)-1] == '"' {
					pv = strings.ReplaceAll(pv[1:len(pv)-1], `\`, "")
				}
				val = pv
			}
		}
		out = append(out, val)
	}
	return out
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
