package ingest

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// fragments4 splits a bare IPv4 packet into bare IPv4 fragments of at most
// size payload bytes (a multiple of 8).
func fragments4(t testing.TB, pkt []byte, size int, id uint16) [][]byte {
	t.Helper()
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(pkt, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for off := 0; off < len(ip.Payload); off += size {
		end := min(off+size, len(ip.Payload))
		h := &layers.IPv4{Version: 4, TTL: 64, Protocol: ip.Protocol, SrcIP: ip.SrcIP, DstIP: ip.DstIP, Id: id, FragOffset: uint16(off / 8)}
		if end < len(ip.Payload) {
			h.Flags = layers.IPv4MoreFragments
		}
		out = append(out, ser(t, h, gopacket.Payload(ip.Payload[off:end])))
	}
	return out
}

// fragments6 splits the payload of a bare IPv6 packet (no extension
// headers) into bare IPv6 fragments of at most size bytes.
func fragments6(t testing.TB, pkt []byte, size int, id uint32) [][]byte {
	t.Helper()
	var ip layers.IPv6
	if err := ip.DecodeFromBytes(pkt, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for off := 0; off < len(ip.Payload); off += size {
		end := min(off+size, len(ip.Payload))
		h := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: ip.SrcIP, DstIP: ip.DstIP}
		fr := &layers.IPv6Fragment{NextHeader: ip.NextHeader, FragmentOffset: uint16(off / 8), MoreFragments: end < len(ip.Payload), Identification: id}
		out = append(out, ser(t, h, fr, gopacket.Payload(ip.Payload[off:end])))
	}
	return out
}

// bigSegment is innerSegment with a payload long enough to need fragments.
func bigSegment(v6 bool) testSegment {
	s := innerSegment(v6)
	s.payload = "POST /upload HTTP/1.1\r\nContent-Length: 1500\r\n\r\n" + strings.Repeat("0123456789", 150)
	return s
}

// feed decodes frames in order with one Decoder, a millisecond apart, and
// returns the last packet decoded as TCP, how many were, and the stats.
func feed(t testing.TB, link layers.LinkType, frames [][]byte) (reassembly.Packet, int, DecodeStats) {
	t.Helper()
	dec := NewDecoder()
	var p, got reassembly.Packet
	n := 0
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if dec.Decode(f, ci, link, &p) {
			got = p
			got.Payload = append([]byte(nil), p.Payload...)
			n++
		}
	}
	checkBuckets(t, dec.Stats)
	return got, n, dec.Stats
}

func checkSegment(t testing.TB, p reassembly.Packet, seg testSegment) {
	t.Helper()
	want := netip.AddrPortFrom(netip.MustParseAddr(seg.src), seg.sport)
	if p.Src != want || p.Dst.Port() != seg.dport || string(p.Payload) != seg.payload {
		t.Fatalf("segment %v → %v, %d payload bytes; want %v, %d bytes", p.Src, p.Dst, len(p.Payload), want, len(seg.payload))
	}
}

// TestDecodeDefragTunnel reassembles an outer IPv4 packet carrying GTP-U,
// as in a mobile core capture, in any fragment order.
func TestDecodeDefragTunnel(t *testing.T) {
	seg := bigSegment(false)
	in := ipPacket(t, seg)
	outer := udp4Packet(t, 2152, 2152, cat(gtpHeader(0xff, false, len(in)), in))
	frags := fragments4(t, outer, 512, 77)
	if len(frags) < 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	reversed := make([][]byte, len(frags))
	for i, f := range frags {
		reversed[len(frags)-1-i] = f
	}
	dupMiddle := append([][]byte{frags[1]}, frags...)
	for name, order := range map[string][][]byte{"in order": frags, "reversed": reversed, "duplicate": dupMiddle} {
		t.Run(name, func(t *testing.T) {
			p, n, s := feed(t, layers.LinkTypeIPv4, order)
			if n != 1 || s.TCP != 1 || s.Reassembled != 1 || s.Fragments != uint64(len(order)-1) || s.Tunnelled != 1 {
				t.Fatalf("%d segments: %+v", n, s)
			}
			checkSegment(t, p, seg)
		})
	}
}

