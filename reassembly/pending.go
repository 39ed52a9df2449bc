package reassembly

import (
	"sort"
	"time"
)

// Pickup grace period.
//
// A SPAN port reorders packets across directions and within a connection,
// so the first packet seen of a connection is often not its SYN: an ACK,
// the SYN-ACK or even data can come first. Creating the connection from
// that packet would fix its roles and initial sequence numbers wrongly and
// make the late SYN look like port reuse. So a flow whose handshake has not
// been completely seen is held back: copies of its first packets wait until
// both SYN and SYN-ACK have arrived, or ReorderPackets (capped at
// pendingMaxPackets) of its packets have come, or pendingTimeout of stream
// time has passed. The connection is then created from its handshake, if any, with
// FirstSeen the earliest capture time among the held packets, and the held
// packets are replayed: SYN, SYN-ACK, then the rest in arrival order. A flow
// that never shows a handshake (it began before the capture) is replayed
// with each direction's segments in sequence order, so the stream starts at
// its lowest sequence number rather than at whichever segment came first.

// pendingMaxPackets caps the packets held per flow; pendingMaxBytes caps
// their payload. Either limit promotes the flow at once.
const (
	pendingMaxPackets = 64
	pendingMaxBytes   = 256 << 10
)

// pendingFlow is a flow waiting for its handshake.
type pendingFlow struct {
	key         connKey
	pkts        []Packet // copies; Payload owned here
	bytes       int
	arrived     time.Time // stream clock (Assembler.now) when the first packet was held, for expiry
	minTS       time.Time
	syn, synack bool
	prev, next  *pendingFlow // FIFO by arrival
}

// pendingQueue is the FIFO of pending flows by first arrival.
type pendingQueue struct{ head, tail *pendingFlow }

func (q *pendingQueue) push(f *pendingFlow) {
	f.prev, f.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = f
	} else {
		q.head = f
	}
	q.tail = f
}

func (q *pendingQueue) remove(f *pendingFlow) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		q.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		q.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

// hold queues a copy of p for a flow without a connection; it promotes the
// flow when its handshake is complete or a limit is reached.
func (a *Assembler) hold(k connKey, p *Packet) {
	f := a.pending[k]
	if f == nil {
		if len(a.pending)+len(a.conns) >= a.cfg.MaxConnections {
			a.makeRoom()
		}
		// The wait is measured on the stream's clock (the latest capture
		// time seen), not on this packet's own time, which may be seconds
		// older when the capture reorders across an idle period.
		f = &pendingFlow{key: k, arrived: a.now, minTS: p.Timestamp}
		a.pending[k] = f
		a.pendingQ.push(f)
	}
	cp := *p
	cp.Payload = append([]byte(nil), p.Payload...)
	f.pkts = append(f.pkts, cp)
	f.bytes += len(cp.Payload)
	if p.Timestamp.Before(f.minTS) {
		f.minTS = p.Timestamp
	}
	switch {
	case p.Flags.Has(FlagSYN | FlagACK):
		f.synack = true
	case p.Flags.Has(FlagSYN):
		f.syn = true
	}
	if (f.syn && f.synack) || len(f.pkts) >= min(a.cfg.ReorderPackets, pendingMaxPackets) || f.bytes >= pendingMaxBytes ||
		p.Flags.Has(FlagRST) {
		a.promote(f)
	}
}

// pendingTimeout bounds how long (stream clock) a flow waits for its
// handshake. Active flows are promoted by the packet limit long before;
// this only ends the wait of silent flows (an unanswered SYN). It is longer
// than ReorderTimeout on purpose: a capture that reorders across an idle
// period can deliver the rest of a handshake seconds of stream time later.
const pendingTimeout = 30 * time.Second

// expirePending promotes flows held longer than pendingTimeout (or
// ReorderTimeout when that is longer).
func (a *Assembler) expirePending() {
	limit := max(pendingTimeout, a.cfg.ReorderTimeout)
	for f := a.pendingQ.head; f != nil && a.now.Sub(f.arrived) > limit; f = a.pendingQ.head {
		a.promote(f)
	}
}

// promote creates the connection of a pending flow, replays its packets
// and returns the connection. Promotion moves a flow from one table to the
// other: the number of flows held does not change.
func (a *Assembler) promote(f *pendingFlow) *conn {
	a.pendingQ.remove(f)
	delete(a.pending, f.key)
	pkts := replayOrder(f)
	c := a.create(f.key, &pkts[0], f.minTS)
	for i := range pkts {
		c.add(&pkts[i])
		for a.stats.BufferedBytes > a.cfg.MaxBufferedBytesTotal {
			a.shrink()
		}
		if c.closed { // a replayed packet closed it (cannot happen today; keep the invariant)
			break
		}
	}
	return c
}

// replayOrder puts the handshake first (SYN, then SYN-ACK) and keeps the
// rest in arrival order; without any handshake, each direction's segments
// are put in sequence order in the positions that direction occupied.
func replayOrder(f *pendingFlow) []Packet {
	pkts := f.pkts
	rank := func(p *Packet) int {
		switch {
		case p.Flags.Has(FlagSYN | FlagACK):
			return 1
		case p.Flags.Has(FlagSYN):
			return 0
		}
		return 2
	}
	if f.syn || f.synack {
		sort.SliceStable(pkts, func(i, j int) bool { return rank(&pkts[i]) < rank(&pkts[j]) })
		return pkts
	}
	// No handshake: sort each direction by sequence number relative to
	// its lowest, wraparound-aware, keeping the interleaving of directions.
	src := pkts[0].Src
	for _, fromSrc := range []bool{true, false} {
		var idx []int
		for i := range pkts {
			if (pkts[i].Src == src) == fromSrc {
				idx = append(idx, i)
			}
		}
		if len(idx) < 2 {
			continue
		}
		ref := pkts[idx[0]].Seq
		for _, i := range idx {
			if int32(pkts[i].Seq-ref) < 0 {
				ref = pkts[i].Seq
			}
		}
		sub := make([]Packet, len(idx))
		for n, i := range idx {
			sub[n] = pkts[i]
		}
		sort.SliceStable(sub, func(x, y int) bool { return sub[x].Seq-ref < sub[y].Seq-ref })
		for n, i := range idx {
			pkts[i] = sub[n]
		}
	}
	return pkts
}
