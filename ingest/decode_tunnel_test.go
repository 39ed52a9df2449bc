package ingest

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// tunnelFrames returns one frame per supported encapsulation, each carrying
// innerSegment(v6) for the v6 it names. tunnelled is false for link-level
// framings (LLC/SNAP, NFLOG) that are not counted as tunnels.
func tunnelFrames(t testing.TB) []struct {
	name      string
	link      layers.LinkType
	v6        bool
	tunnelled bool
	frame     []byte
} {
	in4, in6 := ipPacket(t, innerSegment(false)), ipPacket(t, innerSegment(true))
	eth4 := frame(t, innerSegment(false))
	eth6 := frame(t, innerSegment(true))
	P := func(b []byte) gopacket.SerializableLayer { return gopacket.Payload(b) }
	type tc = struct {
		name      string
		link      layers.LinkType
		v6        bool
		tunnelled bool
		frame     []byte
	}
	erspan3 := cat([]byte{0x20, 0x07, 0x00, 0x01}, make([]byte, 4), []byte{0, 0, 0, 0})
	erspan3opt := cat([]byte{0x20, 0x07, 0x00, 0x01}, make([]byte, 4), []byte{0, 0, 0, 1}, make([]byte, 8))
	return []tc{
		{"vxlan", layers.LinkTypeEthernet, false, true, overUDP4(t, 50000, 4789, &layers.VXLAN{ValidIDFlag: true, VNI: 42}, P(eth4))},
		{"vxlan ipv6 inner, source port", layers.LinkTypeEthernet, true, true, overUDP4(t, 4789, 50000, &layers.VXLAN{ValidIDFlag: true, VNI: 1}, P(eth6))},
		{"geneve ethernet", layers.LinkTypeEthernet, false, true, overUDP4(t, 50000, 6081, P([]byte{0, 0, 0x65, 0x58, 0, 0, 7, 0}), P(eth4))},
		{"geneve ipv4 with options", layers.LinkTypeEthernet, false, true, overUDP4(t, 50000, 6081, P([]byte{0x02, 0, 0x08, 0x00, 0, 0, 7, 0}), P(make([]byte, 8)), P(in4))},
		{"gre ipv4", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv4}, P(in4))},
		{"gre key+seq ipv6 over ipv6", layers.LinkTypeEthernet, true, true, overIP6(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv6, KeyPresent: true, Key: 9, SeqPresent: true, Seq: 3}, P(in6))},
		{"gre checksum", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv4, ChecksumPresent: true}, P(in4))},
		{"gre transparent ethernet bridging", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeTransparentEthernetBridging}, P(eth4))},
		{"erspan type I", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeERSPAN}, P(eth4))},
		{"erspan type II", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeERSPAN, SeqPresent: true, Seq: 5},
			&layers.ERSPANII{Version: layers.ERSPANIIVersion, VLANIdentifier: 3, SessionID: 1}, P(eth4))},
		{"erspan type III", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: etherTypeERSPAN3, SeqPresent: true}, P(erspan3), P(eth4))},
		{"erspan type III with platform sub-header", layers.LinkTypeEthernet, true, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: etherTypeERSPAN3, SeqPresent: true}, P(erspan3opt), P(eth6))},
		{"gre in udp 4754", layers.LinkTypeEthernet, false, true, overUDP4(t, 50000, 4754, &layers.GRE{Protocol: layers.EthernetTypeIPv4}, P(in4))},
		{"enhanced gre (pptp) ppp ipv4", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Version: 1, KeyPresent: true, Key: 0x00400001, Protocol: etherTypePPP}, P([]byte{0xff, 0x03, 0x00, 0x21}), P(in4))},
		{"enhanced gre ppp compressed ipv6", layers.LinkTypeEthernet, true, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Version: 1, KeyPresent: true, Protocol: etherTypePPP}, P([]byte{0x57}), P(in6))},
		{"gtpv1-u", layers.LinkTypeEthernet, false, true, overUDP4(t, 2152, 2152, P(gtpHeader(0xff, false, len(in4))), P(in4))},
		{"gtpv1-u extension header ipv6", layers.LinkTypeEthernet, true, true, overUDP4(t, 2152, 2152, P(gtpHeader(0xff, true, len(in6))), P(in6))},
		{"gtpv1-u gopacket-built", layers.LinkTypeEthernet, false, true, overUDP4(t, 2152, 2152, &layers.GTPv1U{Version: 1, ProtocolType: 1, MessageType: 255, TEID: 7}, P(in4))},
		{"teredo 3544", layers.LinkTypeEthernet, true, true, overUDP4(t, 3797, 3544, P(in6))},
		{"teredo relay port with origin indication", layers.LinkTypeEthernet, true, true, overUDP4(t, 32900, 3797, P([]byte{0, 0, 0x3f, 0x0b, 0xac, 0x55, 0xfe, 0xd9}), P(in6))},
		{"teredo authentication then origin", layers.LinkTypeEthernet, true, true, overUDP4(t, 3544, 3797, P([]byte{0, 1, 2, 3, 'i', 'd', 'a', 'b', 'c'}), P(make([]byte, 9)), P([]byte{0, 0, 0, 0, 0, 0, 0, 0}), P(in6))},
		{"ayiya ipv6", layers.LinkTypeEthernet, true, true, overUDP4(t, 53796, 5072, P(ayiyaHeader(layers.IPProtocolIPv6)), P(in6))},
		{"ayiya ipv4", layers.LinkTypeEthernet, false, true, overUDP4(t, 5072, 53796, P(ayiyaHeader(layers.IPProtocolIPv4)), P(in4))},
		{"ipip", layers.LinkTypeEthernet, false, true, overIP4(t, layers.IPProtocolIPv4, P(in4))},
		{"6in4", layers.LinkTypeEthernet, true, true, overIP4(t, layers.IPProtocolIPv6, P(in6))},
		{"4in6", layers.LinkTypeEthernet, false, true, overIP6(t, layers.IPProtocolIPv4, P(in4))},
		{"6in6 raw link", layers.LinkTypeRaw, true, true, overIP6(t, layers.IPProtocolIPv6, P(in6))[14:]},
		{"pppoe session", layers.LinkTypeEthernet, false, true, ser(t, ethLayer(layers.EthernetTypePPPoESession), P(cat([]byte{0x11, 0, 0, 7}, be16(uint16(2+len(in4))), be16(0x0021))), P(in4), P(make([]byte, 6)))},
		{"mpls two labels", layers.LinkTypeEthernet, false, true, ser(t, ethLayer(layers.EthernetTypeMPLSUnicast), P([]byte{0, 1, 0x00, 64, 0, 2, 0x01, 64}), P(in4))},
		{"mpls in gre", layers.LinkTypeEthernet, true, true, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeMPLSUnicast}, P([]byte{0, 1, 0x01, 64}), P(in6))},
		{"llc/snap", layers.LinkTypeEthernet, false, false, ser(t, ethLayer(layers.EthernetTypeLLC), &layers.LLC{DSAP: 0xaa, SSAP: 0xaa, Control: 3},
			&layers.SNAP{OrganizationalCode: []byte{0, 0, 0}, Type: layers.EthernetTypeIPv4}, P(in4))},
		{"nflog ipv4", linkTypeNFLOG, false, false, nflogRecord(2, binary.LittleEndian, in4)},
		{"nflog ipv6 big-endian tlvs", linkTypeNFLOG, true, false, nflogRecord(10, binary.BigEndian, in6)},
		{"cisco hdlc ipv4", linkTypeCHDLC, false, false, cat([]byte{0x0f, 0, 0x08, 0}, in4)},
		{"cisco hdlc broadcast ipv6", linkTypeCHDLC, true, false, cat([]byte{0x8f, 0, 0x86, 0xdd}, in6)},
		{"ppp link ipv4", layers.LinkTypePPP, false, false, cat([]byte{0xff, 0x03, 0x00, 0x21}, in4)},
		{"ppp link ipv6, no address/control", layers.LinkTypePPP, true, false, cat([]byte{0x00, 0x57}, in6)},
		{"ppp serial (hdlc framing) ipv4", linkTypePPPSerial, false, false, cat([]byte{0xff, 0x03, 0x00, 0x21}, in4)},
		{"ppp serial carrying cisco hdlc", linkTypePPPSerial, false, false, cat([]byte{0x0f, 0, 0x08, 0}, in4)},
		{"802.11 data", linkTypeIEEE80211, false, false, cat(dot11Header(0x08, 0x01), snapIPv4, in4)},
		{"802.11 qos data, four addresses, ipv6", linkTypeIEEE80211, true, false, cat(dot11Header(0x88, 0x03), []byte{0, 0}, snapIPv6, in6)},
		{"radiotap, fcs", linkTypeIEEE80211Radiotap, false, false, cat(radiotap(false, 0x10), dot11Header(0x88, 0x02), []byte{0, 0}, snapIPv4, in4, []byte{1, 2, 3, 4})},
		{"radiotap, tsft, no fcs", linkTypeIEEE80211Radiotap, false, false, cat(radiotap(true, 0), dot11Header(0x08, 0x01), snapIPv4, in4)},
		{"vxlan in gre in ipv6", layers.LinkTypeEthernet, false, true, overIP6(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv4},
			P(udp4Packet(t, 1, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 1, 0}, eth4))))},
		{"teredo in gtp in ipip", layers.LinkTypeEthernet, true, true, overIP4(t, layers.IPProtocolIPv4,
			P(udp4Packet(t, 2152, 2152, cat(gtpHeader(0xff, false, len(in6)+28), udp4Packet(t, 3797, 3544, in6)))))},
	}
}

