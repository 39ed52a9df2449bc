package ingest

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/zstd"
)

// Damaged capture files (issue #9): whatever the damage, the reader returns
// every good packet before it, nothing after it, and then a *CaptureError
// naming the file and the byte offset (in the decompressed stream) of the
// end of the last good record.

// rawRead reads path to its end or its damage and returns copies of the
// packets' bytes.
func rawRead(t *testing.T, path string) ([][]byte, error) {
	t.Helper()
	r, err := OpenPacketReader(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out [][]byte
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("reader does not stop")
		}
		data, _, _, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, bytes.Clone(data))
	}
}

// badFrames is n Ethernet frames with distinct (and, with random set,
// incompressible) payloads of payloadLen bytes.
func badFrames(t testing.TB, n, payloadLen int, random bool) ([][]byte, []time.Time) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(payloadLen)))
	var frames [][]byte
	var times []time.Time
	for i := range n {
		p := make([]byte, payloadLen)
		for j := range p {
			if random {
				p[j] = byte(rng.Uint32())
			} else {
				p[j] = 'a' + byte((i+j)%26)
			}
		}
		copy(p, fmt.Sprintf("packet %d ", i))
		frames = append(frames, frame(t, testSegment{src: "10.0.0.2", dst: "10.0.0.1", sport: 40000, dport: 80,
			seq: uint32(1000 + i*payloadLen), ack: 1, ackf: true, payload: string(p)}))
		times = append(times, t0.Add(time.Duration(i)*time.Millisecond))
	}
	return frames, times
}

// pcapFile writes a little-endian microsecond pcap by hand, so headers can
// lie.
type pcapRecord struct {
	caplen, origlen uint32
	data            []byte
}

func pcapFile(snaplen uint32, recs ...pcapRecord) []byte {
	var b bytes.Buffer
	h := make([]byte, pcapHeaderBytes)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], uint32(layers.LinkTypeEthernet))
	b.Write(h)
	for i, r := range recs {
		rh := make([]byte, 16)
		binary.LittleEndian.PutUint32(rh[0:], uint32(t0.Unix())+uint32(i))
		binary.LittleEndian.PutUint32(rh[8:], r.caplen)
		binary.LittleEndian.PutUint32(rh[12:], r.origlen)
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

func goodRecord(f []byte) pcapRecord {
	return pcapRecord{caplen: uint32(len(f)), origlen: uint32(len(f)), data: f}
}

// pcapRecordEnds lists the offset of the end of the header and of every
// record of a pcap written by encodeCapture.
func pcapRecordEnds(frames [][]byte) []int64 {
	ends := []int64{pcapHeaderBytes}
	for _, f := range frames {
		ends = append(ends, ends[len(ends)-1]+16+int64(len(f)))
	}
	return ends
}

// ngBlock is one pcapng block of an encoded file.
type ngBlock struct {
	typ        uint32
	start, end int64
}

func ngBlocks(t *testing.T, b []byte) []ngBlock {
	t.Helper()
	var out []ngBlock
	for off := 0; off < len(b); {
		if off+8 > len(b) {
			t.Fatalf("pcapng: partial block header at %d", off)
		}
		typ := binary.LittleEndian.Uint32(b[off:])
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 || off+n > len(b) {
			t.Fatalf("pcapng: bad block length %d at %d", n, off)
		}
		out = append(out, ngBlock{typ, int64(off), int64(off + n)})
		off += n
	}
	return out
}

// ngCustomBlock is a block of a type no reader knows (not reserved by the
// pcapng spec for anything spanlake reads), with a body of n bytes.
func ngUnknownBlock(typ uint32, n int) []byte {
	padded := (n + 3) &^ 3
	b := make([]byte, 12+padded)
	binary.LittleEndian.PutUint32(b[0:], typ)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	for i := range n {
		b[8+i] = byte(0xA0 + i)
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], uint32(len(b)))
	return b
}

func splice(b []byte, at int64, ins []byte) []byte {
	out := append([]byte(nil), b[:at]...)
	out = append(out, ins...)
	return append(out, b[at:]...)
}

