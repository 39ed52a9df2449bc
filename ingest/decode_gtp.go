package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// gtpuInner continues after a UDP header on port 2152 into GTPv1-U (3GPP
// TS 29.281): version 1, protocol type GTP, the optional sequence/N-PDU/
// extension-header word and its chain of extension headers, then, for a
// G-PDU (message type 255), the user's IPv4 or IPv6 packet. The message
// length bounds the payload. Echo, error indication and end marker
// messages carry no user packet (NonTCP).
//
// It is hand-written rather than layers.GTPv1U, which allocates for every
// extension header (5G user-plane traffic carries one in every packet) and
// does not bound the payload by the message length.
func (d *Decoder) gtpuInner(b []byte) (verdict, hop) {
	if len(b) < 8 || b[0]>>5 != 1 || b[0]&0x10 == 0 {
		return vBadEncap, hop{}
	}
	body := b[8:]
	if n := int(binary.BigEndian.Uint16(b[2:4])); n <= len(body) {
		body = body[:n]
	} else if !d.snapCut {
		return vBadEncap, hop{}
	}
	if b[0]&0x07 != 0 { // E, S or PN: a 4-byte word, the last byte naming the first extension header
		if len(body) < 4 {
			return vBadEncap, hop{}
		}
		next, off := body[3], 4
		if b[0]&0x04 == 0 {
			next = 0
		}
		for next != 0 { // each extension: length in 4-byte units, content, next type
			if off >= len(body) {
				return vBadEncap, hop{}
			}
			l := int(body[off]) * 4
			if l == 0 || off+l > len(body) {
				return vBadEncap, hop{}
			}
			next = body[off+l-1]
			off += l
		}
		body = body[off:]
	}
	if b[1] != 0xff || len(body) == 0 {
		return vNonTCP, hop{}
	}
	switch body[0] >> 4 {
	case 4:
		return into(layers.LayerTypeIPv4, body)
	case 6:
		return into(layers.LayerTypeIPv6, body)
	}
	return vNonTCP, hop{}
}
