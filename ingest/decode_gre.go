package ingest

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

const (
	etherTypeERSPAN3 layers.EthernetType = 0x22eb // ERSPAN type III
	etherTypePPP     layers.EthernetType = 0x880b // PPP, in enhanced GRE (version 1)
)

// greInner continues after an IP header of protocol 47, or a UDP header on
// port 4754 (GRE-in-UDP, RFC 8086), into GRE: version 0 (RFC 2784/2890)
// carrying IPv4, IPv6, Ethernet (transparent bridging) or ERSPAN type
// I/II/III, and version 1, the enhanced GRE of PPTP (RFC 2637), carrying
// PPP. layers.GRE decodes the header. Source routing (deprecated by RFC
// 2784) is refused before it, as it would make layers.GRE allocate.
func (d *Decoder) greInner(b []byte) (verdict, hop) {
	if len(b) < 4 || b[0]&0x40 != 0 || b[1]&0x07 > 1 {
		return vBadEncap, hop{}
	}
	g := &d.gre
	if err := g.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		return vBadEncap, hop{}
	}
	if g.Version == 1 {
		if g.Protocol != etherTypePPP {
			return vBadEncap, hop{}
		}
		return pppInner(g.Payload)
	}
	switch g.Protocol {
	case layers.EthernetTypeERSPAN:
		if len(g.Contents) == 4 { // type I: no sequence number, no ERSPAN header
			return into(layers.LayerTypeEthernet, g.Payload)
		}
		if err := d.erspan2.DecodeFromBytes(g.Payload, gopacket.NilDecodeFeedback); err != nil {
			return vBadEncap, hop{}
		}
		return into(layers.LayerTypeEthernet, d.erspan2.Payload)
	case etherTypeERSPAN3:
		return erspan3Inner(g.Payload)
	}
	return etherTypeInner(g.Protocol, g.Payload)
}

// erspan3Inner continues after a GRE header into ERSPAN type III: a
// 12-byte header (version 2), an optional 8-byte platform sub-header (O
// flag), then the mirrored frame. Only Ethernet frames (frame type 0) are
// decoded; gopacket has no ERSPAN III layer.
func erspan3Inner(b []byte) (verdict, hop) {
	if len(b) < 12 || b[0]>>4 != 2 {
		return vBadEncap, hop{}
	}
	n := 12
	if b[11]&0x01 != 0 {
		n += 8
	}
	if len(b) < n {
		return vBadEncap, hop{}
	}
	if (b[10]>>2)&0x1f != 0 {
		return vNonTCP, hop{}
	}
	return into(layers.LayerTypeEthernet, b[n:])
}
