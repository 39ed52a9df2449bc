package reassembly

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// flowCapHarness drives an Assembler with numbered flows (client port =
// flow number) and checks the flow-table cap after every packet.
type flowCapHarness struct {
	t   *testing.T
	a   *Assembler
	set *recorderSet
	max int
	now time.Duration
}

func newFlowCapHarness(t *testing.T, maxConns int) *flowCapHarness {
	set := &recorderSet{t: t}
	return &flowCapHarness{t: t, a: New(Config{MaxConnections: maxConns}, set.factory), set: set, max: maxConns}
}

func flowClient(n int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(n >> 16), byte(n >> 8)}), uint16(1024+n%50000))
}

func (h *flowCapHarness) add(p Packet) {
	h.t.Helper()
	p.Timestamp = t0.Add(h.now)
	h.a.Add(&p)
	if held := len(h.a.conns) + len(h.a.pending); held > h.max || h.a.Stats().OpenConnections != held {
		h.t.Fatalf("after packet %d: %d connections + %d pending flows held, cap %d", h.a.stats.Packets, len(h.a.conns), len(h.a.pending), h.max)
	}
}

func (h *flowCapHarness) syn(n int) {
	h.add(Packet{Src: flowClient(n), Dst: addrS, Seq: 100, Flags: FlagSYN})
}

// handshake opens flow n (SYN and SYN-ACK complete it: pending.go).
func (h *flowCapHarness) handshake(n int) {
	h.syn(n)
	h.add(Packet{Src: addrS, Dst: flowClient(n), Seq: 900, Ack: 101, Flags: FlagSYN | FlagACK})
}

// request sends a byte of data on open flow n, making it the most recently
// active.
func (h *flowCapHarness) request(n int, seq uint32) {
	h.add(Packet{Src: flowClient(n), Dst: addrS, Seq: 101 + seq, Ack: 901, Flags: FlagACK | FlagPSH, Payload: []byte("x")})
}

// respond sends a byte of data from the server on open flow n.
func (h *flowCapHarness) respond(n int, seq uint32) {
	h.add(Packet{Src: addrS, Dst: flowClient(n), Seq: 901 + seq, Ack: 102, Flags: FlagACK | FlagPSH, Payload: []byte("y")})
}

// finish closes flow n with FIN both ways (it then lingers CloseTimeout).
func (h *flowCapHarness) finish(n int) {
	h.add(Packet{Src: flowClient(n), Dst: addrS, Seq: 101, Ack: 901, Flags: FlagFIN | FlagACK})
	h.add(Packet{Src: addrS, Dst: flowClient(n), Seq: 901, Ack: 102, Flags: FlagFIN | FlagACK})
}

// rec returns the recorder of the connection whose client is flow n (the
// last one, if the flow was split).
func (h *flowCapHarness) rec(n int) *recorder {
	h.t.Helper()
	var r *recorder
	for _, c := range h.set.conns {
		if c.info.Client == flowClient(n) {
			r = c
		}
	}
	if r == nil {
		h.t.Fatalf("flow %d has no connection", n)
	}
	return r
}

func (h *flowCapHarness) records(n int) int {
	k := 0
	for _, c := range h.set.conns {
		if c.info.Client == flowClient(n) {
			k++
		}
	}
	return k
}

