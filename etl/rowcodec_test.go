package etl

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/spanlake/spanlake/schema"
)

// fillRandom sets every exported field of the struct v points to a random
// non-zero value (nil or empty slices half of the time).
func fillRandom(t *testing.T, rng *rand.Rand, v reflect.Value) {
	t.Helper()
	randString := func() string {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256)) // not always valid UTF-8: the codec must not care
		}
		return string(b)
	}
	var set func(f reflect.Value)
	set = func(f reflect.Value) {
		switch f.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(int64(rng.Uint64()) >> (64 - f.Type().Bits()))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(rng.Uint64() >> (64 - f.Type().Bits()))
		case reflect.Bool:
			f.SetBool(rng.IntN(2) == 1)
		case reflect.Float32, reflect.Float64:
			f.SetFloat(rng.NormFloat64())
		case reflect.String:
			f.SetString(randString())
		case reflect.Slice:
			switch rng.IntN(3) {
			case 0: // nil
			case 1:
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			default:
				n := 1 + rng.IntN(5)
				if f.Type().Elem().Kind() == reflect.Uint8 {
					n = rng.IntN(3000)
				}
				s := reflect.MakeSlice(f.Type(), n, n)
				for i := range n {
					set(s.Index(i))
				}
				f.Set(s)
			}
		case reflect.Pointer:
			if rng.IntN(2) == 1 {
				p := reflect.New(f.Type().Elem())
				set(p.Elem())
				f.Set(p)
			}
		default:
			t.Fatalf("fillRandom: kind %s", f.Kind())
		}
	}
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			set(v.Field(i))
		}
	}
}

