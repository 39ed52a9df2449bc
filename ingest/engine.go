package ingest

import (
	"fmt"

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
	e.asm = reassembly.New(rcfg, func(info *reassembly.ConnInfo) reassembly.Handler {
		c := &connHandler{out: e, sources: &d.sources, skip: d.carriedWritten(info.ID)}
		c.ConnParser = http1.NewConnParser(info, hcfg, c.exchange)
		return c
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

// connHandler is the reassembly.Handler of one connection: the HTTP parser,
// plus the bookkeeping that hands its output on.
type connHandler struct {
	*http1.ConnParser
	out       output
	sources   *sourceIndex // the files read when the current packet was read
	exchanges int
	// skip is the number of this connection's exchanges an earlier run
	// already wrote: a connection carried over (carry.go) replays them.
	skip int
}

func (c *connHandler) exchange(ex *http1.Exchange) {
	c.exchanges++
	if c.exchanges <= c.skip {
		return
	}
	c.out.exchange(ex, c.sources.lookup(exchangeStart(ex)))
}

func (c *connHandler) Close(rec *reassembly.ConnRecord) {
	c.ConnParser.Close(rec)
	c.out.connection(rec, c.exchanges, c.sources.lookup(rec.Info.FirstSeen))
}
