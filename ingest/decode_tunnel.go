package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// Tunnels and other encapsulations the decoder peels, like Zeek does, so
// that HTTP inside them is reassembled under its inner 5-tuple:
//
//   - IP in IP: IPv4/IPv6 in IPv4/IPv6 (IP protocols 4 and 41)
//   - GRE (IP protocol 47, and GRE-in-UDP on port 4754) carrying IPv4,
//     IPv6, Ethernet (transparent bridging 0x6558), ERSPAN type I/II/III,
//     or PPP (enhanced GRE, version 1, as in PPTP)        decode_gre.go
//   - VXLAN (UDP 4789) and Geneve (UDP 6081)              decode_overlay.go
//   - GTPv1-U (UDP 2152) G-PDUs                           decode_gtp.go
//   - Teredo (UDP 3544, and any port when the packet
//     passes Teredo's checks and has a Teredo address)    decode_teredo.go
//   - AYIYA (UDP 5072)                                    decode_ayiya.go
//   - PPPoE sessions                                      decode_ppp.go
//   - MPLS label stacks (also MPLS in GRE)                decode_mpls.go
//
// plus the NFLOG link type (decode_nflog.go) and IP fragment reassembly
// (decode_defrag.go). Each one is a hop: the parser for the hop's first
// layer runs to the next boundary, and Decoder.level decides what follows.
// At most maxEncapDepth encapsulations are peeled; hostile nesting beyond
// that is counted in EncapTooDeep.

// maxEncapDepth is the most encapsulations peeled from one packet.
const maxEncapDepth = 4

// maxHops bounds the hops of one packet: each encapsulation, plus one
// continuation after each reassembled IP datagram.
const maxHops = 2 * (maxEncapDepth + 1)

// verdict is what one decoding step concluded about a packet.
type verdict uint8

const (
	vContinue    verdict = iota // go on with the next hop
	vTCP                        // a TCP segment, in out
	vNonTCP                     // decodable, not TCP
	vFragment                   // an IP fragment, held or dropped
	vMalformed                  // a malformed header
	vUnsupported                // unsupported link type
	vBadEncap                   // a malformed tunnel header: the packet is what carried it (NonTCP)
	vBadInner                   // a malformed packet inside a tunnel
	vTooDeep                    // more than maxEncapDepth encapsulations
)

// hop is where decoding continues: data, starting with layer first. encap
// is true when the hop enters an encapsulation (counted against
// maxEncapDepth), false when it continues a reassembled datagram.
type hop struct {
	first gopacket.LayerType
	data  []byte
	encap bool
}

// into returns a verdict to continue into an encapsulated packet.
func into(first gopacket.LayerType, data []byte) (verdict, hop) {
	if len(data) == 0 {
		return vNonTCP, hop{}
	}
	return vContinue, hop{first: first, data: data, encap: true}
}

// walk decodes hop after hop until a verdict.
func (d *Decoder) walk(h hop, out *reassembly.Packet) verdict {
	out.VLAN = 0
	depth := 0
	for hops := 0; ; hops++ {
		v, next := d.level(h, hops == 0, out)
		if v != vContinue {
			if v == vMalformed && depth > 0 {
				v = vBadInner
			}
			return v
		}
		if next.encap {
			if depth++; depth > maxEncapDepth {
				return vTooDeep
			}
			if depth == 1 {
				d.Stats.Tunnelled++
			}
		}
		if hops+1 >= maxHops {
			return vTooDeep
		}
		h = next
	}
}

// afterIP continues after an IP header (and its extension headers) whose
// payload b the parser did not follow: protocol p is not TCP or UDP, or b
// is empty.
func (d *Decoder) afterIP(p layers.IPProtocol, b []byte) (verdict, hop) {
	if len(b) == 0 {
		return vNonTCP, hop{}
	}
	switch p {
	case layers.IPProtocolIPv4:
		return into(layers.LayerTypeIPv4, b)
	case layers.IPProtocolIPv6:
		return into(layers.LayerTypeIPv6, b)
	case layers.IPProtocolGRE:
		return d.greInner(b)
	}
	return vNonTCP, hop{}
}

// afterLink continues after a link header whose payload b, of EtherType t,
// the parser did not follow.
func (d *Decoder) afterLink(t layers.EthernetType, b []byte) (verdict, hop) {
	if len(b) == 0 {
		return vNonTCP, hop{}
	}
	switch t {
	case layers.EthernetTypePPPoESession:
		return pppoeInner(b)
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return mplsInner(b)
	}
	return vNonTCP, hop{}
}

// UDP ports of the tunnels recognised by port.
const (
	portGTPU   = 2152
	portTeredo = 3544
	portGRE    = 4754 // GRE-in-UDP, RFC 8086
	portVXLAN  = 4789
	portAYIYA  = 5072
	portGeneve = 6081
)

func isTunnelPort(p layers.UDPPort) bool {
	switch p {
	case portGTPU, portTeredo, portGRE, portVXLAN, portAYIYA, portGeneve:
		return true
	}
	return false
}

// udpTunnel continues after a UDP header: into the tunnel named by the
// destination port, else by the source port, else into Teredo if the
// payload passes its checks; otherwise the packet is plain UDP.
func (d *Decoder) udpTunnel(u *layers.UDP) (verdict, hop) {
	b := u.Payload
	if len(b) == 0 {
		return vNonTCP, hop{}
	}
	port := u.DstPort
	if !isTunnelPort(port) {
		port = u.SrcPort
	}
	switch port {
	case portVXLAN:
		return d.vxlanInner(b)
	case portGeneve:
		return geneveInner(b)
	case portGTPU:
		return d.gtpuInner(b)
	case portGRE:
		return d.greInner(b)
	case portAYIYA:
		return d.ayiyaInner(b)
	case portTeredo:
		return d.teredoInner(b, false)
	}
	if looksLikeTeredo(b) {
		if v, h := d.teredoInner(b, true); v == vContinue {
			return v, h
		}
	}
	return vNonTCP, hop{}
}

// innerIPLenOK reports whether b holds one whole IP packet of version ver
// (4 or 6): the length in its header must match len(b) exactly, or exceed
// it only when the frame was cut by the snap length. Tunnels that carry a
// bare IP packet in UDP use it to reject UDP that merely looks like one.
func (d *Decoder) innerIPLenOK(b []byte, ver byte) bool {
	var n int
	switch {
	case ver == 4 && len(b) >= 20 && b[0]>>4 == 4:
		n = int(binary.BigEndian.Uint16(b[2:4]))
		if n < int(b[0]&0x0f)*4 || b[0]&0x0f < 5 {
			return false
		}
	case ver == 6 && len(b) >= 40 && b[0]>>4 == 6:
		n = 40 + int(binary.BigEndian.Uint16(b[4:6]))
	default:
		return false
	}
	return n == len(b) || (n > len(b) && d.snapCut)
}
