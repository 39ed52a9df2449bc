package aggregate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// filePerm matches etl's: output is readable by the group that loads the
// warehouse.
const filePerm = 0o640

// ErrTopNotWritable marks an attempt to store a --top result: a truncated
// rollup would silently undercount when re-aggregated.
var ErrTopNotWritable = errors.New("aggregate: a --top result cannot be written as a table")

// FileName is the name of a rollup file inside its partition: it depends
// only on the grouping (by and filter), so running the same aggregation
// again replaces the file instead of adding one, and re-aggregating
// agg_http_minute into agg_http_hour replaces a direct hour rollup of the
// same grouping (same rows, no double counting).
func FileName(by []Dim, where []Filter) string {
	h := xxhash.Sum64String(setOf(by).String() + "\x00" + filterString(where))
	return fmt.Sprintf("part-%016x.parquet", h)
}

// WriteTable writes a result as the table agg_http_<grain> under root,
// Hive-partitioned like the facts (date=YYYY-MM-DD/hour=H for minute and
// hour rollups, date=YYYY-MM-DD for day rollups), one file per partition
// and grouping, each written atomically. The bytes depend only on the
// result: the same input gives the same files. It returns the paths
// written.
func WriteTable(root string, r *Result) ([]string, error) {
	if r.Query.Grain == GrainAll {
		return nil, errors.New("aggregate: grain all cannot be written as a table (use minute, hour or day)")
	}
	if r.Query.Top > 0 {
		return nil, ErrTopNotWritable
	}
	table := filepath.Join(root, r.Query.Grain.Table())
	// What a killed run was writing (the table is only written here).
	if err := atomicfile.RemoveTemps(table); err != nil {
		return nil, err
	}
	name := FileName(r.Query.By, r.Where)
	byPart := map[string][]Row{}
	for i := range r.Groups {
		g := &r.Groups[i]
		part := r.Query.Grain.partitionDir(g.Bucket.UnixMicro())
		byPart[part] = append(byPart[part], r.Row(g))
	}
	parts := make([]string, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	var written []string
	for _, p := range parts {
		rows := byPart[p]
		slices.SortFunc(rows, compareRows)
		dir := filepath.Join(table, filepath.FromSlash(p))
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return written, fmt.Errorf("cannot create directory %s: %w", dir, err)
		}
		err := atomicfile.Write(dir, name, filePerm, func(w io.Writer) error { return writeRows(w, r, rows) })
		if err != nil {
			return written, err
		}
		written = append(written, filepath.Join(dir, name))
	}
	return written, nil
}

// compareRows sorts a file by time, then dimension values: the order
// engines benefit from (bucket_start statistics prune row groups).
func compareRows(a, b Row) int {
	if a.BucketStart != b.BucketStart {
		if a.BucketStart < b.BucketStart {
			return -1
		}
		return 1
	}
	af, bf := a.dimFields(), b.dimFields()
	for d := range af {
		if *af[d] != *bf[d] {
			if *af[d] < *bf[d] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func writeRows(w io.Writer, r *Result, rows []Row) error {
	pw := parquet.NewGenericWriter[Row](w,
		parquet.Compression(&parquet.Zstd),
		parquet.DataPageStatistics(true),
		parquet.MaxRowsPerRowGroup(256<<10),
		parquet.CreatedBy("spanlake", "aggregate", ""),
		parquet.KeyValueMetadata(metaGrain, r.Query.Grain.String()),
		parquet.KeyValueMetadata(metaBy, setOf(r.Query.By).String()),
		parquet.KeyValueMetadata(metaFilter, filterString(r.Where)),
	)
	for i := 0; i < len(rows); i += 1024 {
		if _, err := pw.Write(rows[i:min(i+1024, len(rows))]); err != nil {
			return err
		}
	}
	return pw.Close()
}

// PartitionRange widens [from, to) to whole partitions of the grain's
// table, so that a written partition file covers its whole partition and
// replacing it loses nothing. Zero bounds stay unbounded.
func PartitionRange(g Grain, from, to time.Time) (time.Time, time.Time) {
	w := g.partitionMicros()
	if !from.IsZero() {
		from = time.UnixMicro(floorMicros(from.UnixMicro(), w)).UTC()
	}
	if !to.IsZero() {
		t := to.UnixMicro()
		if f := floorMicros(t, w); f != t {
			t = f + w
		}
		to = time.UnixMicro(t).UTC()
	}
	return from, to
}
