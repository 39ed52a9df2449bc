package http1

import (
	"bytes"
	"net/netip"
	"strings"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

// pending is one exchange between its first message and its emission. The
// Exchange, Request and Response share this one allocation; the emitted
// *Exchange points into it, which is why the receiver may keep it.
type pending struct {
	ex  Exchange
	req Request
	rsp Response

	reqDone  bool // the request ended (or there is none)
	respDone bool // the response ended, or it is known there will be none
	waiting  bool // in ConnParser.wait: request seen, no response paired
	http09   bool
	loose    bool   // not queued: emitted as soon as it ends (see orphan)
	epoch    uint32 // ConnParser.epoch when the request started
}

// ConnParser parses the two streams of one TCP connection into Exchanges.
// It implements reassembly.Handler. It is not safe for concurrent use (the
// assembler never calls one handler concurrently).
type ConnParser struct {
	cfg  Config
	emit func(*Exchange)

	id             uint64
	client, server netip.AddrPort

	// half[0] parses requests, half[1] responses. Which reassembly
	// Direction feeds which half depends on swapped.
	half    [2]half
	swapped bool

	// Role decision for connections picked up mid-stream: events are held
	// until the first bytes of both sides say who is the client.
	deciding bool
	held     []heldEvent
	heldLen  int
	prefix   [2][]byte
	prefixed [2]bool // prefix of that direction is final (a gap came)

	depth int
	queue []*pending // not yet emitted, in Depth order
	wait  []*pending // requests without a response, oldest first
	loose *pending   // a response without request outside queue (see orphan)

	// Pairing safety after losses. misaligned is the anomaly code put on
	// every exchange paired while it is set; misalignResp says the loss was
	// on the response side (pair with the newest plausible request).
	misaligned   string
	misalignResp bool
	lostEver     string // last code of any position-losing event
	epoch        uint32 // bumped by every response-side loss
	pipelining   bool   // the client was seen pipelining
	owed         int    // responses still due to requests dropped by pipeline_overflow

	upgraded *pending // the exchange after which the connection is a tunnel
	anoms    []string // connection-level anomalies (ConnRecord)
}

// heldEvent is one Data or Gap call held while the roles are undecided.
type heldEvent struct {
	dir  reassembly.Direction
	data []byte // nil for a gap
	gap  int
	ts   time.Time
}

// maxHeld bounds the bytes held while deciding roles.
const maxHeld = 64 << 10

// NewConnParser returns the reassembly.Handler for one TCP connection. emit
// is called once per exchange, in Depth order except for a response without
// request that would otherwise wait behind unfinished exchanges (one owed
// to a request dropped by pipeline_overflow, or any once the queue is
// full): it is emitted as soon as it ends (see orphan in pairing.go). The
// order depends only on the byte streams. The *Exchange (and all it points
// to) is owned by the receiver and never touched again by the parser. cfg
// is copied; nil means defaults.
func NewConnParser(info *reassembly.ConnInfo, cfg *Config, emit func(*Exchange)) *ConnParser {
	c := &ConnParser{emit: emit, id: info.ID, client: info.Client, server: info.Server}
	if cfg != nil {
		c.cfg = *cfg
	}
	c.cfg.EnsureDefaults()
	c.half[0] = half{c: c, resp: false, limit: c.cfg.RequestBodyLimit}
	c.half[1] = half{c: c, resp: true, limit: c.cfg.ResponseBodyLimit}
	c.deciding = !info.HandshakeSeen
	return c
}

// Data implements reassembly.Handler. data is only read during the call.
func (c *ConnParser) Data(dir reassembly.Direction, data []byte, ts time.Time) {
	if len(data) == 0 {
		return
	}
	if c.deciding {
		c.hold(heldEvent{dir: dir, data: bytes.Clone(data), ts: ts})
		return
	}
	c.half[c.role(dir)].data(data, ts)
}

// Gap implements reassembly.Handler.
func (c *ConnParser) Gap(dir reassembly.Direction, n int, ts time.Time) {
	if n <= 0 {
		return
	}
	if c.deciding {
		c.hold(heldEvent{dir: dir, gap: n, ts: ts})
		return
	}
	c.half[c.role(dir)].gap(int64(n), ts)
}

// StreamAnomaly implements reassembly.StreamAnomalyObserver: a TCP anomaly
// in the bytes of a direction (e.g. a retransmission whose bytes differed
// from the first copy) is recorded on the exchange being parsed there.
func (c *ConnParser) StreamAnomaly(dir reassembly.Direction, code string) {
	c.half[c.role(dir)].anomaly(code)
}

// Close implements reassembly.Handler: every pending exchange is emitted and
// connection-level anomalies are appended to rec.Anomalies.
func (c *ConnParser) Close(rec *reassembly.ConnRecord) {
	if c.deciding {
		c.decide(true)
	}
	serverFIN := byte('f')
	if c.swapped {
		serverFIN = 'F'
	}
	fin := strings.IndexByte(rec.History, serverFIN) >= 0 || rec.History == "" && rec.CloseReason == "fin"
	c.half[0].close(fin)
	c.half[1].close(fin)
	for _, p := range c.wait {
		p.waiting = false
		p.respDone = true
	}
	c.wait = nil
	for _, p := range c.queue {
		p.reqDone, p.respDone = true, true
	}
	c.flush()
	// A loose response still pending here is the upgraded exchange (any
	// other ended with its side in half.close).
	c.emitLoose()
	for _, h := range &c.half {
		for _, a := range h.pendAnoms {
			c.anoms = addAnomaly(c.anoms, a)
		}
	}
	for _, a := range c.anoms {
		rec.Anomalies = addAnomaly(rec.Anomalies, a)
	}
}

// role maps a reassembly direction to the half parsing it.
func (c *ConnParser) role(dir reassembly.Direction) int {
	if c.swapped {
		return int(dir ^ 1)
	}
	return int(dir)
}

// hold keeps an event until the roles are decided.
func (c *ConnParser) hold(ev heldEvent) {
	c.held = append(c.held, ev)
	c.heldLen += len(ev.data)
	d := ev.dir
	if ev.data == nil {
		c.prefixed[d] = true
	} else if !c.prefixed[d] && len(c.prefix[d]) < maxMethodLen+2 {
		n := min(len(ev.data), maxMethodLen+2-len(c.prefix[d]))
		c.prefix[d] = append(c.prefix[d], ev.data[:n]...)
	}
	c.decide(c.heldLen > maxHeld || len(c.held) > 256)
}

// decide settles the roles of a connection picked up mid-stream once the
// first bytes allow it (or final forces a decision), then replays the held
// events. Roles are swapped only when the "client" side starts like a
// response and the "server" side like a request (or is still silent).
func (c *ConnParser) decide(final bool) {
	a, b := c.prefix[0], c.prefix[1]
	aFinal := final || c.prefixed[0] || len(a) >= 7
	if !aFinal {
		return
	}
	swap := false
	if len(a) > 0 && checkPrefix(a, true, true) == prefixMaybe {
		switch {
		case len(b) == 0:
			if !final && !c.prefixed[1] {
				return // wait for the other side
			}
			swap = len(a) >= 7
		default:
			v := checkPrefix(b, false, true)
			if v == prefixMaybe && bytes.IndexByte(b, ' ') < 0 && !final && !c.prefixed[1] && len(b) < maxMethodLen+2 {
				return // a method still arriving
			}
			swap = v == prefixMaybe && bytes.IndexByte(b, ' ') > 0
		}
	}
	c.deciding = false
	if swap {
		c.swapped = true
		c.client, c.server = c.server, c.client
		c.anoms = addAnomaly(c.anoms, AnomRolesSwapped)
	}
	held := c.held
	c.held, c.prefix = nil, [2][]byte{}
	for _, ev := range held {
		if ev.data == nil {
			c.half[c.role(ev.dir)].gap(int64(ev.gap), ev.ts)
		} else {
			c.half[c.role(ev.dir)].data(ev.data, ev.ts)
		}
	}
}
