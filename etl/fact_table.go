package etl

import (
	"cmp"
	"io"
	"path/filepath"
	"slices"
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
	files   *fileTracker
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
	rows = t.sorted(rows)
	name := partFileName(p.source, t.next[p])
	t.next[p]++
	if err := t.files.write(filepath.Join(t.dir, p.dir()), name, func(w io.Writer) error { return writeParquet(w, rows) }); err != nil {
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

// sortKey orders rows: time, then id, then arrival (which makes the order
// total, so an unstable sort of small keys gives a stable result).
type sortKey struct {
	ts, id int64
	idx    int32
}

// sorted returns rows ordered by time and id. It sorts 24-byte keys and
// moves every row once, instead of swapping rows of hundreds of bytes
// O(n log n) times.
func (t *factTable[T]) sorted(rows []T) []T {
	keys := make([]sortKey, len(rows))
	for i := range rows {
		keys[i] = sortKey{ts: t.timeOf(&rows[i]), idx: int32(i)}
		if t.idOf != nil {
			keys[i].id = t.idOf(&rows[i])
		}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := cmp.Compare(a.ts, b.ts); c != 0 {
			return c
		}
		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	out := make([]T, len(rows))
	for i, k := range keys {
		out[i] = rows[k.idx]
	}
	return out
}
