package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapngRecords reads the packets of a pcapng file straight out of the
// blocks the file is read into (blockStream), as pcapRecords does for
// pcap: a packet is handed out as a slice of its block, valid until the
// next call. pcapgo's NgReader copies every block through a bufio.Reader
// into a packet buffer of its own: with it an 889 MB capture as pcapng
// took 0.40 s to ingest, against 0.36 s now and 0.34 s as pcap (on one
// core 0.55, 0.50 and 0.45 s; BENCHMARKS.md, stop 15).
//
// It takes in place only what every capture tool writes, and only when it
// is well formed in the sense pcapgo reads it: section headers of version
// 1.0, interface descriptions, enhanced and simple packet blocks, interface
// statistics, and blocks pcapgo skips unread (decryption secrets, custom
// and unknown types). At the first block it cannot take so — a name
// resolution or obsolete packet block, a section of another version, a
// block longer than a Peek or cut short, an option or length that does not
// add up — it hands the rest of the file to pcapgo (handOff), behind a
// section header and interface descriptions that restate the section's
// interfaces. What is read, and every error, is then pcapgo's, which is
// what the fast path is checked against (TestPcapNGRecordsMatchPcapgo,
// FuzzPcapNGRecords).
//
// pcapgo runs with WantMixedLinkType: every interface's packets are
// returned, each with its own interface's link type (ci.AncillaryData[0],
// set by both paths). Without it pcapgo follows libpcap and drops, without
// a word, the packets of an interface whose link type is not the first
// one's.
type pcapngRecords struct {
	s      *blockStream
	order  ngByteOrder   // of the current section
	ifaces []ngInterface // of the current section
	link   [1]any        // the AncillaryData of the packet returned last

	// After the hand-off: pcapgo's reader, the reader it reads through,
	// the bytes fed to that reader, and where the stream was at the hand-off.
	ng     *pcapgo.NgReader
	ngIn   *bufio.Reader
	fed    *countingReader
	handAt int64
	preLen int64 // restated header bytes in front of the rest of the stream
}

// ngByteOrder is binary.LittleEndian or binary.BigEndian.
type ngByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ngInterface is an interface description, with pcapgo's time scaling.
type ngInterface struct {
	link                           layers.LinkType
	boxed                          any // link, as AncillaryData holds it
	snaplen                        uint32
	tsresol                        uint8 // as written; 0 when absent
	tsoffset                       uint64
	hasOffset                      bool
	secondMask, scaleUp, scaleDown uint64
}

// pcapng block types and the options read here.
const (
	ngSHB = 0x0A0D0D0A
	ngIDB = 1
	ngOPB = 2
	ngSPB = 3
	ngNRB = 4
	ngISB = 5
	ngEPB = 6

	ngOptEnd      = 0
	ngOptTsresol  = 9
	ngOptTsoffset = 14

	// ngByteOrderMagic is the byte-order magic of a section header.
	ngByteOrderMagic = 0x1A2B3C4D
)

// pcapngBufferSize is the buffer pcapgo's NgReader reads through after a
// hand-off.
const pcapngBufferSize = 256 << 10

// newPcapNGRecords reads the section header that opens a pcapng stream and
// the blocks before its first packet. On error it still returns the
// reader, whose offset says how far it got.
func newPcapNGRecords(s *blockStream) (*pcapngRecords, error) {
	r := &pcapngRecords{s: s}
	if _, _, ok := r.takeBlocks(); !ok {
		if h, _ := s.Peek(1); len(h) > 0 {
			return r, r.handOff()
		}
	}
	return r, nil
}

// takeBlocks takes every block that is not a packet in place, and returns
// the packet block after them (still in the stream), whole, with its type;
// ok is false when it met a block it cannot take (and the stream is still
// at it).
func (r *pcapngRecords) takeBlocks() (blk []byte, typ uint32, ok bool) {
	for {
		blk, typ, ok = r.peekBlock()
		if !ok {
			return nil, 0, false
		}
		switch typ {
		case ngEPB, ngSPB:
			return blk, typ, true
		case ngSHB:
			ok = r.takeSection(blk)
		case ngIDB:
			ok = r.takeInterface(blk)
		case ngISB:
			ok = len(blk) >= 20 && int(r.order.Uint32(blk[8:])) < len(r.ifaces) && r.walkOptions(blk, 20, nil)
		case ngOPB, ngNRB:
			ok = false
		}
		if !ok {
			return nil, 0, false
		}
		r.s.Discard(len(blk))
	}
}

