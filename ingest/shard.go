package ingest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// Sharding.
//
// With more than one worker, the reading goroutine decodes and dispatches
// each segment, by a hash of its unordered endpoint pair, to one of
// N shards; a shard is a goroutine with its own reassembly.Assembler and HTTP
// parsers, so one connection always lands on one shard and each shard sees
// its packets in capture order. Segments travel in batches whose payloads are
// copied into a per-batch arena; batches are recycled. (Copies of a
// connection on several VLANs share a shard: see shardOf.) One goroutine (the
// collector) owns the Sink: shards send it exchanges, connection records and
// end-of-file marks, so Sink calls stay sequential.
//
// Packet time: an Assembler expires idle connections and pending handshakes
// only when a later packet reaches it. So that a shard's idea of "now" never
// lags the capture's, every batch carries the reading goroutine's latest
// capture time, and a shard that is behind feeds its Assembler a tick: an
// empty segment of a reserved flow (VLAN tickVLAN, which no 12-bit 802.1Q id
// can be) whose connection is ignored. Timeout decisions therefore match the
// one-worker run: a connection idles out iff a later packet of the capture
// lies beyond its deadline.
//
// Source attribution: each batch carries the source files known when its
// packets were read, and lookups during that batch see only those, exactly
// as the one-worker run does.
//
// Limits: Config.MaxConnections and Config.MaxBufferedBytesTotal are divided
// among the shards (memory stays bounded as with one worker); outputs are
// identical to one worker as long as those caps are not reached.

const (
	batchPackets = 512       // segments per batch
	batchArena   = 256 << 10 // payload bytes per batch
	shardQueue   = 8         // batches queued per shard
	tickVLAN     = 0xffff    // reserved VLAN of tick segments (802.1Q ids are 12 bits)
)

// batch is a run of segments for one shard, in capture order.
type batch struct {
	pkts    []reassembly.Packet // Payload points into arena
	arena   []byte
	sources []*SourceFile // the files read so far, for attribution
	now     time.Time     // latest capture time read when the batch was sent
	mark    *fileMark     // end of a file: report the assembler counters after the packets
}

// fileMark collects the shards' end-of-file reports of one file.
type fileMark struct {
	src     *SourceFile
	opened  bool // the file was opened: its ACK counters are the shards' deltas
	pending int  // shards yet to report
}

// shardMsg is what a shard sends the collector. rec is a copy of the
// record, not the one inside the closed connection: a pointer to that one
// would keep the connection (and its parser) alive until the collector
// catches up, which in a burst of closes (a SYN flood being evicted) is
// most of the flow table a second time.
type shardMsg struct {
	ex    *http1.Exchange
	prep  any // with ex: what the sink's Prepare made of it, if it is a Preparer
	rec   *reassembly.ConnRecord
	n     int // exchanges of rec's connection
	src   *SourceFile
	mark  *fileMark
	stats reassembly.Stats // with mark: the shard's counters at the mark
	shard int
}

type shardedEngine struct {
	d      *driver
	shards []*shard
	cur    []*batch // batch being filled, per shard
	free   chan *batch
	out    chan []shardMsg
	now    time.Time
	prep   Preparer    // the sink, when it prepares exchanges ahead (else nil)
	begun  bool        // beginFile was called for the current file
	failed atomic.Bool // the collector saw a sink error
	err    error       // the sink error, read after the collector is done
	wg     sync.WaitGroup
	done   chan struct{} // closed when the collector returns
}

type shard struct {
	id      int
	e       *shardedEngine
	in      chan *batch
	asm     *reassembly.Assembler
	sources sourceIndex
	msgs    []shardMsg
	prepped int       // bytes the prepared exchanges in msgs hold (Preparer)
	last    time.Time // latest capture time fed to asm
	tick    reassembly.Packet
	aborted *atomic.Bool

	carried       []CarriedConn // detached at the end (carry.go)
	carryOverflow int
}

