package etl

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// TestParquetStatistics: the files carry the statistics readers prune
// with — min/max per column chunk, equal to the rows' real bounds, and a
// page index with bounds for every page — although the data page headers
// do not repeat them (newParquetWriter).
func TestParquetStatistics(t *testing.T) {
	var rows []schema.HTTPHeader
	for _, hb := range benchHeaderBlocks(3000) {
		rows = expandHeaderBlock(&hb, rows)
	}
	var buf bytes.Buffer
	if err := writeParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	if len(md.RowGroups) != 1 {
		t.Fatalf("%d row groups", len(md.RowGroups))
	}
	cols := md.RowGroups[0].Columns
	byName := map[string]int{}
	for i, c := range cols {
		byName[c.MetaData.PathInSchema[0]] = i
	}

	ids := make([]int64, len(rows))
	names := make([]string, len(rows))
	for i, r := range rows {
		ids[i], names[i] = r.ExchangeID, r.NameLower
	}
	le := func(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
	want := map[string][2][]byte{
		"exchange_id": {le(slices.Min(ids)), le(slices.Max(ids))},
		"request_ts":  {le(rows[0].RequestTS), le(rows[len(rows)-1].RequestTS)},
		"name_lower":  {[]byte(slices.Min(names)), []byte(slices.Max(names))},
	}
	for col, mm := range want {
		i, ok := byName[col]
		if !ok {
			t.Fatalf("no column %s", col)
		}
		st := cols[i].MetaData.Statistics
		if !bytes.Equal(st.MinValue, mm[0]) || !bytes.Equal(st.MaxValue, mm[1]) {
			t.Errorf("%s: chunk statistics min %x max %x, want %x %x", col, st.MinValue, st.MaxValue, mm[0], mm[1])
		}
	}

	idx := f.ColumnIndexes()
	if len(idx) != len(cols) {
		t.Fatalf("page index of %d columns, want %d", len(idx), len(cols))
	}
	pages := 0
	for _, col := range []string{"exchange_id", "request_ts", "name_lower", "ordinal"} {
		ci := idx[byName[col]]
		if len(ci.MinValues) == 0 || len(ci.MinValues) != len(ci.MaxValues) {
			t.Errorf("%s: page index with %d min and %d max values", col, len(ci.MinValues), len(ci.MaxValues))
		}
		for p := range ci.MinValues {
			if len(ci.MaxValues[p]) == 0 {
				t.Errorf("%s: page %d has no max", col, p)
			}
		}
		pages = max(pages, len(ci.MinValues))
	}
	if pages < 2 {
		t.Errorf("at most %d page per column: the test does not cover page bounds", pages)
	}

	// The columns of noBounds have neither, and every other column has
	// chunk bounds.
	skip := map[string]bool{}
	for _, c := range noBounds[reflect.TypeFor[schema.HTTPHeader]()] {
		skip[c] = true
	}
	for name, i := range byName {
		st := cols[i].MetaData.Statistics
		hasBounds := len(st.MaxValue) > 0 || len(st.MinValue) > 0
		for _, v := range idx[i].MaxValues {
			hasBounds = hasBounds || len(v) > 0
		}
		allNull := name == "name_raw" || name == "value_raw" // no invalid UTF-8 here: no value to bound
		switch {
		case skip[name] && hasBounds:
			t.Errorf("%s: bounds written for a column of noBounds", name)
		case !skip[name] && !allNull && !hasBounds:
			t.Errorf("%s: no bounds", name)
		}
	}
}
