package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngRead is what a pcapng reader returned: the packets (copied), their
// capture info and link type, the error that ended them (nil at io.EOF),
// and whether the rest of the file went to pcapgo.
type ngRead struct {
	pkts    [][]byte
	cis     []gopacket.CaptureInfo
	links   []layers.LinkType
	err     error
	handOff bool
}

// pcapgoNg reads data with pcapgo's NgReader alone, with the options
// pcapngRecords gives it.
func pcapgoNg(data []byte) ngRead {
	r, err := pcapgo.NewNgReader(bufio.NewReader(bytes.NewReader(data)), pcapgo.NgReaderOptions{SkipUnknownVersion: true, WantMixedLinkType: true})
	if err != nil {
		return ngRead{err: err}
	}
	return collectNg(r.ZeroCopyReadPacketData, nil)
}

// ourNg reads data with pcapngRecords.
func ourNg(data []byte) ngRead {
	s := newBlockStream(bytes.NewReader(data), nil)
	defer s.Close()
	r, err := newPcapNGRecords(s)
	if err != nil {
		return ngRead{err: err, handOff: true}
	}
	return collectNg(r.ZeroCopyReadPacketData, func() bool { return r.ng != nil })
}

func collectNg(next func() ([]byte, gopacket.CaptureInfo, error), handedOff func() bool) ngRead {
	var out ngRead
	var links []layers.LinkType
	out.pkts, out.cis, out.err = collectRecords(func() ([]byte, gopacket.CaptureInfo, error) {
		d, ci, err := next()
		if err == nil {
			link, _ := ci.AncillaryData[0].(layers.LinkType)
			links = append(links, link)
			ci.AncillaryData = nil
		}
		return d, ci, err
	})
	out.links = links
	if handedOff != nil {
		out.handOff = handedOff()
	}
	return out
}

// samePcapNGReading fails unless pcapngRecords reads data as pcapgo does:
// the same packets, capture info and link types, and an error exactly
// when pcapgo had one. It returns what was read.
func samePcapNGReading(t *testing.T, data []byte) ngRead {
	t.Helper()
	want, got := pcapgoNg(data), ourNg(data)
	if len(got.pkts) != len(want.pkts) {
		t.Fatalf("%d packets, pcapgo %d (errors %v / %v)", len(got.pkts), len(want.pkts), got.err, want.err)
	}
	for i := range want.pkts {
		g, w := got.cis[i], want.cis[i]
		if !bytes.Equal(got.pkts[i], want.pkts[i]) || !g.Timestamp.Equal(w.Timestamp) || g.CaptureLength != w.CaptureLength ||
			g.Length != w.Length || g.InterfaceIndex != w.InterfaceIndex || got.links[i] != want.links[i] {
			t.Fatalf("packet %d: %+v %v (%d bytes), pcapgo %+v %v (%d bytes)", i, g, got.links[i], len(got.pkts[i]), w, want.links[i], len(want.pkts[i]))
		}
	}
	if (got.err != nil) != (want.err != nil) {
		t.Fatalf("error %v, pcapgo %v", got.err, want.err)
	}
	return got
}

// ngBuilder writes pcapng blocks by hand, in either byte order, for what
// pcapgo's writer cannot make: big-endian sections, simple and obsolete
// packet blocks, name resolution, unknown blocks, options of every kind.
type ngBuilder struct {
	o ngByteOrder
	b []byte
}

func (w *ngBuilder) block(typ uint32, body []byte) *ngBuilder {
	n := uint32(12 + len(body))
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = w.o.AppendUint32(w.b, n)
	return w
}

// opt encodes one option, padded.
func (w *ngBuilder) opt(code uint16, v []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, (4-len(v)%4)%4)...)
}

func (w *ngBuilder) section(major, minor uint16, opts ...[]byte) *ngBuilder {
	body := w.o.AppendUint32(nil, ngByteOrderMagic)
	body = w.o.AppendUint16(body, major)
	body = w.o.AppendUint16(body, minor)
	body = w.o.AppendUint64(body, ^uint64(0))
	return w.block(ngSHB, append(body, bytes.Join(append(opts, w.opt(0, nil)), nil)...))
}

