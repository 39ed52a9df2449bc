package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapgoRecords reads data with pcapgo alone, as PacketReader did before
// pcapRecords: the packets, and the error that ended them (nil at EOF;
// like PacketReader.Next, an EOF after a record header is damage).
func pcapgoRecords(data []byte) ([][]byte, []gopacket.CaptureInfo, error) {
	counted := &countingReader{r: bytes.NewReader(data)}
	br := bufio.NewReaderSize(counted, 1<<20)
	pos := func() int64 { return counted.n - int64(br.Buffered()) }
	r, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, nil, err
	}
	lastGood := pos()
	return collectRecords(func() ([]byte, gopacket.CaptureInfo, error) {
		d, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF && pos() > lastGood {
			err = io.ErrUnexpectedEOF
		}
		lastGood = pos()
		return d, ci, err
	})
}

// readerRecords reads data with PacketReader.
func readerRecords(data []byte) ([][]byte, []gopacket.CaptureInfo, error) {
	r, err := NewPacketReader("x.pcap", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return collectRecords(func() ([]byte, gopacket.CaptureInfo, error) {
		d, ci, _, err := r.Next()
		return d, ci, err
	})
}

// collectRecords copies the packets next returns until io.EOF (nil error)
// or another error.
func collectRecords(next func() ([]byte, gopacket.CaptureInfo, error)) ([][]byte, []gopacket.CaptureInfo, error) {
	var pkts [][]byte
	var cis []gopacket.CaptureInfo
	for range 100_000 {
		d, ci, err := next()
		if err == io.EOF {
			return pkts, cis, nil
		}
		if err != nil {
			return pkts, cis, err
		}
		pkts, cis = append(pkts, bytes.Clone(d)), append(cis, ci)
	}
	return pkts, cis, nil
}

// samePcapReading fails unless PacketReader reads data as pcapgo does:
// the same packets with the same capture info, and an error exactly when
// pcapgo had one.
func samePcapReading(t *testing.T, data []byte) {
	t.Helper()
	wantP, wantCI, wantErr := pcapgoRecords(data)
	gotP, gotCI, gotErr := readerRecords(data)
	if len(gotP) != len(wantP) {
		t.Fatalf("%d packets, pcapgo %d (errors %v / %v)", len(gotP), len(wantP), gotErr, wantErr)
	}
	for i := range wantP {
		if !bytes.Equal(gotP[i], wantP[i]) || !gotCI[i].Timestamp.Equal(wantCI[i].Timestamp) ||
			gotCI[i].CaptureLength != wantCI[i].CaptureLength || gotCI[i].Length != wantCI[i].Length {
			t.Fatalf("packet %d: %+v (%d bytes), pcapgo %+v (%d bytes)", i, gotCI[i], len(gotP[i]), wantCI[i], len(wantP[i]))
		}
	}
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("error %v, pcapgo %v", gotErr, wantErr)
	}
	var ce *CaptureError
	if wantErr != nil && (!errors.As(gotErr, &ce) || !bytes.Contains([]byte(gotErr.Error()), []byte(wantErr.Error()))) {
		t.Fatalf("error %q does not carry pcapgo's %q", gotErr, wantErr)
	}
}

// pcapOf writes frames as a pcap in the given byte order and resolution.
func pcapOf(order binary.ByteOrder, nanos bool, snaplen uint32, frames [][]byte, lens []uint32) []byte {
	var b bytes.Buffer
	h := make([]byte, pcapHeaderBytes)
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], snaplen)
	order.PutUint32(h[20:], 1)
	b.Write(h)
	for i, f := range frames {
		rh := make([]byte, 16)
		order.PutUint32(rh[0:], uint32(t0.Unix())+uint32(i))
		order.PutUint32(rh[4:], uint32(i*123457)%1_000_000_000)
		order.PutUint32(rh[8:], uint32(len(f)))
		order.PutUint32(rh[12:], lens[i])
		b.Write(rh)
		b.Write(f)
	}
	return b.Bytes()
}

// TestPcapRecordsMatchPcapgo: both byte orders and resolutions, records
// from empty to longer than the fast path and the read buffer, lying
// lengths, and files cut at every point of their last record.
func TestPcapRecordsMatchPcapgo(t *testing.T) {
	var frames [][]byte
	var lens []uint32
	for _, n := range []int{0, 1, 60, 1514, 9000, pcapFastMax, pcapFastMax + 1, blockData + 10, 64} {
		f := make([]byte, n)
		for i := range f {
			f[i] = byte(i * 7)
		}
		frames, lens = append(frames, f), append(lens, uint32(n))
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nanos := range []bool{false, true} {
			for _, snaplen := range []uint32{65535, 2 * blockData} {
				data := pcapOf(order, nanos, snaplen, frames, lens)
				samePcapReading(t, data)
				for cut := len(data) - 64 - 16; cut <= len(data); cut += 5 {
					samePcapReading(t, data[:cut])
				}
			}
		}
	}
	// A record longer than its packet, and one longer than the snap length.
	lying := append([]uint32(nil), lens...)
	lying[3] = 40
	samePcapReading(t, pcapOf(binary.LittleEndian, false, 65535, frames, lying))
	samePcapReading(t, pcapOf(binary.LittleEndian, false, 100, frames[:6], lens[:6]))
}

// FuzzPcapRecords: on any bytes after a pcap file header, PacketReader
// reads what pcapgo reads.
func FuzzPcapRecords(f *testing.F) {
	frames := [][]byte{make([]byte, 60), make([]byte, 1514), {1, 2, 3}}
	f.Add(pcapOf(binary.LittleEndian, false, 65535, frames, []uint32{60, 1514, 3})[pcapHeaderBytes:], false, false)
	f.Add(pcapOf(binary.BigEndian, true, 65535, frames, []uint32{60, 20, 3})[pcapHeaderBytes:], true, true)
	f.Fuzz(func(t *testing.T, records []byte, big, nanos bool) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		samePcapReading(t, append(pcapOf(order, nanos, 65535, nil, nil), records...))
	})
}

var _ = time.Second
