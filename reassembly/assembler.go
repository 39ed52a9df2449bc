package reassembly

import (
	"fmt"
	"time"
)

// Assembler reassembles the TCP connections of one packet stream. It is not
// safe for concurrent use.
type Assembler struct {
	cfg     Config
	factory Factory
	conns   map[connKey]*conn
	// last is the connection of the previous packet, while it is in
	// conns: segments come in bursts of one connection (a response's
	// MTU-sized segments back to back), and comparing keys is cheaper
	// than hashing one (see Add).
	last    *conn
	open    connList // by last activity, oldest first
	closing connList // FIN both ways or RST, lingering; oldest first
	// unanswered holds the open connections whose server has not sent a
	// byte yet, by last activity: they give up their slot before those in
	// open when the flow table is full (flowcap.go).
	unanswered connList
	now        time.Time

	// buffering lists the connections holding out-of-order bytes, so the
	// global cap finds the biggest without scanning the whole table.
	buffering []*conn
	stats     Stats

	// pending holds flows whose handshake has not been fully seen yet
	// (see pending.go), in arrival order in pendingQ.
	pending  map[connKey]*pendingFlow
	pendingQ pendingQueue
}

// New returns an Assembler. Zero fields of cfg take their defaults; an
// invalid cfg (see Config.Validate) is a bug of the caller and panics.
func New(cfg Config, factory Factory) *Assembler {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("BUG: reassembly.New: %v", err))
	}
	if factory == nil {
		panic("BUG: reassembly.New: nil factory")
	}
	return &Assembler{cfg: cfg, factory: factory, conns: make(map[connKey]*conn), pending: make(map[connKey]*pendingFlow)}
}

// Stats returns the cumulative counters.
func (a *Assembler) Stats() Stats {
	st := a.stats
	st.OpenConnections = len(a.conns) + len(a.pending)
	return st
}

// Add processes one TCP segment. Segments must come in capture order; p and
// its Payload are only borrowed for the call.
func (a *Assembler) Add(p *Packet) {
	a.stats.Packets++
	if p.Timestamp.After(a.now) {
		a.now = p.Timestamp
		a.expire()
	}
	k := makeKey(p)
	c := a.last
	if c == nil || c.key != k {
		c = a.conns[k]
	}
	if c != nil && p.Flags.Has(FlagSYN) && c.isNewSYN(p) {
		a.stats.PortReuses++
		a.closeConn(c, c.finishReason())
		c = nil
	}
	if c == nil {
		a.hold(k, p)
		return
	}
	a.last = c
	c.list.moveToBack(c)
	c.add(p)
	for a.stats.BufferedBytes > a.cfg.MaxBufferedBytesTotal {
		a.shrink()
	}
}

// Flush ends the input: every connection delivers what it holds (holes as
// gaps) and is closed, open ones with CloseReason "end_of_input".
func (a *Assembler) Flush() {
	for a.pendingQ.head != nil {
		a.promote(a.pendingQ.head)
	}
	for _, l := range []*connList{&a.unanswered, &a.open} {
		for l.head != nil {
			a.closeConn(l.head, "end_of_input")
		}
	}
	for a.closing.head != nil {
		c := a.closing.head
		a.closeConn(c, c.finishReason())
	}
}

// expire closes the connections whose timeout has passed at a.now.
func (a *Assembler) expire() {
	a.expirePending()
	for c := a.closing.head; c != nil && a.now.Sub(c.lastSeen) > a.cfg.CloseTimeout; c = a.closing.head {
		a.closeConn(c, c.finishReason())
	}
	for _, l := range []*connList{&a.unanswered, &a.open} {
		for c := l.head; c != nil && a.now.Sub(c.lastSeen) > a.cfg.IdleTimeout; c = l.head {
			a.stats.IdleTimeouts++
			a.closeConn(c, "idle_timeout")
		}
	}
}

// create adds a connection whose first packet (in replay order) is p and
// whose earliest packet was captured at first. It is only called to
// promote a pending flow, whose slot in the flow table is taken over (the
// room was made when the flow arrived: see makeRoom).
func (a *Assembler) create(k connKey, p *Packet, first time.Time) *conn {
	info := ConnInfo{VLAN: p.VLAN, FirstSeen: first}
	switch {
	case p.Flags.Has(FlagSYN | FlagACK):
		info.Client, info.Server, info.HandshakeSeen = p.Dst, p.Src, true
	case p.Flags.Has(FlagSYN):
		info.Client, info.Server, info.HandshakeSeen = p.Src, p.Dst, true
	case guessServerIsDst(p):
		info.Client, info.Server = p.Src, p.Dst
	default:
		info.Client, info.Server = p.Dst, p.Src
	}
	info.ID = connID(info.Client, info.Server, info.FirstSeen)
	c := &conn{a: a, key: k, bufIdx: -1, lastSeen: p.Timestamp}
	if p.Src != info.Client {
		c.addHistory(histFlipped)
	}
	c.rec.Info = info
	c.h = a.factory(&c.rec.Info)
	a.conns[k] = c
	a.unanswered.pushBack(c)
	a.stats.ConnectionsCreated++
	return c
}

// closeConn removes c from the table and finishes it.
func (a *Assembler) closeConn(c *conn, reason string) {
	c.list.remove(c)
	delete(a.conns, c.key)
	if a.last == c {
		a.last = nil
	}
	c.finish(reason)
	if c.bufIdx >= 0 {
		panic("BUG: reassembly: closed connection still buffering")
	}
	a.stats.ConnectionsClosed++
}

// buffered accounts for n bytes (negative: freed) of c's out-of-order buffer.
func (a *Assembler) buffered(c *conn, n int64) {
	a.stats.BufferedBytes += n
	if a.stats.BufferedBytes > a.stats.PeakBufferedBytes {
		a.stats.PeakBufferedBytes = a.stats.BufferedBytes
	}
	holding := c.s[0].bufBytes+c.s[1].bufBytes+c.s[0].gateBytes+c.s[1].gateBytes > 0
	switch {
	case holding && c.bufIdx < 0:
		c.bufIdx = len(a.buffering)
		a.buffering = append(a.buffering, c)
	case !holding && c.bufIdx >= 0:
		last := a.buffering[len(a.buffering)-1]
		a.buffering[c.bufIdx] = last
		last.bufIdx = c.bufIdx
		a.buffering[len(a.buffering)-1] = nil
		a.buffering = a.buffering[:len(a.buffering)-1]
		c.bufIdx = -1
	}
}

// shrink enforces MaxBufferedBytesTotal: the direction buffering most is
// delivered with gaps. Scanning only buffering connections keeps it cheap.
func (a *Assembler) shrink() {
	var best *conn
	var bestDir Direction
	bestN := 0
	for _, c := range a.buffering {
		for d := range Direction(2) {
			if n := c.s[d].bufBytes + c.s[d].gateBytes; n > bestN {
				best, bestDir, bestN = c, d, n
			}
		}
	}
	if best == nil {
		panic("BUG: reassembly: buffered bytes without a buffering connection")
	}
	best.anomaly(anomBufferOverflow)
	if best.s[bestDir].bufBytes > 0 {
		best.flushBuffer(bestDir, true)
	} else {
		best.releaseAll()
	}
}
