package etl

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// TestFilesHoldTheRowsAdded writes rows whose strings and byte slices are
// all distinct through a table with spills, several files per partition
// and many batches in flight, reads every file back and requires exactly
// the rows that were added. Decoded rows point into their batch's arena
// (rowArena), which is reused once the writer has the batch: a string
// used after that would read another row's bytes and fail here.
func TestFilesHoldTheRowsAdded(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	base := int64(1_767_323_045_000_000)
	var in []schema.HTTPParam
	for i := range 20_000 {
		r := schema.HTTPParam{ExchangeID: int64(rng.Uint64()), ConnectionID: int64(i / 50), DateKey: 20260102,
			Source: []string{"query", "form", "json"}[i%3], Ordinal: int32(i % 7),
			Name:  fmt.Sprintf("name-%d-%x", i, rng.Uint64()),
			Value: fmt.Sprintf("value-%d-%x-%x", i, rng.Uint64(), rng.Uint64()), HasValue: true,
			RequestTS: base + int64(rng.IntN(7_200_000_000))}
		if i%5 == 0 {
			r.ValueRaw = []byte(fmt.Sprintf("raw-%d-%x\xff", i, rng.Uint64()))
		}
		in = append(in, r)
	}

	root := t.TempDir()
	mem := newMemBudget(filepath.Join(root, MetaDir), 64<<10)
	os.MkdirAll(mem.dir, 0o750)
	ft := newFactTable(filepath.Join(root, "http_param"), func(r *schema.HTTPParam) int64 { return r.RequestTS }).
		withTieBreak(func(r *schema.HTTPParam) int64 { return r.ExchangeID })
	ft.files = &fileTracker{}
	ft.limits.maxRows = 3_000
	ft.attach(mem)
	for i := range in {
		if err := ft.add(partitionOf(1, timeOfMicros(in[i].RequestTS)), &in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if mem.spills == 0 {
		t.Fatal("no spill: the test does not cover merged runs")
	}
	if err := ft.flushAll(); err != nil {
		t.Fatal(err)
	}

	var out []schema.HTTPParam
	files := 0
	for name := range readTree(t, filepath.Join(root, "http_param")) {
		rows, err := parquet.ReadFile[schema.HTTPParam](filepath.Join(root, "http_param", name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
		files++
	}
	if files < 4 {
		t.Fatalf("%d files: the test does not cover file cuts", files)
	}
	byKey := func(a, b schema.HTTPParam) int {
		return cmp.Or(cmp.Compare(a.RequestTS, b.RequestTS), cmp.Compare(a.ExchangeID, b.ExchangeID))
	}
	slices.SortFunc(in, byKey)
	slices.SortFunc(out, byKey)
	if len(out) != len(in) {
		t.Fatalf("%d rows read back, %d added", len(out), len(in))
	}
	for i := range in {
		if !reflect.DeepEqual(in[i], out[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, out[i], in[i])
		}
	}
}
