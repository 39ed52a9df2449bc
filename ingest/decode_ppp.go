package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// pppoeInner continues after an Ethernet header of type 0x8864 into a
// PPPoE session frame (RFC 2516): version/type 0x11, code 0, a length
// bounding the payload, then PPP.
func pppoeInner(b []byte) (verdict, hop) {
	if len(b) < 6 || b[0] != 0x11 || b[1] != 0 {
		return vBadEncap, hop{}
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	b = b[6:]
	if n < len(b) {
		b = b[:n]
	}
	return pppInner(b)
}

// pppInner continues after a PPPoE or enhanced GRE header into PPP: an
// optional address/control field (0xff 0x03), a protocol field (one byte
// when compressed), then IPv4 (0x21) or IPv6 (0x57). Other protocols
// (LCP, IPCP...) end decoding (NonTCP). gopacket's PPP layer is not a
// DecodingLayer, so this is hand-written.
func pppInner(b []byte) (verdict, hop) {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) == 0 {
		return vNonTCP, hop{}
	}
	proto := uint16(b[0])
	if b[0]&0x01 == 0 { // uncompressed: two bytes
		if len(b) < 2 {
			return vBadEncap, hop{}
		}
		proto = binary.BigEndian.Uint16(b)
		b = b[2:]
	} else {
		b = b[1:]
	}
	switch proto {
	case 0x0021:
		return into(layers.LayerTypeIPv4, b)
	case 0x0057:
		return into(layers.LayerTypeIPv6, b)
	}
	return vNonTCP, hop{}
}