func (w *ngBuilder) iface(link layers.LinkType, snaplen uint32, opts ...[]byte) *ngBuilder {
	body := w.o.AppendUint16(nil, uint16(link))
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snaplen)
	if len(opts) > 0 {
		body = append(body, bytes.Join(append(opts, w.opt(0, nil)), nil)...)
	}
	return w.block(ngIDB, body)
}

func (w *ngBuilder) epb(iface uint32, ts uint64, data []byte, orig uint32, opts ...[]byte) *ngBuilder {
	body := w.o.AppendUint32(nil, iface)
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, orig)
	body = append(body, data...)
	body = append(body, make([]byte, (4-len(data)%4)%4)...)
	if len(opts) > 0 {
		body = append(body, bytes.Join(append(opts, w.opt(0, nil)), nil)...)
	}
	return w.block(ngEPB, body)
}

func (w *ngBuilder) spb(orig uint32, data []byte) *ngBuilder {
	body := w.o.AppendUint32(nil, orig)
	body = append(body, data...)
	return w.block(ngSPB, append(body, make([]byte, (4-len(data)%4)%4)...))
}

func (w *ngBuilder) isb(iface uint32, ts uint64) *ngBuilder {
	body := w.o.AppendUint32(nil, iface)
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	return w.block(ngISB, append(body, w.opt(4, w.o.AppendUint64(nil, 7))...))
}

// dumpcapCapture is the real pcapng dumpcap wrote (two interfaces, options,
// statistics blocks; testdata/capture/make-dumpcap-capture.sh).
var dumpcapCapture = filepath.Join("..", "testdata", "captures", "nginx-dumpcap.pcapng")

// ngSample is a pcapng file, and whether pcapngRecords takes it all in
// place (without handing off to pcapgo).
type ngSample struct {
	name    string
	data    []byte
	inPlace bool
}