// peekBlock returns the next block whole, in place, and its type; ok is
// false at the end of the stream, or when the block cannot be taken in
// place. The first block of a stream must be a section header.
func (r *pcapngRecords) peekBlock() (blk []byte, typ uint32, ok bool) {
	h, _ := r.s.Peek(12)
	if len(h) < 12 {
		return nil, 0, false
	}
	order := r.order
	if typ = binary.LittleEndian.Uint32(h); typ == ngSHB {
		switch {
		case binary.LittleEndian.Uint32(h[8:]) == ngByteOrderMagic:
			order = binary.LittleEndian
		case binary.BigEndian.Uint32(h[8:]) == ngByteOrderMagic:
			order = binary.BigEndian
		default:
			return nil, 0, false
		}
	} else if order == nil {
		return nil, 0, false
	} else {
		typ = order.Uint32(h)
	}
	size := order.Uint32(h[4:])
	if size < 12 || size > blockHeadroom {
		return nil, 0, false
	}
	blk, _ = r.s.Peek(int(size))
	if len(blk) < int(size) {
		return nil, 0, false
	}
	return blk, typ, true
}

// takeSection starts a section: a version 1.0 header whose options add up.
func (r *pcapngRecords) takeSection(blk []byte) bool {
	var order ngByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(blk[8:]) == ngByteOrderMagic {
		order = binary.BigEndian
	}
	if len(blk) < 24 || order.Uint16(blk[12:]) != 1 || order.Uint16(blk[14:]) != 0 {
		return false
	}
	saved := r.order
	r.order = order
	if !r.walkOptions(blk, 24, nil) {
		r.order = saved
		return false
	}
	r.ifaces = r.ifaces[:0]
	return true
}

// takeInterface adds an interface description, scaled as pcapgo scales it.
func (r *pcapngRecords) takeInterface(blk []byte) bool {
	if len(blk) < 16 {
		return false
	}
	in := ngInterface{link: layers.LinkType(r.order.Uint16(blk[8:])), snaplen: r.order.Uint32(blk[12:])}
	in.boxed = in.link
	ok := r.walkOptions(blk, 16, func(code uint16, v []byte) {
		switch {
		case code == ngOptTsresol && len(v) >= 1:
			in.tsresol = v[0]
		case code == ngOptTsoffset && len(v) >= 8:
			in.tsoffset, in.hasOffset = r.order.Uint64(v), true
		}
	})
	if !ok {
		return false
	}
	res := pcapgo.NgResolution(in.tsresol)
	if res == 0 {
		res = 6
	}
	if res.Exponent() > 63 {
		return false // pcapgo's error
	}
	if res.Binary() {
		in.secondMask = 1 << res.Exponent()
	} else {
		in.secondMask = 1
		for range res.Exponent() {
			in.secondMask *= 10 // wraps above 10^19, as pcapgo's does
		}
	}
	in.scaleUp, in.scaleDown = 1, 1
	if in.secondMask < 1e9 {
		in.scaleUp = 1e9 / in.secondMask
	} else {
		in.scaleDown = in.secondMask / 1e9
	}
	r.ifaces = append(r.ifaces, in)
	return true
}

// walkOptions walks the options of blk from off as pcapgo's readOption
// does, calling fn (if not nil) with each one; false when they do not add
// up (pcapgo would read past the block, or fail).
func (r *pcapngRecords) walkOptions(blk []byte, off int, fn func(code uint16, v []byte)) bool {
	rem := len(blk) - off
	for rem != 4 {
		if rem < 4 {
			return false
		}
		code, n := r.order.Uint16(blk[off:]), int(r.order.Uint16(blk[off+2:]))
		off, rem = off+4, rem-4
		if code == ngOptEnd {
			return n == 0
		}
		need := n + (4-n%4)%4
		if need > rem {
			return false
		}
		if fn != nil {
			fn(code, blk[off:off+n])
		}
		off, rem = off+need, rem-need
	}
	return true
}

// ZeroCopyReadPacketData implements packetSource.
func (r *pcapngRecords) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	if r.ng == nil {
		if blk, typ, ok := r.takeBlocks(); ok {
			if data, ci, ok := r.takePacket(blk, typ); ok {
				return data, ci, nil
			}
		}
		if h, err := r.s.Peek(1); len(h) == 0 && err != nil {
			return nil, gopacket.CaptureInfo{}, err // the end, at a block boundary
		}
		if err := r.handOff(); err != nil {
			return nil, gopacket.CaptureInfo{}, err
		}
	}
	return r.ng.ZeroCopyReadPacketData()
}

