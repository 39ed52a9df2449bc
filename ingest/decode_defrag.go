package ingest

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// IP fragment reassembly, IPv4 and IPv6, bounded for hostile input: at
// most fragSlots datagrams are pending at a time (the least recently
// touched is evicted), a datagram not completed within fragTimeout of
// capture time is dropped, and a datagram cannot grow past maxDatagram
// bytes. Fragments other than the last must be multiples of 8 bytes; a
// fragment that contradicts the datagram's known end drops the datagram.
// Where fragments overlap the first copy of the bytes wins. Tunnel
// captures need this: GTP-U and other tunnels often fragment the outer
// packet, so the inner TCP segment exists only once it is reassembled.

const (
	fragSlots   = 32
	maxDatagram = 65535 // bytes of reassembled payload (behind the IP header)
	fragTimeout = 30 * time.Second
	fragBlocks  = (maxDatagram + 7) / 8
)

// fragKey identifies a datagram: RFC 791 (source, destination, protocol,
// identification) for IPv4, RFC 8200 (source, destination, identification)
// for IPv6.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    layers.IPProtocol // IPv4 only
	v6       bool
}

// fragDatagram is one datagram being reassembled.
type fragDatagram struct {
	key    fragKey
	used   bool
	last   time.Time // capture time of the latest fragment
	touch  uint64    // for least-recently-touched eviction
	proto  layers.IPProtocol
	total  int    // payload length, -1 until the last fragment is seen
	maxEnd int    // end of the furthest fragment seen
	blocks int    // distinct 8-byte blocks received
	frags  uint64 // fragments taken in
	have   [(fragBlocks + 63) / 64]uint64
	buf    []byte
}

// defragmenter holds the pending datagrams of one Decoder.
type defragmenter struct {
	slots []fragDatagram // allocated at the first fragment
	now   time.Time
	ticks uint64
	live  int // slot whose buffer the current packet is being decoded from, or -1
}

func (f *defragmenter) init() { f.live = -1 }

// begin starts a new packet captured at ts.
func (f *defragmenter) begin(ts time.Time) {
	f.now, f.live = ts, -1
}

// defrag4 takes in the IPv4 fragment in d.ip4.
func (d *Decoder) defrag4() (verdict, hop) {
	ip := &d.ip4
	src, _ := netip.AddrFromSlice(ip.SrcIP)
	dst, _ := netip.AddrFromSlice(ip.DstIP)
	key := fragKey{src: src, dst: dst, id: uint32(ip.Id), proto: ip.Protocol}
	if len(ip.Payload) < int(ip.Length)-int(ip.IHL)*4 { // cut by the snap length: cannot complete a datagram
		d.Stats.FragmentsDropped++
		return vFragment, hop{}
	}
	return d.reassemble(key, int(ip.FragOffset)*8, ip.Payload, ip.Flags&layers.IPv4MoreFragments != 0, ip.Protocol)
}

// defrag6 takes in the IPv6 fragment in d.ip6frag (behind d.ip6).
func (d *Decoder) defrag6() (verdict, hop) {
	fr := &d.ip6frag
	src, _ := netip.AddrFromSlice(d.ip6.SrcIP)
	dst, _ := netip.AddrFromSlice(d.ip6.DstIP)
	key := fragKey{src: src, dst: dst, id: fr.Identification, v6: true}
	return d.reassemble(key, int(fr.FragmentOffset)*8, fr.Payload, fr.MoreFragments, fr.NextHeader)
}

// reassemble adds one fragment (bytes off..off+len(data) of the datagram
// payload; proto is what the offset-0 fragment says the payload is). It
// returns vFragment while the datagram is incomplete, and continues into
// the payload when this fragment completes it.
func (d *Decoder) reassemble(key fragKey, off int, data []byte, more bool, proto layers.IPProtocol) (verdict, hop) {
	f := &d.frag
	i := f.slot(d, key)
	s := &f.slots[i]
	s.frags++
	s.last = f.now
	f.ticks++
	s.touch = f.ticks
	end := off + len(data)
	bad := end > maxDatagram || (more && (len(data) == 0 || len(data)%8 != 0))
	switch {
	case bad:
	case !more:
		bad = (s.total >= 0 && s.total != end) || s.maxEnd > end
		s.total = end
	default:
		bad = s.total >= 0 && end > s.total
	}
	if bad {
		f.drop(d, i)
		return vFragment, hop{}
	}
	if off == 0 {
		s.proto = proto
	}
	s.maxEnd = max(s.maxEnd, end)
	s.grow(end)
	for b := off / 8; b*8 < end; b++ { // first copy wins
		if s.have[b/64]&(1<<(b%64)) != 0 {
			continue
		}
		s.have[b/64] |= 1 << (b % 64)
		s.blocks++
		lo, hi := b*8, min(b*8+8, end)
		copy(s.buf[lo:hi], data[lo-off:hi-off])
	}
	if s.total < 0 || s.blocks < (s.total+7)/8 {
		return vFragment, hop{}
	}
	d.Stats.Reassembled++
	s.used = false
	f.live = i // its buffer stays intact until the next packet
	return d.afterReassembly(s.proto, s.buf[:s.total])
}

// afterReassembly continues into a reassembled payload of protocol p.
func (d *Decoder) afterReassembly(p layers.IPProtocol, b []byte) (verdict, hop) {
	if len(b) == 0 {
		return vNonTCP, hop{}
	}
	switch p {
	case layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolIPv6Destination, layers.IPProtocolIPv6Routing:
		return vContinue, hop{first: p.LayerType(), data: b}
	}
	return d.afterIP(p, b)
}

// slot returns the index of the slot for key: its pending datagram, or a
// fresh one in a free, expired or (failing those) least recently touched
// slot. The live slot is never handed out: the current packet may be
// reading from its buffer.
func (f *defragmenter) slot(d *Decoder, key fragKey) int {
	if f.slots == nil {
		f.slots = make([]fragDatagram, fragSlots)
	}
	free, oldest := -1, -1
	for i := range f.slots {
		s := &f.slots[i]
		if s.used && f.now.Sub(s.last) > fragTimeout {
			f.drop(d, i)
		}
		if !s.used {
			if free < 0 && i != f.live {
				free = i
			}
			continue
		}
		if s.key == key {
			return i
		}
		if oldest < 0 || s.touch < f.slots[oldest].touch {
			oldest = i
		}
	}
	if free < 0 {
		f.drop(d, oldest)
		free = oldest
	}
	s := &f.slots[free]
	s.key, s.used, s.proto, s.total, s.maxEnd, s.blocks, s.frags = key, true, 0, -1, 0, 0, 0
	clear(s.have[:])
	return free
}

// drop discards the pending datagram in slot i.
func (f *defragmenter) drop(d *Decoder, i int) {
	s := &f.slots[i]
	d.Stats.FragmentsDropped += s.frags
	s.used, s.frags = false, 0
}

// grow makes the buffer at least n bytes long, keeping its contents.
func (s *fragDatagram) grow(n int) {
	if n <= len(s.buf) {
		return
	}
	nb := make([]byte, min(max(n, 2*len(s.buf), 2048), maxDatagram))
	copy(nb, s.buf)
	s.buf = nb
}

// ipv6ExtFirst lists the IPv6 extension headers a reassembled payload may
// start with; NewDecoder gives each a parser.
var ipv6ExtFirst = []gopacket.LayerType{layers.LayerTypeIPv6Destination, layers.LayerTypeIPv6Routing}
