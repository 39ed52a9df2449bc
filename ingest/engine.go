package ingest

import (
	"fmt"
	"time"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// inlineEngine is the one-worker engine: reassembly, HTTP parsing and sink
// calls all happen inside add, on the reading goroutine.
type inlineEngine struct {
	d      *driver
	asm    *reassembly.Assembler
	before reassembly.Stats // assembler counters when the current file began
	begun  bool             // beginFile was called for the current file
	err    error            // first sink error; stops the run
}

func newInlineEngine(d *driver, rcfg reassembly.Config, hcfg *http1.Config) *inlineEngine {
	e := &inlineEngine{d: d}
	env := &handlerEnv{out: e, sources: &d.sources, hcfg: hcfg}
	e.asm = reassembly.New(rcfg, func(info *reassembly.ConnInfo) reassembly.Handler {
		return newConnHandler(env, info, d.carriedWritten(info.ID))
	})
	return e
}

func (e *inlineEngine) beginFile(*SourceFile) { e.before, e.begun = e.asm.Stats(), true }

func (e *inlineEngine) add(pkt *reassembly.Packet) error {
	e.asm.Add(pkt)
	return e.err
}

func (e *inlineEngine) endFile(src *SourceFile) error {
	if e.begun {
		e.begun = false
		after := e.asm.Stats()
		src.AcksSeen = after.AcksSeen - e.before.AcksSeen
		src.AcksForUnseenData = after.AcksForUnseenData - e.before.AcksForUnseenData
	}
	if err := e.d.sink.SourceDone(src); err != nil {
		return fmt.Errorf("record source %s: %w", src.Path, err)
	}
	return nil
}

func (e *inlineEngine) finish() error {
	if o := e.d.carry; o != nil && o.Out {
		e.d.sum.Carried, e.d.sum.CarryOverflow = detachCarried(e.asm, o, 1)
		sortCarried(e.d.sum.Carried)
	}
	e.asm.Flush()
	return e.err
}

func (e *inlineEngine) abort() {}

func (e *inlineEngine) exchange(ex *http1.Exchange, src *SourceFile) {
	e.d.countExchange(ex)
	if e.err != nil {
		return
	}
	if err := e.d.sink.Exchange(ex, src); err != nil {
		e.err = fmt.Errorf("write exchange: %w", err)
	}
}

func (e *inlineEngine) connection(rec *reassembly.ConnRecord, exchanges int, src *SourceFile) {
	e.d.countConnection(rec)
	if e.err != nil {
		return
	}
	if err := e.d.sink.Connection(rec, exchanges, src); err != nil {
		e.err = fmt.Errorf("write connection: %w", err)
	}
}

// output is where a connHandler sends what its connection produced.
type output interface {
	exchange(ex *http1.Exchange, src *SourceFile)
	connection(rec *reassembly.ConnRecord, exchanges int, src *SourceFile)
}

// handlerEnv is what the connHandlers of one Assembler share.
type handlerEnv struct {
	out     output
	sources *sourceIndex // the files read when the current packet was read
	hcfg    *http1.Config
}

// connHandler is the reassembly.Handler of one connection: the HTTP parser,
// plus the bookkeeping that hands its output on.
//
// The parser is created on the connection's first Data, Gap or
// StreamAnomaly call, not with the connection: most connections of a SYN
// flood or a scan never carry a byte, and a parser costs more memory than
// the rest of the connection's state in this package. A parser that never
// received anything emits nothing and leaves the record as it is when
// closed (ConnParser.Close only adds the anomalies of what it parsed;
// TestLazyParserCloseIsNoop checks this), so Close skips it and the
// output is the same as with a parser created up front.
type connHandler struct {
	*http1.ConnParser // nil until the connection carries payload or a gap
	env               *handlerEnv
	info              *reassembly.ConnInfo // fixed for the connection's life (reassembly.Factory)
	exchanges         int
	// skip is the number of this connection's exchanges an earlier run
	// already wrote: a connection carried over (carry.go) replays them.
	skip int
}

// newConnHandler returns the handler of the connection info.
func newConnHandler(env *handlerEnv, info *reassembly.ConnInfo, skip int) *connHandler {
	return &connHandler{env: env, info: info, skip: skip}
}

// parser returns the connection's HTTP parser, creating it on first use.
func (c *connHandler) parser() *http1.ConnParser {
	if c.ConnParser == nil {
		c.ConnParser = http1.NewConnParser(c.info, c.env.hcfg, c.exchange)
	}
	return c.ConnParser
}

// Data implements reassembly.Handler.
func (c *connHandler) Data(dir reassembly.Direction, data []byte, ts time.Time) {
	c.parser().Data(dir, data, ts)
}

// Gap implements reassembly.Handler.
func (c *connHandler) Gap(dir reassembly.Direction, n int, ts time.Time) {
	c.parser().Gap(dir, n, ts)
}

// StreamAnomaly implements reassembly.StreamAnomalyObserver. It can come
// before any Data (two buffered segments that disagree), and the parser
// keeps it for the connection record, so it creates the parser too.
func (c *connHandler) StreamAnomaly(dir reassembly.Direction, code string) {
	c.parser().StreamAnomaly(dir, code)
}

func (c *connHandler) exchange(ex *http1.Exchange) {
	c.exchanges++
	if c.exchanges <= c.skip {
		return
	}
	c.env.out.exchange(ex, c.env.sources.lookup(exchangeStart(ex)))
}

// Close implements reassembly.Handler.
func (c *connHandler) Close(rec *reassembly.ConnRecord) {
	if c.ConnParser != nil {
		c.ConnParser.Close(rec)
	}
	c.env.out.connection(rec, c.exchanges, c.env.sources.lookup(rec.Info.FirstSeen))
}

// Compile-time checks: the embedded parser's methods are overridden, not lost.
var (
	_ reassembly.Handler               = (*connHandler)(nil)
	_ reassembly.StreamAnomalyObserver = (*connHandler)(nil)
)