// roundTrip checks that rows of T survive encoding exactly.
func roundTrip[T any](t *testing.T) {
	t.Helper()
	c, err := newRowCodec[T]()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for i := range 500 {
		var in, out T
		if i > 0 { // the first row is the zero row
			fillRandom(t, rng, reflect.ValueOf(&in).Elem())
		}
		buf = c.appendRow(buf[:0], &in)
		if err := c.decodeRow(buf, &out); err != nil {
			t.Fatalf("%T row %d: %v", in, i, err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("%T row %d: round trip changed it:\n in %+v\nout %+v", in, i, in, out)
		}
		if len(buf) > 0 {
			if err := c.decodeRow(buf[:len(buf)-1], &out); err == nil {
				t.Fatalf("%T row %d: truncated record decoded without error", in, i)
			}
		}
	}
}

// TestRowCodecRoundTrip checks that every fact table's rows are encoded
// losslessly, nil and empty slices and nil pointers included: a spilled row
// must be written exactly like one that stayed in memory.
func TestRowCodecRoundTrip(t *testing.T) {
	roundTrip[schema.FactHTTPExchange](t)
	roundTrip[schema.FactTCPConnection](t)
	roundTrip[schema.HTTPHeader](t)
	roundTrip[schema.HTTPBody](t)
	roundTrip[schema.HTTPParam](t)
	roundTrip[headerBlock](t)
	roundTrip[allKinds](t)

	c := mustRowCodec[allKinds]()
	in, out := allKinds{hidden: 7, I8: -3}, allKinds{}
	if err := c.decodeRow(c.appendRow(nil, &in), &out); err != nil || out.hidden != 0 || out.I8 != -3 {
		t.Errorf("unexported field: decoded %+v, %v", out, err)
	}
}

// allKinds has a field of every kind and size the codec reads through
// offsets, unexported fields and named types among them.
type allKinds struct {
	I8      int8
	I16     int16
	I32     int32
	I64     int64
	I       int
	U8      uint8
	U16     uint16
	U32     uint32
	U64     uint64
	U       uint
	F32     float32
	F64     float64
	B       bool
	S       string
	Named   schemaName
	hidden  int64 // not encoded: stays zero
	Bytes   []byte
	Strings []string
	PI32    *int32
	PF32    *float32
	PB      *bool
	PS      *string
	PU16    *uint16
}

type schemaName string

// TestHandCodedMatchesFields: a hand-coded record (headerBlock) has
// the bytes the field walk gives them, and decodes to the
// same row — also into a block that held another row before, whose
// slices it reuses — and a damaged record fails both ways.
func TestHandCodedMatchesFields(t *testing.T) {
	c := mustRowCodec[headerBlock]()
	rng := rand.New(rand.NewPCG(5, 6))
	var reused headerBlock
	for i := range 1000 {
		var in headerBlock
		if i > 0 {
			fillRandom(t, rng, reflect.ValueOf(&in).Elem())
		}
		hand, refl := c.appendRow(nil, &in), c.appendFields(nil, &in)
		if string(hand) != string(refl) {
			t.Fatalf("row %d: hand-coded record %x, reflection %x", i, hand, refl)
		}
		var want headerBlock
		if err := c.decodeFields(refl, &want, nil); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if err := c.decodeRow(hand, &reused); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if !reflect.DeepEqual(reused, want) || !reflect.DeepEqual(reused, in) {
			t.Fatalf("row %d: decoded\n %+v\nwant %+v", i, reused, want)
		}
		for _, cut := range []int{1, len(hand) / 2} {
			if cut == 0 || cut > len(hand) {
				continue
			}
			var junk headerBlock
			errHand, errRefl := c.decodeRow(hand[:len(hand)-cut], &junk), c.decodeFields(hand[:len(hand)-cut], &junk, nil)
			if errHand == nil || errRefl == nil {
				t.Fatalf("row %d cut by %d: hand-coded error %v, reflection %v", i, cut, errHand, errRefl)
			}
		}
	}
}

// TestRowCodecRejectsUnknownKinds checks that a column of a kind the codec
// cannot encode is an error, not a silently dropped column.
func TestRowCodecRejectsUnknownKinds(t *testing.T) {
	type withMap struct {
		A int64
		M map[string]string
	}
	if _, err := newRowCodec[withMap](); err == nil {
		t.Fatal("map field accepted")
	}
	type withStruct struct {
		A struct{ B int64 }
	}
	if _, err := newRowCodec[withStruct](); err == nil {
		t.Fatal("struct field accepted")
	}
}

// BenchmarkRowCodecExchange measures encoding and decoding one
// fact_http_exchange row (into an arena, as rows are written).
func BenchmarkRowCodecExchange(b *testing.B) {
	c := mustRowCodec[schema.FactHTTPExchange]()
	rows := benchExchangeRows(100)
	buf := c.appendRow(nil, &rows[0])
	b.Run("encode", func(b *testing.B) {
		i := 0
		for b.Loop() {
			buf = c.appendRow(buf[:0], &rows[i%len(rows)])
			i++
		}
	})
	b.Run("decode", func(b *testing.B) {
		var out schema.FactHTTPExchange
		var arena rowArena
		b.ReportAllocs()
		for b.Loop() {
			if err := c.decodeRowIn(buf, &out, &arena); err != nil {
				b.Fatal(err)
			}
			arena.reset()
		}
	})
}

// BenchmarkRowCodecHeader measures encoding and decoding one header row,
// the commonest row of keep-alive API traffic.
func BenchmarkRowCodecHeader(b *testing.B) {
	c := mustRowCodec[schema.HTTPHeader]()
	row := schema.HTTPHeader{ExchangeID: 123456789, ConnectionID: 987654321, DateKey: 20260102, Direction: "response",
		Ordinal: 4, Name: "Content-Type", NameLower: "content-type", Value: "application/json; charset=utf-8", RequestTS: 1_767_323_045_123_456}
	buf := c.appendRow(nil, &row)
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			buf = c.appendRow(buf[:0], &row)
		}
	})
	b.Run("decode", func(b *testing.B) {
		var out schema.HTTPHeader
		for b.Loop() {
			if err := c.decodeRow(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRecordReaderVarints: the one-byte fast paths of varint and uvarint
// agree with encoding/binary around their boundaries and at the extremes.
func TestRecordReaderVarints(t *testing.T) {
	var ints []int64
	for v := int64(-300); v <= 300; v++ {
		ints = append(ints, v)
	}
	ints = append(ints, math.MinInt64, math.MaxInt64, math.MinInt32, math.MaxInt32)
	for _, v := range ints {
		r := recordReader{b: binary.AppendVarint(nil, v)}
		if got := r.varint(); got != v || r.err != nil || len(r.b) != 0 {
			t.Errorf("varint %d: got %d, err %v, %d bytes left", v, got, r.err, len(r.b))
		}
		u := uint64(v)
		r = recordReader{b: binary.AppendUvarint(nil, u)}
		if got := r.uvarint(); got != u || r.err != nil || len(r.b) != 0 {
			t.Errorf("uvarint %d: got %d, err %v, %d bytes left", u, got, r.err, len(r.b))
		}
	}
	for _, f := range []func(*recordReader){func(r *recordReader) { r.varint() }, func(r *recordReader) { r.uvarint() }} {
		r := recordReader{b: []byte{0x80}} // truncated
		if f(&r); r.err == nil {
			t.Error("truncated varint read without error")
		}
	}
}
