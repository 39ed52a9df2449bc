package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// linkTypeNFLOG is LINKTYPE_NFLOG: packets logged by Linux netfilter's
// NFLOG target. gopacket has no constant or layer for it.
const linkTypeNFLOG layers.LinkType = 239

// nflogTypePayload is the TLV type (NFULA_PAYLOAD) holding the packet.
const nflogTypePayload = 9

// nflogPayload finds the packet inside an NFLOG record
// (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html): a 4-byte header
// (address family, version 0, resource id), then 4-byte-aligned TLVs
// whose length and type are in the byte order of the capturing host. The
// order is taken as little-endian unless the first TLV type only makes
// sense big-endian. The packet is the value of the payload TLV; IPv4
// (family 2) and IPv6 (family 10) are decoded, other families are NonTCP.
func nflogPayload(b []byte) (verdict, hop) {
	if len(b) < 4 || b[1] != 0 {
		return vMalformed, hop{}
	}
	family := b[0]
	b = b[4:]
	var order binary.ByteOrder = binary.LittleEndian
	if len(b) >= 4 && binary.LittleEndian.Uint16(b[2:4]) > 0xff && binary.BigEndian.Uint16(b[2:4]) <= 0xff {
		order = binary.BigEndian
	}
	for {
		if len(b) < 4 {
			return vMalformed, hop{}
		}
		n, typ := int(order.Uint16(b[0:2])), order.Uint16(b[2:4])
		if n < 4 {
			return vMalformed, hop{}
		}
		if typ == nflogTypePayload {
			p := b[4:]
			if n <= len(b) {
				p = b[4:n]
			}
			var first = layers.LayerTypeIPv4
			switch family {
			case 2:
			case 10:
				first = layers.LayerTypeIPv6
			default:
				return vNonTCP, hop{}
			}
			if len(p) == 0 {
				return vNonTCP, hop{}
			}
			return vContinue, hop{first: first, data: p}
		}
		n = (n + 3) &^ 3
		if n > len(b) {
			return vMalformed, hop{}
		}
		b = b[n:]
	}
}