// checkDamage asserts that err is a *CaptureError for path at wantOffset
// (any offset in [0, maxOffset] when wantOffset < 0).
func checkDamage(t *testing.T, path string, err error, wantOffset, maxOffset int64) *CaptureError {
	t.Helper()
	var ce *CaptureError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *CaptureError", err, err)
	}
	if ce.Path != path {
		t.Errorf("CaptureError.Path %q, want %q", ce.Path, path)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "offset") {
		t.Errorf("error %q does not name the file and the offset", err)
	}
	if wantOffset >= 0 && ce.Offset != wantOffset {
		t.Errorf("offset %d, want %d (%v)", ce.Offset, wantOffset, err)
	}
	if ce.Offset < 0 || ce.Offset > maxOffset {
		t.Errorf("offset %d outside [0, %d]", ce.Offset, maxOffset)
	}
	return ce
}

func checkPackets(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("read %d packets, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("packet %d differs from the one written", i)
		}
	}
}

// TestBadFiles is one case per kind of damage.
func TestBadFiles(t *testing.T) {
	frames, times := badFrames(t, 6, 100, false)
	pcapBytes := encodeCapture(t, captureFormats[0], frames, times)
	ngBytes := encodeCapture(t, captureFormats[1], frames, times)
	ends := pcapRecordEnds(frames)
	blocks := ngBlocks(t, ngBytes)
	var epbs []ngBlock
	for _, b := range blocks {
		if b.typ == ngEPB {
			epbs = append(epbs, b)
		}
	}
	if len(epbs) != len(frames) {
		t.Fatalf("pcapng has %d packet blocks, want %d", len(epbs), len(frames))
	}
	recs := func(fs [][]byte) []pcapRecord {
		var out []pcapRecord
		for _, f := range fs {
			out = append(out, goodRecord(f))
		}
		return out
	}
	gz := encodeCapture(t, captureFormats[2], frames, times)

	cases := []struct {
		name    string
		data    []byte
		want    [][]byte // the good packets
		damaged bool
		offset  int64 // of the damage; -1: anywhere in the file
		errIs   error
		errText string
	}{
		{name: "pcap-truncated-mid-record", data: pcapBytes[:ends[4]+30], want: frames[:4], damaged: true, offset: ends[4],
			errIs: io.ErrUnexpectedEOF, errText: "truncated"},
		{name: "pcap-truncated-mid-record-header", data: pcapBytes[:ends[2]+7], want: frames[:2], damaged: true, offset: ends[2],
			errIs: io.ErrUnexpectedEOF},
		{name: "pcap-caplen-above-256KiB", data: pcapFile(65535, append(recs(frames[:3]),
			pcapRecord{caplen: 300 << 10, origlen: 300 << 10, data: bytes.Repeat([]byte{0xee}, 1000)}, goodRecord(frames[3]))...),
			want: frames[:3], damaged: true, offset: ends[3], errText: "exceeds snap length"},
		{name: "pcap-caplen-4GiB", data: pcapFile(65535, append(recs(frames[:2]),
			pcapRecord{caplen: 0xfffffff0, origlen: 0xfffffff0, data: []byte{1, 2, 3}})...),
			want: frames[:2], damaged: true, offset: ends[2], errText: "exceeds snap length"},
		{name: "pcap-caplen-above-original-length", data: pcapFile(65535, append(recs(frames[:2]),
			pcapRecord{caplen: uint32(len(frames[2])), origlen: 40, data: frames[2]}, goodRecord(frames[3]))...),
			want: frames[:2], damaged: true, offset: ends[2], errText: "exceeds original packet length"},
		// tcpdump and Wireshark read records longer than a (wrong) declared
		// snap length, up to their own maximum: so does spanlake.
		{name: "pcap-tiny-snaplen-longer-records", data: pcapFile(16, recs(frames)...), want: frames},
		{name: "pcapng-unknown-block-between-packets", data: splice(ngBytes, epbs[2].end, ngUnknownBlock(0x4242_0001, 13)), want: frames},
		{name: "pcapng-custom-and-dsb-blocks", data: splice(splice(ngBytes, epbs[4].end, ngUnknownBlock(0x0000_0BAD, 20)), epbs[1].end,
			ngUnknownBlock(0x0000_000A, 8)), want: frames},
		{name: "pcapng-unknown-block-longer-than-file", data: splice(ngBytes[:epbs[3].end], epbs[3].end,
			[]byte{0x01, 0x00, 0x42, 0x42, 0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4}), want: frames[:4], damaged: true, offset: epbs[3].end},
		{name: "pcapng-block-length-below-minimum", data: splice(ngBytes, epbs[1].end,
			[]byte{0x01, 0x00, 0x42, 0x42, 0x04, 0x00, 0x00, 0x00}), want: frames[:2], damaged: true, offset: epbs[1].end},
		{name: "pcapng-truncated-inside-packet-block", data: ngBytes[:epbs[3].start+30], want: frames[:3], damaged: true,
			offset: epbs[2].end, errIs: io.ErrUnexpectedEOF},
		{name: "pcapng-truncated-inside-block-trailer", data: ngBytes[:epbs[5].end-2], want: frames[:5], damaged: true,
			offset: epbs[4].end},
		{name: "gzip-ends-inside-its-header", data: gz[:6], damaged: true, offset: 0},
		{name: "gzip-ends-early-small", data: gz[:len(gz)/2], damaged: true, offset: -1},
		{name: "gzip-without-trailer", data: gz[:len(gz)-8], want: frames, damaged: true, offset: ends[len(frames)],
			errIs: io.ErrUnexpectedEOF},
		{name: "empty-file", data: nil, damaged: true, offset: 0, errIs: ErrNotCapture},
		{name: "text-file", data: []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\nthis is a log, not a capture\n"), damaged: true,
			offset: 0, errIs: ErrNotCapture},
		{name: "pcap-header-only", data: pcapBytes[:pcapHeaderBytes]},
		{name: "pcap-header-only-nanoseconds", data: func() []byte {
			var b bytes.Buffer
			w := pcapgo.NewWriterNanos(&b)
			if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}()},
		{name: "pcapng-headers-only", data: ngBytes[:epbs[0].start]},
		{name: "pcap-header-cut", data: pcapBytes[:10], damaged: true, offset: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.name+".cap", c.data)
			got, err := rawRead(t, path)
			if c.name == "gzip-ends-early-small" {
				// What survives depends on the deflate blocks; it must be a
				// prefix of what was written, ending at the reported offset.
				c.want = frames[:min(len(got), len(frames))]
			}
			checkPackets(t, got, c.want)
			if !c.damaged {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("damage not reported")
			}
			wantOffset := c.offset
			if c.name == "gzip-ends-early-small" {
				wantOffset = ends[len(got)]
			}
			checkDamage(t, path, err, wantOffset, int64(len(c.data))+int64(len(pcapBytes)))
			if c.errIs != nil && !errors.Is(err, c.errIs) {
				t.Errorf("error %v is not %v", err, c.errIs)
			}
			if c.errText != "" && !strings.Contains(err.Error(), c.errText) {
				t.Errorf("error %q does not say %q", err, c.errText)
			}
		})
	}
}

