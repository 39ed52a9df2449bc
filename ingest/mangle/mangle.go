// Package mangle damages captures the way a SPAN port and a busy capture
// host do — reordering (ACK before data included), duplicates, re-segmented
// retransmissions with overlapping identical bytes, keep-alive probes,
// VLAN tags, pcapng with gzip, rotation into several files — or the way a
// lossy one does (dropped segments). It exists for tests: a capture and its
// mangled copy must yield the same exchanges. It is deterministic for a seed.
package mangle

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
)

// Packet is one captured frame (Ethernet).
type Packet struct {
	CI   gopacket.CaptureInfo
	Data []byte
}

// Options say what to do to a capture. Zero values do nothing.
type Options struct {
	Seed          uint64
	ReorderWindow int     // shuffle packets within windows of this many
	Duplicate     float64 // probability that a packet is captured twice
	Resegment     float64 // probability that a data segment is split into two overlapping pieces
	KeepAlive     float64 // probability that a pure ACK is preceded by a keep-alive probe (one stale byte at seq-1)
	Drop          float64 // probability that a data segment is lost
	VLAN          uint16  // tag every frame with this 802.1Q id (0: none)
}

// ReadPcap reads every frame of a classic pcap file.
func ReadPcap(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("read %s: link type %s, want Ethernet", path, r.LinkType())
	}
	var out []Packet
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		out = append(out, Packet{CI: ci, Data: data})
	}
}

// tcpFrame is a decoded frame that can be re-serialised with changes.
type tcpFrame struct {
	eth     layers.Ethernet
	ip4     *layers.IPv4
	ip6     *layers.IPv6
	tcp     layers.TCP
	payload []byte
}

func decodeTCP(p Packet) (*tcpFrame, bool) {
	pkt := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if eth == nil || tcp == nil {
		return nil, false
	}
	f := &tcpFrame{eth: *eth, tcp: *tcp, payload: append([]byte(nil), tcp.Payload...)}
	if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		c := *ip
		f.ip4 = &c
	} else if ip, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
		c := *ip
		f.ip6 = &c
	} else {
		return nil, false
	}
	return f, true
}

// serialize rebuilds the frame with the given seq and payload, optionally
// VLAN-tagged, with lengths and checksums recomputed.
func (f *tcpFrame) serialize(seq uint32, payload []byte, vlan uint16) ([]byte, error) {
	eth := f.eth
	var ls []gopacket.SerializableLayer
	if vlan != 0 {
		inner := eth.EthernetType
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &eth, &layers.Dot1Q{VLANIdentifier: vlan, Type: inner})
	} else {
		ls = append(ls, &eth)
	}
	tcp := f.tcp
	tcp.Seq = seq
	if f.ip4 != nil {
		ip := *f.ip4
		tcp.SetNetworkLayerForChecksum(&ip)
		ls = append(ls, &ip)
	} else {
		ip := *f.ip6
		tcp.SetNetworkLayerForChecksum(&ip)
		ls = append(ls, &ip)
	}
	ls = append(ls, &tcp, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return nil, err
	}
	return append([]byte(nil), buf.Bytes()...), nil
}

// Apply returns a damaged copy of pkts. Every output packet keeps the
// capture time of the packet it came from, so exchange timings survive.
func Apply(pkts []Packet, o Options) ([]Packet, error) {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	var out []Packet
	// lastByte is the last payload byte each sender sent: a keep-alive
	// probe repeats it ("one stale byte" at seq-1).
	lastByte := map[[2]string]byte{}
	emit := func(ci gopacket.CaptureInfo, data []byte) {
		ci.CaptureLength, ci.Length = len(data), len(data)
		out = append(out, Packet{CI: ci, Data: data})
	}
	for _, p := range pkts {
		f, ok := decodeTCP(p)
		if !ok {
			emit(p.CI, p.Data)
			continue
		}
		seq := f.tcp.Seq
		flow := [2]string{string(f.eth.SrcMAC), fmt.Sprintf("%d>%d", f.tcp.SrcPort, f.tcp.DstPort)}
		if len(f.payload) > 0 {
			lastByte[flow] = f.payload[len(f.payload)-1]
		}
		if len(f.payload) > 0 && o.Drop > 0 && rng.Float64() < o.Drop {
			continue
		}
		var pieces [][2]int // [start, end) of payload, in emit order
		switch {
		case len(f.payload) >= 4 && rng.Float64() < o.Resegment:
			cut := 1 + rng.IntN(len(f.payload)-2)
			overlap := min(cut, 1+rng.IntN(16))
			pieces = [][2]int{{0, cut}, {cut - overlap, len(f.payload)}}
		default:
			pieces = [][2]int{{0, len(f.payload)}}
		}
		if len(f.payload) == 0 && f.tcp.ACK && !f.tcp.SYN && !f.tcp.FIN && !f.tcp.RST && rng.Float64() < o.KeepAlive {
			probe, err := f.serialize(seq-1, []byte{lastByte[flow]}, o.VLAN)
			if err != nil {
				return nil, err
			}
			emit(p.CI, probe)
		}
		for _, pc := range pieces {
			data, err := f.serialize(seq+uint32(pc[0]), f.payload[pc[0]:pc[1]], o.VLAN)
			if err != nil {
				return nil, err
			}
			emit(p.CI, data)
			if o.Duplicate > 0 && rng.Float64() < o.Duplicate {
				emit(p.CI, data)
			}
		}
	}
	if w := o.ReorderWindow; w > 1 {
		for i := 0; i < len(out); i += w {
			win := out[i:min(i+w, len(out))]
			rng.Shuffle(len(win), func(a, b int) { win[a], win[b] = win[b], win[a] })
		}
	}
	return out, nil
}

// Format selects how WriteFiles writes.
type Format struct {
	PcapNG bool
	Gzip   bool
}

// WriteFiles writes pkts into parts files under dir, split at random packet
// positions (like a rotated tcpdump -C set), named base0, base1, ... in
// order; it returns their paths.
func WriteFiles(dir, base string, pkts []Packet, parts int, f Format, seed uint64) ([]string, error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	cuts := map[int]bool{}
	for len(cuts) < parts-1 && len(pkts) > parts {
		cuts[1+rng.IntN(len(pkts)-1)] = true
	}
	bounds := []int{0}
	for c := range cuts {
		bounds = append(bounds, c)
	}
	sort.Ints(bounds)
	bounds = append(bounds, len(pkts))
	var paths []string
	for i := 0; i+1 < len(bounds); i++ {
		var buf bytes.Buffer
		if err := encode(&buf, pkts[bounds[i]:bounds[i+1]], f); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, fmt.Sprintf("%s%d", base, i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func encode(w io.Writer, pkts []Packet, f Format) error {
	var zw *gzip.Writer
	if f.Gzip {
		zw = gzip.NewWriter(w)
		w = zw
	}
	if f.PcapNG {
		nw, err := pcapgo.NewNgWriter(w, layers.LinkTypeEthernet)
		if err != nil {
			return err
		}
		for _, p := range pkts {
			if err := nw.WritePacket(p.CI, p.Data); err != nil {
				return err
			}
		}
		if err := nw.Flush(); err != nil {
			return err
		}
	} else {
		pw := pcapgo.NewWriter(w)
		if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			return err
		}
		for _, p := range pkts {
			if err := pw.WritePacket(p.CI, p.Data); err != nil {
				return err
			}
		}
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}