// TestDecodeTunnels proves that every encapsulation yields the inner TCP
// segment: inner addresses, ports and payload.
func TestDecodeTunnels(t *testing.T) {
	for _, c := range tunnelFrames(t) {
		t.Run(c.name, func(t *testing.T) {
			seg := innerSegment(c.v6)
			ok, p, s := decodeOne(t, c.link, c.frame)
			if !ok || s.TCP != 1 {
				t.Fatalf("not decoded as TCP: %+v", s)
			}
			wantSrc := netip.AddrPortFrom(netip.MustParseAddr(seg.src), seg.sport)
			wantDst := netip.AddrPortFrom(netip.MustParseAddr(seg.dst), seg.dport)
			if p.Src != wantSrc || p.Dst != wantDst {
				t.Errorf("5-tuple %v → %v, want %v → %v", p.Src, p.Dst, wantSrc, wantDst)
			}
			if string(p.Payload) != seg.payload || p.Seq != seg.seq || p.Ack != seg.ack {
				t.Errorf("segment seq %d ack %d payload %q", p.Seq, p.Ack, p.Payload)
			}
			if want := map[bool]uint64{true: 1}[c.tunnelled]; s.Tunnelled != want {
				t.Errorf("Tunnelled = %d, want %d", s.Tunnelled, want)
			}
			if s.EncapErrors != 0 || s.EncapTooDeep != 0 {
				t.Errorf("anomalies counted: %+v", s)
			}
		})
	}
}

