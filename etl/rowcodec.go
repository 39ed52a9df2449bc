package etl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// rowCodec encodes rows of a table struct T as compact, self-delimiting
// records for the buffers and spill runs of a factTable (fact_buffer.go,
// spill.go), and decodes them back.
//
// The encoding walks T's exported fields in declaration order: integers as
// zig-zag varints, unsigned integers as varints, booleans as one byte,
// floats as 8 little-endian bytes, strings as a varint length and the
// bytes. Byte slices, string slices and pointers carry a nil marker, so a
// round trip gives back exactly the same row (nil stays nil, empty stays
// empty): a spilled row is written to Parquet exactly like one that never
// left memory. The layout is built once per type by reflection; a field of
// a kind it does not know makes newRowCodec fail (tested for every fact
// table), rather than lose a column silently.
type rowCodec[T any] struct {
	fields []fieldCodec
}

// handCoded is a row type with its own encoding of the record layout
// above, written out for speed where reflection was a visible cost (one
// http_header block per exchange). TestHandCodedMatchesReflection checks
// it gives the same bytes and rows as the reflective codec.
type handCoded interface {
	appendRecord(dst []byte) []byte
	decodeRecord(rec []byte) error
}

// fieldKind is how one field is encoded.
type fieldKind uint8

const (
	kindInt fieldKind = iota
	kindUint
	kindBool
	kindFloat
	kindString
	kindBytes
	kindStrings
	kindPtr // pointer to a scalar of kind elem
)

// fieldCodec is the encoding of one struct field.
type fieldCodec struct {
	index    int
	kind     fieldKind
	elem     fieldKind    // for kindPtr: the kind pointed to
	elemType reflect.Type // for kindPtr: the type pointed to
}

// scalarKind maps a reflect kind to a scalar fieldKind.
func scalarKind(k reflect.Kind) (fieldKind, bool) {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindUint, true
	case reflect.Bool:
		return kindBool, true
	case reflect.Float32, reflect.Float64:
		return kindFloat, true
	case reflect.String:
		return kindString, true
	}
	return 0, false
}

// newRowCodec builds the codec of T, a struct of scalars, strings, byte
// slices, string slices and pointers to scalars.
func newRowCodec[T any]() (*rowCodec[T], error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row codec: %s is not a struct", t)
	}
	c := &rowCodec[T]{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fc := fieldCodec{index: i}
		if k, ok := scalarKind(f.Type.Kind()); ok {
			fc.kind = k
		} else {
			switch {
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Uint8:
				fc.kind = kindBytes
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
				fc.kind = kindStrings
			case f.Type.Kind() == reflect.Pointer:
				k, ok := scalarKind(f.Type.Elem().Kind())
				if !ok {
					return nil, fmt.Errorf("row codec: %s.%s: pointer to %s not supported", t, f.Name, f.Type.Elem())
				}
				fc.kind, fc.elem, fc.elemType = kindPtr, k, f.Type.Elem()
			default:
				return nil, fmt.Errorf("row codec: %s.%s: type %s not supported", t, f.Name, f.Type)
			}
		}
		c.fields = append(c.fields, fc)
	}
	return c, nil
}

// mustRowCodec is newRowCodec for the warehouse's own row types, whose
// support is checked by TestRowCodecRoundTrip.
func mustRowCodec[T any]() *rowCodec[T] {
	c, err := newRowCodec[T]()
	if err != nil {
		panic(err)
	}
	return c
}

// appendRow appends the encoding of row to dst.
func (c *rowCodec[T]) appendRow(dst []byte, row *T) []byte {
	if h, ok := any(row).(handCoded); ok {
		return h.appendRecord(dst)
	}
	return c.appendReflect(dst, row)
}