// TestPcapCutAnywhere extends TestTruncatedCapture to every cut point: the
// packets are exactly the complete records, and damage is reported at the
// end of the last one unless the cut falls on a record boundary.
func TestPcapCutAnywhere(t *testing.T) {
	frames, times := badFrames(t, 4, 30, false)
	full := encodeCapture(t, captureFormats[0], frames, times)
	ends := pcapRecordEnds(frames)
	for cut := int64(0); cut <= int64(len(full)); cut++ {
		path := writeTemp(t, "cut.pcap", full[:cut])
		got, err := rawRead(t, path)
		complete := 0
		for complete < len(frames) && ends[complete+1] <= cut {
			complete++
		}
		if len(got) != complete {
			t.Errorf("cut at %d: read %d packets, want %d", cut, len(got), complete)
		}
		onBoundary := cut >= pcapHeaderBytes && ends[complete] == cut
		switch {
		case onBoundary && err != nil:
			t.Errorf("cut at %d (a record boundary): error %v", cut, err)
		case !onBoundary && err == nil:
			t.Errorf("cut at %d: damage not reported", cut)
		case !onBoundary && cut >= pcapHeaderBytes:
			checkDamage(t, path, err, ends[complete], cut)
		case !onBoundary:
			checkDamage(t, path, err, -1, cut)
		}
	}
}

