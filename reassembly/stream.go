package reassembly

import (
	"bytes"
	"slices"
	"sort"
	"time"
)

// maxSeqAhead bounds how far ahead of the next expected byte a segment or an
// ACK may point (TCP's largest scaled window); beyond it the sequence number
// is garbage and ignored, so it cannot make us report absurd gaps.
const maxSeqAhead = 1 << 30

// segment is out-of-order data held until the hole before it fills. data is
// a copy owned by the stream.
type segment struct {
	rel  uint64
	data []byte
	ts   time.Time
	ack  ackInfo // of the packet that carried it (gate.go)
	// probe marks a lone byte that arrived ahead of the stream: possibly a
	// keep-alive probe reordered before the data it repeats. Unlike other
	// buffered bytes it yields to a later segment that covers it.
	probe bool
}

func (g *segment) end() uint64 { return g.rel + uint64(len(g.data)) }

// recentSeg remembers a delivered segment by hash, so a retransmission that
// covers it can be checked for conflicting bytes without keeping the bytes.
type recentSeg struct {
	rel uint64
	n   int
	sum uint64
}

// pendingGap is a hole the peer has ACKed past: it becomes a Gap when the
// reorder window since that ACK is over and the bytes still did not come.
type pendingGap struct {
	active bool
	ackRel uint64
	pkts   uint64 // conn.pkts when the ACK was seen
	ts     time.Time
}

// stream is one direction of a connection. Offsets ("rel") are 64-bit
// positions from the first data byte (base), so wraparound of the 32-bit
// sequence space is handled once, in rel.
type stream struct {
	init    bool
	viaSYN  bool
	isn     uint32
	base    uint32 // sequence number of rel 0
	next    uint64 // rel of the next byte to deliver
	highest uint64 // one past the highest byte (or FIN) seen
	acked   uint64 // highest rel the peer acknowledged
	finSeen bool
	fin     uint64 // rel of the FIN: the end of the data

	buf      []segment // sorted, non-overlapping, all past next
	bufBytes int

	zeroWindow bool // this sender's last advertised window was zero
	pending    pendingGap
	unseenAcks uint64 // ACKs past highest, not yet proven lost or found

	recent    [4]recentSeg
	recentPos int

	// Gate (gate.go): Handler calls waiting for the peer, and how far this
	// direction has been handed to the Handler (next runs ahead of it
	// while calls wait).
	gateQ     []gateItem
	gateBytes int
	handed    uint64
}

// rel maps a sequence number to a stream offset. The 32-bit difference to
// the next expected byte is taken as signed, which is correct as long as the
// two are within 2^31 of each other (always true for a live stream).
func (s *stream) rel(seq uint32) int64 {
	return int64(s.next) + int64(int32(seq-(s.base+uint32(s.next))))
}

// ackEnd is how far the peer's ACKs prove data was sent. A FIN takes a
// sequence number but carries no data, so its ACK does not count.
func (s *stream) ackEnd() uint64 {
	if s.finSeen && s.acked > s.fin {
		return s.fin
	}
	return s.acked
}

// data handles the payload of one segment of direction d starting at seq.
func (c *conn) data(d Direction, seq uint32, payload []byte, ts time.Time) {
	s := &c.s[d]
	start := s.rel(seq)
	end := start + int64(len(payload))
	next := int64(s.next)
	if start-next > maxSeqAhead {
		c.anomaly(anomSeqOutOfWindow)
		return
	}
	// Zeek's history letter T (t) is any payload that starts below the
	// highest byte already seen: a retransmission, and also a late segment
	// filling a hole. The counters keep the two apart (Retransmissions,
	// OutOfOrder); the history says what Zeek's would.
	late := len(payload) > 0 && start < int64(s.highest)
	if end > 0 && uint64(end) > s.highest {
		s.highest = uint64(end)
		if s.unseenAcks > 0 && s.highest >= s.acked {
			s.unseenAcks = 0 // the data those ACKs covered did arrive
		}
	}
	if s.finSeen && end > int64(s.fin) {
		c.anomaly(anomDataAfterFIN)
	}
	if start == next && len(s.buf) == 0 {
		if late {
			c.mark(d, histRexmit)
		}
		c.deliver(d, payload, ts, c.cur) // fast path: in order, nothing held
		return
	}
	if end <= next {
		if len(payload) == 1 {
			// A lone byte inside delivered data is a keep-alive probe that
			// was reordered after the data following it: its stale byte
			// is no conflict (and is indistinguishable from one).
			c.keepAlive(d)
			return
		}
		c.mark(d, histRexmit)
		c.retransmission(d)
		if c.conflictsDelivered(d, start, payload) {
			c.conflict(d)
		}
		return
	}
	if late {
		c.mark(d, histRexmit)
	}
	if start < next {
		if c.conflictsDelivered(d, start, payload[:next-start]) {
			c.conflict(d)
		}
		payload = payload[next-start:]
		start = next
	} else if start > next {
		c.rec.OutOfOrder[d]++
		c.a.stats.OutOfOrder++
	}
	c.merge(d, uint64(start), payload, ts)
	limit := c.a.cfg.MaxBufferedBytesPerConn
	if maxSegs := maxBufferedSegments(limit); s.bufBytes > limit || len(s.buf) > maxSegs {
		// Over the cap: give up the oldest holes down to half the cap in
		// one pass. Halving (rather than freeing just enough) keeps a flood
		// of tiny out-of-order segments linear instead of quadratic.
		c.anomaly(anomBufferOverflow)
		c.skipHolesUntil(d, limit/2, maxSegs/2)
	}
}

