package reassembly

import (
	"net/netip"
	"time"
)

// conn is one connection in the flow table.
type conn struct {
	a    *Assembler
	key  connKey
	h    Handler
	s    [2]stream
	ep   [2]epState
	rec  ConnRecord // counters accumulate here; completed at close
	pkts uint64     // packets of both directions, the clock of ReorderPackets

	lastSeen time.Time
	finOrRst bool // a FIN or RST was seen: a new SYN means port reuse
	closing  bool // FIN both ways or RST: lingers CloseTimeout
	rstSeen  bool
	closed   bool

	hist      [maxHistory]byte
	histN     int
	histMask  uint32
	histScale [histScaled][2]histCounter // T, W, G: repeated at 1, 10, 100... (zeek.go)
	anomalies uint16                     // bit per anomaly code already recorded

	cur    ackInfo // ACK of the packet being processed (gate.go)
	curLen int     // its payload length

	lprev, lnext *conn
	list         *connList
	bufIdx       int // index in Assembler.buffering, -1 when not buffering
}

// Anomaly codes recorded in ConnRecord.Anomalies, once per connection each.
const (
	anomConflictingOverlap = iota
	anomDataAfterFIN
	anomRSTWithData
	anomSYNWithData
	anomBufferOverflow
	anomSYNISNChanged
	anomSeqOutOfWindow
	anomAckGateOverflow
	anomCount
)

var anomalyNames = [anomCount]string{
	"conflicting_overlap",
	"data_after_fin",
	"rst_with_data",
	"syn_with_data",
	"buffer_overflow",
	"syn_isn_changed",
	"seq_out_of_window",
	"ack_gate_overflow",
}

func (c *conn) anomaly(code int) {
	bit := uint16(1) << uint(code)
	if c.anomalies&bit != 0 {
		return
	}
	c.anomalies |= bit
	c.rec.Anomalies = append(c.rec.Anomalies, anomalyNames[code])
}

// dirOf is the direction of a packet sent from src.
func (c *conn) dirOf(src netip.AddrPort) Direction {
	if src == c.rec.Info.Client {
		return ClientToServer
	}
	return ServerToClient
}

// isNewSYN reports whether a SYN on this connection starts a new one (port
// reuse) rather than being a retransmission or a late copy of the SYN.
func (c *conn) isNewSYN(p *Packet) bool {
	s := &c.s[c.dirOf(p.Src)]
	if s.viaSYN && s.isn == p.Seq {
		return false
	}
	if !s.viaSYN && s.init && s.base == p.Seq+1 {
		return false
	}
	return c.finOrRst
}

// add processes one packet of this connection.
func (c *conn) add(p *Packet) {
	a := c.a
	d := c.dirOf(p.Src)
	s := &c.s[d]
	ts := p.Timestamp
	if ts.After(c.lastSeen) {
		c.lastSeen = ts
	}
	fl := p.Flags
	payload := p.Payload
	c.pkts++
	c.rec.Packets[d]++
	c.rec.PayloadBytes[d] += uint64(len(payload))
	if d == ServerToClient && len(payload) > 0 && c.list == &a.unanswered {
		// The server answered: no longer among the first to be evicted.
		a.unanswered.remove(c)
		a.open.pushBack(c)
	}
	c.markPacket(d, fl, len(payload))
	c.updateEndpoints(d, fl)

	seq := p.Seq
	if fl.Has(FlagSYN) {
		switch {
		case !s.init:
			s.init, s.viaSYN, s.isn, s.base = true, true, seq, seq+1
		case s.viaSYN && s.isn == seq:
			a.stats.SynRetransmissions++
		case !s.viaSYN && s.base == seq+1:
			s.viaSYN, s.isn = true, seq // late SYN, consistent with what we saw
		default:
			c.anomaly(anomSYNISNChanged)
		}
		seq++ // the SYN takes one sequence number; data follows it
		if len(payload) > 0 {
			c.anomaly(anomSYNWithData)
		}
		if fl.Has(FlagACK) {
			// A SYN-ACK tells the other side's ISN even if its SYN was missed.
			if ps := &c.s[d.Reverse()]; !ps.init {
				ps.init, ps.base = true, p.Ack
			}
		}
	} else if !s.init {
		s.init, s.base = true, seq
	}
	if fl.Has(FlagACK) {
		c.ack(d.Reverse(), p.Ack)
	}
	if !fl.Has(FlagRST) && !fl.Has(FlagSYN) {
		if p.Window == 0 {
			s.zeroWindow = true
			c.mark(d, histZeroWin)
		} else {
			s.zeroWindow = false
		}
	}

	plain := fl&(FlagSYN|FlagFIN|FlagRST) == 0
	if plain && len(payload) <= 1 && seq == s.base+uint32(s.next)-1 {
		// Keep-alive: empty, or one stale byte (Windows), just below next.
		c.keepAlive(d)
	} else if len(payload) > 0 {
		if len(payload) == 1 && c.s[d.Reverse()].zeroWindow {
			c.rec.ZeroWindowProbes[d]++
		}
		if fl.Has(FlagRST) {
			c.anomaly(anomRSTWithData)
		}
		c.cur, c.curLen = ackInfo{seq: p.Ack, ok: fl.Has(FlagACK)}, len(payload)
		c.data(d, seq, payload, ts)
	}

	if fl.Has(FlagFIN) {
		if end := s.rel(seq) + int64(len(payload)); !s.finSeen && end >= 0 {
			s.finSeen, s.fin = true, uint64(end)
			if s.highest > s.fin {
				c.anomaly(anomDataAfterFIN)
			}
			if s.fin+1 > s.highest {
				s.highest = s.fin + 1
			}
		}
		c.finOrRst = true
	}
	if fl.Has(FlagRST) {
		c.finOrRst, c.rstSeen = true, true
	}
	if !c.closing && (c.rstSeen || (c.s[0].finSeen && c.s[1].finSeen)) {
		c.closing = true
		c.list.remove(c)
		a.closing.pushBack(c)
	}
	c.checkAckedHoles(d, ts)
	c.checkAckedHoles(d.Reverse(), ts)
}

// ack records that the peer of direction d acknowledged up to ack.
func (c *conn) ack(d Direction, ack uint32) {
	s := &c.s[d]
	if !s.init {
		return
	}
	r := s.rel(ack)
	if r <= int64(s.acked) || r-int64(s.next) > maxSeqAhead {
		return
	}
	s.acked = uint64(r)
	c.a.stats.AcksSeen++
	if s.acked > s.highest {
		s.unseenAcks++
	}
}

// finishReason is the CloseReason of a connection that ended by itself.
func (c *conn) finishReason() string {
	if c.rstSeen {
		return "rst"
	}
	return "fin"
}

// finish delivers everything still held, completes the record and calls
// Close. The connection must already be out of the table.
func (c *conn) finish(reason string) {
	if c.closed {
		panic("BUG: reassembly: connection closed twice")
	}
	c.closed = true
	for d := range Direction(2) {
		c.flushDir(d, c.lastSeen)
	}
	c.releaseAll()
	c.rec.LastSeen = c.lastSeen
	c.rec.State = c.connState()
	c.rec.History = string(c.hist[:c.histN])
	c.rec.CloseReason = reason
	c.h.Close(&c.rec)
}

// keepAlive counts a keep-alive probe (see the package doc).
func (c *conn) keepAlive(d Direction) {
	c.rec.KeepAlives[d]++
	c.a.stats.KeepAlives++
}
