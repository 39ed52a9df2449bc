package ingest

import (
	"bufio"
	"encoding/binary"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapRecords reads the packet records of a pcap file straight out of the
// file's read buffer. pcapgo's reader copies every record into a buffer of
// its own, and read it through a second buffer: two copies of every byte
// of a capture, 15–20 % of reading one with large responses. A record
// whose header and data are in the buffer is handed out as a slice of it,
// valid until the next call (the contract of ZeroCopyReadPacketData);
// anything else — a record longer than libpcap's maximum snap length, one
// that claims more bytes than its packet had, the end of the file, damage
// — goes to pcapgo's reader, positioned at the same record, so that
// limits, errors and offsets are pcapgo's own (TestPcapRecordsMatchPcapgo).
type pcapRecords struct {
	br    *bufio.Reader
	slow  *pcapgo.Reader // reads the same stream, for everything but the fast path
	order binary.ByteOrder
	nanos uint32 // multiplier from the record's fraction to nanoseconds
}

// pcapFastMax is the longest record data taken from the buffer: libpcap's
// MAXIMUM_SNAPLEN, below which pcapgo never rejects a length either.
const pcapFastMax = 262144

// newPcapRecords reads the records after the file header, whose first
// bytes (the magic) are head, through slow's stream br.
func newPcapRecords(br *bufio.Reader, slow *pcapgo.Reader, head []byte) *pcapRecords {
	p := &pcapRecords{br: br, slow: slow, order: binary.LittleEndian, nanos: 1000}
	switch [4]byte(head[:4]) {
	case [4]byte{0xa1, 0xb2, 0xc3, 0xd4}:
		p.order = binary.BigEndian
	case [4]byte{0x4d, 0x3c, 0xb2, 0xa1}:
		p.nanos = 1
	case [4]byte{0xa1, 0xb2, 0x3c, 0x4d}:
		p.order, p.nanos = binary.BigEndian, 1
	}
	return p
}

// ZeroCopyReadPacketData implements packetSource.
func (p *pcapRecords) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	h, err := p.br.Peek(16)
	if err != nil {
		return p.slow.ZeroCopyReadPacketData()
	}
	caplen, orig := p.order.Uint32(h[8:12]), p.order.Uint32(h[12:16])
	if caplen > pcapFastMax || caplen > orig || 16+int(caplen) > p.br.Size() {
		return p.slow.ZeroCopyReadPacketData()
	}
	rec, err := p.br.Peek(16 + int(caplen))
	if err != nil {
		return p.slow.ZeroCopyReadPacketData()
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(int64(p.order.Uint32(rec[0:4])), int64(p.order.Uint32(rec[4:8])*p.nanos)).UTC(),
		CaptureLength: int(caplen),
		Length:        int(orig),
	}
	p.br.Discard(len(rec))
	return rec[16:len(rec):len(rec)], ci, nil
}
