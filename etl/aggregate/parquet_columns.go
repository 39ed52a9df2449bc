package aggregate

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet column chunks are decoded with parquet-go, the library that writes
// them, straight into Arrow builders. Arrow's own reader (parquet/pqarrow)
// was used before; it imports Arrow Flight and with it gRPC, which doubled
// the static binary (64 MB → 34 MB without it) and cost every run of every
// subcommand ~10 ms of start-up and 12–16 MiB of RSS for a reader that only
// `aggregate` uses. The warehouse has a fixed, small set of column shapes,
// so the conversion below covers exactly those: flat BOOLEAN, INT32, INT64
// (plain or timestamp), BYTE_ARRAY (string or binary), and lists of
// strings.

// columnSource streams one top-level column of a row group as Arrow arrays
// of a given number of rows.
type columnSource interface {
	field() arrow.Field
	// appendRows decodes the next n rows into the builder.
	appendRows(n int) error
	// finish returns the rows appended since the last call.
	finish() arrow.Array
	close()
}

// rowGroupBatches calls fn with batches of at most batchRows rows of the
// sources, until the row group's rows are read; readErr is a decoding
// error, fnErr what fn or the context returned.
func rowGroupBatches(ctx context.Context, rows int64, srcs []columnSource, fn func(arrow.RecordBatch) error) (readErr, fnErr error) {
	fields := make([]arrow.Field, len(srcs))
	for i, src := range srcs {
		fields[i] = src.field()
	}
	schema := arrow.NewSchema(fields, nil)
	cols := make([]arrow.Array, len(srcs))
	for left := rows; left > 0; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(left, int64(batchRows))
		for i, src := range srcs {
			if err := src.appendRows(int(n)); err != nil {
				return err, nil
			}
			cols[i] = src.finish()
		}
		rec := array.NewRecordBatch(schema, cols, n)
		for _, c := range cols {
			c.Release()
		}
		err := fn(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		left -= n
	}
	return nil, nil
}

// newColumnSource returns a source for the top-level field f of the file's
// schema, reading leaf column `leaf` of row group rg; ok is false for
// shapes the warehouse does not use (the column is then left out of the
// batches, as a missing column is).
func newColumnSource(f parquet.Field, rg parquet.RowGroup, leaf int) (columnSource, bool) {
	if f.Leaf() {
		typ, ok := arrowType(f.Type())
		if !ok {
			return nil, false
		}
		b := array.NewBuilder(memory.DefaultAllocator, typ)
		return &flatSource{f: arrow.Field{Name: f.Name(), Type: typ, Nullable: true}, pages: rg.ColumnChunks()[leaf].Pages(), b: b}, true
	}
	listDef, ok := stringListDef(f)
	if !ok {
		return nil, false
	}
	typ := arrow.ListOf(arrow.BinaryTypes.String)
	b := array.NewListBuilder(memory.DefaultAllocator, arrow.BinaryTypes.String)
	return &listSource{
		f: arrow.Field{Name: f.Name(), Type: typ, Nullable: true}, values: valueStream{pages: rg.ColumnChunks()[leaf].Pages()},
		b: b, vb: b.ValueBuilder().(*array.StringBuilder), listDef: listDef, optional: f.Optional(),
	}, true
}

// leafCount is the number of leaf columns under a field.
func leafCount(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	c := 0
	for _, f := range n.Fields() {
		c += leafCount(f)
	}
	return c
}

// arrowType maps a leaf's Parquet type to the Arrow type Arrow's own reader
// gives it.
func arrowType(t parquet.Type) (arrow.DataType, bool) {
	var logical format.LogicalTypeValue
	if lt := t.LogicalType(); lt != nil {
		logical = lt.Value
	}
	switch t.Kind() {
	case parquet.Boolean:
		return arrow.FixedWidthTypes.Boolean, logical == nil
	case parquet.Int32:
		it, isInt := logical.(*format.IntType)
		return arrow.PrimitiveTypes.Int32, logical == nil || (isInt && it.BitWidth == 32 && it.IsSigned)
	case parquet.Int64:
		switch lt := logical.(type) {
		case nil:
			return arrow.PrimitiveTypes.Int64, true
		case *format.IntType:
			return arrow.PrimitiveTypes.Int64, lt.BitWidth == 64 && lt.IsSigned
		case *format.TimestampType:
			tz := ""
			if lt.IsAdjustedToUTC {
				tz = "UTC"
			}
			switch lt.Unit.Value.(type) {
			case *format.MilliSeconds:
				return &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: tz}, true
			case *format.MicroSeconds:
				return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: tz}, true
			case *format.NanoSeconds:
				return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: tz}, true
			}
		}
	case parquet.ByteArray:
		switch logical.(type) {
		case *format.StringType:
			return arrow.BinaryTypes.String, true
		case nil:
			return arrow.BinaryTypes.Binary, true
		}
	}
	return nil, false
}

