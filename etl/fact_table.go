package etl

import (
	"errors"
	"io"
	"path/filepath"
	"sort"
)

// maxFileRows cuts a partition's sorted rows into files of this many rows.
const maxFileRows = 500_000

// maxBodyFileBytes cuts http_body files at this many (encoded) bytes too:
// bodies are large, and a Parquet writer holds a row group in memory.
const maxBodyFileBytes = 64 << 20

// factTable buffers the rows of one partitioned table and writes each
// partition's rows, sorted by time and id (arrival order among equal keys),
// to files named after their capture.
//
// Rows are buffered encoded (partBuf) under the warehouse's memory budget
// (budget.go); a partition that is spilled to make room goes to a sorted
// run on disk (spill.go). Commit merges each partition's runs with what is
// still in memory and cuts the sorted rows into files at fixed row counts:
// the files are the same whatever the arrival order (as long as rows with
// equal keys arrive in the same relative order, as an exchange's detail
// rows do) and whatever the budget.
type factTable[T any] struct {
	dir     string // table directory
	timeOf  func(*T) int64
	idOf    func(*T) int64 // breaks ties of timeOf, so row order never depends on arrival order
	files   *fileTracker
	mem     *memBudget // nil: no limit
	codec   *rowCodec[T]
	scratch []byte // one encoded row
	parts   map[partition]*partBuf
	runs    map[partition][]spillRun
	limits  fileLimits
	fanIn   int               // most runs merged at once
	next    map[partition]int // next file number per partition
	written map[string]bool   // files written by this run, relative to dir
	// flat tables write a partition's files in dir itself (dimensions:
	// one file per capture, no date/hour); unique tables write one row
	// per key (dimensions: the key is a hash of the member, see
	// uniqueCursor).
	flat, unique bool
	rows         int64 // rows written by flush
	// output writes a partition's sorted records as the rows of its
	// files: the records themselves (recordFiles), or blocks of rows
	// expanded as they are written (blockFiles, http_header).
	output func(src recCursor, lim fileLimits, newFile newFileFunc) (rows int64, err error)
}

// newFileFunc starts writing the next file of a partition with write (on a
// goroutine of its own).
type newFileFunc func(write func(io.Writer) error) *fileWrite

// fileWrite is a file being written: done is closed when its writer has
// returned, and err is then what it returned.
type fileWrite struct {
	done chan struct{}
	err  error
}

// recordFiles writes records decoded by codec as they are.
func recordFiles[T any](codec *rowCodec[T]) func(recCursor, fileLimits, newFileFunc) (int64, error) {
	return func(src recCursor, lim fileLimits, newFile newFileFunc) (int64, error) {
		rs, err := newRecordRows(src, codec)
		if err != nil {
			return 0, err
		}
		return writeFiles[T](rs, lim, newFile)
	}
}

// blockFiles writes each record decoded by codec as the rows expand makes
// of it.
func blockFiles[B, R any](codec *rowCodec[B], expand func(*B, []R) []R) func(recCursor, fileLimits, newFileFunc) (int64, error) {
	return func(src recCursor, lim fileLimits, newFile newFileFunc) (int64, error) {
		rs, err := newBlockRows(src, codec, expand)
		if err != nil {
			return 0, err
		}
		return writeFiles[R](rs, lim, newFile)
	}
}

// newFactTable returns a table writing under dir whose rows sort by timeOf;
// it buffers without limit until attached to a memBudget.
func newFactTable[T any](dir string, timeOf func(*T) int64) *factTable[T] {
	codec := mustRowCodec[T]()
	return &factTable[T]{dir: dir, timeOf: timeOf, codec: codec,
		parts: map[partition]*partBuf{}, runs: map[partition][]spillRun{},
		limits: fileLimits{maxRows: maxFileRows}, fanIn: maxMergeFanIn,
		next: map[partition]int{}, written: map[string]bool{}, output: recordFiles(codec)}
}

// withRowBlocks makes the table's records blocks of rows of another type,
// expanded into rows as its files are written (see headerBlock).
func withRowBlocks[B, R any](t *factTable[B], expand func(*B, []R) []R) *factTable[B] {
	t.output = blockFiles(t.codec, expand)
	return t
}

// withTieBreak sets the secondary sort key.
func (t *factTable[T]) withTieBreak(idOf func(*T) int64) *factTable[T] {
	t.idOf = idOf
	return t
}

// withMaxFileBytes also cuts files once their rows' encoded bytes reach n.
func (t *factTable[T]) withMaxFileBytes(n int64) *factTable[T] {
	t.limits.maxBytes = n
	return t
}

