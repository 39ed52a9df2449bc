package etl

import (
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/spanlake/spanlake/schema"
)

// writeBatch is how many rows go to the parquet writer per call: large
// enough to amortise the call, small enough to stay in cache.
const writeBatch = 1024

// rowGroupRows caps row groups; with zstd this gives groups of a few tens
// of MB for the fact table, sized for scans.
const rowGroupRows = 256 << 10

// parquetZstd is the compression of every file: zstd at its fastest
// level. Encoding the Parquet files is what a run's commit waits for, and
// on the small shape (BENCHMARKS.md) the fastest level gives 8 % more
// exchanges/s than the default one for files 0.8 % larger.
var parquetZstd = zstd.Codec{Level: zstd.SpeedFastest}

// newParquetWriter returns the writer of every Parquet file spanlake
// writes: zstd, statistics and page index on, row groups of at most
// rowGroupRows rows, the schema version in the key/value metadata.
func newParquetWriter[T any](w io.Writer) *parquet.GenericWriter[T] {
	return parquet.NewGenericWriter[T](w,
		parquet.Compression(&parquetZstd),
		parquet.DataPageStatistics(true),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("spanlake", strconv.Itoa(schema.Version), ""),
		parquet.KeyValueMetadata("spanlake.schema_version", strconv.Itoa(schema.Version)),
	)
}

// writeParquet encodes rows as one Parquet file.
func writeParquet[T any](w io.Writer, rows []T) error {
	pw := newParquetWriter[T](w)
	for i := 0; i < len(rows); i += writeBatch {
		j := min(i+writeBatch, len(rows))
		if _, err := pw.Write(rows[i:j]); err != nil {
			return err
		}
	}
	return pw.Close()
}
