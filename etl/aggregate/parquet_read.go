package aggregate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// batchRows is the Arrow record batch size: large enough to amortise
// per-batch work, small enough that a batch of every projected column stays
// a few MB.
var batchRows = 64 << 10

// parquetFile is one open Parquet file whose columns are read as Arrow
// record batches (see parquet_columns.go for why parquet-go decodes them).
type parquetFile struct {
	path string
	f    *os.File
	pf   *parquet.File
}

func openParquet(path string) (*parquetFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return &parquetFile{path: path, f: f, pf: pf}, nil
}

func (f *parquetFile) Close() error { return f.f.Close() }

// meta returns a key/value metadata entry of the file ("" when absent).
func (f *parquetFile) meta(key string) string {
	v, _ := f.pf.Lookup(key)
	return v
}

// records calls fn with each record batch of the named top-level columns
// (columns the file lacks are simply absent from the batches: files written
// before a column was added). The batch is only valid during the call.
func (f *parquetFile) records(ctx context.Context, cols []string, fn func(arrow.RecordBatch) error) error {
	want := make(map[string]bool, len(cols))
	for _, c := range cols {
		want[c] = true
	}
	type selected struct {
		field parquet.Field
		leaf  int
	}
	var sel []selected
	leaf := 0
	for _, fld := range f.pf.Schema().Fields() {
		if want[fld.Name()] {
			sel = append(sel, selected{fld, leaf})
		}
		leaf += leafCount(fld)
	}
	if len(sel) == 0 {
		return nil
	}
	for i, rg := range f.pf.RowGroups() {
		var srcs []columnSource
		for _, s := range sel {
			if src, ok := newColumnSource(s.field, rg, s.leaf); ok {
				srcs = append(srcs, src)
			}
		}
		readErr, fnErr := rowGroupBatches(ctx, rg.NumRows(), srcs, fn)
		for _, src := range srcs {
			src.close()
		}
		if fnErr != nil {
			return fnErr
		}
		if readErr != nil {
			return fmt.Errorf("cannot read %s: row group %d: %w", f.path, i, readErr)
		}
	}
	return nil
}

// column returns the named column of a batch, nil when absent.
func column(rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

func int64Column(rec arrow.RecordBatch, name string) *array.Int64 {
	a, _ := column(rec, name).(*array.Int64)
	return a
}

func int32Column(rec arrow.RecordBatch, name string) *array.Int32 {
	a, _ := column(rec, name).(*array.Int32)
	return a
}

func boolColumn(rec arrow.RecordBatch, name string) *array.Boolean {
	a, _ := column(rec, name).(*array.Boolean)
	return a
}

func stringColumn(rec arrow.RecordBatch, name string) *array.String {
	a, _ := column(rec, name).(*array.String)
	return a
}

func binaryColumn(rec arrow.RecordBatch, name string) *array.Binary {
	a, _ := column(rec, name).(*array.Binary)
	return a
}

func timestampColumn(rec arrow.RecordBatch, name string) *array.Timestamp {
	a, _ := column(rec, name).(*array.Timestamp)
	return a
}

// Accessors that read a missing column or a null as zero.

func i64(a *array.Int64, i int) int64 {
	if a == nil || a.IsNull(i) {
		return 0
	}
	return a.Value(i)
}

func isTrue(a *array.Boolean, i int) bool { return a != nil && a.IsValid(i) && a.Value(i) }

// timeRange is [from, to) in UTC microseconds.
type timeRange struct{ from, to int64 }

func newTimeRange(from, to time.Time) timeRange {
	r := timeRange{from: minMicros, to: maxMicros}
	if !from.IsZero() {
		r.from = from.UnixMicro()
	}
	if !to.IsZero() {
		r.to = to.UnixMicro()
	}
	return r
}

const (
	minMicros = -1 << 63
	maxMicros = 1<<63 - 1
)

func (r timeRange) contains(us int64) bool         { return us >= r.from && us < r.to }
func (r timeRange) overlaps(start, end int64) bool { return start < r.to && end > r.from }

// tableFiles lists the Parquet files of a table directory in name order,
// skipping hidden and temporary files and pruning date=/hour= partitions
// that cannot overlap r.
func tableFiles(dir string, r timeRange) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p == dir {
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(dir, p)
			if start, end, ok := partitionSpan(rel); ok && !r.overlaps(start, end) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// partitionSpan parses "date=YYYY-MM-DD" or "date=YYYY-MM-DD/hour=H" into
// the span [start, end) in micros; ok is false for anything else, which is
// then read rather than pruned.
func partitionSpan(rel string) (start, end int64, ok bool) {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	date, found := strings.CutPrefix(parts[0], "date=")
	if !found {
		return 0, 0, false
	}
	day, err := time.Parse("2006-01-02", date)
	if err != nil {
		return 0, 0, false
	}
	start = day.UnixMicro()
	if len(parts) == 1 {
		return start, start + GrainDay.micros(), true
	}
	h, found := strings.CutPrefix(parts[1], "hour=")
	if !found {
		return 0, 0, false
	}
	hour, err := strconv.Atoi(h)
	if err != nil || hour < 0 || hour > 23 {
		return 0, 0, false
	}
	start += int64(hour) * GrainHour.micros()
	return start, start + GrainHour.micros(), true
}