// stringListDef recognises the three-level LIST of strings that parquet-go
// writes for a []string field ("anomalies"): group (LIST) → repeated group
// list → element. listDef is the definition level from which a row's list
// has entries.
func stringListDef(f parquet.Field) (int, bool) {
	if lt := f.Type().LogicalType(); lt == nil || !isList(lt.Value) || len(f.Fields()) != 1 {
		return 0, false
	}
	rep := f.Fields()[0]
	if !rep.Repeated() || rep.Leaf() || len(rep.Fields()) != 1 {
		return 0, false
	}
	elem := rep.Fields()[0]
	if !elem.Leaf() || elem.Repeated() || elem.Type().Kind() != parquet.ByteArray {
		return 0, false
	}
	if elt := elem.Type().LogicalType(); elt == nil || !isString(elt.Value) {
		return 0, false
	}
	listDef := 1
	if f.Optional() {
		listDef++
	}
	return listDef, true
}

func isList(v format.LogicalTypeValue) bool   { _, ok := v.(*format.ListType); return ok }
func isString(v format.LogicalTypeValue) bool { _, ok := v.(*format.StringType); return ok }

// valueStream reads the values of one column chunk, page after page.
type valueStream struct {
	pages   parquet.Pages
	vals    parquet.ValueReader
	drained bool // vals returned io.EOF
	buf     []parquet.Value
	i, n    int
}

// next returns the next value; io.ErrUnexpectedEOF when the chunk ends
// before the rows its row group counts.
func (s *valueStream) next() (parquet.Value, error) {
	v, err := s.peek()
	if err == nil {
		s.i++
	}
	return v, err
}

// peek returns the next value without consuming it.
func (s *valueStream) peek() (parquet.Value, error) {
	if s.i < s.n {
		return s.buf[s.i], nil
	}
	if err := s.fill(); err != nil {
		return parquet.Value{}, err
	}
	return s.buf[s.i], nil
}

// fill reads the next values into buf; io.ErrUnexpectedEOF at the end of
// the chunk.
func (s *valueStream) fill() error {
	if s.buf == nil {
		s.buf = make([]parquet.Value, 1024)
	}
	for {
		if s.vals != nil && !s.drained {
			n, err := s.vals.ReadValues(s.buf)
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			s.drained = err != nil || n == 0 // (0, nil) would otherwise loop
			if n > 0 {
				s.i, s.n = 0, n
				return nil
			}
			continue
		}
		p, err := s.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		s.vals, s.drained = p.Values(), false
	}
}

func (s *valueStream) close() { s.pages.Close() }

// flatSource converts a column of one value per row, a page at a time.
// Pages of plain (not dictionary-encoded) integers and timestamps are
// copied from the decoded page in bulk, walking its definition levels for
// nulls; any other page is read as parquet.Values.
type flatSource struct {
	f     arrow.Field
	pages parquet.Pages
	b     array.Builder
	buf   []parquet.Value

	left   int                 // rows of the current page not yet appended
	values parquet.ValueReader // the current page's values (value mode)
	i64    []int64             // the page's non-null values (bulk mode)
	i32    []int32
	defs   []byte // the page's definition levels; nil when required
	next   int    // next index into i64 or i32
}

func (s *flatSource) field() arrow.Field  { return s.f }
func (s *flatSource) finish() arrow.Array { return s.b.NewArray() }
func (s *flatSource) close()              { s.pages.Close(); s.b.Release() }

func (s *flatSource) appendRows(n int) error {
	s.b.Reserve(n)
	for n > 0 {
		if s.left == 0 {
			if err := s.nextPage(); err != nil {
				return fmt.Errorf("column %s: %w", s.f.Name, err)
			}
			continue
		}
		k := min(n, s.left)
		var err error
		if s.values != nil {
			k, err = s.appendValues(k)
		} else {
			s.appendBulk(k)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", s.f.Name, err)
		}
		s.left -= k
		n -= k
	}
	return nil
}

// nextPage moves to the next page of the chunk and picks its mode.
func (s *flatSource) nextPage() error {
	p, err := s.pages.ReadPage()
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	s.left, s.next, s.values, s.i64, s.i32, s.defs = int(p.NumRows()), 0, nil, nil, nil, p.DefinitionLevels()
	data := p.Data()
	plain := p.Dictionary() == nil && len(p.RepetitionLevels()) == 0
	switch s.b.(type) {
	case *array.Int64Builder, *array.TimestampBuilder:
		if plain && data.Kind() == encoding.Int64 {
			s.i64 = data.Int64()
			return s.checkBulk(len(s.i64))
		}
	case *array.Int32Builder:
		if plain && data.Kind() == encoding.Int32 {
			s.i32 = data.Int32()
			return s.checkBulk(len(s.i32))
		}
	}
	s.values = p.Values()
	return nil
}