// TestDecodeTunnelOuterVLAN checks that a tunnelled segment keeps the VLAN
// of the outer frame, not of the inner one.
func TestDecodeTunnelOuterVLAN(t *testing.T) {
	inner := innerSegment(false)
	inner.vlans = []uint16{99}
	ip := ip4Layer4(layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 1, DstPort: 4789}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	f := ser(t, ethLayer(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, ip, u,
		&layers.VXLAN{ValidIDFlag: true}, gopacket.Payload(frame(t, inner)))
	ok, p, _ := decodeOne(t, layers.LinkTypeEthernet, f)
	if !ok || p.VLAN != 7 {
		t.Fatalf("ok %v VLAN %d, want the outer 7", ok, p.VLAN)
	}
	// A later plain frame does not inherit it.
	dec := NewDecoder()
	dec.Decode(f, gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet, &p)
	plain := frame(t, innerSegment(false))
	dec.Decode(plain, gopacket.CaptureInfo{CaptureLength: len(plain), Length: len(plain)}, layers.LinkTypeEthernet, &p)
	if p.VLAN != 0 {
		t.Fatalf("VLAN %d leaked into the next packet", p.VLAN)
	}
}

// TestDecodeTunnelMalformed feeds broken encapsulations: each must be
// counted (bucket and anomaly counters), never panic, never yield TCP.
func TestDecodeTunnelMalformed(t *testing.T) {
	in4, in6 := ipPacket(t, innerSegment(false)), ipPacket(t, innerSegment(true))
	eth4 := frame(t, innerSegment(false))
	P := func(b []byte) gopacket.SerializableLayer { return gopacket.Payload(b) }
	noTeredoAddr := ipPacket(t, testSegment{src: "2001:db8::1", dst: "2001:db8::2", sport: 1, dport: 80, payload: "GET / HTTP/1.1\r\n\r\n"})
	bubble := cat([]byte{0x60, 0, 0, 0, 0, 0, 59, 255}, in6[8:40])
	cases := []struct {
		name            string
		link            layers.LinkType
		frame           []byte
		nonTCP, undec   uint64
		encapErr, tooDp uint64
	}{
		{"vxlan without I flag", layers.LinkTypeEthernet, overUDP4(t, 1, 4789, &layers.VXLAN{VNI: 1}, P(eth4)), 1, 0, 1, 0},
		{"vxlan header truncated", layers.LinkTypeEthernet, overUDP4(t, 1, 4789, P([]byte{8, 0, 0})), 1, 0, 1, 0},
		{"vxlan inner ethernet truncated", layers.LinkTypeEthernet, overUDP4(t, 1, 4789, &layers.VXLAN{ValidIDFlag: true}, P(eth4[:10])), 0, 1, 1, 0},
		{"vxlan inner tcp truncated", layers.LinkTypeEthernet, overUDP4(t, 1, 4789, &layers.VXLAN{ValidIDFlag: true}, P(eth4[:14+20+8])), 0, 1, 1, 0},
		{"geneve bad version", layers.LinkTypeEthernet, overUDP4(t, 1, 6081, P([]byte{0x40, 0, 0x65, 0x58, 0, 0, 0, 0}), P(eth4)), 1, 0, 1, 0},
		{"geneve options past the end", layers.LinkTypeEthernet, overUDP4(t, 1, 6081, P([]byte{0x3f, 0, 0x65, 0x58, 0, 0, 0, 0})), 1, 0, 1, 0},
		{"gre routing present", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, P([]byte{0x40, 0, 0x08, 0, 0, 0, 0, 0}), P(in4)), 1, 0, 1, 0},
		{"gre version 2", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, P([]byte{0, 2, 0x08, 0}), P(in4)), 1, 0, 1, 0},
		{"gre truncated", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, P([]byte{0, 0})), 1, 0, 1, 0},
		{"gre key flag without key", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, P([]byte{0x20, 0, 0x08, 0, 1})), 1, 0, 1, 0},
		{"enhanced gre not ppp", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Version: 1, KeyPresent: true, Protocol: layers.EthernetTypeIPv4}, P(in4)), 1, 0, 1, 0},
		{"gre keepalive (unknown protocol)", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: 0}), 1, 0, 0, 0},
		{"gre inner ipv4 truncated", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv4}, P(in4[:12])), 0, 1, 1, 0},
		{"erspan II bad version", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeERSPAN, SeqPresent: true}, P([]byte{0x70, 0, 0, 0, 0, 0, 0, 0}), P(eth4)), 1, 0, 1, 0},
		{"erspan III bad version", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: etherTypeERSPAN3, SeqPresent: true}, P(make([]byte, 12)), P(eth4)), 1, 0, 1, 0},
		{"erspan III sub-header truncated", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: etherTypeERSPAN3, SeqPresent: true}, P(cat([]byte{0x20}, make([]byte, 10), []byte{1}, make([]byte, 4)))), 1, 0, 1, 0},
		{"gtp version 2 on the gtp-u port", layers.LinkTypeEthernet, overUDP4(t, 2152, 2152, P(cat([]byte{0x48, 0xff}, be16(uint16(len(in4))), make([]byte, 4))), P(in4)), 1, 0, 1, 0},
		{"gtp length past the end", layers.LinkTypeEthernet, overUDP4(t, 2152, 2152, P(gtpHeader(0xff, false, len(in4)+100)), P(in4)), 1, 0, 1, 0},
		{"gtp extension of length 0", layers.LinkTypeEthernet, overUDP4(t, 2152, 2152, P(cat([]byte{0x34, 0xff}, be16(uint16(len(in4)+8)), []byte{0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0})), P(in4)), 1, 0, 1, 0},
		{"gtp echo request", layers.LinkTypeEthernet, overUDP4(t, 2152, 2152, P(cat([]byte{0x32, 1}, be16(4), []byte{0, 0, 0, 0, 0, 1, 0, 0}))), 1, 0, 0, 0},
		{"teredo on 3544 with wrong length", layers.LinkTypeEthernet, overUDP4(t, 3797, 3544, P(in6), P([]byte{0, 0, 0, 0})), 1, 0, 1, 0},
		{"random udp on 3544", layers.LinkTypeEthernet, overUDP4(t, 3797, 3544, P([]byte("this is not a teredo packet, just text sent to port 3544!!"))), 1, 0, 1, 0},
		{"teredo twice origin indication", layers.LinkTypeEthernet, overUDP4(t, 3797, 3544, P(make([]byte, 16)), P(in6)), 1, 0, 1, 0},
		{"teredo bubble", layers.LinkTypeEthernet, overUDP4(t, 3797, 3544, P(bubble)), 1, 0, 0, 0},
		{"ipv6-looking udp without teredo address", layers.LinkTypeEthernet, overUDP4(t, 40000, 40001, P(noTeredoAddr)), 1, 0, 0, 0},
		{"ayiya bad hash method", layers.LinkTypeEthernet, overUDP4(t, 1, 5072, P(cat([]byte{0x41, 0x5f, 0x11, 41}, make([]byte, 40))), P(in6)), 1, 0, 1, 0},
		{"ayiya identity past the end", layers.LinkTypeEthernet, overUDP4(t, 1, 5072, P([]byte{0xf1, 0x52, 0x11, 41, 0, 0, 0, 0, 1, 2})), 1, 0, 1, 0},
		{"ayiya next header not ip", layers.LinkTypeEthernet, overUDP4(t, 1, 5072, P(ayiyaHeader(layers.IPProtocolUDP)), P(in6)), 1, 0, 1, 0},
		{"ayiya inner length mismatch", layers.LinkTypeEthernet, overUDP4(t, 1, 5072, P(ayiyaHeader(layers.IPProtocolIPv6)), P(in6[:60])), 1, 0, 1, 0},
		{"ayiya echo (no packet)", layers.LinkTypeEthernet, overUDP4(t, 1, 5072, P(cat([]byte{0x41, 0x52, 0x12, 59}, make([]byte, 40)))), 1, 0, 0, 0},
		{"ipip inner truncated", layers.LinkTypeEthernet, overIP4(t, layers.IPProtocolIPv4, P(in4[:10])), 0, 1, 1, 0},
		{"pppoe bad version", layers.LinkTypeEthernet, ser(t, ethLayer(layers.EthernetTypePPPoESession), P([]byte{0x21, 0, 0, 7, 0, 2, 0, 0x21}), P(in4)), 1, 0, 1, 0},
		{"pppoe lcp", layers.LinkTypeEthernet, ser(t, ethLayer(layers.EthernetTypePPPoESession), P([]byte{0x11, 0, 0, 7, 0, 6, 0xc0, 0x21, 1, 1, 0, 4})), 1, 0, 0, 0},
		{"mpls stack without bottom", layers.LinkTypeEthernet, ser(t, ethLayer(layers.EthernetTypeMPLSUnicast), P([]byte{0, 1, 0, 64, 0, 2, 0, 64, 0, 3})), 1, 0, 1, 0},
		{"mpls pseudowire", layers.LinkTypeEthernet, ser(t, ethLayer(layers.EthernetTypeMPLSUnicast), P([]byte{0, 1, 1, 64}), P(eth4)), 1, 0, 0, 0},
		{"nflog version 1", linkTypeNFLOG, cat([]byte{2, 1, 0, 0}, nflogRecord(2, binary.LittleEndian, in4)[4:]), 0, 1, 0, 0},
		{"nflog zero-length tlv", linkTypeNFLOG, []byte{2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, 0, 1, 0, 0},
		{"nflog without payload tlv", linkTypeNFLOG, []byte{2, 0, 0, 0, 8, 0, 1, 0, 8, 0, 3, 0}, 0, 1, 0, 0},
		{"nflog tlv past the end", linkTypeNFLOG, []byte{2, 0, 0, 0, 64, 0, 1, 0, 8, 0, 3, 0}, 0, 1, 0, 0},
		{"nflog header only", linkTypeNFLOG, []byte{2, 0}, 0, 1, 0, 0},
		{"cisco hdlc slarp", linkTypeCHDLC, []byte{0x8f, 0, 0x80, 0x35, 0, 0, 0, 2}, 1, 0, 0, 0},
		{"cisco hdlc bad address", linkTypeCHDLC, cat([]byte{0xff, 3, 0x08, 0}, in4), 0, 1, 0, 0},
		{"cisco hdlc header only", linkTypeCHDLC, []byte{0x0f, 0}, 0, 1, 0, 0},
		{"ppp link lcp", layers.LinkTypePPP, []byte{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4}, 1, 0, 0, 0},
		{"802.11 protected", linkTypeIEEE80211, cat(dot11Header(0x08, 0x41), snapIPv4, in4), 1, 0, 0, 0},
		{"802.11 beacon", linkTypeIEEE80211, cat([]byte{0x80, 0}, make([]byte, 40)), 1, 0, 0, 0},
		{"802.11 null data", linkTypeIEEE80211, dot11Header(0x48, 0x01), 1, 0, 0, 0},
		{"802.11 a-msdu", linkTypeIEEE80211, cat(dot11Header(0x88, 0x01), []byte{0x80, 0}, snapIPv4, in4), 1, 0, 0, 0},
		{"802.11 truncated", linkTypeIEEE80211, dot11Header(0x08, 0x01)[:20], 0, 1, 0, 0},
		{"radiotap length past the end", linkTypeIEEE80211Radiotap, []byte{0, 0, 200, 0, 2, 0, 0, 0, 0x10}, 0, 1, 0, 0},
		{"nflog bridge family", linkTypeNFLOG, nflogRecord(7, binary.LittleEndian, eth4), 1, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, _, s := decodeOne(t, c.link, c.frame)
			if ok || s.TCP != 0 {
				t.Fatalf("decoded as TCP: %+v", s)
			}
			if s.NonTCP != c.nonTCP || s.Undecodable != c.undec || s.EncapErrors != c.encapErr || s.EncapTooDeep != c.tooDp {
				t.Fatalf("NonTCP %d Undecodable %d EncapErrors %d EncapTooDeep %d, want %d %d %d %d",
					s.NonTCP, s.Undecodable, s.EncapErrors, s.EncapTooDeep, c.nonTCP, c.undec, c.encapErr, c.tooDp)
			}
		})
	}
}

