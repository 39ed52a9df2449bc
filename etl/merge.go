package etl

import (
	"container/heap"
	"errors"
)

// recCursor walks records in key order. A new cursor is positioned before
// its first record; record's result is valid until the next advance.
type recCursor interface {
	// advance moves to the next record and reports whether there is one.
	advance() (bool, error)
	key() recKey
	record() []byte
	close() error
}

// merger is the k-way merge of cursors that are each sorted. Among equal
// keys, the record of the earlier cursor comes first: given cursors in
// arrival order (spill runs oldest first, the memory buffer last), the
// merge is the stable sort of all the records, whatever the runs' sizes.
type merger struct {
	srcs    []recCursor
	h       mergeHeap
	started bool
}

// newMerger merges srcs; the merger closes them.
func newMerger(srcs []recCursor) *merger { return &merger{srcs: srcs} }

// advance implements recCursor: the first call positions every source on
// its first record, later ones move the source that gave the current
// record.
func (m *merger) advance() (bool, error) {
	if !m.started {
		m.started = true
		for i, c := range m.srcs {
			ok, err := c.advance()
			if err != nil {
				return false, err
			}
			if ok {
				m.h = append(m.h, mergeItem{c: c, order: i})
			}
		}
		heap.Init(&m.h)
		return len(m.h) > 0, nil
	}
	if len(m.h) == 0 {
		return false, nil
	}
	ok, err := m.h[0].c.advance()
	if err != nil {
		return false, err
	}
	if ok {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return len(m.h) > 0, nil
}

// key implements recCursor.
func (m *merger) key() recKey { return m.h[0].c.key() }

// record implements recCursor.
func (m *merger) record() []byte { return m.h[0].c.record() }

// close implements recCursor: it closes every source.
func (m *merger) close() error {
	var errs []error
	for _, c := range m.srcs {
		errs = append(errs, c.close())
	}
	return errors.Join(errs...)
}

// mergeItem is one source of a merger and its place in arrival order.
type mergeItem struct {
	c     recCursor
	order int
}

// mergeHeap orders a merger's sources by current key, then arrival order.
type mergeHeap []mergeItem

// Len implements heap.Interface.
func (h mergeHeap) Len() int { return len(h) }

// Less implements heap.Interface.
func (h mergeHeap) Less(i, j int) bool {
	if c := h[i].c.key().compare(h[j].c.key()); c != 0 {
		return c < 0
	}
	return h[i].order < h[j].order
}

// Swap implements heap.Interface.
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface (unused: a merger only removes sources).
func (h *mergeHeap) Push(x any) { *h = append(*h, x.(mergeItem)) }

// Pop implements heap.Interface.
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