// TestDecodeDefragIPv6 reassembles a plain IPv6 TCP segment, and decodes an
// atomic fragment (offset 0, no more fragments) directly.
func TestDecodeDefragIPv6(t *testing.T) {
	seg := bigSegment(true)
	pkt := ipPacket(t, seg)
	p, n, s := feed(t, layers.LinkTypeIPv6, fragments6(t, pkt, 600, 9))
	if n != 1 || s.Reassembled != 1 || s.Fragments != 2 {
		t.Fatalf("%d segments: %+v", n, s)
	}
	checkSegment(t, p, seg)
	atomic := fragments6(t, ipPacket(t, innerSegment(true)), 4096, 10)
	p, n, s = feed(t, layers.LinkTypeIPv6, atomic)
	if len(atomic) != 1 || n != 1 || s.Fragments != 0 || s.Reassembled != 0 {
		t.Fatalf("atomic fragment: %d segments %+v", n, s)
	}
	checkSegment(t, p, innerSegment(true))
}

// TestDecodeDefragInsideTunnel reassembles fragments of the inner packet.
func TestDecodeDefragInsideTunnel(t *testing.T) {
	seg := bigSegment(false)
	var frames [][]byte
	for _, f := range fragments4(t, ipPacket(t, seg), 400, 5) {
		frames = append(frames, overIP4(t, layers.IPProtocolGRE, &layers.GRE{Protocol: layers.EthernetTypeIPv4}, gopacket.Payload(f)))
	}
	p, n, s := feed(t, layers.LinkTypeEthernet, frames)
	if n != 1 || s.Reassembled != 1 || s.Tunnelled != uint64(len(frames)) {
		t.Fatalf("%d segments: %+v", n, s)
	}
	checkSegment(t, p, seg)
}

// TestDecodeDefragOverlapFirstWins checks that an overlapping fragment does
// not overwrite bytes already received.
func TestDecodeDefragOverlapFirstWins(t *testing.T) {
	seg := bigSegment(false)
	frags := fragments4(t, ipPacket(t, seg), 512, 3)
	evil := append([]byte(nil), frags[1]...)
	for i := 20 + 8; i < len(evil); i++ { // keep the header, change the data
		evil[i] = 'X'
	}
	order := [][]byte{frags[1], evil, frags[0]}
	order = append(order, frags[2:]...)
	p, n, _ := feed(t, layers.LinkTypeIPv4, order)
	if n != 1 || bytes.Contains(p.Payload, []byte("XXXX")) {
		t.Fatalf("%d segments, overlap won: %q", n, p.Payload)
	}
}

// TestDecodeDefragMalformed feeds fragments that must be dropped and
// counted.
func TestDecodeDefragMalformed(t *testing.T) {
	seg := bigSegment(false)
	pkt := ipPacket(t, seg)
	frags := fragments4(t, pkt, 512, 1)
	mk := func(off uint16, more bool, data []byte) []byte {
		h := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 1, 1, 1}, DstIP: net.IP{10, 2, 2, 2}, Id: 1, FragOffset: off}
		if more {
			h.Flags = layers.IPv4MoreFragments
		}
		return ser(t, h, gopacket.Payload(data))
	}
	cases := []struct {
		name    string
		frames  [][]byte
		dropped uint64
	}{
		{"middle fragment not a multiple of 8", [][]byte{frags[0], mk(64, true, make([]byte, 13)), frags[2]}, 2},
		{"two different ends", [][]byte{frags[0], mk(128, false, make([]byte, 16)), mk(128, false, make([]byte, 24))}, 3},
		{"data past the end", [][]byte{mk(8, false, make([]byte, 8)), mk(8, true, make([]byte, 16))}, 2},
		{"past 64 KiB", [][]byte{mk(8191, false, make([]byte, 64))}, 1},
		{"empty middle fragment", [][]byte{mk(1, true, nil)}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, n, s := feed(t, layers.LinkTypeIPv4, c.frames)
			if n != 0 || s.FragmentsDropped != c.dropped || s.Fragments != uint64(len(c.frames)) {
				t.Fatalf("%d segments: %+v", n, s)
			}
		})
	}
}