// add buffers a row of partition p, spilling if the budget is exceeded.
// The row is taken by pointer and not kept: passed by value it would be
// copied to the heap (the key functions make it escape), an allocation
// per row.
func (t *factTable[T]) add(p partition, row *T) error {
	k := recKey{ts: t.timeOf(row)}
	if t.idOf != nil {
		k.id = t.idOf(row)
	}
	t.scratch = t.codec.appendRow(t.scratch[:0], row)
	b := t.parts[p]
	if b == nil {
		b = &partBuf{}
		t.parts[p] = b
	}
	grown := b.add(k, t.scratch)
	if cap(t.scratch) > maxChunkBytes {
		t.scratch = nil // do not keep the buffer of a big body
	}
	if t.mem == nil {
		return nil
	}
	return t.mem.grow(grown)
}

// largest implements spillable.
func (t *factTable[T]) largest() (partition, int64) {
	var best partition
	var n int64
	for p, b := range t.parts {
		if b.bytes > n {
			best, n = p, b.bytes
		}
	}
	return best, n
}

// spill implements spillable: it writes partition p's buffered rows, sorted,
// to a new run and frees them.
func (t *factTable[T]) spill(p partition) error {
	b := t.parts[p]
	if b == nil {
		return nil
	}
	b.sort()
	run, err := writeRun(t.mem.dir, b.cursor())
	if err != nil {
		return err
	}
	t.runs[p] = append(t.runs[p], run)
	t.drop(p)
	return nil
}

// drop frees partition p's buffer: its records were spilled or written,
// and nothing decoded from them points into it (decoding copies).
func (t *factTable[T]) drop(p partition) {
	if b := t.parts[p]; b != nil {
		if t.mem != nil {
			t.mem.release(b.bytes)
		}
		delete(t.parts, p)
		b.release()
	}
}

// removeRuns implements spillable.
func (t *factTable[T]) removeRuns() error {
	var errs []error
	for p, runs := range t.runs {
		for _, r := range runs {
			errs = append(errs, r.remove())
		}
		delete(t.runs, p)
	}
	return errors.Join(errs...)
}

// flush writes partition p: its spill runs merged with its buffer, cut
// into files. The runs and the buffer are gone afterwards.
func (t *factTable[T]) flush(p partition) (err error) {
	runs := t.runs[p]
	defer func() {
		if err == nil {
			for _, r := range t.runs[p] {
				err = errors.Join(err, r.remove())
			}
			delete(t.runs, p)
		}
	}()
	if len(runs) > t.fanIn {
		runs, err = compactRuns(t.mem.dir, runs, t.fanIn)
		t.runs[p] = runs
		if err != nil {
			return err
		}
	}
	srcs, err := openRuns(runs)
	if err != nil {
		return err
	}
	if b := t.parts[p]; b != nil {
		b.sort()
		srcs = append(srcs, b.cursor())
	}
	m := newMerger(srcs)
	defer func() { err = errors.Join(err, m.close()) }()
	var src recCursor = m
	if t.unique {
		src = &uniqueCursor{src: m}
	}
	dir, rel := filepath.Join(t.dir, p.dir()), p.dir()
	if t.flat {
		dir, rel = t.dir, ""
	}
	var names []string
	newFile := func(write func(io.Writer) error) *fileWrite {
		name := partFileName(p.source, t.next[p])
		t.next[p]++
		names = append(names, name)
		fw := &fileWrite{done: make(chan struct{})}
		go func() {
			fw.err = t.files.write(dir, name, write)
			close(fw.done)
		}()
		return fw
	}
	n, err := t.output(src, t.limits, newFile)
	t.rows += n
	if err != nil {
		return err
	}
	for _, name := range names {
		t.written[filepath.Join(rel, name)] = true
	}
	t.drop(p)
	return nil
}

// flushAll writes every partition, in a fixed order.
func (t *factTable[T]) flushAll() error {
	seen := map[partition]bool{}
	parts := make([]partition, 0, len(t.parts)+len(t.runs))
	for p := range t.parts {
		seen[p] = true
		parts = append(parts, p)
	}
	for p := range t.runs {
		if !seen[p] {
			parts = append(parts, p)
		}
	}
	sort.Slice(parts, func(i, j int) bool {
		a, b := parts[i], parts[j]
		if a.source != b.source {
			return a.source < b.source
		}
		if a.date != b.date {
			return a.date < b.date
		}
		return a.hour < b.hour
	})
	for _, p := range parts {
		if err := t.flush(p); err != nil {
			return err
		}
	}
	return nil
}

// rowsWritten is the number of rows the table's files hold.
func (t *factTable[T]) rowsWritten() int64 { return t.rows }

// writtenFiles lists the files this run wrote, relative to the table.
func (t *factTable[T]) writtenFiles() map[string]bool { return t.written }
