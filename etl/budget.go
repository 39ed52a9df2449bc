package etl

import (
	"errors"
	"math"
	"path/filepath"
)

// DefaultMemoryBudget is the memory the fact tables' buffered rows may take
// by default, across all tables and partitions of a run. The process
// takes more than this: the garbage collector lets the heap grow to about
// twice what is live, and the ingest pipeline, the dimension members and
// the Parquet writers (zstd) come on top, so each MiB of budget costs one
// to two MiB of RSS. 24 MiB keeps a run of 100 MB of small keep-alive
// exchanges near 200 MiB of RSS (BENCHMARKS.md), safe on a 2 GB machine;
// it was 32 MiB until the detail tables got a goroutine of their own
// (detail_stage.go), whose hand-over queue and second budget add their
// own share. Three quarters go to the detail tables, which hold most
// rows. A larger budget spills
// less but is hardly faster: the rows beyond it are written to disk once
// and read back once, sequentially, whatever the budget.
const DefaultMemoryBudget = 24 << 20

// memBudget bounds the bytes buffered by a warehouse's fact tables: when
// an add takes the total over the limit, the largest buffered partitions
// (of any table) are spilled to disk (spill.go) until it is back under.
type memBudget struct {
	limit   int64
	used    int64
	dir     string // where spill runs go
	tables  []spillable
	spills  int   // runs written, for tests and logs
	residue int64 // what prepareCommit leaves buffered (commitResidue)
}

// spillable is a fact table as the budget sees it.
type spillable interface {
	// largest returns the table's largest buffered partition and its bytes
	// (0 when nothing is buffered).
	largest() (partition, int64)
	// spill writes a partition's buffered rows to a spill run.
	spill(partition) error
	// removeRuns deletes every spill run the table holds.
	removeRuns() error
}

// newMemBudget returns a budget of limit bytes spilling into dir.
func newMemBudget(dir string, limit int64) *memBudget {
	return &memBudget{dir: dir, limit: limit, residue: commitResidue}
}

// attach makes t buffer within m.
func (t *factTable[T]) attach(m *memBudget) {
	t.mem = m
	m.tables = append(m.tables, t)
}

// grow records n more buffered bytes and spills if over the limit.
func (m *memBudget) grow(n int64) error {
	m.used += n
	return m.shrinkTo(m.limit)
}

// commitResidue is what may stay buffered when Commit starts writing: the
// rest is spilled first (a cheap sequential write), so that the memory it
// held is free for the Parquet writers and their compressors instead of
// adding to them at the peak of the run.
const commitResidue = 8 << 20

// prepareCommit spills buffered rows down to the residue.
func (m *memBudget) prepareCommit() error { return m.shrinkTo(min(m.limit, m.residue)) }

// shrinkTo spills the largest buffered partitions until at most limit
// bytes are buffered.
func (m *memBudget) shrinkTo(limit int64) error {
	for m.used > limit {
		var best spillable
		var bestPart partition
		var bestBytes int64
		for _, t := range m.tables {
			if p, n := t.largest(); n > bestBytes {
				best, bestPart, bestBytes = t, p, n
			}
		}
		if best == nil {
			return nil
		}
		if err := best.spill(bestPart); err != nil {
			return err
		}
		m.spills++
	}
	return nil
}

// release records that n buffered bytes were freed.
func (m *memBudget) release(n int64) { m.used -= n }

// removeRuns deletes the spill runs of every table.
func (m *memBudget) removeRuns() error {
	var errs []error
	for _, t := range m.tables {
		errs = append(errs, t.removeRuns())
	}
	return errors.Join(errs...)
}

// initMemory puts the warehouse's tables under DefaultMemoryBudget,
// spilling into MetaDir: the fact tables under one budget, the detail
// tables, which another goroutine fills (detail_stage.go), under another.
func (w *Warehouse) initMemory() {
	dir := filepath.Join(w.root, MetaDir)
	w.mem = newMemBudget(dir, 0)
	w.detailMem = newMemBudget(dir, 0)
	w.SetMemoryBudget(DefaultMemoryBudget)
	w.exchanges.attach(w.mem)
	w.conns.attach(w.mem)
	for _, t := range w.dimTables.all() {
		t.table.attach(w.mem)
	}
	w.headers.attach(w.detailMem)
	w.bodies.attach(w.detailMem)
	w.params.attach(w.detailMem)
	w.details.headers, w.details.bodies, w.details.params = w.headers, w.bodies, w.params
}

// SetMemoryBudget sets how many bytes of rows the warehouse buffers before
// it spills sorted runs to disk, across all tables and partitions; n <= 0
// keeps DefaultMemoryBudget. It does not change the files written: only
// how much memory and temporary disk the run uses. Call it before the
// first row. detailBudgetShare quarters of it go to the detail tables.
func (w *Warehouse) SetMemoryBudget(n int64) {
	if n <= 0 {
		n = DefaultMemoryBudget
	}
	if n == math.MaxInt64 { // no limit stays no limit
		w.mem.limit, w.detailMem.limit = n, n
		return
	}
	w.detailMem.limit = n / 4 * detailBudgetShare
	w.mem.limit = n - w.detailMem.limit
}

// budgets are the warehouse's memory budgets.
func (w *Warehouse) budgets() []*memBudget { return []*memBudget{w.mem, w.detailMem} }
