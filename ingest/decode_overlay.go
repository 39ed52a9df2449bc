package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// vxlanInner continues after a UDP header into VXLAN (RFC 7348): an 8-byte
// header whose I flag must be set, then an Ethernet frame.
func (d *Decoder) vxlanInner(b []byte) (verdict, hop) {
	if err := d.vxlan.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil || !d.vxlan.ValidIDFlag {
		return vBadEncap, hop{}
	}
	return into(layers.LayerTypeEthernet, d.vxlan.Payload)
}

// geneveInner continues after a UDP header into Geneve (RFC 8926): an
// 8-byte header, options (skipped), then a packet of the header's
// EtherType. It is hand-written because layers.Geneve allocates every
// option and keeps its offset in a uint8, which long options overflow.
func geneveInner(b []byte) (verdict, hop) {
	if len(b) < 8 || b[0]>>6 != 0 {
		return vBadEncap, hop{}
	}
	n := 8 + int(b[0]&0x3f)*4
	if len(b) < n {
		return vBadEncap, hop{}
	}
	return etherTypeInner(layers.EthernetType(binary.BigEndian.Uint16(b[2:4])), b[n:])
}

// etherTypeInner continues into a packet of EtherType t that an
// encapsulation header announced. Types other than Ethernet, IPv4, IPv6
// and MPLS end decoding (NonTCP).
func etherTypeInner(t layers.EthernetType, b []byte) (verdict, hop) {
	switch t {
	case layers.EthernetTypeTransparentEthernetBridging:
		return into(layers.LayerTypeEthernet, b)
	case layers.EthernetTypeIPv4:
		return into(layers.LayerTypeIPv4, b)
	case layers.EthernetTypeIPv6:
		return into(layers.LayerTypeIPv6, b)
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return mplsInner(b)
	}
	return vNonTCP, hop{}
}
