package ingest

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/spanlake/spanlake/reassembly"
)

// FuzzPacketReader feeds arbitrary bytes as a capture file: the reader must
// return packets or an error, never panic, and stop.
func FuzzPacketReader(f *testing.F) {
	segs := sampleSegments()
	var frames [][]byte
	var times []time.Time
	for i, s := range segs {
		frames = append(frames, frame(f, s))
		times = append(times, t0.Add(time.Duration(i)*time.Millisecond))
	}
	for _, cf := range captureFormats {
		f.Add(encodeCapture(f, cf, frames, times))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewPacketReader("fuzz.pcap", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer r.Close()
		dec := NewDecoder()
		var p reassembly.Packet
		for i := 0; i < 10000; i++ {
			data, ci, link, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*CaptureError); !ok {
					t.Fatalf("error %T is not a *CaptureError: %v", err, err)
				}
				return
			}
			dec.Decode(data, ci, link, &p)
		}
	})
}

// FuzzDecoder feeds arbitrary frames under every supported link type; every
// packet must be counted in exactly one bucket.
func FuzzDecoder(f *testing.F) {
	for _, s := range sampleSegments() {
		f.Add(frame(f, s), uint8(0))
	}
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull,
		layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkType(147), linkTypeNFLOG,
		linkTypeCHDLC, layers.LinkTypePPP, linkTypePPPSerial, linkTypeIEEE80211, linkTypeIEEE80211Radiotap}
	// Seeds: every tunnel and encapsulation the decoder peels.
	for _, c := range tunnelFrames(f) {
		for i, l := range links {
			if l == c.link {
				f.Add(c.frame, uint8(i))
			}
		}
	}
	f.Add(fragments4(f, ipPacket(f, bigSegment(false)), 512, 1)[0], uint8(5))
	f.Add(fragments6(f, ipPacket(f, bigSegment(true)), 512, 1)[1], uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, linkIdx uint8) {
		dec := NewDecoder()
		var p reassembly.Packet
		link := links[int(linkIdx)%len(links)]
		ok := dec.Decode(data, gopacket.CaptureInfo{CaptureLength: len(data), Length: len(data)}, link, &p)
		s := dec.Stats
		if s.TCP+s.NonTCP+s.Fragments+s.Undecodable+s.UnsupportedLink != 1 {
			t.Fatalf("packet counted %d times: %+v", s.TCP+s.NonTCP+s.Fragments+s.Undecodable+s.UnsupportedLink, s)
		}
		if ok && len(p.Payload) > len(data) {
			t.Fatalf("payload longer than the frame")
		}
	})
}
