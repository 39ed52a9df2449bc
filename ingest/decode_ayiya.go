package ingest

import (
	"github.com/gopacket/gopacket/layers"
)

// ayiyaInner continues after a UDP header on port 5072 into AYIYA
// ("Anything In Anything", used by SixXS tunnel brokers): an 8-byte
// header — identity length/type, signature length/hash method,
// authentication method/operation code, next header, epoch — then the
// identity and signature, then the packet. As in Zeek only the forward
// operation (1) carries a packet, and it must be IPv4 or IPv6 (next header
// 4 or 41) of exactly the remaining length. The method fields must hold
// values the protocol defines (0-2), which keeps other UDP on port 5072
// from being taken for AYIYA. gopacket has no AYIYA layer.
func (d *Decoder) ayiyaInner(b []byte) (verdict, hop) {
	if len(b) < 8 || b[0]&0x0f > 2 || b[1]&0x0f > 2 || b[2]>>4 > 2 {
		return vBadEncap, hop{}
	}
	n := 8 + 1<<(b[0]>>4) + int(b[1]>>4)*4
	if len(b) < n {
		return vBadEncap, hop{}
	}
	if b[2]&0x0f != 1 { // not a forward: no packet inside
		return vNonTCP, hop{}
	}
	inner := b[n:]
	switch layers.IPProtocol(b[3]) {
	case layers.IPProtocolIPv4:
		if d.innerIPLenOK(inner, 4) {
			return into(layers.LayerTypeIPv4, inner)
		}
	case layers.IPProtocolIPv6:
		if d.innerIPLenOK(inner, 6) {
			return into(layers.LayerTypeIPv6, inner)
		}
	}
	return vBadEncap, hop{}
}
