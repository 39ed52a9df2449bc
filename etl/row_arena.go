package etl

import "sync"

// rowArena holds the strings and byte slices of a batch of decoded rows.
//
// Decoding a row used to copy its record into a string of its own, so
// that its strings (substrings of it) outlived the record, which the
// merge reuses: on the small shape that was one allocation per row and
// 5 % of a run. The rows of a batch only need their strings until the
// Parquet writer has taken the batch, which copies every value into its
// own pages and dictionaries (parquet-go's column buffers and
// byteArrayDictionary.insert). So the records of a batch are copied into
// the batch's arena instead, and the rows' strings point into it.
//
// Rules, which keep the strings valid for as long as they are used:
//   - a batch's rows are handed to the writer with their arena, and the
//     arena is reset only after the writer returns (consumeFile);
//   - only records decoded into that batch's own rows use it (recordRows;
//     not the blocks of blockRows, whose rows can spill into the next
//     batch or file);
//   - hold never writes over bytes it handed out: when the arena is full
//     it grows into a new array, and the rows that point into the old one
//     keep it alive.
//
// A batch's arena holds at most rowArenaMax bytes; past that records are
// copied to the heap as before, so that a batch of large rows does not
// keep a large arena for the rest of the run.
type rowArena struct {
	b []byte
}

// rowArenaMax bounds the bytes one arena holds.
const rowArenaMax = 1 << 20

// hold copies rec into the arena and returns the copy, or nil when a is
// nil or full.
func (a *rowArena) hold(rec []byte) []byte {
	if a == nil || len(a.b)+len(rec) > rowArenaMax || len(rec) == 0 {
		return nil
	}
	start := len(a.b)
	a.b = append(a.b, rec...)
	return a.b[start:len(a.b):len(a.b)]
}

// reset makes the arena's bytes reusable: every row decoded into it must
// be gone.
func (a *rowArena) reset() { a.b = a.b[:0] }

// arenaBytes holds the bytes of arenas no batch uses (see writeFiles).
var arenaBytes sync.Pool // of *[]byte

// takeArena returns an empty arena, with the bytes of a released one if
// there are any.
func takeArena() rowArena {
	if b, ok := arenaBytes.Get().(*[]byte); ok {
		return rowArena{b: (*b)[:0]}
	}
	return rowArena{}
}

// giveBack releases the arena's bytes: every row decoded into it must be
// gone, and the arena is empty afterwards.
func (a *rowArena) giveBack() {
	if cap(a.b) > 0 {
		b := a.b[:0]
		arenaBytes.Put(&b)
	}
	a.b = nil
}
