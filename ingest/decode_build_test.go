package ingest

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// Builders of encapsulated frames for the decoder tests, on top of frame()
// in testpackets_test.go. Outer addresses are fixed; the inner segment is
// what the tests check.

var (
	outerSrc4, outerDst4 = "192.0.2.1", "192.0.2.2"
	outerSrc6, outerDst6 = "2001:db8::1", "2001:db8::2"
)

// innerSegment is the TCP segment carried by the tunnel tests.
func innerSegment(v6 bool) testSegment {
	s := testSegment{src: "10.1.1.1", dst: "10.2.2.2", sport: 40000, dport: 80, seq: 1000, ack: 1, ackf: true,
		payload: "GET /inner HTTP/1.1\r\nHost: inner.example\r\n\r\n"}
	if v6 {
		s.src, s.dst = "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:db8:80::80"
	}
	return s
}

// ipPacket returns seg as a bare IP packet (no link header).
func ipPacket(t testing.TB, seg testSegment) []byte {
	t.Helper()
	return frame(t, seg)[14:]
}

// ser serialises layers, fixing lengths and checksums.
func ser(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ethLayer(et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 4}, EthernetType: et}
}

func ip4Layer4(p layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: p, SrcIP: net.ParseIP(outerSrc4).To4(), DstIP: net.ParseIP(outerDst4).To4()}
}

func ip6Layer6(p layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: p, SrcIP: net.ParseIP(outerSrc6), DstIP: net.ParseIP(outerDst6)}
}

// overIP4 returns Ethernet/IPv4 (protocol p) around the payload layers.
func overIP4(t testing.TB, p layers.IPProtocol, payload ...gopacket.SerializableLayer) []byte {
	t.Helper()
	return ser(t, append([]gopacket.SerializableLayer{ethLayer(layers.EthernetTypeIPv4), ip4Layer4(p)}, payload...)...)
}

// overIP6 returns Ethernet/IPv6 (next header p) around the payload layers.
func overIP6(t testing.TB, p layers.IPProtocol, payload ...gopacket.SerializableLayer) []byte {
	t.Helper()
	return ser(t, append([]gopacket.SerializableLayer{ethLayer(layers.EthernetTypeIPv6), ip6Layer6(p)}, payload...)...)
}

// overUDP4 returns Ethernet/IPv4/UDP (sport → dport) around the payload
// layers.
func overUDP4(t testing.TB, sport, dport uint16, payload ...gopacket.SerializableLayer) []byte {
	t.Helper()
	ip := ip4Layer4(layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return ser(t, append([]gopacket.SerializableLayer{ethLayer(layers.EthernetTypeIPv4), ip, u}, payload...)...)
}

// udp4Packet returns a bare IPv4/UDP packet (no link header).
func udp4Packet(t testing.TB, sport, dport uint16, payload []byte) []byte {
	t.Helper()
	return overUDP4(t, sport, dport, gopacket.Payload(payload))[14:]
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// be16 is a 2-byte big-endian value.
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// nflogRecord builds an NFLOG record of address family fam with a hardware
// protocol TLV then a payload TLV, TLV fields in the given byte order.
func nflogRecord(fam byte, order binary.ByteOrder, payload []byte) []byte {
	tlv := func(typ uint16, v []byte) []byte {
		h := make([]byte, 4)
		order.PutUint16(h[0:2], uint16(4+len(v)))
		order.PutUint16(h[2:4], typ)
		h = append(h, v...)
		for len(h)%4 != 0 {
			h = append(h, 0)
		}
		return h
	}
	return cat([]byte{fam, 0, 0, 42}, tlv(1, []byte{8, 0, 3, 0}), tlv(nflogTypePayload, payload))
}

// ayiyaHeader is an AYIYA forward header (16-byte integer identity,
// 20-byte SHA-1 signature) announcing next header nh.
func ayiyaHeader(nh layers.IPProtocol) []byte {
	return cat([]byte{0x41, 0x52, 0x11, byte(nh), 0x4a, 0xf6, 0x4b, 0xfd}, make([]byte, 16), make([]byte, 20))
}

// gtpHeader is a GTPv1-U header of message type typ (with one PDU session
// container extension header when ext) for a body of n bytes.
func gtpHeader(typ byte, ext bool, n int) []byte {
	if !ext {
		return cat([]byte{0x30, typ}, be16(uint16(n)), []byte{0, 0, 0, 1})
	}
	return cat([]byte{0x34, typ}, be16(uint16(n+8)), []byte{0, 0, 0, 1}, []byte{0, 0, 0, 0x85}, []byte{1, 0x10, 0x09, 0})
}

// decodeOne decodes one frame with a fresh Decoder and checks that it was
// counted in exactly one bucket.
func decodeOne(t testing.TB, link layers.LinkType, data []byte) (bool, reassembly.Packet, DecodeStats) {
	t.Helper()
	dec := NewDecoder()
	var p reassembly.Packet
	ok := dec.Decode(data, gopacket.CaptureInfo{CaptureLength: len(data), Length: len(data)}, link, &p)
	checkBuckets(t, dec.Stats)
	return ok, p, dec.Stats
}

// checkBuckets fails unless every packet is in exactly one bucket.
func checkBuckets(t testing.TB, s DecodeStats) {
	t.Helper()
	if n := s.TCP + s.NonTCP + s.Fragments + s.Undecodable + s.UnsupportedLink; n != s.Packets {
		t.Fatalf("%d packets counted %d times: %+v", s.Packets, n, s)
	}
}

// 802.11 test frames: an LLC/SNAP header for IPv4 and IPv6, a data frame
// header with frame control fc0 (type and subtype) and flags fc1 (four
// addresses when to and from DS are both set), and a radiotap header with
// the Flags field (and a TSFT before it).
var (
	snapIPv4 = []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}
	snapIPv6 = []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd}
)

func dot11Header(fc0, fc1 byte) []byte {
	n := 24
	if fc1&0x03 == 0x03 {
		n += 6
	}
	h := make([]byte, n)
	h[0], h[1] = fc0, fc1
	return h
}

func radiotap(tsft bool, flags byte) []byte {
	if tsft {
		h := []byte{0, 0, 17, 0, 0x03, 0, 0, 0}
		return append(append(h, make([]byte, 8)...), flags)
	}
	return []byte{0, 0, 9, 0, 0x02, 0, 0, 0, flags}
}