// maxBufferedSegments caps the number of buffered segments per direction:
// a segment costs ~100 bytes of bookkeeping whatever its payload, so a
// byte cap alone would let 1-byte segments use 100 times the memory.
func maxBufferedSegments(byteLimit int) int { return max(64, byteLimit/64) }

// skipHolesUntil delivers buffered segments from the front, declaring the
// holes between them lost, until at most maxBytes in maxSegs segments are
// left; then whatever is contiguous. The buffer is compacted once.
func (c *conn) skipHolesUntil(d Direction, maxBytes, maxSegs int) {
	s := &c.s[d]
	k, freed := 0, 0
	for k < len(s.buf) && (s.bufBytes-freed > maxBytes || len(s.buf)-k > maxSegs || s.buf[k].rel == s.next) {
		g := &s.buf[k]
		if g.rel > s.next {
			c.a.stats.ForcedGaps++
			c.gap(d, g.rel-s.next, g.ts)
		}
		c.deliver(d, g.data, g.ts, g.ack)
		freed += len(g.data)
		k++
	}
	for i := 0; i < k; i++ {
		s.buf[i] = segment{}
	}
	s.buf = slices.Delete(s.buf, 0, k)
	s.bufBytes -= freed
	c.a.buffered(c, -int64(freed))
}

// retransmission counts a segment whose bytes had all been seen (its
// history letter is marked by data, which sees every late segment).
func (c *conn) retransmission(d Direction) {
	c.rec.Retransmissions[d]++
	c.a.stats.Retransmissions++
}

func (c *conn) conflict(d Direction) {
	c.rec.ConflictingOverlaps[d]++
	c.a.stats.ConflictingOverlaps++
	c.anomaly(anomConflictingOverlap)
	if o, ok := c.h.(StreamAnomalyObserver); ok {
		o.StreamAnomaly(d, anomalyNames[anomConflictingOverlap])
	}
}

// conflictsDelivered compares already delivered bytes at [start, start+len(p))
// with recently delivered segments that p fully covers.
func (c *conn) conflictsDelivered(d Direction, start int64, p []byte) bool {
	s := &c.s[d]
	end := start + int64(len(p))
	for i := range s.recent {
		r := &s.recent[i]
		rs, re := int64(r.rel), int64(r.rel)+int64(r.n)
		if r.n == 0 || rs < start || re > end {
			continue
		}
		if fingerprint(p[rs-start:re-start]) != r.sum {
			return true
		}
	}
	return false
}

// merge adds [start, start+len(payload)) to the stream, start >= next: bytes
// already buffered are compared (first copy wins), new bytes at next are
// delivered straight from payload, other new bytes are copied into the
// buffer; then whatever became contiguous is delivered.
func (c *conn) merge(d Direction, start uint64, payload []byte, ts time.Time) {
	s := &c.s[d]
	end := start + uint64(len(payload))
	i := sort.Search(len(s.buf), func(i int) bool { return s.buf[i].end() > start })
	var direct []byte
	added, conflict := false, false
	take := func(from, to uint64) {
		piece := payload[from-start : to-start]
		added = true
		if from == s.next && direct == nil {
			direct = piece
			return
		}
		c.insert(d, i, from, piece, ts)
		i++
	}
	for cur := start; cur < end; {
		if i >= len(s.buf) || s.buf[i].rel >= end {
			take(cur, end)
			break
		}
		if s.buf[i].rel > cur {
			take(cur, s.buf[i].rel)
			cur = s.buf[i].rel
		}
		g := &s.buf[i]
		oe := min(end, g.end())
		switch {
		case g.probe && len(payload) > 1:
			// A lone byte overlapped by a real segment was a keep-alive
			// probe: it takes the real byte, capture time and ACK.
			copy(g.data, payload[cur-start:oe-start])
			g.ts, g.ack = ts, c.cur
			c.keepAlive(d)
		case !bytes.Equal(payload[cur-start:oe-start], g.data[cur-g.rel:oe-g.rel]):
			conflict = true
		}
		if len(payload) > 1 {
			g.probe = false
		}
		cur = oe
		i++
	}
	if conflict {
		c.conflict(d)
	}
	if !added {
		c.retransmission(d)
	}
	if direct != nil {
		c.deliver(d, direct, ts, c.cur)
		c.drain(d)
	}
}

