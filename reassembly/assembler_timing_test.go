package reassembly

import (
	"net/netip"
	"testing"
	"time"
)

// nopHandler discards everything, so benchmarks measure the assembler.
type nopHandler struct{}

func (nopHandler) Data(Direction, []byte, time.Time) {}
func (nopHandler) Gap(Direction, int, time.Time)     {}
func (nopHandler) Close(*ConnRecord)                 {}

func nopFactory(*ConnInfo) Handler { return nopHandler{} }

const benchMSS = 1460

// benchFlow returns packets of one client->server connection: a SYN, then
// data segments made in order by next().
type benchFlow struct {
	p   Packet
	seq uint32
}

func newBenchFlow(a *Assembler, client netip.AddrPort, payload []byte) *benchFlow {
	f := &benchFlow{p: Packet{Timestamp: t0, Src: client, Dst: addrS, Flags: FlagSYN, Seq: 1000}, seq: 1001}
	a.Add(&f.p)
	f.p.Flags = FlagACK | FlagPSH
	f.p.Payload = payload
	return f
}

func BenchmarkInOrder(b *testing.B) {
	a := New(Config{}, nopFactory)
	f := newBenchFlow(a, addrC, make([]byte, benchMSS))
	b.ReportAllocs()
	b.SetBytes(benchMSS)
	for i := 0; b.Loop(); i++ {
		f.p.Seq = f.seq
		f.seq += benchMSS
		f.p.Timestamp = t0.Add(time.Duration(i) * time.Microsecond)
		a.Add(&f.p)
	}
}

// BenchmarkOutOfOrder10 swaps every tenth pair of segments.
func BenchmarkOutOfOrder10(b *testing.B) {
	a := New(Config{}, nopFactory)
	f := newBenchFlow(a, addrC, make([]byte, benchMSS))
	b.ReportAllocs()
	b.SetBytes(benchMSS)
	for i := 0; b.Loop(); i++ {
		seq := f.seq
		switch i % 10 {
		case 8:
			seq += benchMSS // send the later one first
		case 9:
			seq -= benchMSS
		}
		f.p.Seq = seq
		f.seq += benchMSS
		f.p.Timestamp = t0.Add(time.Duration(i) * time.Microsecond)
		a.Add(&f.p)
	}
}

// BenchmarkManyFlows round-robins in-order segments over 10k connections.
func BenchmarkManyFlows(b *testing.B) {
	const flows = 10_000
	a := New(Config{}, nopFactory)
	payload := make([]byte, 512)
	fs := make([]*benchFlow, flows)
	base := netip.MustParseAddr("10.1.0.0").As4()
	for i := range fs {
		ip := base
		ip[2], ip[3] = byte(i>>8), byte(i)
		fs[i] = newBenchFlow(a, netip.AddrPortFrom(netip.AddrFrom4(ip), uint16(1024+i)), payload)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for i := 0; b.Loop(); i++ {
		f := fs[i%flows]
		f.p.Seq = f.seq
		f.seq += uint32(len(payload))
		f.p.Timestamp = t0.Add(time.Duration(i) * time.Microsecond)
		a.Add(&f.p)
	}
}
