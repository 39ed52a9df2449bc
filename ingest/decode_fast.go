package ingest

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// fastTCP decodes the frame every capture of web servers is mostly made
// of — Ethernet with at most one 802.1Q tag (or Linux cooked v1/v2, as
// `tcpdump -i any` writes, or raw IP); IPv4 without options that is not a
// fragment, or IPv6 without extension headers; TCP — without gopacket:
// field reads at fixed offsets instead of the DecodingLayerParser's
// layers, their NextLayerType walk and the TCP options parse (which the
// reassembler does not use). Decode takes 89 ns a frame with it against
// 226 ns through gopacket (BenchmarkDecode); a run on one core, 10–12 %
// less time on the large shape and on a real nginx capture.
//
// It returns false, having written nothing to out, for anything else and
// for anything gopacket would treat specially — an IPv4 total length or
// IPv6 payload length of 0 (TSO, jumbograms), a TCP header cut by the snap
// length, a data offset beyond the segment, a cooked header with an
// address longer than 8 bytes — and the frame then takes the general path
// (Decoder.walk), so every verdict, counter and field is gopacket's
// (TestFastPathMatchesGopacket, FuzzFastPath).
func fastTCP(link layers.LinkType, frame []byte, out *reassembly.Packet) bool {
	ip, vlan, version := fastLink(link, frame)
	var src, dst netip.Addr
	var tcp []byte
	switch version {
	case 4:
		// IHL 5 (no options); not a fragment; protocol TCP.
		if len(ip) < 40 || ip[0] != 0x45 || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 || ip[9] != 6 {
			return false
		}
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if total < 40 {
			return false
		}
		// Past total is link padding; short of it, the snap length cut
		// the frame, and the segment is what was captured (as gopacket
		// has it).
		tcp = ip[20:min(total, len(ip))]
		src, dst = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
	case 6:
		// No extension header: TCP right after the fixed header.
		if len(ip) < 60 || ip[0]>>4 != 6 || ip[6] != 6 {
			return false
		}
		n := int(binary.BigEndian.Uint16(ip[4:6]))
		if n == 0 {
			return false
		}
		tcp = ip[40:min(40+n, len(ip))]
		if len(tcp) < 20 {
			return false
		}
		src, dst = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
	default:
		return false
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return false
	}
	out.VLAN = vlan
	out.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:2]))
	out.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:4]))
	out.Seq = binary.BigEndian.Uint32(tcp[4:8])
	out.Ack = binary.BigEndian.Uint32(tcp[8:12])
	out.Window = binary.BigEndian.Uint16(tcp[14:16])
	out.Flags = fastFlags[tcp[13]&0x3f]
	out.Payload = tcp[off:]
	return true
}

// fastLink returns the IP packet of a frame of the link types fastTCP
// takes, the 802.1Q id of its tag if it has one, and the IP version the
// general path would decode it as (0: a frame fastTCP leaves to it).
func fastLink(link layers.LinkType, frame []byte) (ip []byte, vlan uint16, version int) {
	byType := func(t uint16) int {
		switch t {
		case 0x0800:
			return 4
		case 0x86dd:
			return 6
		}
		return 0
	}
	switch link {
	case layers.LinkTypeEthernet:
		if len(frame) < 14 {
			return nil, 0, 0
		}
		t := binary.BigEndian.Uint16(frame[12:14])
		if t != 0x8100 { // 802.1Q
			return frame[14:], 0, byType(t)
		}
		if len(frame) < 18 {
			return nil, 0, 0
		}
		return frame[18:], binary.BigEndian.Uint16(frame[14:16]) & 0x0fff, byType(binary.BigEndian.Uint16(frame[16:18]))
	case layers.LinkTypeLinuxSLL:
		if len(frame) < 16 || binary.BigEndian.Uint16(frame[4:6]) > 8 {
			return nil, 0, 0
		}
		return frame[16:], 0, byType(binary.BigEndian.Uint16(frame[14:16]))
	case layers.LinkTypeLinuxSLL2:
		if len(frame) < 20 || frame[11] > 8 {
			return nil, 0, 0
		}
		return frame[20:], 0, byType(binary.BigEndian.Uint16(frame[0:2]))
	case layers.LinkTypeIPv4:
		return frame, 0, 4
	case layers.LinkTypeIPv6:
		return frame, 0, 6
	case layers.LinkTypeRaw, 12: // 12: DLT_RAW on OpenBSD; the version nibble decides (ipVersionLayer)
		if len(frame) > 0 && frame[0]>>4 == 6 {
			return frame, 0, 6
		}
		return frame, 0, 4
	}
	return nil, 0, 0
}

// fastFlags maps the six classic TCP flag bits to reassembly.Flags (for
// both decoding paths: tcpFlags uses it too).
var fastFlags = func() (m [64]reassembly.Flags) {
	for b := range m {
		for bit, f := range []reassembly.Flags{reassembly.FlagFIN, reassembly.FlagSYN, reassembly.FlagRST,
			reassembly.FlagPSH, reassembly.FlagACK, reassembly.FlagURG} {
			if b&(1<<bit) != 0 {
				m[b] |= f
			}
		}
	}
	return m
}()
