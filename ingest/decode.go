package ingest

import (
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// DecodeStats counts what the decoder saw. Every packet lands in exactly
// one of TCP, NonTCP, Fragments, Undecodable or UnsupportedLink.
type DecodeStats struct {
	Packets         uint64 // packets read
	TCP             uint64 // TCP segments handed to the reassembler
	NonTCP          uint64 // decodable packets that are not TCP (UDP, ARP, ICMP...)
	Fragments       uint64 // IP fragments (not reassembled; their TCP bytes show up as gaps)
	Undecodable     uint64 // malformed link/IP/TCP headers
	UnsupportedLink uint64 // packets of a link type we do not decode
	Truncated       uint64 // TCP segments cut by the snap length (missing bytes become gaps)
}

func (s *DecodeStats) add(o DecodeStats) {
	s.Packets += o.Packets
	s.TCP += o.TCP
	s.NonTCP += o.NonTCP
	s.Fragments += o.Fragments
	s.Undecodable += o.Undecodable
	s.UnsupportedLink += o.UnsupportedLink
	s.Truncated += o.Truncated
}

// Decoder turns raw link-layer frames into reassembly.Packets. It keeps one
// gopacket DecodingLayerParser per first layer and reuses its layer structs,
// so decoding allocates nothing per packet.
type Decoder struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ip6ext  layers.IPv6ExtensionSkipper
	tcp     layers.TCP
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	Stats   DecodeStats
}

// NewDecoder returns a Decoder for every link type spanlake reads:
// Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1/v2, BSD loopback and
// raw IPv4/IPv6.
func NewDecoder() *Decoder {
	d := &Decoder{parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}, decoded: make([]gopacket.LayerType, 0, 8)}
	all := []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ip6ext, &d.tcp}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first, all...)
		p.IgnoreUnsupported = true
		p.IgnorePanic = true // belt and braces: a layer bug must not take the run down
		d.parsers[first] = p
	}
	return d
}

// firstLayer maps a link type to the first layer to decode, or
// LayerTypeZero when the link type is not supported.
func firstLayer(link layers.LinkType, data []byte) gopacket.LayerType {
	switch link {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.LinkTypeRaw, 12: // 12: DLT_RAW on OpenBSD
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// Decode decodes one frame into out. It returns false when the frame is
// not a TCP segment (the reason is counted in Stats).
//
// Ownership: out.Payload aliases data.
func (d *Decoder) Decode(data []byte, ci gopacket.CaptureInfo, link layers.LinkType, out *reassembly.Packet) bool {
	d.Stats.Packets++
	first := firstLayer(link, data)
	p := d.parsers[first]
	if p == nil {
		d.Stats.UnsupportedLink++
		return false
	}
	if err := p.DecodeLayers(data, &d.decoded); err != nil {
		d.Stats.Undecodable++
		return false
	}
	var sawIP, sawTCP bool
	var vlan uint16
	var vlanSeen bool
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeDot1Q:
			if !vlanSeen { // DecodingLayerParser reuses one Dot1Q struct: read the outer tag from the frame
				vlan, vlanSeen = d.dot1q.VLANIdentifier, true
				if first == layers.LayerTypeEthernet {
					vlan = outerVLAN(data)
				}
			}
		case layers.LayerTypeIPv4:
			sawIP = true
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				d.Stats.Fragments++
				return false
			}
			src, _ := netip.AddrFromSlice(d.ip4.SrcIP)
			dst, _ := netip.AddrFromSlice(d.ip4.DstIP)
			out.Src, out.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		case layers.LayerTypeIPv6:
			sawIP = true
			src, _ := netip.AddrFromSlice(d.ip6.SrcIP)
			dst, _ := netip.AddrFromSlice(d.ip6.DstIP)
			out.Src, out.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		case layers.LayerTypeIPv6Fragment:
			d.Stats.Fragments++
			return false
		case layers.LayerTypeTCP:
			sawTCP = true
		}
	}
	if !sawTCP {
		if sawIP || len(d.decoded) > 0 {
			d.Stats.NonTCP++
		} else {
			d.Stats.Undecodable++
		}
		return false
	}
	t := &d.tcp
	out.Timestamp = ci.Timestamp
	out.Src = netip.AddrPortFrom(out.Src.Addr(), uint16(t.SrcPort))
	out.Dst = netip.AddrPortFrom(out.Dst.Addr(), uint16(t.DstPort))
	out.VLAN = vlan
	out.Seq, out.Ack, out.Window = t.Seq, t.Ack, t.Window
	out.Flags = tcpFlags(t)
	out.Payload = t.Payload
	if ci.CaptureLength < ci.Length {
		d.Stats.Truncated++
	}
	d.Stats.TCP++
	return true
}

func outerVLAN(frame []byte) uint16 {
	if len(frame) < 16 {
		return 0
	}
	return (uint16(frame[14])<<8 | uint16(frame[15])) & 0x0fff
}

func tcpFlags(t *layers.TCP) reassembly.Flags {
	var f reassembly.Flags
	if t.FIN {
		f |= reassembly.FlagFIN
	}
	if t.SYN {
		f |= reassembly.FlagSYN
	}
	if t.RST {
		f |= reassembly.FlagRST
	}
	if t.PSH {
		f |= reassembly.FlagPSH
	}
	if t.ACK {
		f |= reassembly.FlagACK
	}
	if t.URG {
		f |= reassembly.FlagURG
	}
	return f
}