func newShardedEngine(d *driver, n int, rcfg reassembly.Config, hcfg *http1.Config) *shardedEngine {
	e := &shardedEngine{d: d, cur: make([]*batch, n), free: make(chan *batch, n*(shardQueue+2)),
		out: make(chan []shardMsg, n*shardQueue), done: make(chan struct{})}
	e.prep, _ = d.sink.(Preparer)
	rcfg.EnsureDefaults()
	rcfg.MaxConnections = max(1, rcfg.MaxConnections/n)
	rcfg.MaxBufferedBytesTotal = max(int64(rcfg.MaxBufferedBytesPerConn), rcfg.MaxBufferedBytesTotal/int64(n))
	aborted := &atomic.Bool{}
	tickAddr := netip.AddrFrom4([4]byte{})
	for i := range n {
		s := &shard{id: i, e: e, in: make(chan *batch, shardQueue), aborted: aborted}
		s.tick = reassembly.Packet{Src: netip.AddrPortFrom(tickAddr, 1), Dst: netip.AddrPortFrom(tickAddr, 2), VLAN: tickVLAN}
		env := &handlerEnv{out: s, sources: &s.sources, hcfg: hcfg}
		s.asm = reassembly.New(rcfg, func(info *reassembly.ConnInfo) reassembly.Handler {
			if info.VLAN == tickVLAN {
				return tickHandler{}
			}
			return newConnHandler(env, info, d.carriedWritten(info.ID))
		})
		e.shards = append(e.shards, s)
		e.wg.Add(1)
		go s.run()
	}
	go func() {
		e.wg.Wait()
		close(e.out)
	}()
	go e.collect()
	return e
}

// shardOf hashes the unordered endpoint pair. The VLAN is left out on
// purpose: ConnInfo.ID does not include it, so the copies of one connection
// seen on two VLANs of a SPAN session share an id; on one shard their
// relative order is the one-worker order, which keeps the output identical
// even where (time, id) ties.
func shardOf(p *reassembly.Packet, n int) int {
	h := endpointHash(p.Src) + endpointHash(p.Dst)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return int(h % uint64(n))
}