// checkBulk checks that a page in bulk mode has as many values as its
// definition levels say are present.
func (s *flatSource) checkBulk(values int) error {
	present := len(s.defs)
	if s.defs == nil {
		present = s.left
	} else {
		for _, d := range s.defs {
			if d == 0 {
				present--
			}
		}
	}
	if present != values || (s.defs != nil && len(s.defs) != s.left) {
		return fmt.Errorf("page of %d rows has %d values, its levels say %d", s.left, values, present)
	}
	return nil
}

// appendBulk appends k rows of a bulk-mode page.
func (s *flatSource) appendBulk(k int) {
	row := len(s.defs) - s.left // index of the page's next row in defs
	switch b := s.b.(type) {
	case *array.Int64Builder:
		if s.defs == nil {
			b.AppendValues(s.i64[s.next:s.next+k], nil)
			s.next += k
			return
		}
		for _, d := range s.defs[row : row+k] {
			if d == 0 {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(s.i64[s.next])
				s.next++
			}
		}
	case *array.TimestampBuilder:
		for i := range k {
			if s.defs != nil && s.defs[row+i] == 0 {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(arrow.Timestamp(s.i64[s.next]))
				s.next++
			}
		}
	case *array.Int32Builder:
		if s.defs == nil {
			b.AppendValues(s.i32[s.next:s.next+k], nil)
			s.next += k
			return
		}
		for _, d := range s.defs[row : row+k] {
			if d == 0 {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(s.i32[s.next])
				s.next++
			}
		}
	}
}

// appendValues appends up to k rows of a value-mode page; it returns how
// many it appended.
func (s *flatSource) appendValues(k int) (int, error) {
	if s.buf == nil {
		s.buf = make([]parquet.Value, 1024)
	}
	got, err := s.values.ReadValues(s.buf[:min(k, len(s.buf))])
	if got == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	appendValues(s.b, s.buf[:got])
	return got, nil
}

// appendValues appends values of one leaf type; the builder has room. The
// loops are written out per type: a generic loop over the builders' common
// methods calls them through an interface, and with it
// BenchmarkAggregateFactsHourByVhostStatus took 151–169 ms against 148–154
// ms (4 interleaved runs each; dictionary-encoded columns and booleans go
// through here, plain integers through appendBulk).
func appendValues(b array.Builder, vs []parquet.Value) {
	switch b := b.(type) {
	case *array.Int64Builder:
		for _, v := range vs {
			if v.IsNull() {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(v.Int64())
			}
		}
	case *array.TimestampBuilder:
		for _, v := range vs {
			if v.IsNull() {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(arrow.Timestamp(v.Int64()))
			}
		}
	case *array.Int32Builder:
		for _, v := range vs {
			if v.IsNull() {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(v.Int32())
			}
		}
	case *array.BooleanBuilder:
		for _, v := range vs {
			if v.IsNull() {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(v.Boolean())
			}
		}
	case *array.StringBuilder:
		appendBytes(b.BinaryBuilder, vs)
	case *array.BinaryBuilder:
		appendBytes(b, vs)
	}
}

func appendBytes(b *array.BinaryBuilder, vs []parquet.Value) {
	for _, v := range vs {
		if v.IsNull() {
			b.AppendNull()
		} else {
			b.Append(v.ByteArray())
		}
	}
}

// listSource converts a list of strings: a row starts at every value of
// repetition level 0; a value defined below listDef is an empty (or, for
// an optional list, null) row; an element defined below the leaf's maximum
// is a null string.
type listSource struct {
	f        arrow.Field
	values   valueStream
	b        *array.ListBuilder
	vb       *array.StringBuilder
	listDef  int
	optional bool
}

func (s *listSource) field() arrow.Field  { return s.f }
func (s *listSource) finish() arrow.Array { return s.b.NewArray() }
func (s *listSource) close()              { s.values.close(); s.b.Release() }

func (s *listSource) appendRows(n int) error {
	for range n {
		v, err := s.values.next()
		if err != nil {
			return fmt.Errorf("column %s: %w", s.f.Name, err)
		}
		if v.RepetitionLevel() != 0 {
			return fmt.Errorf("column %s: row starts with repetition level %d", s.f.Name, v.RepetitionLevel())
		}
		if def := v.DefinitionLevel(); def < s.listDef {
			if s.optional && def == 0 {
				s.b.AppendNull()
			} else {
				s.b.AppendEmptyValue()
			}
			continue
		}
		s.b.Append(true)
		s.appendElement(v)
		for {
			next, err := s.values.peek()
			if errors.Is(err, io.ErrUnexpectedEOF) {
				break // the chunk's last row
			}
			if err != nil {
				return fmt.Errorf("column %s: %w", s.f.Name, err)
			}
			if next.RepetitionLevel() == 0 {
				break
			}
			s.values.i++
			s.appendElement(next)
		}
	}
	return nil
}

func (s *listSource) appendElement(v parquet.Value) {
	if v.IsNull() {
		s.vb.AppendNull()
		return
	}
	s.vb.BinaryBuilder.Append(v.ByteArray())
}
