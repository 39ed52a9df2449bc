package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// linkTypeCHDLC is LINKTYPE_C_HDLC (104): Cisco HDLC framing, what
// captures on serial WAN links (and routers' packet captures) carry.
// gopacket has no layer for it.
const linkTypeCHDLC layers.LinkType = 104

// linkTypePPPSerial is LINKTYPE_PPP_HDLC (50): PPP in HDLC-like framing
// (RFC 1662), or Cisco PPP with HDLC framing, on serial links.
const linkTypePPPSerial layers.LinkType = 50

// pppSerialPayload unwraps a LINKTYPE_PPP_HDLC frame: Cisco HDLC when the
// address byte says so, PPP (0xff 0x03, then the protocol) otherwise.
func pppSerialPayload(b []byte) (verdict, hop) {
	if len(b) > 0 && b[0]&0x7f == 0x0f {
		return chdlcPayload(b)
	}
	return pppInner(b)
}

// chdlcPayload finds the packet inside a Cisco HDLC frame
// (https://www.tcpdump.org/linktypes/LINKTYPE_C_HDLC.html): an address byte
// (0x0F unicast, 0x8F broadcast), a control byte (0), then an Ethernet type
// and the packet, decoded as after any EtherType (IPv4, IPv6, MPLS);
// anything else (SLARP keepalives, CDP) is NonTCP.
func chdlcPayload(b []byte) (verdict, hop) {
	if len(b) < 4 || b[0]&0x7f != 0x0f || b[1] != 0 {
		return vMalformed, hop{}
	}
	return etherTypeInner(layers.EthernetType(binary.BigEndian.Uint16(b[2:4])), b[4:])
}
