package etl

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
	"unsafe"
)

// recKey is the sort key of a buffered row: its time, then its id. Rows
// with equal keys (the detail rows of one exchange) keep their arrival
// order: that order is what makes the sort stable.
type recKey struct {
	ts, id int64
}

// compare orders keys by time, then id.
func (a recKey) compare(b recKey) int {
	if c := cmp.Compare(a.ts, b.ts); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// bufEntry locates one record in a partBuf's arena. Chunks and offsets grow
// with arrival, so (key, chunk, off) is a total order that keeps arrival
// order among equal keys.
type bufEntry struct {
	key        recKey
	chunk, off int32
}

// Arena chunk sizes: the first chunk of a partition is small (a capture
// has many small partitions), later ones double up to maxChunkBytes; a
// record larger than that (a big body) gets a chunk of its own.
const (
	firstChunkBytes = 4 << 10
	maxChunkBytes   = 1 << 20
)

// bufEntrySize is the memory an entry takes, for the budget.
const bufEntrySize = int64(unsafe.Sizeof(bufEntry{}))

// partBuf holds the rows of one partition that are still in memory, as
// encoded records (rowCodec) packed in an arena of byte chunks. Compared
// with a slice of row structs, this takes a third of the memory for
// header rows, holds no pointers for the garbage collector to scan, never
// copies rows to grow, and tells exactly how many bytes it holds.
type partBuf struct {
	chunks  [][]byte
	entries []bufEntry
	bytes   int64 // memory held: chunk capacities plus the entries' capacity
}

// add appends a record with key k and returns by how many bytes the
// buffer's memory grew.
func (b *partBuf) add(k recKey, rec []byte) int64 {
	before := b.bytes
	need := binary.MaxVarintLen64 + len(rec)
	last := len(b.chunks) - 1
	if last < 0 || cap(b.chunks[last])-len(b.chunks[last]) < need {
		size := firstChunkBytes
		if last >= 0 {
			size = min(2*cap(b.chunks[last]), maxChunkBytes)
		}
		size = max(size, need)
		b.chunks = append(b.chunks, newChunk(size))
		b.bytes += int64(size)
		last++
	}
	c := b.chunks[last]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(rec)))
	b.chunks[last] = append(c, rec...)
	if len(b.entries) == cap(b.entries) {
		oldCap := cap(b.entries)
		b.entries = growEntries(b.entries)
		b.bytes += int64(cap(b.entries)-oldCap) * bufEntrySize
	}
	b.entries = append(b.entries, bufEntry{key: k, chunk: int32(last), off: int32(off)})
	return b.bytes - before
}

// fullChunks recycles the maxChunkBytes chunks of the buffers that were
// spilled or written. A busy partition fills a chunk every few hundred
// exchanges, and allocating each anew meant clearing and faulting in
// fresh memory to copy records into: on the small shape, 2 % of a run in
// memmove alone. A pooled chunk is still counted by the budget only while
// a buffer holds it, as before; the pool (sync.Pool) lets the garbage
// collector have the chunks that stay unused.
var fullChunks sync.Pool // of *[]byte

// bigEntries recycles the entry slices of dropped buffers that had grown
// past pooledEntriesMin entries: a partition that fills the budget grows
// its entries to tens of thousands by doubling, copying them each time,
// and does so again after every spill (pprof: 2.3 % of a run). A buffer
// takes a pooled slice only when it outgrows pooledEntriesMin itself, so
// that the many small partitions of a long capture do not each hold (and
// have the budget count) a big slice.
var bigEntries sync.Pool // of *[]bufEntry

// pooledEntriesMin is the smallest entry capacity that is pooled.
const pooledEntriesMin = 4096

// growEntries returns e with room for one more entry.
func growEntries(e []bufEntry) []bufEntry {
	if cap(e) >= pooledEntriesMin {
		if p, ok := bigEntries.Get().(*[]bufEntry); ok {
			if cap(*p) > cap(e) {
				return append((*p)[:0], e...)
			}
			bigEntries.Put(p)
		}
	}
	return slices.Grow(e, 1)
}

// newChunk returns an empty chunk of capacity size.
func newChunk(size int) []byte {
	if size == maxChunkBytes {
		if c, ok := fullChunks.Get().(*[]byte); ok {
			return (*c)[:0]
		}
	}
	return make([]byte, 0, size)
}

// release hands the buffer's full-size chunks and big entry slice to the
// pools; the buffer
// must not be used afterwards, nor any record it returned.
func (b *partBuf) release() {
	for _, c := range b.chunks {
		if cap(c) == maxChunkBytes {
			fullChunks.Put(&c)
		}
	}
	if cap(b.entries) >= pooledEntriesMin {
		e := b.entries[:0]
		bigEntries.Put(&e)
	}
	*b = partBuf{}
}

// record returns the record of entry e.
func (b *partBuf) record(e bufEntry) []byte {
	c := b.chunks[e.chunk][e.off:]
	n, w := binary.Uvarint(c)
	return c[w : w+int(n)]
}

// sort orders the entries by key, keeping arrival order among equal keys.
func (b *partBuf) sort() {
	slices.SortFunc(b.entries, func(x, y bufEntry) int {
		if c := x.key.compare(y.key); c != 0 {
			return c
		}
		if c := cmp.Compare(x.chunk, y.chunk); c != 0 {
			return c
		}
		return cmp.Compare(x.off, y.off)
	})
}

// cursor returns a cursor over the buffer's records in entry order (call
// sort first).
func (b *partBuf) cursor() *bufCursor { return &bufCursor{b: b, i: -1} }

// bufCursor walks a partBuf's entries.
type bufCursor struct {
	b *partBuf
	i int
}

// advance implements recCursor.
func (c *bufCursor) advance() (bool, error) {
	c.i++
	return c.i < len(c.b.entries), nil
}

// key implements recCursor.
func (c *bufCursor) key() recKey { return c.b.entries[c.i].key }

// record implements recCursor.
func (c *bufCursor) record() []byte { return c.b.record(c.b.entries[c.i]) }

// close implements recCursor; the buffer stays.
func (c *bufCursor) close() error { return nil }