// TestDecodeTunnelTruncatedEverywhere cuts every tunnel frame at every
// length: no panic, one bucket each, and a cut frame never yields a
// segment with a payload longer than what is left.
func TestDecodeTunnelTruncatedEverywhere(t *testing.T) {
	dec := NewDecoder()
	var n uint64
	var seg reassembly.Packet
	for _, c := range tunnelFrames(t) {
		for i := 0; i < len(c.frame); i++ {
			ok := dec.Decode(c.frame[:i], gopacket.CaptureInfo{CaptureLength: i, Length: len(c.frame)}, c.link, &seg)
			n++
			if ok && len(seg.Payload) > i {
				t.Fatalf("%s cut at %d: payload of %d bytes", c.name, i, len(seg.Payload))
			}
		}
	}
	if dec.Stats.Packets != n {
		t.Fatalf("%d packets, %d decoded", n, dec.Stats.Packets)
	}
	checkBuckets(t, dec.Stats)
}

// nestIPIP wraps a bare IP packet in n more IPv4 headers.
func nestIPIP(t testing.TB, pkt []byte, n int) []byte {
	for i := 0; i < n; i++ {
		p := layers.IPProtocolIPv4
		if pkt[0]>>4 == 6 {
			p = layers.IPProtocolIPv6
		}
		pkt = ser(t, &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.IP{192, 0, 2, byte(i)}, DstIP: net.IP{198, 51, 100, byte(i)}}, gopacket.Payload(pkt))
	}
	return pkt
}