// TestFlowCapBoundsPendingAndOpen: under a random mix of floods, complete
// connections, pickups without handshake, resets, port reuse and time
// jumps, pending flows plus connections never exceed MaxConnections, and
// every connection is closed exactly once.
func TestFlowCapBoundsPendingAndOpen(t *testing.T) {
	for _, maxConns := range []int{1, 2, 7, 64} {
		h := newFlowCapHarness(t, maxConns)
		rng := rand.New(rand.NewPCG(uint64(maxConns), 1))
		for i := range 20_000 {
			n := rng.IntN(300)
			c := flowClient(n)
			switch rng.IntN(8) {
			case 0, 1: // flood or retransmitted SYN
				h.syn(n)
			case 2:
				h.add(Packet{Src: addrS, Dst: c, Seq: 900, Ack: 101, Flags: FlagSYN | FlagACK})
			case 3: // data, with or without a handshake before it
				h.add(Packet{Src: c, Dst: addrS, Seq: 101 + uint32(rng.IntN(50)), Ack: 901, Flags: FlagACK, Payload: []byte("GET / HTTP/1.1\r\n")})
			case 4:
				h.add(Packet{Src: addrS, Dst: c, Seq: 901 + uint32(rng.IntN(50)), Ack: 120, Flags: FlagACK, Payload: []byte("HTTP/1.1 200 OK\r\n")})
			case 5:
				h.add(Packet{Src: c, Dst: addrS, Seq: 101, Ack: 901, Flags: FlagFIN | FlagACK})
			case 6:
				h.add(Packet{Src: addrS, Dst: c, Seq: 901, Ack: 102, Flags: FlagFIN | FlagACK})
			case 7:
				h.add(Packet{Src: c, Dst: addrS, Seq: 101, Flags: FlagRST})
			}
			switch {
			case i%5000 == 4999:
				h.now += 40 * time.Second // past the pending timeout
			case rng.IntN(10) == 0:
				h.now += time.Duration(rng.IntN(3000)) * time.Millisecond
			}
		}
		h.a.Flush()
		st := h.a.Stats()
		evicted := 0
		for i, r := range h.set.conns {
			if r.closes != 1 {
				t.Fatalf("max %d: connection %d closed %d times", maxConns, i, r.closes)
			}
			if r.rec.CloseReason == "evicted" {
				evicted++
			}
		}
		if st.ConnectionsCreated != uint64(len(h.set.conns)) || st.ConnectionsClosed != st.ConnectionsCreated ||
			st.ConnectionsEvicted != uint64(evicted) || st.PendingEvicted > st.ConnectionsEvicted || st.OpenConnections != 0 {
			t.Errorf("max %d: stats %+v, %d evicted records", maxConns, st, evicted)
		}
		if evicted == 0 || st.PendingEvicted == 0 {
			t.Errorf("max %d: the cap was never reached (%d evicted, %d pending)", maxConns, evicted, st.PendingEvicted)
		}
	}
}

// TestFlowCapFloodSparesOpenConnections: a flood of SYNs that never get an
// answer, faster than pending flows go stale, evicts only flood flows; the
// connections that completed their handshake keep their slots, and a
// connection opened during the flood completes too.
func TestFlowCapFloodSparesOpenConnections(t *testing.T) {
	h := newFlowCapHarness(t, 10)
	for n := range 3 {
		h.handshake(n)
	}
	for n := 100; n < 1100; n++ {
		h.now += time.Microsecond
		h.syn(n)
		if n == 600 {
			h.handshake(3)
		}
	}
	for n := range 4 {
		h.request(n, 0)
		if r := h.rec(n); r.closes != 0 || h.records(n) != 1 {
			t.Fatalf("connection %d closed during the flood (%d records)", n, h.records(n))
		}
	}
	st := h.a.Stats()
	if st.ConnectionsEvicted == 0 || st.PendingEvicted != st.ConnectionsEvicted {
		t.Errorf("only flood flows should be evicted: %+v", st)
	}
	r := h.rec(100)
	if r.closes != 1 || r.rec.CloseReason != "evicted" || r.rec.State != "S0" || r.rec.History != "S" {
		t.Errorf("first flood flow: closes %d, record %+v", r.closes, r.rec)
	}
}

