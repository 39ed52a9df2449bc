package ingest

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/ingest/mangle"
	"github.com/spanlake/spanlake/ingest/synth"
	"github.com/spanlake/spanlake/reassembly"
)

// discardSink drops everything: the benchmarks measure ingest alone.
type discardSink struct{}

func (discardSink) Exchange(*http1.Exchange, *SourceFile) error               { return nil }
func (discardSink) Connection(*reassembly.ConnRecord, int, *SourceFile) error { return nil }
func (discardSink) SourceDone(*SourceFile) error                              { return nil }

// benchCaptures are synthesised once per test binary, shared by benchmarks.
var benchCaptures struct {
	sync.Mutex
	dir   string
	paths map[synth.Shape]string
}

// benchCapture returns a synthesised capture of shape, about 64 MB large or
// 32 MB small.
func benchCapture(b *testing.B, shape synth.Shape) string {
	b.Helper()
	bc := &benchCaptures
	bc.Lock()
	defer bc.Unlock()
	if p, ok := bc.paths[shape]; ok {
		return p
	}
	if bc.dir == "" {
		d, err := os.MkdirTemp("", "spanlake-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bc.dir, bc.paths = d, map[synth.Shape]string{}
	}
	size := int64(64 << 20)
	if shape == synth.Small {
		size = 32 << 20
	}
	p := filepath.Join(bc.dir, string(shape)+".pcap")
	if _, err := synth.WriteFile(p, synth.Config{Shape: shape, Seed: 1, TargetBytes: size}); err != nil {
		b.Fatal(err)
	}
	bc.paths[shape] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCaptures.dir != "" {
		os.RemoveAll(benchCaptures.dir)
	}
	os.Exit(code)
}

func benchmarkRun(b *testing.B, shape synth.Shape, workers int) {
	path := benchCapture(b, shape)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var exchanges, packets uint64
	for b.Loop() {
		sum, err := Run(context.Background(), []string{path}, Options{Workers: workers}, discardSink{})
		if err != nil {
			b.Fatal(err)
		}
		exchanges += sum.Exchanges
		packets += sum.Decode.Packets
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(exchanges)/secs, "exchanges/s")
	b.ReportMetric(float64(packets)/secs, "packets/s")
}

func BenchmarkRunLarge1(b *testing.B) { benchmarkRun(b, synth.Large, 1) }
func BenchmarkRunLarge2(b *testing.B) { benchmarkRun(b, synth.Large, 2) }
func BenchmarkRunSmall1(b *testing.B) { benchmarkRun(b, synth.Small, 1) }
func BenchmarkRunSmall2(b *testing.B) { benchmarkRun(b, synth.Small, 2) }

// BenchmarkDecode measures Decode alone on the frames of the small capture
// (held in memory).
func BenchmarkDecode(b *testing.B) {
	path := benchCapture(b, synth.Small)
	r, err := OpenPacketReader(path)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	var cis []gopacket.CaptureInfo
	var size int64
	for len(frames) < 100_000 {
		data, ci, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, append([]byte(nil), data...))
		cis = append(cis, ci)
		size += int64(len(data))
	}
	r.Close()
	for _, gopacketOnly := range []bool{false, true} {
		name := "fast-path"
		if gopacketOnly {
			name = "gopacket"
		}
		b.Run(name, func(b *testing.B) {
			dec := NewDecoder()
			dec.noFastPath = gopacketOnly
			var pkt reassembly.Packet
			b.SetBytes(size / int64(len(frames)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !dec.Decode(frames[i], cis[i], layers.LinkTypeEthernet, &pkt) {
					b.Fatal("not decoded")
				}
				if i++; i == len(frames) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkReader measures reading packet records alone: the large
// capture as pcap and as pcapng through PacketReader, and the pcapng
// through pcapgo's NgReader over the same read blocks (what PacketReader
// did before pcapng_records.go). Each includes reading the file and its
// content hash, on goroutines of their own.
func BenchmarkReader(b *testing.B) {
	pcapPath := benchCapture(b, synth.Large)
	ngPath := benchPcapNG(b, pcapPath)
	read := func(b *testing.B, path string, next func(path string) error) {
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Size())
		b.ReportAllocs()
		for b.Loop() {
			if err := next(path); err != nil {
				b.Fatal(err)
			}
		}
	}
	packetReader := func(path string) error {
		r, err := OpenPacketReader(path)
		if err != nil {
			return err
		}
		defer r.Close()
		for {
			if _, _, _, err := r.Next(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	b.Run("pcap", func(b *testing.B) { read(b, pcapPath, packetReader) })
	b.Run("pcapng", func(b *testing.B) { read(b, ngPath, packetReader) })
	b.Run("pcapng-pcapgo", func(b *testing.B) {
		read(b, ngPath, func(path string) error {
			o, err := openCapture(path, false) // read and hashed as PacketReader reads it
			if err != nil {
				return err
			}
			defer o.Close()
			r, err := pcapgo.NewNgReader(bufio.NewReaderSize(o.blocks, pcapngBufferSize), pcapgo.NgReaderOptions{WantMixedLinkType: true})
			if err != nil {
				return err
			}
			for {
				if _, _, err := r.ZeroCopyReadPacketData(); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
			}
		})
	})
}

// benchPcapNG writes the packets of the pcap at path as pcapng beside it,
// once per test binary.
func benchPcapNG(b *testing.B, path string) string {
	b.Helper()
	base := strings.TrimSuffix(filepath.Base(path), ".pcap") + ".pcapng"
	out := filepath.Join(filepath.Dir(path), base+"0")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	pkts, err := mangle.ReadPcap(path)
	if err != nil {
		b.Fatal(err)
	}
	paths, err := mangle.WriteFiles(filepath.Dir(path), base, pkts, 1, mangle.Format{PcapNG: true}, 0)
	if err != nil {
		b.Fatal(err)
	}
	return paths[0]
}