// TestPcapNGCutAnywhere: the same for pcapng, whose packet blocks carry
// options and a trailing length.
func TestPcapNGCutAnywhere(t *testing.T) {
	frames, times := badFrames(t, 4, 30, false)
	full := encodeCapture(t, captureFormats[1], frames, times)
	blocks := ngBlocks(t, full)
	var epbEnds []int64
	headersEnd := int64(0)
	for _, b := range blocks {
		if b.typ == ngEPB {
			epbEnds = append(epbEnds, b.end)
		} else if len(epbEnds) == 0 {
			headersEnd = b.end
		}
	}
	isBoundary := map[int64]bool{}
	for _, b := range blocks {
		isBoundary[b.end] = true
	}
	for cut := int64(0); cut <= int64(len(full)); cut++ {
		path := writeTemp(t, "cut.pcapng", full[:cut])
		got, err := rawRead(t, path)
		complete := 0
		for complete < len(epbEnds) && epbEnds[complete] <= cut {
			complete++
		}
		checkPackets(t, got, frames[:complete])
		onBoundary := cut >= headersEnd && isBoundary[cut]
		switch {
		case onBoundary && err != nil:
			t.Errorf("cut at %d (a block boundary): error %v", cut, err)
		case !onBoundary && err == nil:
			t.Errorf("cut at %d: damage not reported", cut)
		case !onBoundary && cut > headersEnd:
			want := headersEnd
			if complete > 0 {
				want = epbEnds[complete-1]
			}
			checkDamage(t, path, err, want, cut)
		case !onBoundary:
			checkDamage(t, path, err, -1, cut)
		}
		if t.Failed() {
			t.Fatalf("stopping at cut %d of %d", cut, len(full))
		}
	}
}

// TestCompressedStreamEndsEarly cuts gzip and zstd streams of a capture
// large enough for many compressed blocks: the packets read are a prefix
// of those written, every packet the surviving blocks hold is read, and
// the damage is reported at the end of the last one.
func TestCompressedStreamEndsEarly(t *testing.T) {
	frames, times := badFrames(t, 1500, 1000, true) // ~1.6 MB, incompressible
	ends := pcapRecordEnds(frames)
	raw := encodeCapture(t, captureFormats[0], frames, times)
	for _, f := range []captureFormat{captureFormats[2], captureFormats[4]} {
		full := encodeCapture(t, f, frames, times)
		for _, frac := range []float64{0.1, 0.5, 0.9, 0.999} {
			cut := int(float64(len(full)) * frac)
			t.Run(fmt.Sprintf("%s-%.3f", f.name, frac), func(t *testing.T) {
				path := writeTemp(t, "cut."+f.name, full[:cut])
				got, err := rawRead(t, path)
				checkPackets(t, got, frames[:min(len(got), len(frames))])
				if err == nil {
					t.Fatal("damage not reported")
				}
				checkDamage(t, path, err, ends[len(got)], int64(len(raw)))
				// Every packet that an independent decoder (the standard
				// library's for gzip) recovers from the cut stream is read.
				recovered := recoverable(t, f.comp, full[:cut])
				if !bytes.HasPrefix(raw, recovered) {
					t.Fatal("oracle decoder returned data that was not written")
				}
				possible := 0
				for possible < len(frames) && ends[possible+1] <= int64(len(recovered)) {
					possible++
				}
				if len(got) != possible {
					t.Errorf("read %d packets, %d are in the surviving data", len(got), possible)
				}
				t.Logf("cut %d of %d compressed bytes: read %d packets, %d in the surviving data", cut, len(full), len(got), possible)
				if frac >= 0.5 && len(got) == 0 {
					t.Error("no packets read from the first half of the stream")
				}
			})
		}
	}
}

// recoverable decompresses as much of a cut stream as possible.
func recoverable(t *testing.T, c Compression, b []byte) []byte {
	var r io.Reader
	switch c {
	case CompressionGzip:
		zr, err := stdgzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case CompressionZstd:
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, _ := io.ReadAll(r)
	return out
}

// TestBadFileCaptureInfo: the damaged record's bogus capture info is not
// handed out with a packet (a 4 GiB caplen must not allocate 4 GiB either).
func TestBadFileCaptureInfo(t *testing.T) {
	frames, _ := badFrames(t, 1, 60, false)
	data := pcapFile(65535, goodRecord(frames[0]), pcapRecord{caplen: 0x7fffffff, origlen: 0x7fffffff, data: make([]byte, 64)})
	path := writeTemp(t, "huge.pcap", data)
	r, err := OpenPacketReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ci, _, err := r.Next(); err != nil || ci.CaptureLength != len(frames[0]) {
		t.Fatalf("first packet: %v %+v", err, ci)
	}
	data2, _, _, err := r.Next()
	if data2 != nil {
		t.Errorf("damaged record returned %d bytes", len(data2))
	}
	checkDamage(t, path, err, int64(pcapHeaderBytes+16+len(frames[0])), int64(len(data)))
	// Reading on after damage does not invent packets.
	if d, _, _, err := r.Next(); d != nil || err == nil {
		t.Errorf("Next after damage: %d bytes, %v", len(d), err)
	}
}
