package ingest

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

var t0 = time.Date(2026, 11, 24, 13, 0, 0, 123456000, time.UTC)

func sampleSegments() []testSegment {
	return []testSegment{
		{src: "10.0.0.2", dst: "10.0.0.1", sport: 40000, dport: 80, seq: 100, syn: true},
		{src: "10.0.0.1", dst: "10.0.0.2", sport: 80, dport: 40000, seq: 900, ack: 101, syn: true, ackf: true},
		{src: "10.0.0.2", dst: "10.0.0.1", sport: 40000, dport: 80, seq: 101, ack: 901, ackf: true, payload: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{src: "fd00::2", dst: "fd00::1", sport: 40001, dport: 8080, seq: 7, ack: 9, ackf: true, payload: "v6"},
		{src: "10.0.0.2", dst: "10.0.0.1", sport: 40002, dport: 80, seq: 1, ack: 2, ackf: true, payload: "tagged", vlans: []uint16{100, 200}},
	}
}

func readAll(t *testing.T, path string) ([]reassembly.Packet, []string, error) {
	t.Helper()
	r, err := OpenPacketReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	dec := NewDecoder()
	var pkts []reassembly.Packet
	var payloads []string
	for {
		data, ci, link, err := r.Next()
		if err == io.EOF {
			return pkts, payloads, nil
		}
		if err != nil {
			return pkts, payloads, err
		}
		var p reassembly.Packet
		if dec.Decode(data, ci, link, &p) {
			payloads = append(payloads, string(p.Payload))
			p.Payload = nil
			pkts = append(pkts, p)
		}
	}
}

// TestCaptureFormats runs every container × compression through the same
// reader and decoder and expects the same packets back.
func TestCaptureFormats(t *testing.T) {
	segs := sampleSegments()
	var frames [][]byte
	var times []time.Time
	for i, s := range segs {
		frames = append(frames, frame(t, s))
		times = append(times, t0.Add(time.Duration(i)*time.Millisecond))
	}
	for _, f := range captureFormats {
		t.Run(f.name, func(t *testing.T) {
			path := writeTemp(t, "capture."+f.name, encodeCapture(t, f, frames, times))
			r, err := OpenPacketReader(path)
			if err != nil {
				t.Fatal(err)
			}
			if r.Compression() != f.comp {
				t.Errorf("compression %s, want %s", r.Compression(), f.comp)
			}
			if (r.Container() == ContainerPcapNG) != f.ng {
				t.Errorf("container %s", r.Container())
			}
			r.Close()
			pkts, payloads, err := readAll(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkts) != len(segs) {
				t.Fatalf("decoded %d packets, want %d", len(pkts), len(segs))
			}
			for i, s := range segs {
				p := pkts[i]
				wantSrc := netip.AddrPortFrom(netip.MustParseAddr(s.src), s.sport)
				wantDst := netip.AddrPortFrom(netip.MustParseAddr(s.dst), s.dport)
				if p.Src != wantSrc || p.Dst != wantDst || p.Seq != s.seq || p.Ack != s.ack || payloads[i] != s.payload {
					t.Errorf("packet %d: got %v→%v seq %d ack %d %q", i, p.Src, p.Dst, p.Seq, p.Ack, payloads[i])
				}
				if !p.Timestamp.Equal(times[i]) {
					t.Errorf("packet %d: time %v, want %v", i, p.Timestamp, times[i])
				}
				if p.Flags.Has(reassembly.FlagSYN) != s.syn || p.Flags.Has(reassembly.FlagACK) != s.ackf {
					t.Errorf("packet %d: flags %b", i, p.Flags)
				}
				wantVLAN := uint16(0)
				if len(s.vlans) > 0 {
					wantVLAN = s.vlans[0]
				}
				if p.VLAN != wantVLAN {
					t.Errorf("packet %d: VLAN %d, want outer tag %d", i, p.VLAN, wantVLAN)
				}
			}
		})
	}
}

// TestTruncatedCapture: a capture cut inside a record (tcpdump killed)
// yields the packets before the damage, then an error naming the file and
// the offset of the end of the last good record.
func TestTruncatedCapture(t *testing.T) {
	segs := sampleSegments()
	var frames [][]byte
	var times []time.Time
	for i, s := range segs {
		frames = append(frames, frame(t, s))
		times = append(times, t0.Add(time.Duration(i)*time.Second))
	}
	for _, f := range []captureFormat{captureFormats[0], captureFormats[1]} {
		t.Run(f.name, func(t *testing.T) {
			full := encodeCapture(t, f, frames, times)
			path := writeTemp(t, "cut."+f.name, full[:len(full)-10])
			pkts, _, err := readAll(t, path)
			if len(pkts) != len(segs)-1 {
				t.Errorf("read %d packets before the damage, want %d", len(pkts), len(segs)-1)
			}
			var ce *CaptureError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CaptureError", err)
			}
			// The last good record ends where the last frame's record begins.
			lastRecord := int64(len(frames[len(frames)-1]) + 16)
			if f.ng {
				lastRecord = -1 // pcapng records are padded; check the range instead
			}
			if lastRecord > 0 && ce.Offset != int64(len(full))-lastRecord {
				t.Errorf("offset %d, want %d", ce.Offset, int64(len(full))-lastRecord)
			}
			if ce.Offset <= 0 || ce.Offset >= int64(len(full)) {
				t.Errorf("offset %d outside the file", ce.Offset)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q does not name the file and offset", err)
			}
		})
	}
}

func TestNotACapture(t *testing.T) {
	for name, data := range map[string][]byte{
		"text.pcap":            []byte("GET / HTTP/1.1\r\n\r\n"),
		"empty.pcap":           nil,
		"short.pcap":           {0xd4, 0xc3},
		"gzip-of-text.pcap.gz": gzipBytes(t, []byte("hello, not a capture")),
	} {
		t.Run(name, func(t *testing.T) {
			path := writeTemp(t, name, data)
			_, err := OpenPacketReader(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
