package ingest

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// sllFrame turns an Ethernet frame into a Linux cooked (SLL) one: the
// 14-byte Ethernet header becomes the 16-byte SLL header of a packet sent
// to this host.
func sllFrame(eth []byte) []byte {
	hdr := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, eth[12], eth[13]}
	return append(hdr, eth[14:]...)
}

// TestPcapNGMixedLinkTypes reads a pcapng file whose interfaces have
// different link types (dumpcap with several -i, or a carry-over file
// holding packets of captures with different link types). Every packet
// comes back with its own interface's link type; none is dropped
// because it is not the first interface's. The interface statistics
// blocks after the last packet end the file cleanly.
func TestPcapNGMixedLinkTypes(t *testing.T) {
	segs := sampleSegments()
	type pkt struct {
		iface int
		data  []byte
		link  layers.LinkType
	}
	var pkts []pkt
	for i, s := range segs {
		eth := frame(t, s)
		if i%2 == 1 {
			pkts = append(pkts, pkt{1, sllFrame(eth), layers.LinkTypeLinuxSLL})
		} else {
			pkts = append(pkts, pkt{0, eth, layers.LinkTypeEthernet})
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
	// dumpcap ends a file with the statistics of each interface: blocks
	// after the last packet, which are not damage.
	for id := range 2 {
		if err := w.WriteInterfaceStats(id, pcapgo.NgInterfaceStatistics{LastUpdate: t0.Add(time.Second), PacketsReceived: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "mixed.pcapng", raw.Bytes())

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