// ngSamples are pcapng files with the blocks and options capture tools
// write.
func ngSamples(t testing.TB) []ngSample {
	frames := [][]byte{frame(t, sampleSegments()[0]), frame(t, sampleSegments()[2]), frame(t, sampleSegments()[3])}
	big := make([]byte, 300_000) // longer than a block is taken in place
	var out []ngSample
	for _, o := range []ngByteOrder{binary.LittleEndian, binary.BigEndian} {
		name := "le"
		if o == binary.BigEndian {
			name = "be"
		}
		w := &ngBuilder{o: o}
		nsres := w.opt(ngOptTsresol, []byte{9})
		base := func() *ngBuilder {
			w := &ngBuilder{o: o}
			return w.section(1, 0, w.opt(4, []byte("Linux")), w.opt(1, []byte("a comment")))
		}
		out = append(out,
			ngSample{name + "/epb", base().iface(layers.LinkTypeEthernet, 262144).
				epb(0, 1_764_000_000_123_456, frames[0], uint32(len(frames[0]))).
				epb(0, 1_764_000_000_223_456, frames[1], 1514).data(), true},
			ngSample{name + "/options-resolutions-offsets", base().
				iface(layers.LinkTypeEthernet, 65535, w.opt(2, []byte("eth0")), nsres, w.opt(ngOptTsoffset, o.AppendUint64(nil, 100))).
				iface(layers.LinkTypeLinuxSLL, 0, w.opt(ngOptTsresol, []byte{0x80 | 20})).
				iface(layers.LinkTypeRaw, 0, w.opt(ngOptTsresol, []byte{3})).
				iface(layers.LinkTypeEthernet, 0, w.opt(ngOptTsresol, []byte{12})).
				epb(0, 1_764_000_000_123_456_789, frames[0], 60, w.opt(1, []byte("hi")), w.opt(2, o.AppendUint32(nil, 1))).
				epb(1, 1<<40|12345, frames[1][14:], 1000).
				epb(2, 1_764_000_000_123, frames[2], 90).
				epb(3, 17_640_000_001_234_567_890, frames[0], 60).
				isb(1, 5).data(), true},
			ngSample{name + "/simple-packets", base().iface(layers.LinkTypeEthernet, 40).
				spb(uint32(len(frames[0])), frames[0][:40]).spb(20, frames[1][:20]).data(), true},
			ngSample{name + "/unknown-and-secrets-blocks", base().iface(layers.LinkTypeEthernet, 0).
				block(0x40000BAD, []byte("custom block body...")).block(10, o.AppendUint64(nil, 0)).
				epb(0, 1, frames[0], 60).data(), true},
			ngSample{name + "/second-section", base().iface(layers.LinkTypeEthernet, 0).epb(0, 1, frames[0], 60).
				section(1, 0).iface(layers.LinkTypeLinuxSLL, 0).epb(0, 2, frames[1][14:], 60).data(), true},
			ngSample{name + "/name-resolution", base().iface(layers.LinkTypeEthernet, 0).epb(0, 1, frames[0], 60).
				block(ngNRB, append(append(o.AppendUint16(o.AppendUint16(nil, 1), 9), 10, 0, 0, 1, 'h', 'o', 's', 't', 0, 0, 0, 0), 0, 0, 0, 0)).
				epb(0, 2, frames[1], 60).data(), false},
			ngSample{name + "/obsolete-packet-block", base().iface(layers.LinkTypeEthernet, 0).epb(0, 1, frames[0], 60).
				block(ngOPB, append(o.AppendUint32(o.AppendUint32(o.AppendUint32(o.AppendUint32(o.AppendUint16(o.AppendUint16(nil, 0), 0), 0), 9), 4), 4), 1, 2, 3, 4)).
				epb(0, 2, frames[1], 60).data(), false},
			ngSample{name + "/unknown-version-section", base().iface(layers.LinkTypeEthernet, 0).epb(0, 1, frames[0], 60).
				section(2, 0).iface(layers.LinkTypeEthernet, 0).epb(0, 2, frames[1], 60).
				section(1, 0).iface(layers.LinkTypeEthernet, 0).epb(0, 3, frames[2], 60).data(), false},
			ngSample{name + "/long-packet", base().iface(layers.LinkTypeEthernet, 0).epb(0, 1, frames[0], 60).
				epb(0, 2, big, uint32(len(big))).epb(0, 3, frames[1], 60).data(), false},
			ngSample{name + "/end-of-options-with-a-length", base().iface(layers.LinkTypeEthernet, 0).
				epb(0, 1, frames[0], 60, w.opt(0, []byte{1})).data(), false},
			ngSample{name + "/packet-before-interface", base().epb(0, 1, frames[0], 60).data(), false},
			ngSample{name + "/resolution-too-fine", base().iface(layers.LinkTypeEthernet, 0, w.opt(ngOptTsresol, []byte{64})).
				epb(0, 1, frames[0], 60).data(), false},
		)
	}
	return out
}

func (w *ngBuilder) data() []byte { return w.b }

// TestPcapNGRecordsMatchPcapgo: on every sample, whole and cut at up to
// 600 points, pcapngRecords reads what pcapgo reads. The samples that
// hold only what capture tools write are read in place to the end.
func TestPcapNGRecordsMatchPcapgo(t *testing.T) {
	samples := ngSamples(t)
	mixed, _ := mixedLinkPcapNG(t) // pcapgo's own writer
	samples = append(samples, ngSample{"pcapgo-writer", mixed, true})
	if dumpcap, err := os.ReadFile(dumpcapCapture); err == nil {
		samples = append(samples, ngSample{"dumpcap", dumpcap, true})
	}
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			got := samePcapNGReading(t, s.data)
			if got.err != nil && s.inPlace {
				t.Fatalf("error %v", got.err)
			}
			if got.handOff == s.inPlace {
				t.Errorf("handed off to pcapgo: %v, want %v", got.handOff, !s.inPlace)
			}
			if len(got.pkts) == 0 && s.inPlace {
				t.Error("no packets")
			}
			step := max(1, len(s.data)/600)
			for cut := 4; cut < len(s.data); cut += step {
				samePcapNGReading(t, s.data[:cut])
			}
		})
	}
}

