package ingest

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/spanlake/spanlake/reassembly"
)

// carryFlow is a flow-table key as the assembler builds it: VLAN and the
// two endpoints, unordered.
type carryFlow struct {
	vlan   uint16
	lo, hi netip.AddrPort
}

func carryFlowOf(vlan uint16, a, b netip.AddrPort) carryFlow {
	if a.Compare(b) <= 0 {
		return carryFlow{vlan, a, b}
	}
	return carryFlow{vlan, b, a}
}

// carryWindow is the capture-time span of one carried connection.
type carryWindow struct{ first, last time.Time }

// carryWriter copies the packets of the carried connections into a pcapng
// file, one interface per (capture file, link type), so the replay knows
// which file each packet came from.
type carryWriter struct {
	out     io.Writer
	ng      *pcapgo.NgWriter
	flows   map[carryFlow][]carryWindow
	minTime time.Time
	ifaces  map[carryIface]int
	// sources and ifaceSource describe what was written: the capture files
	// packets came from, and each interface's index into sources.
	sources     []*SourceFile
	srcIndex    map[*SourceFile]int
	ifaceSource []int
	packets     int64
}

type carryIface struct {
	src  *SourceFile
	link layers.LinkType
}

// writeCarryPackets scans the checkpoint this run replayed (in, may be nil)
// and the run's capture files (in reading order) again and writes every
// packet of a carried connection to out. It returns the capture files the
// packets came from and, per pcapng interface, the index of its file.
func writeCarryPackets(out io.Writer, in *CarryIn, sources []*SourceFile, carried []CarriedConn) (*carryWriter, error) {
	w := &carryWriter{out: out, flows: map[carryFlow][]carryWindow{}, ifaces: map[carryIface]int{}, srcIndex: map[*SourceFile]int{}}
	for i, c := range carried {
		k := carryFlowOf(c.VLAN, c.Client, c.Server)
		w.flows[k] = append(w.flows[k], carryWindow{c.FirstSeen, c.LastSeen})
		if i == 0 || c.FirstSeen.Before(w.minTime) {
			w.minTime = c.FirstSeen
		}
	}
	if len(carried) == 0 {
		return w, nil
	}
	if in != nil {
		if err := w.scan(in.Path, func(ci *gopacket.CaptureInfo) *SourceFile {
			if ci.InterfaceIndex < len(in.Interfaces) && in.Interfaces[ci.InterfaceIndex] < len(in.Sources) {
				return in.Sources[in.Interfaces[ci.InterfaceIndex]]
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, src := range sources {
		if src.FirstPacket.IsZero() || src.LastPacket.Before(w.minTime) {
			continue
		}
		if err := w.scan(src.Path, func(*gopacket.CaptureInfo) *SourceFile { return src }); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// scan copies the carried packets of one file; sourceOf names the capture
// file a packet belongs to. Damage ends the file quietly: the run already
// reported it, and read no further either.
func (w *carryWriter) scan(path string, sourceOf func(*gopacket.CaptureInfo) *SourceFile) error {
	r, err := OpenPacketReader(path)
	if err != nil {
		return nil
	}
	defer r.Close()
	dec := NewDecoder()
	var p reassembly.Packet
	for {
		data, ci, link, err := r.Next()
		if err != nil {
			return nil
		}
		if !dec.Decode(data, ci, link, &p) || !w.wanted(&p) {
			continue
		}
		src := sourceOf(&ci)
		if src == nil {
			continue
		}
		if err := w.write(src, link, data, ci); err != nil {
			return fmt.Errorf("write carried packets: %w", err)
		}
	}
}

func (w *carryWriter) wanted(p *reassembly.Packet) bool {
	for _, win := range w.flows[carryFlowOf(p.VLAN, p.Src, p.Dst)] {
		if !p.Timestamp.Before(win.first) && !p.Timestamp.After(win.last) {
			return true
		}
	}
	return false
}

func (w *carryWriter) write(src *SourceFile, link layers.LinkType, data []byte, ci gopacket.CaptureInfo) error {
	k := carryIface{src, link}
	id, ok := w.ifaces[k]
	if !ok {
		intf := pcapgo.NgInterface{Name: src.Name, LinkType: link, TimestampResolution: 9, SnapLength: 0}
		var err error
		if w.ng == nil {
			w.ng, err = pcapgo.NewNgWriterInterface(w.out, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "spanlake carry-over"}})
			id = 0
		} else {
			id, err = w.ng.AddInterface(intf)
		}
		if err != nil {
			return err
		}
		w.ifaces[k] = id
		si, seen := w.srcIndex[src]
		if !seen {
			si = len(w.sources)
			w.srcIndex[src] = si
			w.sources = append(w.sources, src)
		}
		w.ifaceSource = append(w.ifaceSource, si)
	}
	ci.InterfaceIndex = id
	ci.CaptureLength = len(data)
	w.packets++
	return w.ng.WritePacket(ci, data)
}

// flush completes the pcapng file.
func (w *carryWriter) flush() error {
	if w.ng == nil {
		return nil
	}
	return w.ng.Flush()
}
