package etl

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// errCorruptRecord reports a record that does not decode: a spill run that
// was damaged on disk.
var errCorruptRecord = errors.New("corrupt buffered row record")

// recordReader decodes the parts of one record.
type recordReader struct {
	b   []byte
	err error
	// whole is the record as a string, when it is small (sharedStringMax):
	// its strings are then substrings of it, one allocation for the row
	// instead of one per string; a large record (a body) is not copied
	// whole.
	whole string
	// wholeBytes is whole as bytes when it is held by a rowArena: byte
	// slices of the row are then sub-slices of it too.
	wholeBytes []byte
	size       int // len(record)
}

// sharedStringMax is the largest record whose strings share one
// allocation.
const sharedStringMax = 4 << 10

// str returns the next n bytes as a string.
func (r *recordReader) str(n uint64) string {
	at := r.size - len(r.b)
	b := r.bytes(n)
	if r.whole != "" {
		return r.whole[at : at+len(b)]
	}
	return string(b)
}

// byteSlice returns the next n bytes as a slice of their own: in the
// arena when the record is held there, else a copy.
func (r *recordReader) byteSlice(n uint64) []byte {
	at := r.size - len(r.b)
	b := r.bytes(n)
	if r.wholeBytes != nil && b != nil {
		return r.wholeBytes[at : at+len(b) : at+len(b)]
	}
	return append(make([]byte, 0, len(b)), b...)
}

// uvarint reads an unsigned varint.
func (r *recordReader) uvarint() uint64 {
	if len(r.b) > 0 && r.b[0] < 0x80 { // one byte: most lengths and counts
		v := uint64(r.b[0])
		r.b = r.b[1:]
		return v
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// varint reads a zig-zag varint.
func (r *recordReader) varint() int64 {
	if len(r.b) > 0 && r.b[0] < 0x80 { // one byte: -64..63
		u := r.b[0]
		r.b = r.b[1:]
		return int64(u>>1) ^ -int64(u&1)
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads n bytes, aliasing the record.
func (r *recordReader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// byte1 reads one byte.
func (r *recordReader) byte1() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// fail marks the record corrupt and stops reading it.
func (r *recordReader) fail() {
	r.err = errCorruptRecord
	r.b = nil
}

// newRecordReader starts reading rec; the strings it returns are copies
// held by arena (nil: by the heap).
func newRecordReader(rec []byte, arena *rowArena) recordReader {
	r := recordReader{b: rec, size: len(rec)}
	if len(rec) <= sharedStringMax {
		if r.wholeBytes = arena.hold(rec); r.wholeBytes != nil {
			r.whole = unsafe.String(unsafe.SliceData(r.wholeBytes), len(r.wholeBytes))
		} else {
			r.whole = string(rec)
		}
	}
	return r
}

// end is the reader's error, or errCorruptRecord when bytes are left.
func (r *recordReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	return r.err
}
