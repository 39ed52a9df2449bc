package reassembly

import "time"

// ACK-gated delivery.
//
// A SPAN port merges both directions and reorders them: the first segment of
// a response can be captured before the request segment it answers. In-order
// delivery per direction is not enough then — the HTTP layer would see the
// response before the request. But every segment carries proof of what its
// sender had received: its ACK number. So a segment is handed to the Handler
// only once every peer byte it acknowledges has been handed over (data or
// gap). Until then it waits in its direction's gate queue (a copy, counted
// in the buffer caps); order within a direction is never changed.
//
// The wait ends when the peer's bytes are handed over, or are declared lost
// by the gap rules (an ACKed hole becomes a gap after the reorder window),
// or when the connection closes. Two heads waiting on each other (possible
// only with crafted traffic) are broken by handing over the earlier one; a
// queue over MaxBufferedBytesPerConn is handed over as it is (anomaly
// "ack_gate_overflow").

// ackInfo is the ACK number a segment carried, if its ACK flag was set.
type ackInfo struct {
	seq uint32
	ok  bool
}

// gateItem is one Handler call waiting in a gate queue.
type gateItem struct {
	data []byte // owned copy; nil for a gap
	gap  uint64
	ts   time.Time
	need uint64 // peer bytes (rel) that must be handed over first
}

// need returns the peer position a segment of d with ACK ack waits for, and
// whether it has to wait at all.
func (c *conn) need(d Direction, ack ackInfo) (uint64, bool) {
	p := &c.s[d.Reverse()]
	if !ack.ok || !p.init {
		return 0, false
	}
	r := p.rel(ack.seq)
	if r <= int64(p.handed) || r-int64(p.next) > maxSeqAhead {
		return 0, false
	}
	n := uint64(r)
	if p.finSeen && n > p.fin {
		n = p.fin // the ACK of a FIN covers its sequence number, which carries no data
	}
	return n, n > p.handed
}

// hand passes a Data (gap == 0) or Gap call of direction d to the Handler
// now, or queues it behind what is already waiting.
func (c *conn) hand(d Direction, data []byte, gap uint64, ts time.Time, ack ackInfo) {
	s := &c.s[d]
	need, wait := c.need(d, ack)
	if len(s.gateQ) == 0 && !wait {
		c.emit(d, data, gap, ts)
		return
	}
	var cp []byte
	if data != nil {
		cp = append([]byte(nil), data...)
	}
	s.gateQ = append(s.gateQ, gateItem{data: cp, gap: gap, ts: ts, need: need})
	s.gateBytes += len(cp)
	c.a.buffered(c, int64(len(cp)))
	if s.gateBytes > c.a.cfg.MaxBufferedBytesPerConn {
		c.anomaly(anomAckGateOverflow)
		c.releaseAll()
		return
	}
	c.release(d)
	c.breakDeadlock()
}

// emit calls the Handler and lets the peer's queue move on.
func (c *conn) emit(d Direction, data []byte, gap uint64, ts time.Time) {
	s := &c.s[d]
	if gap > 0 {
		s.handed += gap
		c.h.Gap(d, int(gap), ts)
	} else {
		s.handed += uint64(len(data))
		c.h.Data(d, data, ts)
	}
	c.release(d.Reverse())
}

// release hands over the items of d whose peer bytes have been handed over.
func (c *conn) release(d Direction) {
	s, p := &c.s[d], &c.s[d.Reverse()]
	for len(s.gateQ) > 0 && s.gateQ[0].need <= p.handed {
		c.popEmit(d)
	}
}

func (c *conn) popEmit(d Direction) {
	s := &c.s[d]
	it := s.gateQ[0]
	s.gateQ[0] = gateItem{}
	s.gateQ = s.gateQ[1:]
	if len(s.gateQ) == 0 {
		s.gateQ = nil
	}
	s.gateBytes -= len(it.data)
	c.a.buffered(c, -int64(len(it.data)))
	c.emit(d, it.data, it.gap, it.ts)
}

// breakDeadlock hands over the earlier head when both wait on each other.
func (c *conn) breakDeadlock() {
	for {
		a, b := &c.s[0], &c.s[1]
		if len(a.gateQ) == 0 || len(b.gateQ) == 0 || a.gateQ[0].need <= b.handed || b.gateQ[0].need <= a.handed {
			return
		}
		if !b.gateQ[0].ts.Before(a.gateQ[0].ts) {
			c.popEmit(0)
		} else {
			c.popEmit(1)
		}
	}
}

// releaseAll hands over everything queued, in causal order where possible
// and by capture time otherwise.
func (c *conn) releaseAll() {
	for len(c.s[0].gateQ)+len(c.s[1].gateQ) > 0 {
		c.release(0)
		c.release(1)
		a, b := &c.s[0], &c.s[1]
		switch {
		case len(a.gateQ) > 0 && (len(b.gateQ) == 0 || !b.gateQ[0].ts.Before(a.gateQ[0].ts)):
			c.popEmit(0)
		case len(b.gateQ) > 0:
			c.popEmit(1)
		}
	}
}
