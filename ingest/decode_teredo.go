package ingest

import (
	"github.com/gopacket/gopacket/layers"
)

// Teredo (RFC 4380) carries IPv6 in UDP over IPv4. Clients talk to their
// server on port 3544, but to relays and peers on any port, so like Zeek
// the decoder also tries Teredo on other ports. To keep random UDP from
// being taken for IPv6 it follows Zeek's checks — optional authentication
// then origin indication, in that order and at most once each, then an
// IPv6 header whose payload length matches the datagram exactly — and on
// a port other than 3544 it also requires a Teredo address (2001:0::/32)
// as the inner source or destination.

// looksLikeTeredo is the cheap test run on UDP of any port before the full
// checks: an IPv6 version nibble, an authentication header (0x0001) or an
// origin indication (0x0000) at the start of a payload long enough for an
// IPv6 header.
func looksLikeTeredo(b []byte) bool {
	return len(b) >= 40 && (b[0]>>4 == 6 || (b[0] == 0 && b[1] <= 1))
}

// teredoInner continues after a UDP header into Teredo. byHeuristic is
// true when the port is not 3544: failing the checks then means "not
// Teredo" (NonTCP) rather than a malformed Teredo header.
func (d *Decoder) teredoInner(b []byte, byHeuristic bool) (verdict, hop) {
	fail := vBadEncap
	if byHeuristic {
		fail = vNonTCP
	}
	inner, ok := teredoPacket(b)
	if !ok || !d.innerIPLenOK(inner, 6) {
		return fail, hop{}
	}
	if byHeuristic && !isTeredoAddr(inner[8:24]) && !isTeredoAddr(inner[24:40]) {
		return fail, hop{}
	}
	if inner[4] == 0 && inner[5] == 0 { // a bubble: an IPv6 header alone, to open NAT mappings
		return vNonTCP, hop{}
	}
	return into(layers.LayerTypeIPv6, inner)
}

// teredoPacket strips the authentication header and origin indication
// from a Teredo payload and returns the IPv6 packet behind them.
func teredoPacket(b []byte) ([]byte, bool) {
	var origin, auth bool
	for len(b) >= 2 {
		switch {
		case b[0] == 0 && b[1] == 1: // authentication: must come first
			if origin || auth || len(b) < 4 {
				return nil, false
			}
			n := 4 + int(b[2]) + int(b[3]) + 8 + 1 // header, client id, auth value, nonce, confirmation byte
			if len(b) < n {
				return nil, false
			}
			auth, b = true, b[n:]
		case b[0] == 0 && b[1] == 0: // origin indication
			if origin || len(b) < 8 {
				return nil, false
			}
			origin, b = true, b[8:]
		case b[0]>>4 == 6:
			return b, true
		default:
			return nil, false
		}
	}
	return nil, false
}

// isTeredoAddr reports whether a 16-byte IPv6 address is in 2001:0::/32.
func isTeredoAddr(a []byte) bool {
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0
}