// appendReflect is appendRow by reflection.
func (c *rowCodec[T]) appendReflect(dst []byte, row *T) []byte {
	v := reflect.ValueOf(row).Elem()
	for i := range c.fields {
		fc := &c.fields[i]
		f := v.Field(fc.index)
		switch fc.kind {
		case kindPtr:
			if f.IsNil() {
				dst = append(dst, 0)
				continue
			}
			dst = append(dst, 1)
			dst = appendScalar(dst, fc.elem, f.Elem())
		case kindBytes:
			if f.IsNil() {
				dst = append(dst, 0)
				continue
			}
			b := f.Bytes()
			dst = binary.AppendUvarint(dst, uint64(len(b))+1)
			dst = append(dst, b...)
		case kindStrings:
			if f.IsNil() {
				dst = append(dst, 0)
				continue
			}
			n := f.Len()
			dst = binary.AppendUvarint(dst, uint64(n)+1)
			for j := range n {
				s := f.Index(j).String()
				dst = binary.AppendUvarint(dst, uint64(len(s)))
				dst = append(dst, s...)
			}
		default:
			dst = appendScalar(dst, fc.kind, f)
		}
	}
	return dst
}

// appendScalar appends one scalar value of kind k.
func appendScalar(dst []byte, k fieldKind, f reflect.Value) []byte {
	switch k {
	case kindInt:
		return binary.AppendVarint(dst, f.Int())
	case kindUint:
		return binary.AppendUvarint(dst, f.Uint())
	case kindBool:
		if f.Bool() {
			return append(dst, 1)
		}
		return append(dst, 0)
	case kindFloat:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f.Float()))
	default: // kindString
		s := f.String()
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	}
}

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

// decodeRow sets *row from the record rec, which it does not retain.
func (c *rowCodec[T]) decodeRow(rec []byte, row *T) error {
	if h, ok := any(row).(handCoded); ok {
		return h.decodeRecord(rec)
	}
	return c.decodeReflect(rec, row, nil)
}

// decodeRowIn is decodeRow with the row's strings and byte slices held
// by arena (see rowArena for how long they stay valid).
func (c *rowCodec[T]) decodeRowIn(rec []byte, row *T, arena *rowArena) error {
	if h, ok := any(row).(handCoded); ok {
		return h.decodeRecord(rec)
	}
	return c.decodeReflect(rec, row, arena)
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

// decodeReflect is decodeRow by reflection.
func (c *rowCodec[T]) decodeReflect(rec []byte, row *T, arena *rowArena) error {
	var zero T
	*row = zero
	r := newRecordReader(rec, arena)
	v := reflect.ValueOf(row).Elem()
	for i := range c.fields {
		fc := &c.fields[i]
		f := v.Field(fc.index)
		switch fc.kind {
		case kindPtr:
			if r.byte1() == 0 {
				continue
			}
			p := reflect.New(fc.elemType)
			decodeScalar(&r, fc.elem, p.Elem())
			f.Set(p)
		case kindBytes:
			n := r.uvarint()
			if n == 0 {
				continue
			}
			f.SetBytes(r.byteSlice(n - 1))
		case kindStrings:
			n := r.uvarint()
			if n == 0 {
				continue
			}
			if n-1 > uint64(len(r.b)) { // each string takes at least a byte
				r.fail()
				break
			}
			s := reflect.MakeSlice(f.Type(), int(n-1), int(n-1))
			for j := range int(n - 1) {
				s.Index(j).SetString(r.str(r.uvarint()))
			}
			f.Set(s)
		default:
			decodeScalar(&r, fc.kind, f)
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.end()
}

// decodeScalar sets f from one scalar value of kind k.
func decodeScalar(r *recordReader, k fieldKind, f reflect.Value) {
	switch k {
	case kindInt:
		f.SetInt(r.varint())
	case kindUint:
		f.SetUint(r.uvarint())
	case kindBool:
		f.SetBool(r.byte1() != 0)
	case kindFloat:
		if b := r.bytes(8); b != nil {
			f.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
	default: // kindString
		f.SetString(r.str(r.uvarint()))
	}
}