// insert copies piece into the buffer at index i.
func (c *conn) insert(d Direction, i int, rel uint64, piece []byte, ts time.Time) {
	s := &c.s[d]
	s.buf = slices.Insert(s.buf, i, segment{rel: rel, data: bytes.Clone(piece), ts: ts, ack: c.cur, probe: c.curLen == 1})
	s.bufBytes += len(piece)
	c.a.buffered(c, int64(len(piece)))
}

// drain delivers buffered segments that have become contiguous.
func (c *conn) drain(d Direction) {
	s := &c.s[d]
	k, freed := 0, 0
	for k < len(s.buf) && s.buf[k].rel == s.next {
		c.deliver(d, s.buf[k].data, s.buf[k].ts, s.buf[k].ack)
		freed += len(s.buf[k].data)
		k++
	}
	if k == 0 {
		return
	}
	if k < len(s.buf) && s.buf[k].rel < s.next {
		panic("BUG: reassembly: buffered segment behind next")
	}
	s.buf = slices.Delete(s.buf, 0, k)
	if len(s.buf) == 0 && cap(s.buf) > 64 {
		s.buf = nil // a burst of reordering should not pin memory
	}
	s.bufBytes -= freed
	c.a.buffered(c, -int64(freed))
}

// deliver hands in-order bytes to the handler.
func (c *conn) deliver(d Direction, data []byte, ts time.Time, ack ackInfo) {
	s := &c.s[d]
	s.recent[s.recentPos] = recentSeg{rel: s.next, n: len(data), sum: fingerprint(data)}
	s.recentPos = (s.recentPos + 1) % len(s.recent)
	s.next += uint64(len(data))
	c.rec.DeliveredBytes[d] += uint64(len(data))
	c.hand(d, data, 0, ts, ack)
}

// gap declares the n bytes at next lost.
func (c *conn) gap(d Direction, n uint64, ts time.Time) {
	if n == 0 {
		return
	}
	s := &c.s[d]
	s.next += n
	c.rec.Gaps[d]++
	c.rec.MissedBytes[d] += n
	c.a.stats.Gaps++
	c.a.stats.GapBytes += n
	c.mark(d, histGap)
	if s.unseenAcks > 0 && s.next > s.highest {
		c.a.stats.AcksForUnseenData += s.unseenAcks
		s.unseenAcks = 0
	}
	c.hand(d, nil, n, ts, ackInfo{})
}

// skipHole declares the hole before the first buffered segment lost and
// delivers what follows it. forced says a memory cap made the decision.
func (c *conn) skipHole(d Direction, forced bool) {
	s := &c.s[d]
	if len(s.buf) == 0 {
		panic("BUG: reassembly: skipHole on an empty buffer")
	}
	if forced {
		c.a.stats.ForcedGaps++
	}
	c.gap(d, s.buf[0].rel-s.next, s.buf[0].ts)
	c.drain(d)
}

// skipTo declares everything before target that has not arrived lost,
// delivering buffered data in between.
func (c *conn) skipTo(d Direction, target uint64, ts time.Time) {
	s := &c.s[d]
	for s.next < target {
		if len(s.buf) > 0 && s.buf[0].rel <= target {
			c.skipHole(d, false)
			continue
		}
		c.gap(d, target-s.next, ts)
	}
}

// flushBuffer delivers all buffered data of d with gaps between.
func (c *conn) flushBuffer(d Direction, forced bool) {
	for len(c.s[d].buf) > 0 {
		c.skipHole(d, forced)
	}
}

// flushDir ends direction d: buffered data with gaps between, then a Gap for
// a tail the peer ACKed or a FIN proved but that never arrived.
func (c *conn) flushDir(d Direction, ts time.Time) {
	s := &c.s[d]
	c.flushBuffer(d, false)
	tail := s.ackEnd()
	if s.finSeen && s.fin > tail {
		tail = s.fin
	}
	if tail > s.next {
		c.gap(d, tail-s.next, ts)
	}
}

// checkAckedHoles applies gap rule 2 of the package doc to direction d.
func (c *conn) checkAckedHoles(d Direction, ts time.Time) {
	s := &c.s[d]
	if !s.pending.active {
		if s.ackEnd() > s.next {
			s.pending = pendingGap{active: true, ackRel: s.ackEnd(), pkts: c.pkts, ts: ts}
		}
		return
	}
	if s.next < s.pending.ackRel {
		cfg := &c.a.cfg
		if c.pkts-s.pending.pkts < uint64(cfg.ReorderPackets) && ts.Sub(s.pending.ts) < cfg.ReorderTimeout {
			return
		}
		c.skipTo(d, s.pending.ackRel, ts)
	}
	s.pending.active = false
	if s.ackEnd() > s.next {
		s.pending = pendingGap{active: true, ackRel: s.ackEnd(), pkts: c.pkts, ts: ts}
	}
}
