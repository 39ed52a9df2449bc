package reassembly

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// Hostile traffic: every cap holds and every case is counted, none panics.

// TestSYNFlood: a million half-open flows from distinct ports. The flow
// table (connections and flows awaiting their handshake together) stays
// within MaxConnections, and the heap stays small.
func TestSYNFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a million packets")
	}
	const flows, limit = 1_000_000, 20_000
	closes := 0
	a := New(Config{MaxConnections: limit}, func(*ConnInfo) Handler { return closeCounter{&closes} })
	var ms runtime.MemStats
	peakOpen := 0
	for i := 0; i < flows; i++ {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		p := Packet{Timestamp: t0.Add(time.Duration(i) * time.Microsecond), Src: src, Dst: addrS, Seq: uint32(i), Flags: FlagSYN}
		a.Add(&p)
		if n := a.Stats().OpenConnections; n > peakOpen {
			peakOpen = n
		}
	}
	if peakOpen > limit {
		t.Errorf("%d flows held at once, cap is %d", peakOpen, limit)
	}
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > 256<<20 {
		t.Errorf("heap in use %d MiB after the flood", ms.HeapInuse>>20)
	}
	a.Flush()
	if st := a.Stats(); st.ConnectionsCreated != flows || closes != flows {
		t.Errorf("created %d, closed %d of %d flows", st.ConnectionsCreated, closes, flows)
	}
}

type closeCounter struct{ n *int }

func (closeCounter) Data(Direction, []byte, time.Time) {}
func (closeCounter) Gap(Direction, int, time.Time)     {}
func (c closeCounter) Close(*ConnRecord)               { *c.n++ }

// TestTinyOutOfOrderFlood: one connection sends hundreds of thousands of
// 1-byte segments beyond a hole that never fills. The per-connection buffer
// cap holds (forced gaps, anomaly), and the global peak never exceeds it by
// more than one segment.
func TestTinyOutOfOrderFlood(t *testing.T) {
	const limit = 64 << 10
	set := &recorderSet{t: t}
	a := New(Config{MaxBufferedBytesPerConn: limit, MaxBufferedBytesTotal: 4 * limit}, set.factory)
	syn := Packet{Timestamp: t0, Src: addrC, Dst: addrS, Seq: 1000, Flags: FlagSYN}
	synack := Packet{Timestamp: t0, Src: addrS, Dst: addrC, Seq: 5000, Ack: 1001, Flags: FlagSYN | FlagACK}
	a.Add(&syn)
	a.Add(&synack)
	for i := 0; i < 300_000; i++ {
		// Every other byte, starting after a 10-byte hole: nothing is ever contiguous.
		p := Packet{Timestamp: t0.Add(time.Millisecond), Src: addrC, Dst: addrS, Seq: 1011 + uint32(2*i), Ack: 5001, Flags: FlagACK, Payload: []byte{'x'}}
		a.Add(&p)
		if b := a.Stats().BufferedBytes; b > limit+1 {
			t.Fatalf("after %d segments %d bytes buffered, cap %d", i, b, limit)
		}
	}
	a.Flush()
	st := a.Stats()
	if st.ForcedGaps == 0 || st.PeakBufferedBytes > limit+1 {
		t.Errorf("forced gaps %d, peak buffered %d (cap %d)", st.ForcedGaps, st.PeakBufferedBytes, limit)
	}
	if r := set.conns[0].rec; !contains(r.Anomalies, "buffer_overflow") {
		t.Errorf("anomalies %v lack buffer_overflow", r.Anomalies)
	}
}

// TestConnectionThatNeverCloses: an idle connection is closed by the idle
// timeout in packet time, not kept forever.
func TestConnectionThatNeverCloses(t *testing.T) {
	set := &recorderSet{t: t}
	a := New(Config{IdleTimeout: time.Minute}, set.factory)
	syn := Packet{Timestamp: t0, Src: addrC, Dst: addrS, Seq: 1000, Flags: FlagSYN}
	synack := Packet{Timestamp: t0, Src: addrS, Dst: addrC, Seq: 5000, Ack: 1001, Flags: FlagSYN | FlagACK}
	a.Add(&syn)
	a.Add(&synack)
	// Other traffic moves packet time on by two minutes.
	other := netip.MustParseAddrPort("10.0.0.9:50000")
	for i := 0; i < 3; i++ {
		p := Packet{Timestamp: t0.Add(time.Duration(i+1) * time.Minute), Src: other, Dst: addrS, Seq: 1, Flags: FlagSYN}
		a.Add(&p)
	}
	if len(set.conns) == 0 || set.conns[0].closes != 1 || set.conns[0].rec.CloseReason != "idle_timeout" {
		t.Fatalf("the idle connection was not closed by the idle timeout")
	}
	if a.Stats().IdleTimeouts == 0 {
		t.Error("idle timeout not counted")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
