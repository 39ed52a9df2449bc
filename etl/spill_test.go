package etl

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/etl/atomicfile"
	"github.com/spanlake/spanlake/schema"
)

// testExchange is the header rows of one exchange, in wire order.
type testExchange []schema.HTTPHeader

// testExchanges makes n exchanges of a few header rows each, spread over
// two hours; many share a request time, so the id tie-break and the
// arrival order of one exchange's rows both matter.
func testExchanges(n int) []testExchange {
	rng := rand.New(rand.NewPCG(7, 8))
	base := int64(1_767_323_045_000_000) // 2026-01-02T03:04:05Z
	out := make([]testExchange, n)
	for i := range out {
		ts := base + int64(rng.IntN(n/4))*(7_200_000_000/int64(n/4))
		id := int64(rng.Uint64())
		var ex testExchange
		for d, dir := range []string{"request", "response"} {
			for o := range 1 + rng.IntN(12) {
				name := fmt.Sprintf("X-H%d", rng.IntN(20))
				ex = append(ex, schema.HTTPHeader{ExchangeID: id, ConnectionID: id / 3, DateKey: 20260102, Direction: dir,
					Ordinal: int32(o), IsTrailer: d == 1 && o > 8, Name: name, NameLower: strings.ToLower(name),
					Value: strings.Repeat("v", rng.IntN(200)), RequestTS: ts})
			}
		}
		out[i] = ex
	}
	return out
}

// block is the exchange's rows as the warehouse buffers them (the test
// rows are made in block order: request lines, then response lines, the
// trailers of each last).
func (ex testExchange) block() headerBlock {
	b := headerBlock{ExchangeID: ex[0].ExchangeID, ConnectionID: ex[0].ConnectionID, DateKey: ex[0].DateKey, RequestTS: ex[0].RequestTS}
	for _, r := range ex {
		b.Names, b.Values = append(b.Names, r.Name), append(b.Values, r.Value)
		switch {
		case r.Direction == "request":
			b.Request++
			if r.IsTrailer {
				b.ReqTrailers++
			}
		case r.IsTrailer:
			b.RespTrailers++
		}
	}
	return b
}

// headerTable returns an http_header table under a budget of limit bytes,
// cutting files every maxRows rows and merging at most fanIn runs at once.
func headerTable(root string, limit int64, maxRows, fanIn int) (*factTable[schema.HTTPHeader], *memBudget) {
	mem := newMemBudget(filepath.Join(root, MetaDir), limit)
	os.MkdirAll(mem.dir, 0o750)
	t := newFactTable(filepath.Join(root, "http_header"), func(r *schema.HTTPHeader) int64 { return r.RequestTS }).
		withTieBreak(func(r *schema.HTTPHeader) int64 { return r.ExchangeID })
	t.files = &fileTracker{}
	t.limits.maxRows = maxRows
	t.fanIn = fanIn
	t.attach(mem)
	return t, mem
}