// FuzzPcapNGRecords: on any bytes that begin as a pcapng section header
// does, pcapngRecords reads what pcapgo reads.
func FuzzPcapNGRecords(f *testing.F) {
	for _, s := range ngSamples(f) {
		if len(s.data) < 100_000 {
			f.Add(s.data)
		}
	}
	if dumpcap, err := os.ReadFile(dumpcapCapture); err == nil {
		f.Add(dumpcap) // real: two interfaces, options, statistics blocks
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
			return // not given to pcapngRecords (newPacketReader)
		}
		samePcapNGReading(t, data)
	})
}

// sllFrame turns an Ethernet frame into a Linux cooked (SLL) one: the
// 14-byte Ethernet header becomes the 16-byte SLL header of a packet sent
// to this host.
func sllFrame(eth []byte) []byte {
	hdr := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, eth[12], eth[13]}
	return append(hdr, eth[14:]...)
}

// mixedPacket is a packet of mixedLinkPcapNG: its interface, frame and
// that interface's link type.
type mixedPacket struct {
	iface int
	data  []byte
	link  layers.LinkType
}

// mixedLinkPcapNG writes, with pcapgo's writer, a pcapng file whose two
// interfaces have different link types (dumpcap with several -i, or a
// carry-over file holding packets of captures with different link
// types): the sample segments, Ethernet on interface 0 and Linux SLL on
// interface 1 in turn, 1 ms apart from t0, then the statistics block of
// each interface, as dumpcap ends a file.
func mixedLinkPcapNG(t testing.TB) ([]byte, []mixedPacket) {
	t.Helper()
	var pkts []mixedPacket
	for i, s := range sampleSegments() {
		eth := frame(t, s)
		if i%2 == 1 {
			pkts = append(pkts, mixedPacket{1, sllFrame(eth), layers.LinkTypeLinuxSLL})
		} else {
			pkts = append(pkts, mixedPacket{0, eth, layers.LinkTypeEthernet})
		}
	}
	var raw bytes.Buffer
	w, err := pcapgo.NewNgWriter(&raw, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := w.AddInterface(pcapgo.NgInterface{Name: "any", LinkType: layers.LinkTypeLinuxSLL, TimestampResolution: 9}); err != nil || id != 1 {
		t.Fatalf("AddInterface: %d, %v", id, err)
	}
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(p.data), Length: len(p.data), InterfaceIndex: p.iface}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	for id := range 2 {
		if err := w.WriteInterfaceStats(id, pcapgo.NgInterfaceStatistics{LastUpdate: t0.Add(time.Second), PacketsReceived: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return raw.Bytes(), pkts
}

// TestPcapNGMixedLinkTypes reads mixedLinkPcapNG's file through
// PacketReader. Every packet comes back with its own interface's link
// type; none is dropped because it is not the first interface's. The
// interface statistics blocks after the last packet end the file
// cleanly.
func TestPcapNGMixedLinkTypes(t *testing.T) {
	segs := sampleSegments()
	raw, pkts := mixedLinkPcapNG(t)
	path := writeTemp(t, "mixed.pcapng", raw)

	r, err := OpenPacketReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("LinkType() = %v, want the first interface's, Ethernet", r.LinkType())
	}
	for i, want := range pkts {
		data, ci, link, err := r.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if link != want.link || !bytes.Equal(data, want.data) || ci.InterfaceIndex != want.iface {
			t.Errorf("packet %d: link %v, interface %d, %d bytes; want %v, %d, %d bytes", i, link, ci.InterfaceIndex, len(data), want.link, want.iface, len(want.data))
		}
		if !ci.Timestamp.Equal(t0.Add(time.Duration(i) * time.Millisecond)) {
			t.Errorf("packet %d: time %v", i, ci.Timestamp)
		}
	}
	if _, _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last packet: %v, want io.EOF", err)
	}

	// The decoder takes each packet by its own link type: every segment
	// decodes, and each payload is where it was written.
	decoded, payloads, err := readAll(t, path)
	if err != nil || len(decoded) != len(segs) {
		t.Fatalf("decoded %d of %d packets (err %v)", len(decoded), len(segs), err)
	}
	for i, s := range segs {
		if payloads[i] != s.payload {
			t.Errorf("packet %d: payload %q, want %q", i, payloads[i], s.payload)
		}
	}
}
