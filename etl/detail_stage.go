package etl

import (
	"errors"
	"sync/atomic"

	"github.com/spanlake/spanlake/schema"
)

// The detail tables (http_header, http_body, http_param) are buffered on a
// goroutine of their own.
//
// Why: the sink runs on one goroutine (ingest hands it every exchange in
// turn), and on keep-alive traffic with ~20 headers an exchange, encoding
// and buffering the detail rows was about half of the sink's work (profile
// in BENCHMARKS.md). The rows of one exchange are built by Prepare (on the
// ingest worker that parsed it, or on the sink's goroutine with one
// worker: they decide the exchange's own anomalies and are redacted
// there), then handed over in batches; the detail goroutine encodes and
// buffers them. The order in which the rows reach each table is the sink's
// order, so the files are the same as when both ran on one goroutine.
//
// The detail tables have a memory budget of their own (detailBudgetShare of
// the warehouse's), since a budget spills the largest partition of its
// tables and must not touch a table another goroutine is adding to.

// detailBatch is how many exchanges' detail rows are handed over at once,
// and detailQueue how many batches may wait: together they bound what is
// in flight (a few MiB on keep-alive traffic).
const (
	detailBatch = 256
	detailQueue = 4
)

// detailBudgetShare is the detail tables' part of the memory budget, in
// quarters: they hold most of a run's rows (one row per header line, one
// header block per exchange while buffered).
const detailBudgetShare = 3

// detailJob is the detail rows of one exchange and their partition.
type detailJob struct {
	part partition
	rows detailRows
}

// detailStage owns the detail tables while rows arrive; Commit calls
// finish before it writes them.
type detailStage struct {
	headers *factTable[headerBlock]
	bodies  *factTable[schema.HTTPBody]
	params  *factTable[schema.HTTPParam]

	batch    []detailJob
	in       chan []detailJob
	done     chan struct{}
	started  bool
	finished bool
	failed   atomic.Bool // err is set: the sink stops early
	err      error       // the goroutine's first error; read after done
}

// errDetailStage is returned by add once the detail goroutine has failed;
// finish returns the failure itself.
var errDetailStage = errors.New("buffering detail rows failed")

// add queues the detail rows of one exchange.
func (s *detailStage) add(part partition, d detailRows) error {
	if s.finished {
		return errors.Join(errDetailStage, s.err)
	}
	if s.failed.Load() {
		return s.finish()
	}
	if len(d.headers)+len(d.bodies)+len(d.params) == 0 {
		return nil
	}
	s.batch = append(s.batch, detailJob{part: part, rows: d})
	if len(s.batch) == detailBatch {
		s.send()
	}
	return nil
}

// send hands the current batch to the goroutine, starting it on first use.
func (s *detailStage) send() {
	if !s.started {
		s.started = true
		s.in = make(chan []detailJob, detailQueue)
		s.done = make(chan struct{})
		go s.run()
	}
	s.in <- s.batch
	s.batch = make([]detailJob, 0, detailBatch)
}

// run buffers the rows it is handed until the channel is closed; after an
// error it only drains.
func (s *detailStage) run() {
	defer close(s.done)
	for b := range s.in {
		for i := range b {
			if s.err == nil {
				if err := s.buffer(b[i]); err != nil {
					s.err = err
					s.failed.Store(true)
				}
			}
			b[i] = detailJob{}
		}
	}
}

// buffer adds one exchange's detail rows to their tables.
func (s *detailStage) buffer(j detailJob) error {
	for i := range j.rows.headers {
		if err := s.headers.add(j.part, &j.rows.headers[i]); err != nil {
			return err
		}
	}
	for i := range j.rows.bodies {
		if err := s.bodies.add(j.part, &j.rows.bodies[i]); err != nil {
			return err
		}
	}
	for i := range j.rows.params {
		if err := s.params.add(j.part, &j.rows.params[i]); err != nil {
			return err
		}
	}
	return nil
}

// finish hands over what is left, waits for the goroutine and returns its
// error. After it the tables belong to the caller again; it may be called
// more than once.
func (s *detailStage) finish() error {
	if s.finished {
		return s.err
	}
	s.finished = true
	if len(s.batch) > 0 {
		s.send()
	}
	if s.started {
		close(s.in)
		<-s.done
	}
	return s.err
}