// ingestOrder adds the exchanges' rows in the given exchange order, each
// exchange's rows contiguous and in wire order (as the sink gets them).
func ingestOrder(t *testing.T, ft *factTable[schema.HTTPHeader], exs []testExchange, order []int) {
	t.Helper()
	for _, i := range order {
		for _, r := range exs[i] {
			p := partitionOf(1, timeOfMicros(r.RequestTS))
			if err := ft.add(p, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// arrivalOrder is 0, 1, ... n-1: exchanges added in the order made.
func arrivalOrder(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// timeOfMicros is the time of a Parquet microsecond timestamp.
func timeOfMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// readTree returns every file under root (relative path to content).
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameTrees fails unless the two trees hold the same files, byte for byte.
func sameTrees(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files vs %d", what, len(a), len(b))
	}
	for name, content := range a {
		if other, ok := b[name]; !ok {
			t.Errorf("%s: %s missing", what, name)
		} else if !bytes.Equal(content, other) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
}

// TestFactTableSameFilesAnyOrderAnyBudget feeds the same header rows in two
// arrival orders, with a budget so small that it spills runs all the time
// (more than the merge fan-in, so runs are merged in two levels) and with
// no limit, and checks that the four warehouses are byte-identical, sorted
// by (time, id) with every exchange's rows in wire order, and that no spill
// run is left behind.
func TestFactTableSameFilesAnyOrderAnyBudget(t *testing.T) {
	exs := testExchanges(2000)
	ordered := arrivalOrder(len(exs))
	shuffled := slices.Clone(ordered)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	var trees []map[string][]byte
	for _, c := range []struct {
		name  string
		limit int64
		order []int
	}{
		{"unlimited/ordered", math.MaxInt64, ordered},
		{"unlimited/shuffled", math.MaxInt64, shuffled},
		{"tiny/ordered", 32 << 10, ordered},
		{"tiny/shuffled", 32 << 10, shuffled},
	} {
		root := t.TempDir()
		ft, mem := headerTable(root, c.limit, 2500, 3)
		ingestOrder(t, ft, exs, c.order)
		if c.limit != math.MaxInt64 && mem.spills < 10 {
			t.Fatalf("%s: %d spills, want many", c.name, mem.spills)
		}
		if err := ft.flushAll(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if mem.used != 0 {
			t.Errorf("%s: %d bytes still accounted after the flush", c.name, mem.used)
		}
		left, _ := filepath.Glob(filepath.Join(mem.dir, atomicfile.TempPrefix+"*"))
		if len(left) > 0 {
			t.Errorf("%s: spill runs left: %v", c.name, left)
		}
		tree := readTree(t, root)
		if len(tree) < 3 {
			t.Fatalf("%s: %d files, want the partitions cut in several", c.name, len(tree))
		}
		checkSortedHeaders(t, root, tree)
		trees = append(trees, tree)
	}
	for i := 1; i < len(trees); i++ {
		sameTrees(t, fmt.Sprintf("case %d vs 0", i), trees[0], trees[i])
	}
}

// checkSortedHeaders reads the files of each partition in file order and
// checks the rows are ordered by (time, id, direction, ordinal).
func checkSortedHeaders(t *testing.T, root string, tree map[string][]byte) {
	t.Helper()
	names := make([]string, 0, len(tree))
	for n := range tree {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(filepath.Dir(a), filepath.Dir(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a), len(b)); c != 0 { // part-…-10 after part-…-9
			return c
		}
		return strings.Compare(a, b)
	})
	var prev *schema.HTTPHeader
	prevDir := ""
	for _, n := range names {
		rows, err := parquet.ReadFile[schema.HTTPHeader](filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(n) != prevDir {
			prev, prevDir = nil, filepath.Dir(n)
		}
		for i := range rows {
			r := &rows[i]
			if prev != nil {
				k := []int64{r.RequestTS, r.ExchangeID}
				pk := []int64{prev.RequestTS, prev.ExchangeID}
				c := slices.Compare(pk, k)
				if c > 0 || (c == 0 && (prev.Direction > r.Direction || (prev.Direction == r.Direction && prev.Ordinal >= r.Ordinal))) {
					t.Fatalf("%s row %d out of order: %+v after %+v", n, i, *r, *prev)
				}
			}
			prev = r
		}
	}
}

// TestSpillRunsRemovedAfterCrash checks that the spill runs of a run that
// never committed (killed) are removed by the next OpenWarehouse, and that
// Rollback removes those of a failed run.
func TestSpillRunsRemovedAfterCrash(t *testing.T) {
	root := t.TempDir()
	spills := func() []string {
		m, _ := filepath.Glob(filepath.Join(root, MetaDir, atomicfile.TempPrefix+"spill-*"))
		return m
	}
	fill := func(w *Warehouse) {
		w.SetMemoryBudget(16 << 10)
		for _, ex := range testExchanges(200) {
			b := ex.block()
			if err := w.headers.add(partitionOf(1, timeOfMicros(b.RequestTS)), &b); err != nil {
				t.Fatal(err)
			}
		}
		if len(spills()) == 0 {
			t.Fatal("no spill run written")
		}
	}
	w, err := OpenWarehouse(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	fill(w) // and the process dies here
	if _, err := OpenWarehouse(root, nil); err != nil {
		t.Fatal(err)
	}
	if left := spills(); len(left) > 0 {
		t.Fatalf("OpenWarehouse left spill runs of the killed run: %v", left)
	}

	w, err = OpenWarehouse(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	fill(w)
	if err := w.Rollback(); err != nil {
		t.Fatal(err)
	}
	if left := spills(); len(left) > 0 {
		t.Fatalf("Rollback left spill runs: %v", left)
	}
}

// TestSpillRunCorrupt checks that a damaged run is an error, not rows lost.
func TestSpillRunCorrupt(t *testing.T) {
	root := t.TempDir()
	ft, _ := headerTable(root, 8<<10, 1000, 64)
	ingestOrder(t, ft, testExchanges(100), []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	var run spillRun
	for _, rs := range ft.runs {
		run = rs[0]
	}
	if run.path == "" {
		t.Fatal("no spill run written")
	}
	if err := os.Truncate(run.path, run.bytes-3); err != nil {
		t.Fatal(err)
	}
	if err := ft.flushAll(); err == nil {
		t.Fatal("truncated spill run merged without error")
	}
}

// TestFailedMergeKeepsEarlierFile: when the rows of a file cannot all be
// read (a damaged spill run), the file is abandoned — an earlier version
// of it (a capture ingested before) stays as it was, byte for byte.
func TestFailedMergeKeepsEarlierFile(t *testing.T) {
	root := t.TempDir()
	exs := testExchanges(100)
	order := arrivalOrder(len(exs))
	first, _ := headerTable(root, 1<<30, 500_000, 64)
	ingestOrder(t, first, exs, order)
	if err := first.flushAll(); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, filepath.Join(root, "http_header"))

	again, _ := headerTable(root, 8<<10, 500_000, 64)
	ingestOrder(t, again, exs, order)
	for _, rs := range again.runs {
		if err := os.Truncate(rs[len(rs)-1].path, rs[len(rs)-1].bytes-3); err != nil {
			t.Fatal(err)
		}
	}
	if err := again.flushAll(); err == nil {
		t.Fatal("damaged spill runs merged without error")
	}
	after := readTree(t, filepath.Join(root, "http_header"))
	for name := range after {
		if strings.HasPrefix(filepath.Base(name), atomicfile.TempPrefix) {
			t.Errorf("temporary file left: %s", name)
			delete(after, name)
		}
	}
	sameTrees(t, "after a failed rewrite", before, after)
}

// TestFileThatCannotBeCreated: when a partition's file cannot even be
// created (here a plain file stands where its directory should be), the
// flush reports why instead of waiting forever for a writer that never
// read a row, and with many more rows than the batches in flight.
func TestFileThatCannotBeCreated(t *testing.T) {
	root := t.TempDir()
	exs := testExchanges(3000)
	order := arrivalOrder(len(exs))
	ft, _ := headerTable(root, 1<<30, 500_000, 64)
	ingestOrder(t, ft, exs, order)
	if err := os.WriteFile(filepath.Join(root, "http_header"), []byte("in the way"), 0o640); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- ft.flushAll() }()
	select {
	case err := <-result:
		if err == nil || !strings.Contains(err.Error(), "http_header") {
			t.Fatalf("flush: %v, want the directory's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("flush still waiting after 30 s for a file that could not be created")
	}
}
