package ingest

import (
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// DecodeStats counts what the decoder saw. Every packet lands in exactly
// one of TCP, NonTCP, Fragments, Undecodable or UnsupportedLink; the other
// fields count anomalies or properties of packets already counted there.
type DecodeStats struct {
	Packets         uint64 // packets read
	TCP             uint64 // TCP segments handed to the reassembler (tunnelled ones included)
	NonTCP          uint64 // decodable packets that are not TCP (UDP, ARP, ICMP...)
	Fragments       uint64 // IP fragments held for reassembly or dropped; the fragment completing a datagram counts as what it carries
	Undecodable     uint64 // malformed link/IP/TCP headers, or a malformed packet inside a tunnel
	UnsupportedLink uint64 // packets of a link type we do not decode
	Truncated       uint64 // TCP segments cut by the snap length (missing bytes become gaps)

	Tunnelled        uint64 // packets taken out of at least one tunnel or encapsulation (VXLAN, GRE, Teredo, PPPoE...)
	EncapErrors      uint64 // tunnel/encapsulation headers that were malformed or truncated, or carried a malformed packet
	EncapTooDeep     uint64 // packets nested deeper than maxEncapDepth (counted as Undecodable)
	Reassembled      uint64 // IP datagrams rebuilt from fragments
	FragmentsDropped uint64 // fragments discarded: malformed, inconsistent, or of a datagram evicted before it was complete
}

func (s *DecodeStats) add(o DecodeStats) {
	s.Packets += o.Packets
	s.TCP += o.TCP
	s.NonTCP += o.NonTCP
	s.Fragments += o.Fragments
	s.Undecodable += o.Undecodable
	s.UnsupportedLink += o.UnsupportedLink
	s.Truncated += o.Truncated
	s.Tunnelled += o.Tunnelled
	s.EncapErrors += o.EncapErrors
	s.EncapTooDeep += o.EncapTooDeep
	s.Reassembled += o.Reassembled
	s.FragmentsDropped += o.FragmentsDropped
}

// Decoder turns raw link-layer frames into reassembly.Packets. It keeps one
// gopacket DecodingLayerParser per first layer and reuses its layer structs,
// so decoding a plain frame allocates nothing. Tunnels and other
// encapsulations are peeled one at a time (see decode_tunnel.go), at most
// maxEncapDepth deep, and IP fragments are reassembled (decode_defrag.go).
type Decoder struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	llc     layers.LLC
	snap    layers.SNAP
	ip4     ip4Layer
	ip6     ip6Layer
	ip6ext  ip6ExtLayer
	ip6frag ip6FragLayer
	tcp     layers.TCP
	udp     udpLayer
	gre     layers.GRE
	vxlan   layers.VXLAN
	erspan2 layers.ERSPANII
	parsers []*gopacket.DecodingLayerParser // by first layer type
	decoded []gopacket.LayerType
	frag    defragmenter
	snapCut bool // the current frame was cut by the snap length
	Stats   DecodeStats

	noFastPath bool // tests: every frame through gopacket (decode_fast.go)
}

// NewDecoder returns a Decoder for every link type spanlake reads:
// Ethernet (with 802.1Q/802.1ad tags and 802.2 LLC/SNAP framing), Linux
// cooked v1/v2, BSD loopback, NFLOG and raw IPv4/IPv6, plus the tunnels
// listed in decode_tunnel.go.
func NewDecoder() *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 8)}
	// One sparse container (a slice indexed by layer type) is shared by
	// every parser: its lookups are cheaper than the default map's.
	var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.llc, &d.snap,
		&d.ip4, &d.ip6, &d.ip6ext, &d.ip6frag, &d.tcp, &d.udp} {
		dlc = dlc.Put(l)
	}
	firsts := append([]gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6, layers.LayerTypeTCP, layers.LayerTypeUDP}, ipv6ExtFirst...)
	d.parsers = make([]*gopacket.DecodingLayerParser, slices.Max(firsts)+1)
	for _, first := range firsts {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(dlc)
		p.IgnoreUnsupported = true
		// IgnorePanic stays false: the parser turns a panic in a layer
		// into an error, so a layer bug costs one packet, not the run.
		d.parsers[first] = p
	}
	d.frag.init()
	return d
}

// firstLayer maps a link type to the first layer to decode, or
// LayerTypeZero when the link type is not supported. NFLOG and Cisco HDLC
// are handled before this (see linkPayload).
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
		return ipVersionLayer(data)
	}
	return gopacket.LayerTypeZero
}

// linkPayload returns the function that unwraps a link type gopacket has
// no DecodingLayer for (NFLOG, Cisco HDLC, PPP, 802.11), or nil.
func linkPayload(link layers.LinkType) func([]byte) (verdict, hop) {
	switch link {
	case linkTypeNFLOG:
		return nflogPayload
	case linkTypeCHDLC:
		return chdlcPayload
	case layers.LinkTypePPP:
		return pppInner
	case linkTypePPPSerial:
		return pppSerialPayload
	case linkTypeIEEE80211:
		return dot11Payload
	case linkTypeIEEE80211Radiotap:
		return radiotapPayload
	}
	return nil
}

// ipVersionLayer picks IPv4 or IPv6 from the version nibble of data.
func ipVersionLayer(data []byte) gopacket.LayerType {
	if len(data) > 0 && data[0]>>4 == 6 {
		return layers.LayerTypeIPv6
	}
	return layers.LayerTypeIPv4
}

