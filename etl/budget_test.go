package etl

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/spanlake/spanlake/etl/atomicfile"
	"github.com/spanlake/spanlake/ingest"
	"github.com/spanlake/spanlake/ingest/synth"
)

// TestWarehouseSameFilesAnyWorkersAnyBudget ingests one synthetic capture
// of small keep-alive exchanges with 1 and 2 workers (different arrival
// orders), each with no memory limit at all (nothing spilled), with the
// default budget and with one small enough to spill every table many
// times, and checks that the six warehouses are byte-identical.
// http_header is cut into files of few rows, so that the cuts fall inside
// the partitions.
func TestWarehouseSameFilesAnyWorkersAnyBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a capture four times")
	}
	dir := t.TempDir()
	capture := filepath.Join(dir, "small.pcap")
	if _, err := synth.WriteFile(capture, synth.Config{Shape: synth.Small, Seed: 1, TargetBytes: 6 << 20}); err != nil {
		t.Fatal(err)
	}
	var trees []map[string][]byte
	for _, workers := range []int{1, 2} {
		for _, budget := range []int64{math.MaxInt64, DefaultMemoryBudget, 256 << 10} {
			root := filepath.Join(dir, fmt.Sprintf("wh-%d-%d", workers, budget))
			w, err := OpenWarehouse(root, nil)
			if err != nil {
				t.Fatal(err)
			}
			w.SetMemoryBudget(budget)
			if budget == math.MaxInt64 {
				for _, m := range w.budgets() {
					m.residue = math.MaxInt64 // and no spill before Commit either
				}
			}
			w.headers.limits.maxRows = 7000
			if _, err := ingest.Run(context.Background(), []string{capture}, ingest.Options{Workers: workers}, w); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			spills, used := 0, int64(0)
			for _, m := range w.budgets() {
				spills, used = spills+m.spills, used+m.used
			}
			if budget < DefaultMemoryBudget && spills < 20 {
				t.Fatalf("budget %d: %d spills, want many", budget, spills)
			}
			if budget == math.MaxInt64 && spills != 0 {
				t.Fatalf("no limit: %d spills, want none", spills)
			}
			if left, _ := filepath.Glob(filepath.Join(root, MetaDir, atomicfile.TempPrefix+"*")); len(left) > 0 || used != 0 {
				t.Fatalf("after Commit: spill runs %v, %d bytes accounted", left, used)
			}
			tree := readTree(t, root)
			for name := range tree {
				if filepath.Dir(name) == MetaDir || filepath.Base(filepath.Dir(name)) == "state" {
					delete(tree, name) // the run's own metadata, not its output
				}
			}
			if n := w.Rows["http_header"]; n < 3*7000 {
				t.Fatalf("only %d header rows: the capture is too small to cut files", n)
			}
			trees = append(trees, tree)
		}
	}
	for i := 1; i < len(trees); i++ {
		sameTrees(t, fmt.Sprintf("warehouse %d vs 0", i), trees[0], trees[i])
	}
}
