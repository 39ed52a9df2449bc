package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapRecords reads the packet records of a pcap file straight out of the
// blocks the file is read into (blockStream): a record is handed out as a
// slice of its block, valid until the next call (the contract of
// ZeroCopyReadPacketData). pcapgo's reader copies every record into a
// buffer of its own, through a second buffer: two copies of every byte of a
// capture, 15–20 % of reading one with large responses.
//
// What it reads, and every error, is pcapgo's (TestPcapRecordsMatchPcapgo,
// FuzzPcapRecords): the file header is parsed by pcapgo itself, records
// longer than the snap length (or libpcap's maximum, if larger) and records
// longer than their packet are errors with pcapgo's messages, and a record
// longer than pcapFastMax is copied out into a buffer that grows with the
// bytes actually read, so that a 40-byte file cannot make it allocate 4 GiB.
type pcapRecords struct {
	s        *blockStream
	order    binary.ByteOrder
	nanos    uint32 // multiplier from the record's fraction to nanoseconds
	snaplen  uint32
	linkType layers.LinkType
	maxLen   int64  // longest record taken: pcapgo's maxCaptureLength
	big      []byte // the last record longer than pcapFastMax
}

// pcapFastMax is the longest record data taken in place: libpcap's
// MAXIMUM_SNAPLEN, which is also the longest pcapgo reads without growing
// its buffer as it goes.
const pcapFastMax = 262144

// pcapHeaderBytes is the size of a pcap file header.
const pcapHeaderBytes = 24

// bigRecordKeep is the largest buffer kept for the next long record.
const bigRecordKeep = 1 << 20

// newPcapRecords reads the file header of a pcap stream, whose first
// bytes are a pcap magic, and returns the reader of its records.
func newPcapRecords(s *blockStream) (*pcapRecords, error) {
	head, err := s.Peek(pcapHeaderBytes)
	s.Discard(len(head))
	if err != nil && err != io.EOF {
		return nil, err
	}
	hr, err := pcapgo.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil, err
	}
	p := &pcapRecords{s: s, order: binary.LittleEndian, nanos: 1000, snaplen: hr.Snaplen(), linkType: hr.LinkType()}
	p.maxLen = max(int64(p.snaplen), pcapFastMax)
	switch [4]byte(head[:4]) {
	case [4]byte{0xa1, 0xb2, 0xc3, 0xd4}:
		p.order = binary.BigEndian
	case [4]byte{0x4d, 0x3c, 0xb2, 0xa1}:
		p.nanos = 1
	case [4]byte{0xa1, 0xb2, 0x3c, 0x4d}:
		p.order, p.nanos = binary.BigEndian, 1
	}
	return p, nil
}

// ZeroCopyReadPacketData implements packetSource.
func (p *pcapRecords) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	h, err := p.s.Peek(16)
	if len(h) < 16 {
		p.s.Discard(len(h))
		return nil, gopacket.CaptureInfo{}, shortRead(len(h), err)
	}
	caplen, orig := p.order.Uint32(h[8:12]), p.order.Uint32(h[12:16])
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(int64(p.order.Uint32(h[0:4])), int64(p.order.Uint32(h[4:8])*p.nanos)).UTC(),
		CaptureLength: int(caplen),
		Length:        int(orig),
	}
	switch {
	case int64(caplen) > p.maxLen:
		p.s.Discard(16)
		return nil, ci, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, p.snaplen)
	case caplen > orig:
		p.s.Discard(16)
		return nil, ci, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, orig)
	case caplen > pcapFastMax:
		p.s.Discard(16)
		return p.readBig(ci)
	}
	rec, err := p.s.Peek(16 + int(caplen))
	p.s.Discard(len(rec))
	if len(rec) < 16+int(caplen) {
		return nil, ci, shortRead(len(rec)-16, err)
	}
	return rec[16:], ci, nil
}

// readBig copies out a record longer than pcapFastMax, growing its buffer
// with the bytes read.
func (p *pcapRecords) readBig(ci gopacket.CaptureInfo) ([]byte, gopacket.CaptureInfo, error) {
	n := ci.CaptureLength
	buf := p.big[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), max(cap(buf), pcapFastMax)))
		}
		m, err := p.s.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, ci, shortRead(len(buf), err)
		}
	}
	if cap(buf) <= bigRecordKeep {
		p.big = buf
	}
	return buf, ci, nil
}

// shortRead is io.ReadFull's error after n bytes of a read ended by err.
func shortRead(n int, err error) error {
	if err == io.EOF && n > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
