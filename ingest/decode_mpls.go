package ingest

import (
	"github.com/gopacket/gopacket/layers"
)

// mplsInner continues after a header of EtherType 0x8847/0x8848 (MPLS
// unicast/multicast) into the label stack (RFC 3032): 4-byte entries up to
// the one with the bottom-of-stack bit, then, as in Zeek, IPv4 or IPv6
// chosen by the version nibble. Anything else behind the stack (pseudowire
// Ethernet, control words) ends decoding (NonTCP). layers.MPLS is not a
// DecodingLayer, so this is hand-written.
func mplsInner(b []byte) (verdict, hop) {
	for {
		if len(b) < 4 {
			return vBadEncap, hop{}
		}
		bottom := b[2]&0x01 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) > 0 {
		switch b[0] >> 4 {
		case 4:
			return into(layers.LayerTypeIPv4, b)
		case 6:
			return into(layers.LayerTypeIPv6, b)
		}
	}
	return vNonTCP, hop{}
}
