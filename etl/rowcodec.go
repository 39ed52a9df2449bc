package etl

import (
	"encoding/binary"
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
//
// Rows are then read and written through each field's offset in T, not
// through reflect.Value: every row of every table goes through the codec
// twice (buffered, then written), and reflection's per-field calls were
// most of its cost (4-8 % of a run on the small shape). The offsets and
// sizes come from reflect at construction, so they are those of T's
// layout on the machine that runs; TestRowCodecRoundTrip round-trips
// random rows of every table type.
type rowCodec[T any] struct {
	fields []fieldCodec
}

// handCoded is a row type with its own encoding of the record layout
// above, written out where one record stands for many rows (one
// http_header block per exchange). TestHandCodedMatchesFields checks it
// gives the same bytes and rows as the field walk.
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
	off      uintptr // offset of the field in the struct
	kind     fieldKind
	size     uintptr      // bytes of the scalar (of the element, for kindPtr)
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
		fc := fieldCodec{off: f.Offset, size: f.Type.Size()}
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
				fc.kind, fc.elem, fc.elemType, fc.size = kindPtr, k, f.Type.Elem(), f.Type.Elem().Size()
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
	return c.appendFields(dst, row)
}

// appendFields is appendRow by walking the fields.
func (c *rowCodec[T]) appendFields(dst []byte, row *T) []byte {
	base := unsafe.Pointer(row)
	for i := range c.fields {
		fc := &c.fields[i]
		p := unsafe.Add(base, fc.off)
		switch fc.kind {
		case kindPtr:
			elem := *(*unsafe.Pointer)(p)
			if elem == nil {
				dst = append(dst, 0)
				continue
			}
			dst = append(dst, 1)
			dst = appendScalar(dst, fc.elem, fc.size, elem)
		case kindBytes:
			b := *(*[]byte)(p)
			if b == nil {
				dst = append(dst, 0)
				continue
			}
			dst = binary.AppendUvarint(dst, uint64(len(b))+1)
			dst = append(dst, b...)
		case kindStrings:
			ss := *(*[]string)(p)
			dst = appendStrings(dst, ss)
		default:
			dst = appendScalar(dst, fc.kind, fc.size, p)
		}
	}
	return dst
}

// appendScalar appends the scalar of kind k and size bytes at p.
func appendScalar(dst []byte, k fieldKind, size uintptr, p unsafe.Pointer) []byte {
	switch k {
	case kindInt:
		return binary.AppendVarint(dst, loadInt(p, size))
	case kindUint:
		return binary.AppendUvarint(dst, loadUint(p, size))
	case kindBool:
		if *(*bool)(p) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case kindFloat:
		var f float64
		if size == 4 {
			f = float64(*(*float32)(p))
		} else {
			f = *(*float64)(p)
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
	default: // kindString
		s := *(*string)(p)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	}
}

// loadInt reads a signed integer of size bytes at p.
func loadInt(p unsafe.Pointer, size uintptr) int64 {
	switch size {
	case 1:
		return int64(*(*int8)(p))
	case 2:
		return int64(*(*int16)(p))
	case 4:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

// loadUint reads an unsigned integer of size bytes at p.
func loadUint(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

// storeInt writes v as a signed integer of size bytes at p (truncating,
// as reflect.Value.SetInt does).
func storeInt(p unsafe.Pointer, size uintptr, v int64) {
	switch size {
	case 1:
		*(*int8)(p) = int8(v)
	case 2:
		*(*int16)(p) = int16(v)
	case 4:
		*(*int32)(p) = int32(v)
	default:
		*(*int64)(p) = v
	}
}

// storeUint writes v as an unsigned integer of size bytes at p.
func storeUint(p unsafe.Pointer, size uintptr, v uint64) {
	switch size {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	default:
		*(*uint64)(p) = v
	}
}

// decodeRow sets *row from the record rec, which it does not retain.
func (c *rowCodec[T]) decodeRow(rec []byte, row *T) error { return c.decodeRowIn(rec, row, nil) }

// decodeRowIn is decodeRow with the row's strings and byte slices held
// by arena (see rowArena for how long they stay valid).
func (c *rowCodec[T]) decodeRowIn(rec []byte, row *T, arena *rowArena) error {
	if h, ok := any(row).(handCoded); ok {
		return h.decodeRecord(rec)
	}
	return c.decodeFields(rec, row, arena)
}

// decodeFields is decodeRow by walking the fields.
func (c *rowCodec[T]) decodeFields(rec []byte, row *T, arena *rowArena) error {
	var zero T
	*row = zero
	r := newRecordReader(rec, arena)
	base := unsafe.Pointer(row)
	for i := range c.fields {
		fc := &c.fields[i]
		p := unsafe.Add(base, fc.off)
		switch fc.kind {
		case kindPtr:
			if r.byte1() == 0 {
				continue
			}
			elem := reflect.New(fc.elemType).UnsafePointer()
			decodeScalar(&r, fc.elem, fc.size, elem)
			*(*unsafe.Pointer)(p) = elem
		case kindBytes:
			n := r.uvarint()
			if n == 0 {
				continue
			}
			*(*[]byte)(p) = r.byteSlice(n - 1)
		case kindStrings:
			*(*[]string)(p) = r.strings(nil)
		default:
			decodeScalar(&r, fc.kind, fc.size, p)
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.end()
}

// decodeScalar reads one scalar value of kind k into the size bytes at p.
func decodeScalar(r *recordReader, k fieldKind, size uintptr, p unsafe.Pointer) {
	switch k {
	case kindInt:
		storeInt(p, size, r.varint())
	case kindUint:
		storeUint(p, size, r.uvarint())
	case kindBool:
		*(*bool)(p) = r.byte1() != 0
	case kindFloat:
		var f float64
		if b := r.bytes(8); b != nil {
			f = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if size == 4 {
			*(*float32)(p) = float32(f)
		} else {
			*(*float64)(p) = f
		}
	default: // kindString
		*(*string)(p) = r.str(r.uvarint())
	}
}
