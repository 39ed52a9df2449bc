package ingest

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// sameDecoding fails unless frame decodes to the same verdict, counters and
// packet with the fast path as through gopacket alone; it reports whether
// the fast path took the frame.
func sameDecoding(t *testing.T, frame []byte, caplen int) bool {
	t.Helper()
	return sameDecodingAs(t, layers.LinkTypeEthernet, frame, caplen)
}

func sameDecodingAs(t *testing.T, link layers.LinkType, frame []byte, caplen int) bool {
	t.Helper()
	ci := gopacket.CaptureInfo{CaptureLength: caplen, Length: max(caplen, len(frame))}
	slow := NewDecoder()
	slow.noFastPath = true
	fast := NewDecoder()
	var ps, pf reassembly.Packet
	okS := slow.Decode(frame, ci, link, &ps)
	okF := fast.Decode(frame, ci, link, &pf)
	if okS != okF || slow.Stats != fast.Stats {
		t.Fatalf("gopacket: %v %+v; fast path: %v %+v", okS, slow.Stats, okF, fast.Stats)
	}
	if okS && !reflect.DeepEqual(ps, pf) {
		t.Fatalf("gopacket: %+v\nfast path: %+v", ps, pf)
	}
	var p reassembly.Packet
	return fastTCP(link, frame, &p)
}

// fastLinks are the link types the fast path knows, and one it does not.
var fastLinks = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, layers.LinkTypeNull}

// cooked returns the IP packet of an Ethernet frame behind a Linux cooked
// header: v1 (16 bytes) or v2 (20), with an address of addrLen bytes.
func cooked(eth []byte, v2 bool, addrLen int) []byte {
	ipPkt := eth[14:]
	if v2 {
		h := make([]byte, 20)
		copy(h[0:2], eth[12:14]) // protocol
		h[11] = byte(addrLen)
		return append(h, ipPkt...)
	}
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[4:6], uint16(addrLen))
	copy(h[14:16], eth[12:14])
	return append(h, ipPkt...)
}

