package etl

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// TestDimensionsBoundedAndUnique: a capture with more distinct members than
// the caches hold and than the budget buffers still gets exactly one row
// per member, sorted by key, in one file per capture: the members spill
// like fact rows, and the duplicates that forgetting causes are dropped.
// Where two values share a key with different rows (a Host with and
// without its port), the file does not depend on which came first.
func TestDimensionsBoundedAndUnique(t *testing.T) {
	const distinct = 3 * dimCacheEntries
	var files [2][]byte
	for run, order := range [][]string{{"a.example:80", "a.example:8080"}, {"a.example:8080", "a.example:80"}} {
		root := t.TempDir()
		w, err := OpenWarehouse(root, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.SetMemoryBudget(256 << 10)
		d := w.dimsOf(7)
		for pass := 0; pass < 2; pass++ { // the second pass re-sends forgotten members
			for i := 0; i < distinct; i++ {
				d.url(fmt.Sprintf("/p/%d?q=%d", i, pass), true)
			}
		}
		for _, h := range order {
			d.vhost(h, true)
		}
		if d.err != nil {
			t.Fatal(d.err)
		}
		if w.mem.spills == 0 {
			t.Fatalf("no spill with %d distinct members under a 256 KiB budget", distinct)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		urls, err := parquet.ReadFile[schema.DimURL](filepath.Join(root, "dim_url", partFileName(7, 0)))
		if err != nil {
			t.Fatal(err)
		}
		if len(urls) != distinct+1 || w.Rows["dim_url"] != int64(distinct+1) {
			t.Fatalf("%d dim_url rows (Rows says %d), want %d distinct and the absent member", len(urls), w.Rows["dim_url"], distinct)
		}
		if !slices.IsSortedFunc(urls, func(a, b schema.DimURL) int { return cmp.Compare(a.URLKey, b.URLKey) }) {
			t.Fatal("dim_url not sorted by key")
		}
		for i := 1; i < len(urls); i++ {
			if urls[i].URLKey == urls[i-1].URLKey {
				t.Fatalf("key %d twice", urls[i].URLKey)
			}
		}
		if files[run], err = os.ReadFile(filepath.Join(root, "dim_vhost", partFileName(7, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if string(files[0]) != string(files[1]) {
		t.Error("dim_vhost depends on the order in which two values of one key arrived")
	}
}

// TestPathDepth: pathDepth counts the non-empty segments, as splitting on
// '/' and dropping empty ones does.
func TestPathDepth(t *testing.T) {
	for _, p := range []string{"", "/", "//", "/a", "a", "/a/b", "/a//b/", "a/b/c", "///x///y", "/é/\xff/", "/a/b/c/d/e/f.html"} {
		want := 0
		for _, seg := range strings.Split(p, "/") {
			if seg != "" {
				want++
			}
		}
		if got := pathDepth(p); got != want {
			t.Errorf("pathDepth(%q) = %d, want %d", p, got, want)
		}
	}
}
