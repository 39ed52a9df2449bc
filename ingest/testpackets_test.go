package ingest

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// testSegment describes a TCP segment to synthesise.
type testSegment struct {
	src, dst       string
	sport, dport   uint16
	seq, ack       uint32
	syn, ackf, fin bool
	payload        string
	vlans          []uint16 // outermost first
}

// frame serialises seg as an Ethernet frame with gopacket's serializer.
func frame(t testing.TB, seg testSegment) []byte {
	t.Helper()
	src, dst := net.ParseIP(seg.src), net.ParseIP(seg.dst)
	v6 := src.To4() == nil
	ethType := layers.EthernetTypeIPv4
	if v6 {
		ethType = layers.EthernetTypeIPv6
	}
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: ethType}
	ls = append(ls, eth)
	if len(seg.vlans) > 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		for i, id := range seg.vlans {
			next := layers.EthernetTypeDot1Q
			if i == len(seg.vlans)-1 {
				next = ethType
			}
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: id, Type: next})
		}
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(seg.sport), DstPort: layers.TCPPort(seg.dport), Seq: seg.seq, Ack: seg.ack,
		SYN: seg.syn, ACK: seg.ackf, FIN: seg.fin, Window: 65535}
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.To4(), DstIP: dst.To4()}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	}
	ls = append(ls, tcp, gopacket.Payload(seg.payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// captureFormat writes frames in one container/compression combination.
type captureFormat struct {
	name string
	ng   bool
	comp Compression
}

var captureFormats = []captureFormat{
	{"pcap", false, CompressionNone},
	{"pcapng", true, CompressionNone},
	{"pcap.gz", false, CompressionGzip},
	{"pcapng.gz", true, CompressionGzip},
	{"pcap.zst", false, CompressionZstd},
	{"pcapng.zst", true, CompressionZstd},
}

func encodeCapture(t testing.TB, f captureFormat, frames [][]byte, times []time.Time) []byte {
	t.Helper()
	var raw bytes.Buffer
	if f.ng {
		w, err := pcapgo.NewNgWriter(&raw, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		for i, fr := range frames {
			ci := gopacket.CaptureInfo{Timestamp: times[i], CaptureLength: len(fr), Length: len(fr)}
			if err := w.WritePacket(ci, fr); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	} else {
		w := pcapgo.NewWriter(&raw)
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		for i, fr := range frames {
			ci := gopacket.CaptureInfo{Timestamp: times[i], CaptureLength: len(fr), Length: len(fr)}
			if err := w.WritePacket(ci, fr); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out bytes.Buffer
	var wc io.WriteCloser
	switch f.comp {
	case CompressionNone:
		return raw.Bytes()
	case CompressionGzip:
		wc = gzip.NewWriter(&out)
	case CompressionZstd:
		zw, err := zstd.NewWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		wc = zw
	}
	if _, err := wc.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