// TestFlowCapEvictionOrder checks each rule of makeRoom on its own.
func TestFlowCapEvictionOrder(t *testing.T) {
	t.Run("stale pending before open", func(t *testing.T) {
		h := newFlowCapHarness(t, 3)
		h.handshake(0)
		h.syn(9) // pending: 1 of 3 slots
		h.handshake(1)
		h.now += DefaultReorderTimeout
		h.request(0, 0)
		h.request(1, 0)
		h.handshake(2) // the table is full: flow 9 has waited ReorderTimeout
		if r := h.rec(9); r.closes != 1 || r.rec.CloseReason != "evicted" || r.rec.State != "S0" {
			t.Fatalf("stale pending flow: closes %d, record %+v", r.closes, r.rec)
		}
		for n := range 3 {
			if h.rec(n).closes != 0 {
				t.Errorf("open connection %d evicted", n)
			}
		}
		if st := h.a.Stats(); st.PendingEvicted != 1 || st.ConnectionsEvicted != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("young pending spared for closed then open", func(t *testing.T) {
		h := newFlowCapHarness(t, 4)
		h.handshake(0)
		h.handshake(1)
		h.finish(1) // lingering closed
		h.handshake(2)
		h.request(0, 0)
		h.syn(9)       // young pending, 1 of 4 slots: full now
		h.handshake(3) // takes the closed connection's slot
		if r := h.rec(1); r.closes != 1 || r.rec.CloseReason != "fin" {
			t.Fatalf("closed connection: closes %d, record %+v", r.closes, r.rec)
		}
		h.handshake(4) // then the least recently active open one: 2
		if r := h.rec(2); r.closes != 1 || r.rec.CloseReason != "evicted" {
			t.Fatalf("least recently active: closes %d, record %+v", r.closes, r.rec)
		}
		for _, n := range []int{0, 3, 4} {
			if h.rec(n).closes != 0 {
				t.Errorf("connection %d closed", n)
			}
		}
		h.add(Packet{Src: addrS, Dst: flowClient(9), Seq: 900, Ack: 101, Flags: FlagSYN | FlagACK})
		if r := h.rec(9); r.closes != 0 || !r.info.HandshakeSeen || h.records(9) != 1 {
			t.Errorf("pending flow 9 lost its handshake: %+v", r.info)
		}
		if st := h.a.Stats(); st.PendingEvicted != 0 || st.ConnectionsEvicted != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("unanswered before answered", func(t *testing.T) {
		// A connection the server has answered keeps its slot against
		// more recently active ones it has not (a slowloris flood).
		h := newFlowCapHarness(t, 3)
		h.handshake(0)
		h.request(0, 0)
		h.respond(0, 0)
		h.now += time.Second
		for n := 1; n <= 4; n++ {
			h.handshake(n)
			h.request(n, 0)
			h.now += time.Millisecond
		}
		if r := h.rec(0); r.closes != 0 {
			t.Fatalf("answered connection evicted: %+v", r.rec)
		}
		for _, n := range []int{1, 2} {
			if r := h.rec(n); r.closes != 1 || r.rec.CloseReason != "evicted" {
				t.Errorf("unanswered connection %d: closes %d, record %+v", n, r.closes, r.rec)
			}
		}
		// Once answered, a connection leaves the first-evicted list.
		h.respond(3, 0)
		h.handshake(5)
		if h.rec(3).closes != 0 || h.rec(4).closes != 1 {
			t.Errorf("after 3 was answered: 3 closed %d times, 4 closed %d times", h.rec(3).closes, h.rec(4).closes)
		}
	})
	t.Run("pending only", func(t *testing.T) {
		h := newFlowCapHarness(t, 3)
		for n := range 5 {
			h.syn(n)
		}
		for n := range 2 {
			if r := h.rec(n); r.closes != 1 || r.rec.CloseReason != "evicted" {
				t.Errorf("flow %d: closes %d, record %+v", n, r.closes, r.rec)
			}
		}
		if st := h.a.Stats(); st.PendingEvicted != 2 || st.OpenConnections != 3 {
			t.Errorf("stats %+v", st)
		}
	})
}