// TestFastPathMatchesGopacket: plain, tagged and padded frames, IPv4 and
// IPv6, take the fast path; options, extension headers, fragments, zero
// lengths, cut headers, bad offsets, QinQ and UDP do not, and every one
// decodes as gopacket decodes it.
func TestFastPathMatchesGopacket(t *testing.T) {
	seg := testSegment{src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 80, seq: 7, ack: 9, ackf: true, payload: "GET / HTTP/1.1\r\n\r\n"}
	plain := frame(t, seg)
	tagged := seg
	tagged.vlans = []uint16{0x234}
	qinq := seg
	qinq.vlans = []uint16{10, 20}
	v6 := seg
	v6.src, v6.dst = "fd00::1", "fd00::2"
	edit := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	const ip = 14 // IPv4 header offset in plain
	cases := []struct {
		name string
		f    []byte
		fast bool
	}{
		{"plain", plain, true},
		{"802.1Q", frame(t, tagged), true},
		{"802.1Q, priority and DEI bits", edit(frame(t, tagged), func(b []byte) { b[14] |= 0xf0 }), true},
		{"padded to 60+ bytes", append(append([]byte(nil), plain...), make([]byte, 30)...), true},
		{"no payload", frame(t, testSegment{src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, syn: true}), true},
		{"all flags", edit(plain, func(b []byte) { b[ip+20+13] = 0xff }), true},
		{"DF and evil bit", edit(plain, func(b []byte) { b[ip+6] |= 0xc0 }), true},
		{"QinQ", frame(t, qinq), false},
		{"IPv6", frame(t, v6), true},
		{"IPv6 padded", append(append([]byte(nil), frame(t, v6)...), make([]byte, 9)...), true},
		{"IPv6 hop-by-hop", edit(frame(t, v6), func(b []byte) { b[ip+6] = 0 }), false},
		{"IPv6 routing header", edit(frame(t, v6), func(b []byte) { b[ip+6] = 43 }), false},
		{"IPv6 UDP", edit(frame(t, v6), func(b []byte) { b[ip+6] = 17 }), false},
		{"IPv6 payload length 0", edit(frame(t, v6), func(b []byte) { binary.BigEndian.PutUint16(b[ip+4:], 0) }), false},
		{"IPv6 payload length 10", edit(frame(t, v6), func(b []byte) { binary.BigEndian.PutUint16(b[ip+4:], 10) }), false},
		{"IPv6 payload length beyond the frame", edit(frame(t, v6), func(b []byte) { binary.BigEndian.PutUint16(b[ip+4:], 3000) }), true},
		{"IPv6 type, version 4 nibble", edit(frame(t, v6), func(b []byte) { b[ip] = 0x45 }), false},
		{"IP options", edit(plain, func(b []byte) { b[ip] = 0x46 }), false},
		{"version 6 nibble", edit(plain, func(b []byte) { b[ip] = 0x65 }), false},
		{"more fragments", edit(plain, func(b []byte) { b[ip+6] |= 0x20 }), false},
		{"fragment offset", edit(plain, func(b []byte) { b[ip+7] = 1 }), false},
		{"UDP", edit(plain, func(b []byte) { b[ip+9] = 17 }), false},
		{"total length 0 (TSO)", edit(plain, func(b []byte) { binary.BigEndian.PutUint16(b[ip+2:], 0) }), false},
		{"total length 30", edit(plain, func(b []byte) { binary.BigEndian.PutUint16(b[ip+2:], 30) }), false},
		{"total length beyond the frame (cut by the snap length)", edit(plain, func(b []byte) { binary.BigEndian.PutUint16(b[ip+2:], 2000) }), true},
		{"TCP offset 4", edit(plain, func(b []byte) { b[ip+20+12] = 0x40 }), false},
		{"TCP offset beyond the segment", edit(plain, func(b []byte) { b[ip+20+12] = 0xf0 }), false},
		{"cut inside TCP", plain[:ip+30], false},
		{"cut inside IP", plain[:ip+10], false},
		{"802.1Q then IPv6", func() []byte { v := v6; v.vlans = []uint16{7}; return frame(t, v) }(), true},
		{"802.1Q then ARP", edit(frame(t, tagged), func(b []byte) { b[16], b[17] = 0x08, 0x06 }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if fast := sameDecoding(t, c.f, len(c.f)); fast != c.fast {
				t.Fatalf("fast path took it: %v, want %v", fast, c.fast)
			}
		})
	}
	// Other links: Linux cooked v1/v2 and raw IP take the fast path; an
	// address longer than 8 bytes, a tag behind a cooked header and
	// loopback do not.
	other := []struct {
		name string
		link layers.LinkType
		f    []byte
		fast bool
	}{
		{"SLL", layers.LinkTypeLinuxSLL, cooked(plain, false, 6), true},
		{"SLL2", layers.LinkTypeLinuxSLL2, cooked(plain, true, 6), true},
		{"SLL address 9", layers.LinkTypeLinuxSLL, cooked(plain, false, 9), false},
		{"SLL2 address 9", layers.LinkTypeLinuxSLL2, cooked(plain, true, 9), false},
		{"SLL IPv6", layers.LinkTypeLinuxSLL, cooked(frame(t, v6), false, 6), true},
		{"SLL2 IPv6", layers.LinkTypeLinuxSLL2, cooked(frame(t, v6), true, 6), true},
		{"SLL 802.1Q", layers.LinkTypeLinuxSLL, cooked(frame(t, tagged), false, 6), false},
		{"raw", layers.LinkTypeRaw, plain[14:], true},
		{"IPv4", layers.LinkTypeIPv4, plain[14:], true},
		{"OpenBSD raw", 12, plain[14:], true},
		{"raw IPv6", layers.LinkTypeRaw, frame(t, v6)[14:], true},
		{"IPv6 link", layers.LinkTypeIPv6, frame(t, v6)[14:], true},
		{"IPv4 link, IPv6 packet", layers.LinkTypeIPv4, frame(t, v6)[14:], false},
		{"loopback", layers.LinkTypeNull, append([]byte{2, 0, 0, 0}, plain[14:]...), false},
	}
	for _, c := range other {
		t.Run(c.name, func(t *testing.T) {
			if fast := sameDecodingAs(t, c.link, c.f, len(c.f)); fast != c.fast {
				t.Fatalf("fast path took it: %v, want %v", fast, c.fast)
			}
		})
	}
	// A frame cut by the snap length inside the payload is still fast, and
	// counted as truncated by both.
	if !sameDecoding(t, plain[:len(plain)-3], len(plain)-3) {
		t.Fatal("a payload cut by the snap length left the fast path")
	}
}

// FuzzFastPath: any frame of any link type decodes the same with and
// without the fast path.
func FuzzFastPath(f *testing.F) {
	seg := testSegment{src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 80, seq: 7, ack: 9, ackf: true, payload: "GET / HTTP/1.1\r\n\r\n"}
	plain := frame(f, seg)
	f.Add(plain, uint8(0))
	f.Add(cooked(plain, false, 6), uint8(1))
	f.Add(cooked(plain, true, 6), uint8(2))
	f.Add(plain[14:], uint8(3))
	seg.vlans = []uint16{5}
	f.Add(frame(f, seg), uint8(0))
	seg.vlans, seg.src, seg.dst = nil, "fd00::1", "fd00::2"
	v6 := frame(f, seg)
	f.Add(v6, uint8(0))
	f.Add(v6[14:], uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, link uint8) {
		sameDecodingAs(t, fastLinks[int(link)%len(fastLinks)], data, len(data))
	})
}