func endpointHash(ap netip.AddrPort) uint64 {
	a := ap.Addr().As16()
	h := binary.LittleEndian.Uint64(a[:8])*0x87c37b91114253d5 ^ binary.LittleEndian.Uint64(a[8:])*0x4cf5ad432745937f ^ uint64(ap.Port())
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

func (e *shardedEngine) newBatch() *batch {
	select {
	case b := <-e.free:
		return b
	default:
		return &batch{pkts: make([]reassembly.Packet, 0, batchPackets), arena: make([]byte, 0, batchArena)}
	}
}

func (e *shardedEngine) beginFile(*SourceFile) { e.begun = true }

func (e *shardedEngine) add(pkt *reassembly.Packet) error {
	if pkt.Timestamp.After(e.now) {
		e.now = pkt.Timestamp
	}
	i := shardOf(pkt, len(e.shards))
	b := e.cur[i]
	if b == nil {
		b = e.newBatch()
		e.cur[i] = b
	}
	if len(b.pkts) == cap(b.pkts) || len(b.arena)+len(pkt.Payload) > cap(b.arena) {
		e.send(i, nil)
		if e.failed.Load() {
			return e.stopErr()
		}
		b = e.newBatch()
		e.cur[i] = b
	}
	p := *pkt
	if len(pkt.Payload) > cap(b.arena)-len(b.arena) {
		p.Payload = append([]byte(nil), pkt.Payload...) // a jumbo segment bigger than an arena
	} else if len(pkt.Payload) > 0 {
		off := len(b.arena)
		b.arena = append(b.arena, pkt.Payload...)
		p.Payload = b.arena[off:len(b.arena):len(b.arena)]
	}
	b.pkts = append(b.pkts, p)
	return nil
}

// send hands shard i its current batch (an empty one when it has none,
// for marks), stamped with the current time and sources.
func (e *shardedEngine) send(i int, mark *fileMark) {
	b := e.cur[i]
	if b == nil {
		b = e.newBatch()
	}
	e.cur[i] = nil
	b.now, b.sources, b.mark = e.now, e.d.sources.files, mark
	e.shards[i].in <- b
}

func (e *shardedEngine) endFile(src *SourceFile) error {
	m := &fileMark{src: src, opened: e.begun, pending: len(e.shards)}
	e.begun = false
	for i := range e.shards {
		e.send(i, m)
	}
	if e.failed.Load() {
		return e.stopErr()
	}
	return nil
}

func (e *shardedEngine) stopErr() error {
	e.abort()
	return e.err
}

func (e *shardedEngine) finish() error {
	for i := range e.shards {
		if e.cur[i] != nil {
			e.send(i, nil)
		}
		close(e.shards[i].in)
	}
	<-e.done
	for _, s := range e.shards {
		e.d.sum.Carried = append(e.d.sum.Carried, s.carried...)
		e.d.sum.CarryOverflow += s.carryOverflow
	}
	sortCarried(e.d.sum.Carried)
	return e.err
}

func (e *shardedEngine) abort() {
	select {
	case <-e.done:
		return
	default:
	}
	e.shards[0].aborted.Store(true)
	for i := range e.shards {
		close(e.shards[i].in)
	}
	<-e.done
}

// collect owns the sink: it runs until every shard has finished.
func (e *shardedEngine) collect() {
	defer close(e.done)
	prev := make([]reassembly.Stats, len(e.shards))
	for msgs := range e.out {
		for i := range msgs {
			m := &msgs[i]
			switch {
			case m.ex != nil:
				e.d.countExchange(m.ex)
				if e.err == nil {
					var err error
					if m.prep != nil {
						err = e.prep.ExchangePrepared(m.ex, m.prep, m.src)
					} else {
						err = e.d.sink.Exchange(m.ex, m.src)
					}
					if err != nil {
						e.fail(fmt.Errorf("write exchange: %w", err))
					}
				}
			case m.rec != nil:
				e.d.countConnection(m.rec)
				if e.err == nil {
					if err := e.d.sink.Connection(m.rec, m.n, m.src); err != nil {
						e.fail(fmt.Errorf("write connection: %w", err))
					}
				}
			case m.mark != nil:
				src := m.mark.src
				if m.mark.opened {
					src.AcksSeen += m.stats.AcksSeen - prev[m.shard].AcksSeen
					src.AcksForUnseenData += m.stats.AcksForUnseenData - prev[m.shard].AcksForUnseenData
				}
				prev[m.shard] = m.stats
				if m.mark.pending--; m.mark.pending == 0 && e.err == nil {
					if err := e.d.sink.SourceDone(src); err != nil {
						e.fail(fmt.Errorf("record source %s: %w", src.Path, err))
					}
				}
			}
			*m = shardMsg{}
		}
	}
}

func (e *shardedEngine) fail(err error) {
	e.err = err
	e.failed.Store(true)
}

func (s *shard) run() {
	defer s.e.wg.Done()
	for b := range s.in {
		if s.aborted.Load() {
			continue
		}
		s.sources.files = b.sources
		for i := range b.pkts {
			p := &b.pkts[i]
			if p.Timestamp.After(s.last) {
				s.last = p.Timestamp
			}
			s.asm.Add(p)
		}
		if b.now.After(s.last) {
			s.last = b.now
			s.tick.Timestamp = b.now
			s.asm.Add(&s.tick)
		}
		if b.mark != nil {
			s.msgs = append(s.msgs, shardMsg{mark: b.mark, stats: s.asm.Stats(), shard: s.id})
		}
		s.flush()
		clear(b.pkts) // drop payload references
		b.pkts, b.arena, b.sources, b.mark = b.pkts[:0], b.arena[:0], nil, nil
		select {
		case s.e.free <- b:
		default:
		}
	}
	if !s.aborted.Load() {
		if o := s.e.d.carry; o != nil && o.Out {
			s.carried, s.carryOverflow = detachCarried(s.asm, o, len(s.e.shards))
		}
		s.asm.Flush()
		s.flush()
	}
}

// flush sends the shard's messages to the collector.
func (s *shard) flush() {
	if len(s.msgs) == 0 {
		return
	}
	s.e.out <- s.msgs
	s.msgs, s.prepped = make([]shardMsg, 0, min(cap(s.msgs), maxShardMsgs)), 0
}

// maxShardMsgs bounds the messages a shard holds before sending them on. A
// batch of packets usually yields a few; a burst of closes (end of input, a
// flood being evicted, a timeout sweep) can yield one per flow in the
// table, and holding them all would double the flow table's memory.
const maxShardMsgs = 4096

// maxShardPrepBytes bounds what a shard's prepared exchanges hold (bodies
// decoded by the sink's Prepare) before they are sent on: a keep-alive
// stream of small gzip bombs decodes each to the stored-body cap, and the
// collector's queue holds shardQueue such sends per shard.
const maxShardPrepBytes = 4 << 20

// send queues m for the collector, sending the queue on when it is full.
func (s *shard) send(m shardMsg) {
	s.msgs = append(s.msgs, m)
	if len(s.msgs) >= maxShardMsgs || s.prepped >= maxShardPrepBytes {
		s.flush()
	}
}

func (s *shard) exchange(ex *http1.Exchange, src *SourceFile) {
	var prep any
	if p := s.e.prep; p != nil {
		var n int
		prep, n = p.Prepare(ex)
		s.prepped += n
	}
	s.send(shardMsg{ex: ex, prep: prep, src: src})
}

func (s *shard) connection(rec *reassembly.ConnRecord, exchanges int, src *SourceFile) {
	cp := new(reassembly.ConnRecord)
	*cp = *rec // see shardMsg
	s.send(shardMsg{rec: cp, n: exchanges, src: src})
}

// tickHandler is the handler of the tick flow: it ignores everything.
type tickHandler struct{}

func (tickHandler) Data(reassembly.Direction, []byte, time.Time) {}
func (tickHandler) Gap(reassembly.Direction, int, time.Time)     {}
func (tickHandler) Close(*reassembly.ConnRecord)                 {}
