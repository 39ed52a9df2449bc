package aggregate

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// readShape has every column shape the warehouse writes, nulls included.
type readShape struct {
	Key     int64    `parquet:"key"`
	Codes   []string `parquet:"codes,list"`
	Status  int32    `parquet:"status,optional"`
	TS      int64    `parquet:"ts,optional,timestamp(microsecond:utc)"`
	Skipped int64    `parquet:"skipped"`
	Name    string   `parquet:"name,optional,dict"`
	Blob    []byte   `parquet:"blob,optional"`
	OK      bool     `parquet:"ok"`
	Size    int64    `parquet:"size,optional"`
	Code    int32    `parquet:"code"`
	Level   int32    `parquet:"level,optional,dict"`
	Bucket  int64    `parquet:"bucket,dict"`
	Seen    int64    `parquet:"seen,optional,dict,timestamp(microsecond:utc)"`
}

func randomShapes(n int) []readShape {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([]readShape, n)
	for i := range rows {
		r := &rows[i]
		r.Key = int64(i)
		for range rng.IntN(4) {
			r.Codes = append(r.Codes, []string{"ka", "gap", "ooo", ""}[rng.IntN(4)])
		}
		if rng.IntN(3) > 0 {
			r.Status = int32(100 + rng.IntN(500))
		}
		if rng.IntN(4) > 0 {
			r.TS = 1_700_000_000_000_000 + rng.Int64N(1e12)
		}
		r.Skipped = rng.Int64()
		if rng.IntN(5) > 0 {
			r.Name = strings.Repeat("n", rng.IntN(40)+1)
		}
		if rng.IntN(2) > 0 {
			r.Blob = []byte{byte(i), byte(i >> 8), 0xff}
		}
		r.OK = rng.IntN(2) == 0
		if rng.IntN(3) > 0 {
			r.Size = rng.Int64N(1 << 40)
		}
		r.Code = rng.Int32()
		if rng.IntN(3) > 0 {
			r.Level = 1 + rng.Int32N(5)
		}
		r.Bucket = rng.Int64N(7)
		if rng.IntN(3) > 0 {
			r.Seen = 1_700_000_000_000_000 + rng.Int64N(3)
		}
	}
	return rows
}

func writeShapes(t *testing.T, path string, rows []readShape) {
	t.Helper()
	writeParquetFile(t, path, rows, parquet.MaxRowsPerRowGroup(700), parquet.PageBufferSize(512),
		parquet.KeyValueMetadata("spanlake.test", "yes"))
}

// TestRecordsReadEveryShape writes rows with parquet-go across several row
// groups and pages and reads them back as Arrow batches that cut row groups
// at other places, column by column.
func TestRecordsReadEveryShape(t *testing.T) {
	defer func(n int) { batchRows = n }(batchRows)
	batchRows = 300
	path := filepath.Join(t.TempDir(), "shapes.parquet")
	want := randomShapes(2500)
	writeShapes(t, path, want)

	f, err := openParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.meta("spanlake.test"); got != "yes" {
		t.Errorf("meta = %q, want yes", got)
	}
	if got := f.meta("absent"); got != "" {
		t.Errorf("absent meta = %q", got)
	}
	var got []readShape
	batches := 0
	err = f.records(context.Background(), []string{"key", "codes", "status", "ts", "name", "blob", "ok", "size", "code", "level", "bucket", "seen", "not_there"}, func(rec arrow.RecordBatch) error {
		batches++
		if column(rec, "skipped") != nil || column(rec, "not_there") != nil {
			t.Fatal("batch holds a column not asked for")
		}
		keys, status, ts := int64Column(rec, "key"), int32Column(rec, "status"), timestampColumn(rec, "ts")
		name, blob, ok := stringColumn(rec, "name"), binaryColumn(rec, "blob"), boolColumn(rec, "ok")
		codes, _ := column(rec, "codes").(*array.List)
		size, code, level, bucket, seen := int64Column(rec, "size"), int32Column(rec, "code"), int32Column(rec, "level"), int64Column(rec, "bucket"), timestampColumn(rec, "seen")
		if keys == nil || status == nil || ts == nil || name == nil || blob == nil || ok == nil || codes == nil ||
			size == nil || code == nil || level == nil || bucket == nil || seen == nil {
			t.Fatalf("batch schema %v lacks a column or has the wrong type", rec.Schema())
		}
		if unit := ts.DataType().(*arrow.TimestampType); unit.Unit != arrow.Microsecond || unit.TimeZone != "UTC" {
			t.Errorf("ts type = %v", unit)
		}
		elems := codes.ListValues().(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			r := readShape{Key: keys.Value(i), OK: ok.Value(i), Code: code.Value(i), Bucket: bucket.Value(i)}
			if size.IsValid(i) {
				r.Size = size.Value(i)
			}
			if level.IsValid(i) {
				r.Level = level.Value(i)
			}
			if seen.IsValid(i) {
				r.Seen = int64(seen.Value(i))
			}
			if status.IsValid(i) {
				r.Status = status.Value(i)
			}
			if ts.IsValid(i) {
				r.TS = int64(ts.Value(i))
			}
			if name.IsValid(i) {
				r.Name = name.Value(i)
			}
			if blob.IsValid(i) {
				r.Blob = append([]byte(nil), blob.Value(i)...)
			}
			start, end := codes.ValueOffsets(i)
			for j := start; j < end; j++ {
				r.Codes = append(r.Codes, elems.Value(int(j)))
			}
			got = append(got, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if batches != 11 { // row groups of 700, 700, 700, 400 rows, cut at 300
		t.Errorf("%d batches, want 11", batches)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.Skipped = 0
		if !reflect.DeepEqual(got[i], w) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], w)
		}
	}
}

// TestRecordsStopAtCallbackError returns the callback's error as it is.
func TestRecordsStopAtCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shapes.parquet")
	writeShapes(t, path, randomShapes(10))
	f, err := openParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := context.Canceled
	if err := f.records(context.Background(), []string{"key"}, func(arrow.RecordBatch) error { return stop }); err != stop {
		t.Fatalf("err = %v, want the callback's", err)
	}
}

// TestDamagedParquetIsAnErrorNamingTheFile flips bytes all over a file:
// every read either succeeds or fails with an error naming the file; none
// panics.
func TestDamagedParquetIsAnErrorNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeShapes(t, good, randomShapes(1500))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.parquet")
	failures := 0
	for off := 4; off < len(data)-8; off += len(data) / 97 {
		damaged := append([]byte(nil), data...)
		for i := off; i < min(off+16, len(damaged)-8); i++ {
			damaged[i] ^= 0x5a
		}
		if err := os.WriteFile(bad, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		err := readAllColumns(bad)
		if err == nil {
			continue
		}
		failures++
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("damage at %d: error %q does not name the file", off, err)
		}
	}
	if failures == 0 {
		t.Error("no damaged file failed to read")
	}
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := readAllColumns(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("truncated file: err = %v", err)
	}
}

func readAllColumns(path string) (err error) {
	f, err := openParquet(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.records(context.Background(), []string{"key", "codes", "status", "ts", "name", "blob", "ok"}, func(arrow.RecordBatch) error { return nil })
}