// TestDecodeDefragLimits checks eviction when more than fragSlots
// datagrams are pending, expiry after fragTimeout, and that a fragment cut
// by the snap length is dropped.
func TestDecodeDefragLimits(t *testing.T) {
	seg := bigSegment(false)
	pkt := ipPacket(t, seg)
	dec := NewDecoder()
	var p reassembly.Packet
	ci := func(f []byte, d time.Duration) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: t0.Add(d), CaptureLength: len(f), Length: len(f)}
	}
	for id := uint16(0); id < fragSlots+8; id++ {
		f := fragments4(t, pkt, 512, id)[0]
		if dec.Decode(f, ci(f, 0), layers.LinkTypeIPv4, &p) {
			t.Fatal("first fragment decoded")
		}
	}
	if dec.Stats.FragmentsDropped != 8 {
		t.Fatalf("eviction: %+v", dec.Stats)
	}
	// The newest datagrams are still pending and complete.
	frags := fragments4(t, pkt, 512, fragSlots+7)
	var ok bool
	for _, f := range frags[1:] {
		ok = dec.Decode(f, ci(f, time.Second), layers.LinkTypeIPv4, &p)
	}
	if !ok {
		t.Fatalf("newest datagram not completed: %+v", dec.Stats)
	}
	checkSegment(t, p, seg)
	// The rest expire.
	frags = fragments4(t, pkt, 512, fragSlots+6)
	for _, f := range frags[1:] {
		ok = dec.Decode(f, ci(f, fragTimeout+2*time.Second), layers.LinkTypeIPv4, &p)
	}
	if ok {
		t.Fatal("expired datagram completed")
	}
	checkBuckets(t, dec.Stats)
	// Cut by the snap length.
	f := frags[0]
	dec.Decode(f[:100], gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 100, Length: len(f)}, layers.LinkTypeIPv4, &p)
	if dec.Stats.Fragments != dec.Stats.Packets-1 {
		t.Fatalf("%+v", dec.Stats)
	}
	checkBuckets(t, dec.Stats)
}

// FuzzDecodeFragments feeds a stream of IPv4/IPv6 packets — mostly
// fragments — to one Decoder: every packet is counted once, and nothing
// decoded is longer than a datagram can be.
func FuzzDecodeFragments(f *testing.F) {
	join := func(frames [][]byte) []byte {
		var out []byte
		for _, fr := range frames {
			out = append(append(out, be16(uint16(len(fr)))...), fr...)
		}
		return out
	}
	f.Add(join(fragments4(f, ipPacket(f, bigSegment(false)), 512, 1)))
	f.Add(join(fragments6(f, ipPacket(f, bigSegment(true)), 256, 1)))
	in := ipPacket(f, bigSegment(false))
	f.Add(join(fragments4(f, udp4Packet(f, 2152, 2152, cat(gtpHeader(0xff, false, len(in)), in)), 400, 2)))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder()
		var p reassembly.Packet
		for i := 0; len(data) >= 2; i++ {
			n := min(int(data[0])<<8|int(data[1]), len(data)-2)
			fr := data[2 : 2+n]
			data = data[2+n:]
			ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(fr), Length: len(fr)}
			if dec.Decode(fr, ci, layers.LinkTypeRaw, &p) && len(p.Payload) > maxDatagram {
				t.Fatalf("payload of %d bytes", len(p.Payload))
			}
		}
		checkBuckets(t, dec.Stats)
	})
}
