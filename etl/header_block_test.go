package etl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spanlake/spanlake/schema"
)

// TestHeaderBlocksWriteTheSameFiles: buffering an exchange's header lines
// as one block, and expanding it as the files are written, gives the files
// buffering one row per line gave, byte for byte — with files cut inside
// blocks (maxRows 7), spill runs and merges (a small budget), and trailers.
// It checks the row count too.
func TestHeaderBlocksWriteTheSameFiles(t *testing.T) {
	exs := testExchanges(600)
	for _, maxRows := range []int{7, 500_000} {
		rowsRoot, blocksRoot := t.TempDir(), t.TempDir()

		rows, _ := headerTable(rowsRoot, 16<<10, maxRows, 4)
		order := arrivalOrder(len(exs))
		ingestOrder(t, rows, exs, order)
		if err := rows.flushAll(); err != nil {
			t.Fatal(err)
		}

		mem := newMemBudget(filepath.Join(blocksRoot, MetaDir), 16<<10)
		os.MkdirAll(mem.dir, 0o750)
		blocks := withRowBlocks(newFactTable(filepath.Join(blocksRoot, "http_header"), func(b *headerBlock) int64 { return b.RequestTS }).
			withTieBreak(func(b *headerBlock) int64 { return b.ExchangeID }), expandHeaderBlock)
		blocks.files = &fileTracker{}
		blocks.limits.maxRows = maxRows
		blocks.fanIn = 4
		blocks.attach(mem)
		for _, ex := range exs {
			b := ex.block()
			if err := blocks.add(partitionOf(1, timeOfMicros(b.RequestTS)), &b); err != nil {
				t.Fatal(err)
			}
		}
		if len(blocks.runs) == 0 {
			t.Fatal("no spill run: the test does not cover merging blocks")
		}
		if err := blocks.flushAll(); err != nil {
			t.Fatal(err)
		}

		sameTrees(t, "blocks vs rows", readTree(t, filepath.Join(rowsRoot, "http_header")), readTree(t, filepath.Join(blocksRoot, "http_header")))
		if rows.rowsWritten() != blocks.rowsWritten() || rows.rowsWritten() == 0 {
			t.Errorf("rows written: %d by rows, %d by blocks", rows.rowsWritten(), blocks.rowsWritten())
		}
	}
}

// TestExpandHeaderBlock: directions, ordinals and trailer flags of the
// expanded rows, and names and values kept exactly (invalid UTF-8 in *_raw).
func TestExpandHeaderBlock(t *testing.T) {
	hb := headerBlock{ExchangeID: 9, ConnectionID: 3, DateKey: 20260102, RequestTS: 77, Request: 2, RespTrailers: 1,
		Names:  []string{"Host", "X-Bad\xff", "Transfer-Encoding", "X-Sum"},
		Values: []string{"a", "v\xfe", "chunked", "abc"}}
	got := expandHeaderBlock(&hb, nil)
	want := []schema.HTTPHeader{
		{ExchangeID: 9, ConnectionID: 3, DateKey: 20260102, Direction: "request", Ordinal: 0, Name: "Host", NameLower: "host", Value: "a", RequestTS: 77},
		{ExchangeID: 9, ConnectionID: 3, DateKey: 20260102, Direction: "request", Ordinal: 1, Name: "X-Bad\uFFFD", NameLower: "x-bad\uFFFD",
			NameRaw: []byte("X-Bad\xff"), Value: "v\uFFFD", ValueRaw: []byte("v\xfe"), RequestTS: 77},
		{ExchangeID: 9, ConnectionID: 3, DateKey: 20260102, Direction: "response", Ordinal: 0, Name: "Transfer-Encoding", NameLower: "transfer-encoding", Value: "chunked", RequestTS: 77},
		{ExchangeID: 9, ConnectionID: 3, DateKey: 20260102, Direction: "response", Ordinal: 1, IsTrailer: true, Name: "X-Sum", NameLower: "x-sum", Value: "abc", RequestTS: 77},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Direction != w.Direction || g.Ordinal != w.Ordinal || g.IsTrailer != w.IsTrailer || g.Name != w.Name ||
			g.NameLower != w.NameLower || string(g.NameRaw) != string(w.NameRaw) || g.Value != w.Value ||
			string(g.ValueRaw) != string(w.ValueRaw) || g.ExchangeID != w.ExchangeID || g.RequestTS != w.RequestTS {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
}