// takePacket takes blk, the packet block the stream is at, in place, or
// returns false when it cannot (and the stream is still at it).
func (r *pcapngRecords) takePacket(blk []byte, typ uint32) ([]byte, gopacket.CaptureInfo, bool) {
	var ci gopacket.CaptureInfo
	var data []byte
	switch typ {
	case ngEPB:
		if len(blk) < 28 {
			return nil, ci, false
		}
		idx := r.order.Uint32(blk[8:])
		caplen := r.order.Uint32(blk[20:])
		end := 28 + int64(caplen) + int64((4-caplen%4)%4)
		if idx >= uint32(len(r.ifaces)) || end > int64(len(blk)) || !r.walkOptions(blk, int(end), nil) {
			return nil, ci, false
		}
		in := &r.ifaces[idx]
		ts := uint64(r.order.Uint32(blk[12:]))<<32 | uint64(r.order.Uint32(blk[16:]))
		ci = gopacket.CaptureInfo{
			Timestamp:      time.Unix(int64(ts/in.secondMask+in.tsoffset), int64(ts%in.secondMask*in.scaleUp/in.scaleDown)).UTC(),
			CaptureLength:  int(caplen),
			Length:         int(r.order.Uint32(blk[24:])),
			InterfaceIndex: int(idx),
		}
		data = blk[28 : 28+caplen]
	case ngSPB:
		if len(blk) < 12 || len(r.ifaces) == 0 {
			return nil, ci, false
		}
		orig := r.order.Uint32(blk[8:])
		caplen := orig
		if s := r.ifaces[0].snaplen; s != 0 && caplen > s {
			caplen = s
		}
		if 12+int64(caplen)+int64((4-caplen%4)%4) > int64(len(blk)) {
			return nil, ci, false
		}
		ci = gopacket.CaptureInfo{CaptureLength: int(caplen), Length: int(orig)}
		data = blk[12 : 12+caplen]
	default:
		return nil, ci, false
	}
	r.link[0] = r.ifaces[ci.InterfaceIndex].boxed
	ci.AncillaryData = r.link[:]
	r.s.Discard(len(blk))
	return data, ci, true
}

// handOff gives the rest of the stream to pcapgo, behind a section header
// and interface descriptions that restate the current section's (none
// when the stream's own first section header is where it stopped).
func (r *pcapngRecords) handOff() error {
	var pre []byte
	if r.order != nil {
		pre = r.restate()
	}
	r.handAt, r.preLen = r.s.Offset(), int64(len(pre))
	r.fed = &countingReader{r: io.MultiReader(bytes.NewReader(pre), r.s)}
	r.ngIn = bufio.NewReaderSize(r.fed, pcapngBufferSize)
	ng, err := pcapgo.NewNgReader(r.ngIn, pcapgo.NgReaderOptions{SkipUnknownVersion: true, WantMixedLinkType: true})
	r.ng = ng
	return err
}

// restate encodes a section header and the current interfaces.
func (r *pcapngRecords) restate() []byte {
	o := r.order
	b := o.AppendUint32(nil, ngSHB)
	b = o.AppendUint32(b, 28)
	b = o.AppendUint32(b, ngByteOrderMagic)
	b = o.AppendUint16(b, 1)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint64(b, ^uint64(0)) // section length: unknown
	b = o.AppendUint32(b, 28)
	for _, in := range r.ifaces {
		size := uint32(20 + 4)
		if in.tsresol != 0 {
			size += 8
		}
		if in.hasOffset {
			size += 12
		}
		b = o.AppendUint32(b, ngIDB)
		b = o.AppendUint32(b, size)
		b = o.AppendUint16(b, uint16(in.link))
		b = o.AppendUint16(b, 0)
		b = o.AppendUint32(b, in.snaplen)
		if in.tsresol != 0 {
			b = o.AppendUint16(b, ngOptTsresol)
			b = o.AppendUint16(b, 1)
			b = append(b, in.tsresol, 0, 0, 0)
		}
		if in.hasOffset {
			b = o.AppendUint16(b, ngOptTsoffset)
			b = o.AppendUint16(b, 8)
			b = o.AppendUint64(b, in.tsoffset)
		}
		b = o.AppendUint32(b, ngOptEnd) // code and length 0
		b = o.AppendUint32(b, size)
	}
	return b
}

// offset is the number of bytes of the stream read: after the hand-off,
// those pcapgo took, not counting the restated headers.
func (r *pcapngRecords) offset() int64 {
	if r.ng == nil {
		return r.s.Offset()
	}
	return r.handAt + max(0, r.fed.n-int64(r.ngIn.Buffered())-r.preLen)
}

// interfaces is the number of interfaces of the current section.
func (r *pcapngRecords) interfaces() int {
	if r.ng != nil {
		return r.ng.NInterfaces()
	}
	return len(r.ifaces)
}

// firstLink is the link type of the section's first interface, or Null.
func (r *pcapngRecords) firstLink() layers.LinkType {
	if r.ng != nil {
		if in, err := r.ng.Interface(0); err == nil {
			return in.LinkType
		}
	} else if len(r.ifaces) > 0 {
		return r.ifaces[0].link
	}
	return layers.LinkTypeNull
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