// Decode decodes one frame into out. It returns false when the frame is
// not a TCP segment (the reason is counted in Stats). For a tunnelled
// segment out carries the innermost addresses and ports, and the VLAN of
// the outermost frame.
//
// Ownership: out.Payload aliases data, or, for a segment rebuilt from IP
// fragments, a decoder buffer; either is valid until the next Decode call.
func (d *Decoder) Decode(data []byte, ci gopacket.CaptureInfo, link layers.LinkType, out *reassembly.Packet) bool {
	d.Stats.Packets++
	d.snapCut = ci.CaptureLength < ci.Length
	d.frag.begin(ci.Timestamp)
	var v verdict
	if !d.noFastPath && fastTCP(link, data, out) {
		v = vTCP
	} else if payload := linkPayload(link); payload != nil {
		var h hop
		if v, h = payload(data); v == vContinue {
			v = d.walk(h, out)
		}
	} else if first := firstLayer(link, data); first == gopacket.LayerTypeZero {
		v = vUnsupported
	} else {
		v = d.walk(hop{first: first, data: data}, out)
	}
	if v == vTCP {
		out.Timestamp = ci.Timestamp
		if d.snapCut {
			d.Stats.Truncated++
		}
		d.Stats.TCP++
		return true
	}
	d.count(v)
	return false
}

// count files a packet that is not a TCP segment under its verdict.
func (d *Decoder) count(v verdict) {
	switch v {
	case vNonTCP:
		d.Stats.NonTCP++
	case vBadEncap:
		d.Stats.EncapErrors++
		d.Stats.NonTCP++
	case vFragment:
		d.Stats.Fragments++
	case vUnsupported:
		d.Stats.UnsupportedLink++
	case vTooDeep:
		d.Stats.EncapTooDeep++
		d.Stats.Undecodable++
	case vBadInner:
		d.Stats.EncapErrors++
		d.Stats.Undecodable++
	default:
		d.Stats.Undecodable++
	}
}

// level decodes one encapsulation level with the parser for h.first and
// says what to do next: stop with a verdict, or continue with the hop it
// returns. outer is true for the outermost level only.
func (d *Decoder) level(h hop, outer bool, out *reassembly.Packet) (verdict, hop) {
	var p *gopacket.DecodingLayerParser
	if h.first >= 0 && int(h.first) < len(d.parsers) {
		p = d.parsers[h.first]
	}
	if p == nil { // cannot happen: every hop names a layer with a parser
		return vMalformed, hop{}
	}
	if err := p.DecodeLayers(h.data, &d.decoded); err != nil {
		return vMalformed, hop{}
	}
	if len(d.decoded) == 0 {
		return vMalformed, hop{}
	}
	vlanSeen := !outer // only the outermost frame's tag is kept
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeDot1Q:
			if !vlanSeen { // the parser reuses one Dot1Q struct: read the outer tag from the frame
				vlanSeen = true
				out.VLAN = d.dot1q.VLANIdentifier
				if h.first == layers.LayerTypeEthernet {
					out.VLAN = outerVLAN(h.data)
				}
			}
		case layers.LayerTypeIPv4:
			src, _ := netip.AddrFromSlice(d.ip4.SrcIP)
			dst, _ := netip.AddrFromSlice(d.ip4.DstIP)
			out.Src, out.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		case layers.LayerTypeIPv6:
			src, _ := netip.AddrFromSlice(d.ip6.SrcIP)
			dst, _ := netip.AddrFromSlice(d.ip6.DstIP)
			out.Src, out.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		}
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeTCP:
		d.fillTCP(out)
		return vTCP, hop{}
	case layers.LayerTypeUDP:
		return d.udpTunnel(&d.udp.UDP)
	case layers.LayerTypeIPv4:
		if d.ip4.isFragment() {
			return d.defrag4()
		}
		return d.afterIP(d.ip4.Protocol, d.ip4.Payload)
	case layers.LayerTypeIPv6:
		return d.afterIP(d.ip6.nextHeader(), d.ip6.Payload)
	case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		return d.afterIP(d.ip6ext.NextHeader, d.ip6ext.Payload)
	case layers.LayerTypeIPv6Fragment:
		if d.ip6frag.isFragment() {
			return d.defrag6()
		}
		return d.afterIP(d.ip6frag.NextHeader, d.ip6frag.Payload) // atomic fragment
	case layers.LayerTypeEthernet:
		return d.afterLink(d.eth.EthernetType, d.eth.Payload)
	case layers.LayerTypeDot1Q:
		return d.afterLink(d.dot1q.Type, d.dot1q.Payload)
	case layers.LayerTypeLinuxSLL:
		return d.afterLink(d.sll.EthernetType, d.sll.Payload)
	case layers.LayerTypeLinuxSLL2:
		return d.afterLink(d.sll2.ProtocolType, d.sll2.Payload)
	case layers.LayerTypeSNAP:
		return d.afterLink(d.snap.Type, d.snap.Payload)
	}
	return vNonTCP, hop{}
}

// fillTCP copies the decoded TCP header into out (addresses are already
// there).
func (d *Decoder) fillTCP(out *reassembly.Packet) {
	t := &d.tcp
	out.Src = netip.AddrPortFrom(out.Src.Addr(), uint16(t.SrcPort))
	out.Dst = netip.AddrPortFrom(out.Dst.Addr(), uint16(t.DstPort))
	out.Seq, out.Ack, out.Window = t.Seq, t.Ack, t.Window
	out.Flags = tcpFlags(t)
	out.Payload = t.Payload
}

func outerVLAN(frame []byte) uint16 {
	if len(frame) < 16 {
		return 0
	}
	return (uint16(frame[14])<<8 | uint16(frame[15])) & 0x0fff
}

// tcpFlags maps a decoded header's flags as the fast path maps the flag
// byte (decode_fast.go): Contents is the whole header, 20 bytes or more.
func tcpFlags(t *layers.TCP) reassembly.Flags {
	return fastFlags[t.Contents[13]&0x3f]
}
