package ingest

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Wireless link types: 802.11 frames as captured in monitor mode, bare
// (LINKTYPE_IEEE802_11, 105) or behind a radiotap header
// (LINKTYPE_IEEE802_11_RADIOTAP, 127).
//
// Hand-written rather than gopacket's Dot11 layer, which takes the last
// four bytes of every frame for the frame check sequence: a 105 capture
// usually has none (Wireshark's default assumes none too), and only the
// radiotap Flags field tells. Only unprotected data frames carry IP we can
// read; management, control, null-data and encrypted frames are NonTCP.
const (
	linkTypeIEEE80211         layers.LinkType = 105
	linkTypeIEEE80211Radiotap layers.LinkType = 127
)

// dot11Payload unwraps a bare 802.11 frame (no FCS).
func dot11Payload(b []byte) (verdict, hop) { return dot11Frame(b, false) }

// radiotapPayload skips a radiotap header (https://www.radiotap.org) and
// unwraps the 802.11 frame after it, without its FCS when the Flags field
// says one is there.
func radiotapPayload(b []byte) (verdict, hop) {
	if len(b) < 8 || b[0] != 0 {
		return vMalformed, hop{}
	}
	n := int(binary.LittleEndian.Uint16(b[2:4]))
	if n < 8 || n > len(b) {
		return vMalformed, hop{}
	}
	present := binary.LittleEndian.Uint32(b[4:8])
	off := 8
	for w := present; w&(1<<31) != 0; off += 4 { // extended presence bitmaps
		if off+4 > n {
			return vMalformed, hop{}
		}
		w = binary.LittleEndian.Uint32(b[off : off+4])
	}
	if present&(1<<0) != 0 { // TSFT: 8 bytes, aligned to 8
		off = (off+7)&^7 + 8
	}
	fcs := false
	if present&(1<<1) != 0 { // Flags: 1 byte
		if off >= n {
			return vMalformed, hop{}
		}
		fcs = b[off]&0x10 != 0
	}
	return dot11Frame(b[n:], fcs)
}

// dot11Frame unwraps an 802.11 data frame carrying an LLC/SNAP-framed
// packet.
func dot11Frame(b []byte, fcs bool) (verdict, hop) {
	if fcs {
		if len(b) < 4 {
			return vMalformed, hop{}
		}
		b = b[:len(b)-4]
	}
	if len(b) < 24 {
		return vMalformed, hop{}
	}
	fc0, fc1 := b[0], b[1]
	subtype := fc0 >> 4
	switch {
	case fc0&0x03 != 0: // protocol version other than 0
		return vMalformed, hop{}
	case fc0>>2&0x03 != 2, subtype&0x04 != 0, fc1&0x40 != 0:
		// not data; data without a payload (null, CF-Ack/Poll); protected
		return vNonTCP, hop{}
	}
	hl := 24
	if fc1&0x03 == 0x03 { // to and from the distribution system: four addresses
		hl += 6
	}
	if subtype&0x08 != 0 { // QoS data
		hl += 2
		if len(b) >= hl && b[hl-2]&0x80 != 0 { // A-MSDU: several frames in one
			return vNonTCP, hop{}
		}
		if fc1&0x80 != 0 { // HT control
			hl += 4
		}
	}
	if len(b) < hl+8 {
		return vMalformed, hop{}
	}
	llc := b[hl:]
	if llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 {
		return vNonTCP, hop{}
	}
	return etherTypeInner(layers.EthernetType(binary.BigEndian.Uint16(llc[6:8])), llc[8:])
}
