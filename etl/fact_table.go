package etl

import (
	"io"
	"path/filepath"
	"sort"
)

// maxBufferedRows bounds the rows buffered per partition before they are
// written out as one file; it keeps memory bounded on long captures.
const maxBufferedRows = 500_000

// factTable buffers the rows of one partitioned table and writes each
// partition's rows, sorted by time, to files named after their capture.
type factTable[T any] struct {
	dir     string // table directory
	timeOf  func(*T) int64
	idOf    func(*T) int64 // breaks ties of timeOf, so row order never depends on arrival order
	buf     map[partition][]T
	next    map[partition]int // next file number per partition
	written map[string]bool   // files written by this run, relative to dir
}

func newFactTable[T any](dir string, timeOf func(*T) int64) *factTable[T] {
	return &factTable[T]{dir: dir, timeOf: timeOf, buf: map[partition][]T{}, next: map[partition]int{}, written: map[string]bool{}}
}

// withTieBreak sets the secondary sort key.
func (t *factTable[T]) withTieBreak(idOf func(*T) int64) *factTable[T] {
	t.idOf = idOf
	return t
}

func (t *factTable[T]) add(p partition, row T) error {
	t.buf[p] = append(t.buf[p], row)
	if len(t.buf[p]) >= maxBufferedRows {
		return t.flush(p)
	}
	return nil
}

func (t *factTable[T]) flush(p partition) error {
	rows := t.buf[p]
	if len(rows) == 0 {
		return nil
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ti, tj := t.timeOf(&rows[i]), t.timeOf(&rows[j])
		if ti != tj || t.idOf == nil {
			return ti < tj
		}
		return t.idOf(&rows[i]) < t.idOf(&rows[j])
	})
	name := partFileName(p.source, t.next[p])
	t.next[p]++
	if err := writeAtomic(filepath.Join(t.dir, p.dir()), name, func(w io.Writer) error { return writeParquet(w, rows) }); err != nil {
		return err
	}
	t.written[filepath.Join(p.dir(), name)] = true
	delete(t.buf, p)
	return nil
}

// flushAll writes every buffered partition, in a fixed order.
func (t *factTable[T]) flushAll() error {
	parts := make([]partition, 0, len(t.buf))
	for p := range t.buf {
		parts = append(parts, p)
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

// writtenFiles lists the files this run wrote, relative to the table.
func (t *factTable[T]) writtenFiles() map[string]bool { return t.written }