// TestDecodeTunnelNestingCap checks that maxEncapDepth encapsulations are
// peeled and one more is refused and counted.
func TestDecodeTunnelNestingCap(t *testing.T) {
	in := ipPacket(t, innerSegment(false))
	ok, _, s := decodeOne(t, layers.LinkTypeIPv4, nestIPIP(t, in, maxEncapDepth))
	if !ok || s.TCP != 1 {
		t.Fatalf("%d levels not decoded: %+v", maxEncapDepth, s)
	}
	ok, _, s = decodeOne(t, layers.LinkTypeIPv4, nestIPIP(t, in, maxEncapDepth+1))
	if ok || s.Undecodable != 1 || s.EncapTooDeep != 1 {
		t.Fatalf("%d levels: ok %v %+v", maxEncapDepth+1, ok, s)
	}
	// Mixed kinds count alike: GRE in VXLAN in GRE in IPIP.
	gre := func(b []byte) []byte {
		return ser(t, ip4Layer4(layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv4}, gopacket.Payload(b))
	}
	vx := udp4Packet(t, 1, 4789, cat([]byte{8, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 12), be16(0x0800), gre(in)))
	deep := nestIPIP(t, gre(vx), 1)
	ok, _, s = decodeOne(t, layers.LinkTypeIPv4, deep)
	if !ok || s.TCP != 1 {
		t.Fatalf("4 mixed levels: %+v", s)
	}
	ok, _, s = decodeOne(t, layers.LinkTypeIPv4, nestIPIP(t, deep, 1))
	if ok || s.EncapTooDeep != 1 {
		t.Fatalf("5 mixed levels: %+v", s)
	}
	// A long chain costs no more than the cap.
	ok, _, s = decodeOne(t, layers.LinkTypeIPv4, nestIPIP(t, in, 200))
	if ok || s.EncapTooDeep != 1 {
		t.Fatalf("200 levels: %+v", s)
	}
}

// TestDecodeNoAllocs checks that decoding allocates nothing per packet, on
// the plain path and through every tunnel.
func TestDecodeNoAllocs(t *testing.T) {
	frames := [][]byte{frame(t, innerSegment(false)), frame(t, innerSegment(true))}
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeEthernet}
	for _, c := range tunnelFrames(t) {
		frames, links = append(frames, c.frame), append(links, c.link)
	}
	dec := NewDecoder()
	var p reassembly.Packet
	for i, f := range frames {
		ci := gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f)}
		if n := testing.AllocsPerRun(50, func() { dec.Decode(f, ci, links[i], &p) }); n != 0 {
			t.Errorf("frame %d: %.1f allocations per packet", i, n)
		}
	}
}

// BenchmarkDecodeTunnels measures Decode on one frame of every tunnel kind
// in turn.
func BenchmarkDecodeTunnels(b *testing.B) {
	cs := tunnelFrames(b)
	dec := NewDecoder()
	var p reassembly.Packet
	var size int
	for _, c := range cs {
		size += len(c.frame)
	}
	b.SetBytes(int64(size / len(cs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := &cs[i]
		if !dec.Decode(c.frame, gopacket.CaptureInfo{CaptureLength: len(c.frame), Length: len(c.frame)}, c.link, &p) {
			b.Fatal("not decoded")
		}
		if i++; i == len(cs) {
			i = 0
		}
	}
}
